// Aligned columns for terminal reports, measured in characters (not bytes: "µs").
#pragma once

#include <string>
#include <vector>

namespace allocbench {

enum class Align { left, right };

// The header (left out when every cell of it is empty) and the rows, each line
// indented and ending in a newline. The last column
// is not padded, so that lines carry no trailing blanks.
std::string text_columns(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         const std::vector<Align>& align);

}  // namespace allocbench
