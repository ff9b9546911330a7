// The end of a text, for failure reports that quote a program's stderr.
#pragma once

#include <string>

namespace allocbench {

// The last `max_lines` lines of `text`, without trailing newlines.
inline std::string last_lines(std::string text, size_t max_lines) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t pos = text.size();
  for (size_t lines = 0; lines < max_lines && pos != std::string::npos && pos > 0; ++lines)
    pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos || pos == 0 ? text : text.substr(pos + 1);
}

}  // namespace allocbench
