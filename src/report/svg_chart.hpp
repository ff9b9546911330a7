// The charts of allocbench, drawn here without a plotting library, for `allocbench plot`
// (one SVG) and the HTML report (each chart inline): per workload, the time per backend
// with its spread, the memory per backend, and the timelines of --timeline. They read in
// black and white: every bar and line is labelled with its backend, and peak live bytes
// (grey) and peak RSS (outlined) differ by more than their colour.
#pragma once

#include "results/results.hpp"

#include <optional>
#include <string>
#include <vector>

namespace allocbench {

// A standalone <svg> element and its size in px.
struct Chart {
  std::string svg;
  double width = 0, height = 0;
};

// Median time per backend as bars, the fastest and slowest repetition as a whisker
// (callgrind's estimated cycles where the results hold no time).
Chart time_chart(const std::vector<const Result*>& rows);
// Peak live bytes and peak RSS per backend, side by side.
Chart memory_chart(const std::vector<const Result*>& rows);
// RSS (solid) and live bytes (dashed) over the measured phase; none without timelines.
std::optional<Chart> timeline_chart(const std::vector<const Result*>& rows);
// run --latency: the percentiles of malloc (solid) and free (dashed) per backend, on a log
// scale of time; none without them.
std::optional<Chart> latency_chart(const std::vector<const Result*>& rows);

// The entries of `results` grouped by the work they did (workload, parameters, seed,
// threads, measure, directory: their key less the backend), in their first order.
std::vector<std::vector<const Result*>> by_work(const Results& results);

// "5 repetitions · seed 1 · 1 thread · max_size=1024 ops=8000000": what a group did.
std::string work_settings(const Result& r);

// `allocbench plot`: every workload's charts, one under the other, in one SVG document.
std::string svg_chart(const Results& results);

// &, <, >, " as XML and HTML entities.
std::string xml_escape(const std::string& s);

}  // namespace allocbench
