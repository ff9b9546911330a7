// Whole-file writes that are never seen half-done: a temporary file beside the
// target, flushed to disk, then renamed over it.
#pragma once

#include <string>
#include <string_view>

namespace allocbench {

// Throws a usage error naming `what` (e.g. "--output") when the file cannot be written.
void write_file_atomically(const std::string& path, std::string_view content, std::string_view what);

// Fails early, before a long run, when `path` could not be written later.
void check_writable(const std::string& path, std::string_view what);

}  // namespace allocbench
