// `cmd:PROGRAM ARGS...`: a real program as a workload. It runs in its own process under
// the launcher (src/launcher), with each backend in LD_PRELOAD; no worker runs it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace allocbench {

inline constexpr std::string_view command_prefix = "cmd:";

// The words of `text`, split as a POSIX shell splits them (blanks; '...'; "..." with \",
// \\, \$ and \` escapes; a backslash outside quotes), but with nothing expanded: no
// variables, globs or tildes. A usage error names an unterminated quote.
std::vector<std::string> split_command(std::string_view text);

}  // namespace allocbench
