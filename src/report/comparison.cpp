#include "report/comparison.hpp"

#include "common/call_kinds.hpp"
#include "report/format_units.hpp"
#include "results/metrics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace allocbench {
namespace {

std::string metric_or_dash(const Result& r, const std::string& name, std::string (*format)(double)) {
  auto it = r.metrics.find(name);
  return it == r.metrics.end() ? "-" : format(it->second.median);
}

double median_or_zero(const Result& r, const std::string& name) {
  auto it = r.metrics.find(name);
  return it == r.metrics.end() ? 0 : it->second.median;
}

// `a` over `b`, or "-" when either is unknown.
std::string ratio(double a, double b) { return a > 0 && b > 0 ? fmt::format("{:.2f}", a / b) : "-"; }

// The allocator's own fragmentation: what it holds resident (glibc knows only what it
// has mapped) over what the program has allocated from it.
std::string allocator_fragmentation(const Result& r) {
  double held = median_or_zero(r, "allocator.resident_bytes");
  if (held == 0) held = median_or_zero(r, "allocator.mapped_bytes");
  return ratio(held, median_or_zero(r, "allocator.allocated_bytes"));
}

// allocated, resident, mapped first; the allocator's other statistics after.
ComparisonTable allocator_stats_table(const std::string& workload, const std::vector<const Result*>& rows) {
  static const std::vector<std::string> main{"allocated_bytes", "resident_bytes", "mapped_bytes"};
  ComparisonTable t{workload + " · the allocators' own statistics at the end of the phase (median)",
                    {"backend", "allocated", "resident", "mapped", "other"}, {}, {}, true};
  for (const Result* r : rows) {
    std::vector<std::string> row{r->backend}, other;
    for (const auto& name : main) row.push_back(metric_or_dash(*r, std::string(allocator_stat_prefix) + name, format_bytes));
    for (const auto& [name, s] : r->metrics) {
      if (name.rfind(allocator_stat_prefix, 0) != 0) continue;
      std::string stat = name.substr(allocator_stat_prefix.size());
      if (std::find(main.begin(), main.end(), stat) == main.end())
        other.push_back(fmt::format("{} {}", stat, format_bytes(s.median)));
    }
    row.push_back(other.empty() ? "-" : fmt::format("{}", fmt::join(other, ", ")));
    t.rows.push_back(std::move(row));
  }
  return t;
}

// The workload's own counters and figures (borrows, waits, RSS per live byte, ...), by name.
ComparisonTable workload_stats_table(const std::string& workload, const std::vector<const Result*>& rows) {
  ComparisonTable t{workload + " · the workload's own figures (median)", {"backend", "figures"}, {}, {}, true};
  auto shown = [](const std::string& name, double v) {
    if (name.ends_with("_bytes")) return format_bytes(v);
    if (name.ends_with("_pct")) return fmt::format("{:g}%", v);
    return fmt::format("{:g}", v);
  };
  for (const Result* r : rows) {
    std::vector<std::string> figures;
    for (const auto& [name, v] : r->stats) figures.push_back(fmt::format("{} {}", name, shown(name, v)));
    t.rows.push_back({r->backend, figures.empty() ? "-" : fmt::format("{}", fmt::join(figures, ", "))});
  }
  return t;
}

// run --latency: the time of single calls, per backend and kind of call; with --stats,
// per size band too (p90 and p99.99 are not kept by band).
ComparisonTable latency_table(const std::string& workload, const std::vector<const Result*>& rows, bool by_band) {
  ComparisonTable t{workload + " · time of single calls (--latency: every call of the phase timed in a repetition "
                               "beside each measured one; medians of those repetitions, the timer's cost taken off)",
                    {"backend", "call", "calls", "p50", "p90", "p99", "p99.9", "p99.99", "max"}, {}, {}, false};
  bool faults = std::any_of(rows.begin(), rows.end(), [](const Result* r) {
    return std::any_of(call_kinds.begin(), call_kinds.end(),
                       [r](std::string_view kind) { return r->metrics.count(fmt::format("{}_faulted_calls", kind)) > 0; });
  });
  if (faults) t.header.insert(t.header.end(), {"faulted", ">=p99.9", ">=p99.99"});
  for (const Result* r : rows) {
    double step = median_or_zero(*r, "latency_resolution_ns");
    auto time = [&](const std::string& metric) {
      if (!r->metrics.count(metric)) return std::string("-");
      double ns = median_or_zero(*r, metric);
      return ns < step ? "<" + format_duration_ns(step) : format_duration_ns(ns);  // below what the clock tells
    };
    for (std::string_view kind : call_kinds) {
      std::string op(kind);
      if (!r->metrics.count(op + "_calls_timed")) continue;
      std::vector<std::string> row{r->backend, op, format_quantity(median_or_zero(*r, op + "_calls_timed"))};
      for (const char* p : {"p50", "p90", "p99", "p999", "p9999", "max"}) row.push_back(time(fmt::format("{}_{}_ns", op, p)));
      if (faults && r->metrics.count(op + "_faulted_calls")) {
        row.push_back(format_count(static_cast<uint64_t>(median_or_zero(*r, op + "_faulted_calls"))));
        for (const char* p : {"p999", "p9999"})
          row.push_back(fmt::format("{:.0f}%", 100 * median_or_zero(*r, fmt::format("{}_{}_faulted_share", op, p))));
      } else if (faults) {
        row.insert(row.end(), {"-", "-", "-"});
      }
      t.rows.push_back(std::move(row));
      for (size_t band = 0; by_band && band < size_bands.size(); ++band) {
        std::string prefix = fmt::format("{}_{}_", op, size_bands[band]);
        if (!r->metrics.count(prefix + "calls_timed")) continue;
        std::vector<std::string> sub{"", fmt::format("  {}", size_band_labels[band]),
                                     format_quantity(median_or_zero(*r, prefix + "calls_timed"))};
        for (const char* p : {"p50", "p90", "p99", "p999", "p9999", "max"}) sub.push_back(time(fmt::format("{}{}_ns", prefix, p)));
        if (faults) sub.insert(sub.end(), {"-", "-", "-"});
        t.rows.push_back(std::move(sub));
      }
    }
  }
  if (!rows.empty() && rows.front()->metrics.count("latency_timer_ns"))
    t.notes.push_back(fmt::format("clock: {}; its own cost, {} per call, is taken off each time; it reads in steps of {}",
                                  rows.front()->environment.latency_clock,
                                  format_duration_ns(median_or_zero(*rows.front(), "latency_timer_ns")),
                                  format_duration_ns(median_or_zero(*rows.front(), "latency_resolution_ns"))));
  if (faults)
    t.notes.push_back("faulted: calls during which their thread page-faulted (a perf software event per thread); "
                      ">=p99.9, >=p99.99: the share of the calls that slow or slower that did");
  if (by_band)
    t.notes.push_back("indented rows: the calls of one size band (a free's size from sized deallocation or the replay; "
                      "frees without a size are in none)");
  return t;
}

// run --latency: the slowest single calls of each backend, with what they were.
ComparisonTable slow_calls_table(const std::string& workload, const std::vector<const Result*>& rows) {
  constexpr size_t shown = 5;
  ComparisonTable t{workload + " · the slowest single calls (--latency, over the latency repetitions)",
                    {"backend", "time", "call", "size", "thread", "faulted", "rep"}, {}, {}, false};
  for (const Result* r : rows)
    for (size_t i = 0; i < std::min(shown, r->slow_calls.size()); ++i) {
      const SlowCall& s = r->slow_calls[i];
      t.rows.push_back({i == 0 ? r->backend : "", format_duration_ns(s.ns), s.call,
                        s.size ? format_bytes(static_cast<double>(s.size)) : "-", fmt::format("{}", s.thread),
                        s.faulted ? (*s.faulted ? "yes" : "no") : "-", fmt::format("{}", s.rep)});
    }
  t.notes.push_back(fmt::format("the {} slowest of each backend; JSON keeps {} (slow_calls). thread: in the order the "
                                "threads made their first timed call; faulted: its thread page-faulted during the call",
                                shown, slow_calls_kept));
  return t;
}

// run --idle: what each backend kept after teardown, over the idle (medians).
ComparisonTable idle_table(const std::string& workload, const std::vector<const Result*>& rows) {
  ComparisonTable t{workload + " · memory kept after the phase (--idle: RSS less LazyFree above the process's before "
                               "setup, median)",
                    {"backend"}, {}, {}, false};
  std::vector<std::string> shown;
  auto show = [&](std::string_view metric, std::string_view label) {
    if (std::any_of(rows.begin(), rows.end(), [&](const Result* r) { return r->metrics.count(std::string(metric)) > 0; })) {
      shown.emplace_back(metric);
      t.header.emplace_back(label);
    }
  };
  for (const IdleMoment& m : idle_moments) show(m.metric, m.label);
  show("rss_after_idle_bytes", "end");
  bool purged = std::any_of(rows.begin(), rows.end(), [](const Result* r) { return r->metrics.count("purge_ns") > 0; });
  t.header.insert(t.header.end(), {"returned", "half back in", "LazyFree at end"});
  if (purged) t.header.push_back("purge call");
  for (const Result* r : rows) {
    std::vector<std::string> row{r->backend};
    for (const auto& metric : shown) row.push_back(metric_or_dash(*r, metric, format_bytes));
    row.push_back(r->metrics.count("returned_share") ? format_percent(median_or_zero(*r, "returned_share")) : "-");
    row.push_back(metric_or_dash(*r, "half_returned_ns", format_duration_ns));
    row.push_back(r->metrics.count("raw_rss_after_idle_bytes")
                      ? format_bytes(median_or_zero(*r, "raw_rss_after_idle_bytes") - median_or_zero(*r, "rss_after_idle_bytes"))
                      : "-");
    if (purged) row.push_back(metric_or_dash(*r, "purge_ns", format_duration_ns));
    t.rows.push_back(std::move(row));
  }
  if (purged)
    t.notes.push_back("--idle-purge: each allocator's own release call ran first (malloc_trim, jemalloc's "
                      "arena.<all>.purge, mi_collect, ReleaseFreeMemory; pool: glibc's malloc_trim for its fallback); "
                      "'-' where the allocator has none (preload:)");
  return t;
}

constexpr size_t leak_frames_shown = 4;

// What a backend still held after teardown, and where it came from when --leaks said.
void add_leak_notes(const Result& r, std::vector<std::string>& notes) {
  double leaked = median_or_zero(r, "live_bytes_at_end");
  if (leaked <= 0) return;
  if (!r.directory.empty()) {  // a program: many never free what they hold at exit, on purpose
    notes.push_back(fmt::format("{}: {} still live when the program exited (never freed)", r.backend, format_bytes(leaked)));
    return;
  }
  if (r.leak_sites.empty()) {
    notes.push_back(fmt::format("{}: {} still live after teardown (a leak); --leaks shows where it was allocated",
                                r.backend, format_bytes(leaked)));
    return;
  }
  notes.push_back(fmt::format("{}: {} still live after teardown (a leak), allocated at:", r.backend,
                              format_bytes(leaked)));
  for (const auto& site : r.leak_sites) {
    std::vector<std::string> frames(site.stack.begin(),
                                    site.stack.begin() + static_cast<long>(std::min(site.stack.size(), leak_frames_shown)));
    notes.push_back(fmt::format("  {} in {} allocation{}: {}", format_bytes(static_cast<double>(site.bytes)), site.count,
                                site.count == 1 ? "" : "s", frames.empty() ? "(no frames)" : fmt::format("{}", fmt::join(frames, " ← "))));
  }
}

// `reps`: "5 reps", or "5 to 40 reps" when --reps auto gave the rows different counts.
std::string settings(const Result& r, const std::string& reps) {
  if (!r.directory.empty()) return fmt::format("run in {} · {}", r.directory, reps);
  return fmt::format("{} thread{} · {} · seed {}{}{}", r.threads, r.threads == 1 ? "" : "s", reps, r.seed,
                     r.params.empty() ? "" : " · ", params_text(r.params));
}

// The ranking column of --reps auto: how each backend stands against the fastest.
std::string ranking_text(const Rank& r) {
  if (r.is_fastest) return r.answer == Answer::open ? "fastest, not yet told apart" : "fastest";
  switch (r.answer) {
    case Answer::different: return r.p < 1e-4 ? "slower (p < 0.0001)" : fmt::format("slower (p = {:.4f})", r.p);
    case Answer::same: return fmt::format("within ±{:g}% ({:.3f} to {:.3f})", ranking_margin * 100, r.interval.low, r.interval.high);
    case Answer::open: break;
  }
  if (std::isinf(r.interval.high)) return fmt::format("open (p = {:.3f})", r.p);
  return fmt::format("open (p = {:.3f}, {:.3f} to {:.3f})", r.p, r.interval.low, r.interval.high);
}

const Rank* find_rank(const ReportInput& in, const Result& r) {
  if (!in.ranking) return nullptr;
  for (const Rank& rank : *in.ranking)
    if (rank.workload == r.workload && rank.backend == r.backend) return &rank;
  return nullptr;
}

}  // namespace

