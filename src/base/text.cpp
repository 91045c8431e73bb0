#include "base/text.h"

#include <cctype>

namespace materia {

namespace {

bool IsNoise(std::string_view line) {
  size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return true;  // blank
  line.remove_prefix(first);
  if (line.rfind("LINE ", 0) == 0) return true;     // the query excerpt
  return line.find_first_not_of("^ \t") == std::string_view::npos;  // the caret
}

}  // namespace

std::string OneLine(std::string_view message, size_t max_length) {
  std::string out;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!IsNoise(line)) {
      size_t first = line.find_first_not_of(" \t");
      out += (out.empty() ? "" : "; ") + std::string(line.substr(first));
    }
    start = end + 1;
  }
  if (out.size() > max_length && max_length > 3) out = out.substr(0, max_length - 3) + "...";
  return out;
}

std::string ToLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::string Trim(std::string_view text) {
  const char* kSpace = " \t\r\n\f\v";
  size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return "";
  size_t last = text.find_last_not_of(kSpace);
  return std::string(text.substr(first, last - first + 1));
}

bool IsAllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<size_t> FindInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return i;
    if (length == 2 && c < 0xc2) return i;  // overlong
    for (size_t k = 1; k < length; k++) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return i;
    }
    i += length;
  }
  return std::nullopt;
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char character : text) {
    if (std::isspace(static_cast<unsigned char>(character))) {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += character;
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

bool IsYamlNull(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

bool IsYamlBool(std::string_view text) {
  return text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" ||
         text == "FALSE";
}

bool IsYamlNumber(std::string_view text) {
  size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  auto skip_digits = [&]() {
    size_t begin = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') i++;
    return i - begin;
  };
  size_t digits = skip_digits();
  if (i < text.size() && text[i] == '.') {
    i++;
    digits += skip_digits();
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    i++;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) i++;
    if (skip_digits() == 0) return false;
  }
  return i == text.size();
}

std::string JoinText(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); i++) {
    if (i) text += separator;
    text += items[i];
  }
  return text;
}

bool ContainsText(const std::vector<std::string>& items, std::string_view item) {
  for (const std::string& candidate : items) {
    if (candidate == item) return true;
  }
  return false;
}

}  // namespace materia
