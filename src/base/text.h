// Small text utilities shared by the layers: error messages made one line, and UTF-8
// validation. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace materia {

// Makes a possibly multi-line message (DuckDB's errors carry context lines, carets and
// hints) one line: drops empty lines, caret lines and "LINE n:" excerpts, joins the
// rest with "; ", and cuts the result at `max_length` characters with "...".
std::string OneLine(std::string_view message, size_t max_length = 400);

// ASCII lower case ("SELECT" -> "select"); other bytes are kept.
std::string ToLower(std::string_view text);

// `text` without leading and trailing white space.
std::string Trim(std::string_view text);

// True when `text` is one or more ASCII digits.
bool IsAllDigits(std::string_view text);

// The offset of the first byte of `text` that is not valid UTF-8, or std::nullopt.
std::optional<size_t> FindInvalidUtf8(std::string_view text);

// `items` joined with `separator` between them.
std::string JoinText(const std::vector<std::string>& items, std::string_view separator);

// Whether `items` holds `item`.
bool ContainsText(const std::vector<std::string>& items, std::string_view item);

// The words of `text`, split on whitespace (runs of it count as one).
std::vector<std::string> SplitWords(std::string_view text);

// YAML 1.2 core-schema plain (unquoted) scalars: null (empty, ~, null, Null, NULL),
// booleans (true/True/TRUE, false/...), decimal numbers ([-+]?(d[.d]|.d)([eE][-+]?d)?).
bool IsYamlNull(std::string_view text);
bool IsYamlBool(std::string_view text);
bool IsYamlNumber(std::string_view text);

}  // namespace materia