namespace {

// The figures a row leads with: time natively, instruction counts under callgrind.
struct Lead {
  const char* order_by;  // the metric rows are sorted by, fastest or cheapest first
  std::vector<std::string> header;
  const char* versus;  // the last column's name
};

const Lead& lead_of(std::string_view measure) {
  static const Lead wall{"wall_ns", {"time", "spread", "ops/s"}, "vs fastest"};
  static const Lead instructions{"est_cycles", {"instructions", "range", "est. cycles", "L1 misses", "LL misses"},
                                 "vs cheapest"};
  return measure == measure_instructions ? instructions : wall;
}

// Spread: the median deviation of times; for instruction counts, which should not vary
// at all, the whole range, finely.
std::vector<std::string> lead_cells(const Result& r, bool& noisy) {
  if (r.measure == measure_instructions) {
    const Summary& n = r.metrics.at("instructions");
    double range = n.median > 0 ? (n.max - n.min) / n.median : 0;
    return {format_quantity(n.median), fmt::format("{:.3f}%", range * 100), metric_or_dash(r, "est_cycles", format_quantity),
            metric_or_dash(r, "l1_misses", format_quantity), metric_or_dash(r, "ll_misses", format_quantity)};
  }
  const Summary& wall = r.metrics.at("wall_ns");
  double spread = relative_spread(wall);
  noisy = noisy || spread >= noisy_spread;
  return {format_duration_ns(wall.median), format_percent(spread) + (spread >= noisy_spread ? " !" : ""),
          metric_or_dash(r, "ops_per_s", format_rate)};
}

}  // namespace

