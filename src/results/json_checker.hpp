// Field-by-field checks of JSON input (results files, baselines, repetition reports):
// every error names the document and the path of the field, and what was expected.
#pragma once

#include "common/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace allocbench {

using nlohmann::json;

// Checks each field of a JSON document, naming the document (`context`: "baseline 'b.json'")
// and the field's path in every error, which is a usage error.
class Checker {
 public:
  explicit Checker(std::string context) : context_(std::move(context)) {}

  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) const {
    throw usage_error("{}: {}", context_, fmt::format(f, std::forward<Args>(args)...));
  }

  [[noreturn]] void expected(const std::string& where, const char* what, const json* got) const {
    if (!got) fail("{}: missing, expected {}", where, what);
    std::string text = got->dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    fail("{}: expected {}, got {}", where, what, text);
  }

  const json& member(const json& obj, const char* key) const {
    auto it = obj.find(key);
    return it == obj.end() ? missing_ : *it;
  }

  const json& object(const json& obj, const std::string& where, const char* key) const {
    const json& v = member(obj, key);
    if (!v.is_object()) expected(join(where, key), "an object", found(v));
    return v;
  }

  const json& array(const json& obj, const std::string& where, const char* key) const {
    const json& v = member(obj, key);
    if (!v.is_array()) expected(join(where, key), "an array", found(v));
    return v;
  }

  std::string string(const json& obj, const std::string& where, const char* key) const {
    const json& v = member(obj, key);
    if (!v.is_string()) expected(join(where, key), "a string", found(v));
    return v.get<std::string>();
  }

  bool boolean(const json& obj, const std::string& where, const char* key) const {
    const json& v = member(obj, key);
    if (!v.is_boolean()) expected(join(where, key), "true or false", found(v));
    return v.get<bool>();
  }

  uint64_t count(const json& v, const std::string& where) const {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
      expected(where, "a non-negative integer", found(v));
    return v.get<uint64_t>();
  }

  uint64_t count(const json& obj, const std::string& where, const char* key) const {
    return count(member(obj, key), join(where, key));
  }

  double number(const json& v, const std::string& where) const {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      expected(where, "a non-negative number", found(v));
    return v.get<double>();
  }

  static std::string join(const std::string& where, const char* key) {
    return where.empty() ? key : where + "." + key;
  }

 private:
  const json* found(const json& v) const { return &v == &missing_ ? nullptr : &v; }

  std::string context_;
  const json missing_;
};

}  // namespace allocbench
