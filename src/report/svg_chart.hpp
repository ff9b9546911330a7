// `allocbench plot`: one SVG, drawn here without a plotting library. Per workload,
// median time and peak bytes per backend as bars, and the timelines (--timeline) as
// lines of RSS (solid) and live bytes (dashed) over the measured phase.
#pragma once

#include "results/results.hpp"

#include <string>

namespace allocbench {

std::string svg_chart(const Results& results);

}  // namespace allocbench
