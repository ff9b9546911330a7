// The words of a cmd: workload, split as a shell splits them with nothing expanded.
#include "common/error.hpp"
#include "workloads/command.hpp"

#include <doctest/doctest.h>

using allocbench::split_command;
using Words = std::vector<std::string>;

TEST_CASE("a command is split at blanks, quotes and backslashes, and nothing is expanded") {
  CHECK(split_command("  python3   app.py\t--n 3 ") == Words{"python3", "app.py", "--n", "3"});
  CHECK(split_command("echo 'a b' \"c d\" e\\ f") == Words{"echo", "a b", "c d", "e f"});
  CHECK(split_command("echo \"say \\\"hi\\\" \\\\ \\$HOME \\n\"") == Words{"echo", "say \"hi\" \\ $HOME \\n"});
  CHECK(split_command("echo 'it''s' x\"y\"z ''") == Words{"echo", "its", "xyz", ""});
  CHECK(split_command("echo $HOME * ~ a,b") == Words{"echo", "$HOME", "*", "~", "a,b"});
  CHECK(split_command("   ").empty());
}

TEST_CASE("an unclosed quote or a trailing backslash is a usage error naming it") {
  for (const char* bad : {"echo 'a", "echo \"a", "echo a\\"}) {
    CAPTURE(bad);
    try {
      split_command(bad);
      FAIL("accepted");
    } catch (const allocbench::Error& e) {
      CHECK(e.code() == allocbench::ExitCode::bad_input);
    }
  }
}
