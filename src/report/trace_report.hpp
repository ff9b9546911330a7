// What `allocbench trace-info` prints about a recorded trace: as text, or as JSON.
#pragma once

#include "trace/summary.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace allocbench {

std::string trace_text(const std::string& path, const trace::TraceSummary& s);
nlohmann::json trace_json(const std::string& path, const trace::TraceSummary& s);

}  // namespace allocbench
