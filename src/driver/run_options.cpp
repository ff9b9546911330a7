#include "driver/run_options.hpp"

#include <CLI/CLI.hpp>

namespace allocbench {

void add_run_options(CLI::App& app, RunOptions& o) {
  app.add_option("--backend", o.backends,
                 "Allocators to run, comma-separated, or 'all' (default: all that are built). A backend with settings "
                 "is NAME:KEY=VALUE,... (e.g. jemalloc:narenas=2); preload:/path/lib.so runs any allocator library.")
      ->delimiter(',');
  app.add_option("--workload", o.workloads,
                 "Workloads to run, comma-separated, or 'all' (default: all standard workloads); trace:FILE replays a "
                 "recording; profile:FILE runs a profile of sizes, rates and lifetimes; 'cmd:PROGRAM ARGS' runs a program, and takes the rest of its --workload value, commas "
                 "included (repeat --workload for several).");
  app.add_option("--reps", o.reps,
                 "Measured repetitions per backend and workload, 1 to 10000 (default: 5); 'auto' (run only): "
                 "rounds of repetitions until each cell's answer is clear, see --max-reps and --max-time.")
      ->type_name("N|auto");
  app.add_option("--warmup", o.warmup,
                 "Discarded repetitions run first; with counting on, the first is the counted one (default: 1).")
      ->check(CLI::Range(0, 1000));
  app.add_option("--threads", o.threads,
                 "Threads for every workload (default: each workload's own; see 'allocbench list').")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--param", o.params,
                 "A workload parameter, WORKLOAD.NAME=VALUE, e.g. small-object-churn.ops=1000000 (repeatable).");
  app.add_option("--seed", o.seed, "Seed of the workloads' random choices: same seed, same work (default: 1).")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--counting", o.counting,
                 "Count allocations and bytes in one extra, untimed repetition per cell (on), or not at all "
                 "(off) (default: on).")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--measure", o.measure,
                 "How the timed repetitions are measured: 'wall' (clock time, natively) or 'instructions' "
                 "(instructions and simulated cache misses under valgrind's callgrind: deterministic, the same on "
                 "any machine; about 50x slower) (default: wall).")
      ->check(CLI::IsMember({std::string(measure_wall), std::string(measure_instructions)}));
  app.add_option("--timeout", o.timeout_s, "Seconds one repetition may take before it is killed (default: 300).")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--output", o.output, "Write the report to FILE (atomically) instead of stdout.");
  app.add_flag("--verbose", o.verbose, "Print a line per repetition on stderr.");
  app.add_flag("--no-cache", o.no_cache,
               "Prepare trace: workloads for replay in a temporary directory, removed at exit, not in the replay "
               "cache (see clear-cache).");
  app.add_option("--shard", o.shard,
                 "K/N: run only the K-th of N parts of the cells (backend x workload), for CI jobs that split a "
                 "run; 'allocbench merge' puts the parts' results back together.");
  auto* fail_fast = app.add_flag("--fail-fast", o.fail_fast, "Stop the run at the first failed repetition.");
  // The default, accepted so that a script can say so.
  app.add_flag_callback("--keep-going", [] {}, "After a failed repetition, run the other cells (the default).")
      ->excludes(fail_fast);
}

void add_idle_options(CLI::App& app, RunOptions& o) {
  app.add_option("--idle", o.idle,
                 "After each measured repetition's teardown, idle this long (e.g. 10s) and report the memory the "
                 "process keeps at 0, 10 ms, 100 ms, 1 s, 10 s and the end: what the allocator gives back, and when.");
  app.add_flag("--idle-purge", o.idle_purge,
               "With --idle: first call the allocator's own release of free memory (malloc_trim, jemalloc's purge, "
               "mi_collect, ReleaseFreeMemory), timed.");
  app.add_flag("--latency", o.latency,
               "Beside each repetition, run one more that times every allocator call of its phase, and report the "
               "percentiles of each kind of call (p50 to p99.99 and max), gated with those repetitions as samples.");
}

void add_repetition_bounds(CLI::App& app, RunOptions& o) {
  app.add_option("--max-reps", o.max_reps,
                 "With --reps auto: at most this many repetitions per cell, 5 to 10000 (default: 40).")
      ->check(CLI::Range(1, 10000));
  app.add_option("--max-time", o.max_time,
                 "With --reps auto: start no new round of repetitions after this long, e.g. 90s, 10m, 1h "
                 "(default: no limit).");
}

void add_report_options(CLI::App& app, RunOptions& o) {
  app.add_option("--format", o.format,
                 "Report format: table, json, markdown, csv, bmf (Bencher Metric Format), gbench (Google "
                 "Benchmark's JSON) or html (a self-contained page of charts) (default: table).");
  app.add_flag("--leaks", o.leaks,
               "Record where each allocation still live at the end was made, and show the top sites. Costs a "
               "backtrace per allocation, in the counted repetition only: times are unaffected.");
  app.add_flag("--timeline", o.timeline,
               "Sample live bytes and RSS through the phase of one repetition per cell (the counted one) into the "
               "JSON; draw them with 'allocbench plot'.");
  app.add_option("--timeline-interval", o.timeline_ms, "Milliseconds between timeline samples (default: 10).")
      ->check(CLI::Range(1.0, 10000.0));
  app.add_option("--max-rss", o.max_rss,
                 "Memory budget: a cell whose peak RSS exceeds SIZE (e.g. 64M) is a regression (exit 1), reported "
                 "with the moment it crossed.");
  app.add_option("--max-live", o.max_live,
                 "Memory budget: a cell whose peak live bytes exceed SIZE is a regression (exit 1).");
  app.add_flag("--stats", o.stats,
               "Show the allocators' own statistics (allocated, resident, mapped, ...) and the workload's own "
               "figures per workload; the JSON always has them.");
}

}  // namespace allocbench
