#include "driver/suite_programs.hpp"

#include "common/atomic_file.hpp"
#include "common/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace allocbench {
namespace {

namespace fs = std::filesystem;

// `base` scaled, at least 1.
long scaled(double base, double scale) { return std::max(1L, std::lround(base * scale)); }

// `text` with each "@N@" replaced by `n`: the inputs are other languages' code, full of braces.
std::string with_count(std::string text, long n) {
  for (size_t at; (at = text.find("@N@")) != std::string::npos;) text.replace(at, 3, std::to_string(n));
  return text;
}

void write_input(const fs::path& dir, const char* name, const std::string& text) {
  write_file_atomically((dir / name).string(), text, "the suite's input");
}

// CPython (PYTHONMALLOC=malloc: its object allocator would hide most calls): JSON round
// trips of a list of records, sorted and filtered; many small, short-lived objects.
std::string python_json(const fs::path& dir, double scale) {
  write_input(dir, "python_json.py", with_count(R"(import json, random
random.seed(1)
rows = [{"id": i, "name": "user%d" % i, "score": random.random(), "tags": ["t%d" % (i % 97), "x" * (i % 13)]}
        for i in range(@N@)]
for _ in range(6):
    text = json.dumps(rows)
    back = json.loads(text)
    back.sort(key=lambda r: r["score"])
    derived = [(r["id"], r["name"].upper()) for r in back if r["score"] > 0.5]
print(len(text), len(derived))
)", scaled(40000, scale)));
  return "/usr/bin/env PYTHONMALLOC=malloc /usr/bin/python3 python_json.py";
}

// Lua 5.4: tables of records rebuilt every round, sorting, string building and
// splitting; a garbage-collected heap.
std::string lua_tables(const fs::path& dir, double scale) {
  write_input(dir, "lua_tables.lua", with_count(R"(local n = @N@
local t = {}
for i = 1, n do t[i] = { id = i, name = "item" .. i, v = (i * 7919) % 1000 } end
local total = 0
for round = 1, 4 do
  table.sort(t, function(a, b) return a.v < b.v or (a.v == b.v and a.id < b.id) end)
  local parts = {}
  for i = 1, #t, 3 do parts[#parts + 1] = t[i].name .. ":" .. t[i].v end
  local words = {}
  for w in table.concat(parts, ","):gmatch("[^,]+") do words[#words + 1] = w end
  total = total + #words
  for i = 1, #t do t[i] = { id = t[i].id, name = t[i].name, v = (t[i].v * 31 + round) % 1000 } end
end
print(total)
)", scaled(200000, scale)));
  return "/usr/bin/lua5.4 lua_tables.lua";
}

// SQLite: inserts into an in-memory database, an index, grouping, a sort of long rows,
// updates, deletes and a join; its page cache and statements allocate.
std::string sqlite(const fs::path& dir, double scale) {
  write_input(dir, "sqlite.sql", with_count(R"(CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v INTEGER, note TEXT);
WITH RECURSIVE c(x) AS (VALUES(1) UNION ALL SELECT x + 1 FROM c WHERE x < @N@)
  INSERT INTO t SELECT x, 'name' || x, (x * 7919) % 1000, printf('%.*c', x % 200, 'n') FROM c;
CREATE INDEX tv ON t(v, name);
SELECT v, count(*), max(name) FROM t GROUP BY v ORDER BY 2 DESC, 1 LIMIT 3;
SELECT count(*), sum(length(note)) FROM (SELECT * FROM t ORDER BY note, name);
UPDATE t SET note = upper(note) || name WHERE v % 3 = 0;
DELETE FROM t WHERE v % 5 = 0;
SELECT count(*) FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.v > b.v;
)", scaled(300000, scale)));
  return "/usr/bin/sqlite3 :memory: '.read sqlite.sql'";
}

// z3: random 3-SAT problems near the satisfiability threshold (180 variables, 4.26
// clauses each), one per push/pop; z3 keeps most of its memory in its own regions.
std::string z3_sat(const fs::path& dir, double scale) {
  constexpr int variables = 180;
  constexpr int clauses = 767;  // 4.26 per variable: about half of them satisfiable
  uint64_t x = 1;
  auto random = [&x](uint64_t n) {  // a 64-bit LCG: the same problems on every machine
    x = x * 6364136223846793005u + 1442695040888963407u;
    return (x >> 33) % n;
  };
  std::string text = "(set-logic QF_UF)\n";
  for (long i = 0, n = scaled(30, scale); i < n; ++i) {
    text += "(push 1)\n";
    for (int v = 0; v < variables; ++v) text += fmt::format("(declare-const p{} Bool)\n", v);
    for (int c = 0; c < clauses; ++c) {
      text += "(assert (or";
      for (int k = 0; k < 3; ++k) {
        uint64_t v = random(variables);
        text += random(2) ? fmt::format(" p{}", v) : fmt::format(" (not p{})", v);
      }
      text += "))\n";
    }
    text += "(check-sat)\n(pop 1)\n";
  }
  write_input(dir, "z3.smt2", text);
  return "/usr/bin/z3 z3.smt2";
}

// Ghostscript: pages of random curves and text rendered at 150 dpi; its own memory
// manager takes large blocks.
std::string ghostscript(const fs::path& dir, double scale) {
  write_input(dir, "page.ps", with_count(R"(%!PS
/Times-Roman findfont 9 scalefont setfont
1 srand
/r { rand 1000 mod 1000 div } def
1 1 @N@ {
  pop
  0 1 1500 {
    pop
    r r r setrgbcolor
    r 600 mul r 800 mul moveto
    r 600 mul r 800 mul r 600 mul r 800 mul r 600 mul r 800 mul curveto
    r 3 mul setlinewidth stroke
  } for
  0 1 300 { pop r 550 mul r 780 mul moveto (allocbench suite page text) show } for
  showpage
} for
)", scaled(4, scale)));
  return "/usr/bin/gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=ppmraw -r150 -sOutputFile=/dev/null page.ps";
}

// g++ -O1: a C++ file of class templates over maps, vectors, tuples and strings; the
// compiler proper (cc1plus) runs as a child, under the same allocator.
std::string gxx_compile(const fs::path& dir, double scale) {
  std::string text = "#include <algorithm>\n#include <functional>\n#include <map>\n#include <string>\n"
                     "#include <tuple>\n#include <vector>\n";
  std::vector<std::string> uses;
  for (long k = 0, n = scaled(40, scale); k < n; ++k) {
    text += with_count(R"(template <int K> struct Table@N@ {
  std::map<std::string, std::vector<std::tuple<int, double, std::string>>> rows;
  void add(const std::string& key, int a, double b) { rows[key].emplace_back(a + K, b, key); }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : rows) out.push_back(k + std::to_string(v.size()));
    std::sort(out.begin(), out.end(), std::greater<>());
    return out;
  }
};
std::size_t use@N@() {
  Table@N@<@N@> t;
  t.add("a", @N@, 0.5);
  return t.keys().size();
}
)", k);
    uses.push_back(fmt::format("use{}()", k));
  }
  text += fmt::format("int main() {{ return static_cast<int>({}); }}\n", fmt::join(uses, " + "));
  write_input(dir, "compile.cpp", text);
  return "/usr/bin/g++ -O1 -std=c++17 -c compile.cpp -o /dev/null";
}

}  // namespace

const std::vector<SuiteProgram>& suite_programs() {
  static const std::vector<SuiteProgram> programs{
      {"python-json", "python3", "/usr/bin/python3", "many small short-lived objects", python_json},
      {"lua-tables", "lua5.4", "/usr/bin/lua5.4", "tables and strings, garbage-collected", lua_tables},
      {"sqlite", "sqlite3", "/usr/bin/sqlite3", "page cache, statements, sorts", sqlite},
      {"z3-sat", "z3", "/usr/bin/z3", "few calls: its own regions", z3_sat},
      {"ghostscript", "ghostscript", "/usr/bin/gs", "few calls: its own memory manager", ghostscript},
      {"gxx-compile", "g++", "/usr/bin/g++", "a compiler's trees, in a child process", gxx_compile},
  };
  return programs;
}

std::vector<const SuiteProgram*> select_programs(const std::vector<std::string>& names) {
  const auto& all = suite_programs();
  std::vector<const SuiteProgram*> out;
  bool everything = std::find(names.begin(), names.end(), "all") != names.end();
  for (const std::string& name : names)
    if (name != "all" && std::none_of(all.begin(), all.end(), [&](const SuiteProgram& p) { return p.name == name; })) {
      std::vector<std::string_view> known;
      for (const SuiteProgram& p : all) known.push_back(p.name);
      throw usage_error("--programs: unknown program '{}'; known: {}, or all", name, fmt::join(known, ", "));
    }
  for (const SuiteProgram& p : all)
    if (everything || std::find(names.begin(), names.end(), p.name) != names.end()) out.push_back(&p);
  return out;
}

}  // namespace allocbench