std::vector<ComparisonTable> comparison_tables(const ReportInput& in) {
  using Group = std::pair<std::string, std::string>;  // workload, measure
  std::vector<Group> order;                             // as they first appear
  for (const auto& r : in.results.results)
    if (std::find(order.begin(), order.end(), Group{r.workload, r.measure}) == order.end())
      order.emplace_back(r.workload, r.measure);
  for (const auto& f : in.failures)
    if (std::none_of(order.begin(), order.end(), [&](const Group& g) { return g.first == f.workload; }))
      order.emplace_back(f.workload, in.measure);

  std::vector<ComparisonTable> tables;
  for (const auto& [workload, measure] : order) {
    const Lead& lead = lead_of(measure);
    std::vector<const Result*> rows;
    for (const auto& r : in.results.results)
      if (r.workload == workload && r.measure == measure) rows.push_back(&r);
    std::sort(rows.begin(), rows.end(), [&](const Result* a, const Result* b) {
      return median_or_zero(*a, lead.order_by) < median_or_zero(*b, lead.order_by);
    });

    ComparisonTable t;
    int fewest = rows.empty() ? 0 : rows.front()->reps, most = fewest;
    for (const Result* r : rows) fewest = std::min(fewest, r->reps), most = std::max(most, r->reps);
    std::string reps = fewest == most ? fmt::format("{} rep{}", most, most == 1 ? "" : "s")
                                      : fmt::format("{} to {} reps", fewest, most);
    t.title = rows.empty() ? workload : fmt::format("{} · {}", workload, settings(*rows.front(), reps));
    t.header = {"backend"};
    if (fewest != most) t.header.push_back("reps");
    t.header.insert(t.header.end(), lead.header.begin(), lead.header.end());
    t.header.insert(t.header.end(), {"peak live", "peak RSS", "RSS/live", "res/alloc", lead.versus});
    bool ranked = !rows.empty() && find_rank(in, *rows.front());
    if (ranked) t.header.push_back("ranking (--reps auto)");
    t.text_last = ranked;
    bool noisy = false;
    for (const Result* r : rows) {
      double best = median_or_zero(*rows.front(), lead.order_by);
      std::vector<std::string> row{r->backend};
      if (fewest != most) row.push_back(std::to_string(r->reps));
      for (auto& cell : lead_cells(*r, noisy)) row.push_back(std::move(cell));
      row.insert(row.end(), {metric_or_dash(*r, "peak_live_bytes", format_bytes), metric_or_dash(*r, "peak_rss_bytes", format_bytes),
                             ratio(median_or_zero(*r, "peak_rss_bytes"), median_or_zero(*r, "peak_live_bytes")),
                             allocator_fragmentation(*r),
                             fmt::format("{:.2f}", best > 0 ? median_or_zero(*r, lead.order_by) / best : 1.0)});
      if (ranked) row.push_back(find_rank(in, *r) ? ranking_text(*find_rank(in, *r)) : "-");
      t.rows.push_back(std::move(row));
    }
    for (const auto& f : in.failures)
      if (f.workload == workload) {
        std::vector<std::string> failed(t.header.size(), "-");
        failed[0] = f.backend;
        failed[1] = "failed";
        t.rows.push_back(std::move(failed));
        t.notes.push_back(fmt::format("{} failed: {}", f.backend, f.reason));
      }
    if (!rows.empty()) {
      const Result& r = *rows.front();
      if (!r.counting) t.notes.push_back("counting was off (--counting off): no byte or allocation counts");
      else if (r.peak_live_error_bound > 0)
        t.notes.push_back(fmt::format("with {} threads, peak live is exact to within ±{}", r.threads,
                                      format_bytes(static_cast<double>(r.peak_live_error_bound))));
      if (!r.peak_rss_reset) t.notes.push_back("peak RSS counts from process start (/proc/self/clear_refs refused)");
      if (r.measure == measure_instructions)
        t.notes.push_back(fmt::format("counted under callgrind ({}): instructions and simulated cache misses of the "
                                      "phase, not time; peak RSS from the counted run, natively{}",
                                      r.environment.valgrind, r.threads > 1 ? "; threads ran one at a time" : ""));
      if (r.unsized_frees > 0)
        t.notes.push_back(fmt::format("{} frees came without a size (unsized operator delete): live and peak "
                                      "bytes overstate by what they freed",
                                      r.unsized_frees));
      if (auto skipped = r.stats.find("skipped_frees"); skipped != r.stats.end() && skipped->second > 0)
        t.notes.push_back(fmt::format("the replay skipped {:.0f} frees of objects the trace never allocated or had "
                                      "freed already (trace-info counts them)",
                                      skipped->second));
      if (workload.starts_with("trace:") && r.threads > 1)
        t.notes.push_back("the program's threads replay in an interleaving of their own: peak live bytes may differ "
                          "from the recording's (trace-info)");
    }
    for (const Result* r : rows) add_leak_notes(*r, t.notes);
    if (ranked)
      t.notes.push_back(fmt::format("--reps auto ranked each backend against the fastest until it was slower with p < {:.4g} "
                                    "or within ±{:g}% of it, or --max-reps or --max-time was reached ('open')",
                                    in.ranking_alpha, ranking_margin * 100));
    if (noisy)
      t.notes.push_back(fmt::format("rows marked ! vary by {:.0f}% or more between repetitions: results might be "
                                    "unstable; use more --reps or a quieter machine",
                                    noisy_spread * 100));
    tables.push_back(std::move(t));
    if (in.allocator_stats && !rows.empty()) tables.push_back(allocator_stats_table(workload, rows));
    if (in.allocator_stats && std::any_of(rows.begin(), rows.end(), [](const Result* r) { return !r->stats.empty(); }))
      tables.push_back(workload_stats_table(workload, rows));
    if (std::any_of(rows.begin(), rows.end(), [](const Result* r) { return r->metrics.count("latency_timer_ns") > 0; }))
      tables.push_back(latency_table(workload, rows, in.allocator_stats));
    if (std::any_of(rows.begin(), rows.end(), [](const Result* r) { return !r->slow_calls.empty(); }))
      tables.push_back(slow_calls_table(workload, rows));
    if (std::any_of(rows.begin(), rows.end(), [](const Result* r) { return r->metrics.count("held_at_end_bytes") > 0; }))
      tables.push_back(idle_table(workload, rows));
  }
  return tables;
}

}  // namespace allocbench
