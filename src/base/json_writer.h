// A small streaming JSON writer for hot paths: appends to a string as it goes, with
// no document in memory. Keys and values are written in the order given; the caller
// keeps objects and arrays balanced. Text is escaped as RFC 8259 requires (control
// characters, quote and backslash); UTF-8 passes through.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace materia {

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  // The key of the next member of the enclosing object.
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);  // up to 6 significant digits; null when not finite
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  JsonWriter& StringArray(const std::vector<std::string>& values);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  JsonWriter& Open(char bracket);
  JsonWriter& Close(char bracket);
  void Separate();  // a comma unless this is the first item of its container

  std::string out_;
  bool first_ = true;       // no item yet in the current container
  bool after_key_ = false;  // a key was just written: the value follows it directly
};

// `value` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view value);

}  // namespace materia
