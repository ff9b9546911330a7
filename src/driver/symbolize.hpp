// Names the frames of leak sites: function and file:line, by addr2line (binutils)
// over the worker's and the libraries' symbol tables and line tables.
#pragma once

#include <string>
#include <vector>

namespace allocbench {

// frames: "MODULE_PATH+0xOFFSET", innermost first → "function (file:line)"
// per frame, innermost first, ending before the worker's own harness. A frame
// addr2line cannot name stays "module+0x…".
std::vector<std::string> symbolize(const std::vector<std::string>& frames);

}  // namespace allocbench
