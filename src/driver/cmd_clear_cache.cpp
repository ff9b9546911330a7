// allocbench clear-cache: removes the prepared replays of traces (trace/replay_cache.hpp).
#include "driver/commands.hpp"
#include "report/format_units.hpp"
#include "trace/replay_cache.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace allocbench {

void setup_clear_cache(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("clear-cache", "Remove the prepared replays of traces from the replay cache ("
                                                "$ALLOCBENCH_CACHE_DIR, else $XDG_CACHE_HOME/allocbench, else ~/.cache/allocbench).");
  cmd->callback([&exit_code] {
    trace::Cleared c = trace::clear_cache();
    fmt::print("removed {} prepared replay{} ({}) from {}\n", c.files, c.files == 1 ? "" : "s",
               format_bytes(static_cast<double>(c.bytes)), trace::cache_directory());
    exit_code = 0;
  });
}

}  // namespace allocbench
