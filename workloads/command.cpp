#include "workloads/command.hpp"

#include "common/error.hpp"
#include "common/program_file.hpp"
#include "workloads/workload.hpp"

#include <deque>
#include <utility>

namespace allocbench {

std::vector<std::string> split_command(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == text.size()) throw usage_error("--workload 'cmd:{}': a backslash ends the command", text);
      word += text[i];
    } else if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) throw usage_error("--workload 'cmd:{}': a ' is not closed", text);
      word += text.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i == text.size()) throw usage_error("--workload 'cmd:{}': a \" is not closed", text);
        if (text[i] == '"') break;
        if (text[i] == '\\' && i + 1 < text.size() && std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos) ++i;
        word += text[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

const WorkloadInfo& command_workload(std::string_view name) {
  // Made on first use, one per command line, and kept: the plan refers to it.
  static std::deque<std::pair<std::string, WorkloadInfo>> known;
  for (const auto& [n, info] : known)
    if (n == name) return info;
  std::vector<std::string> words = split_command(name.substr(command_prefix.size()));
  if (words.empty()) throw usage_error("--workload '{}': expected cmd:PROGRAM ARGS..., e.g. 'cmd:python3 app.py'", name);
  if (find_program(words[0]).empty())
    throw usage_error("--workload '{}': '{}' is not an executable file{}", name, words[0],
                      words[0].find('/') == std::string::npos ? " in PATH" : "");
  auto& [stored, info] = known.emplace_back(std::string(name), WorkloadInfo{});
  info = {stored, "runs a program with the allocator in LD_PRELOAD", {}, 0, WorkloadKind::command, nullptr};
  return info;
}

}  // namespace allocbench
