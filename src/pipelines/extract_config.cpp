#include "pipelines/extract_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/cron.h"
#include "base/text.h"

namespace materia {

namespace {

namespace fs = std::filesystem;

constexpr size_t kConfigBytesMax = 4 * 1024 * 1024;
constexpr size_t kUrlLengthMax = 2048;
constexpr int kMinYear = 1990;
constexpr int kMaxYear = 2100;

struct IntegerKey {
  const char* name;
  int64_t minimum;
  int64_t maximum;
};

constexpr IntegerKey kIntegerKeys[] = {
    {"timeout_connect_ms", 1, 600000},
    {"timeout_total_ms", 1, 24 * 60 * 60 * 1000},
    {"retries", 0, 10},
    {"retry_backoff_ms", 0, 600000},
    {"retry_backoff_max_ms", 0, 3600000},
    {"download_bytes_max", 1, int64_t{1} << 40},
    {"csv_bytes_max", 1, int64_t{1} << 40},
};

constexpr const char* kTextKeys[] = {"type", "base_url", "archives_from", "archives_to",
                                     "archive_path", "current_path", "landing_path", "schedule"};

class SectionReader {
 public:
  explicit SectionReader(std::string file_name) : file_name_(std::move(file_name)) {}

  Status Error(const YAML::Mark& mark, const std::string& message) const {
    if (mark.is_null()) return Status::InvalidInput(file_name_ + ": " + message);
    return Status::InvalidInput(file_name_ + ":" + std::to_string(mark.line + 1) + ":" +
                                std::to_string(mark.column + 1) + ": " + message);
  }

  Status ReadSection(const YAML::Node& node, ExtractConfig* config) const;

 private:
  Status ReadSource(const std::string& name, const YAML::Node& node, const YAML::Mark& name_mark,
                    ExtractSourceConfig* source) const;
  Status ReadKey(const std::string& key, const YAML::Node& value, const YAML::Mark& key_mark,
                 ExtractSourceConfig* source) const;
  Status ReadText(const std::string& key, const std::string& text, const YAML::Mark& mark,
                  ExtractSourceConfig* source) const;
  Status ReadInteger(const IntegerKey& key, const YAML::Node& value, ExtractSourceConfig* source) const;
  Status CheckSource(const ExtractSourceConfig& source, const YAML::Mark& name_mark) const;

  std::string file_name_;
};

bool ValidSourceName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// The placeholders "{...}" of `pattern`; false when a brace is unbalanced.
bool Placeholders(const std::string& pattern, std::set<std::string>* names) {
  size_t position = 0;
  while ((position = pattern.find_first_of("{}", position)) != std::string::npos) {
    if (pattern[position] == '}') return false;
    const size_t end = pattern.find_first_of("{}", position + 1);
    if (end == std::string::npos || pattern[end] != '}') return false;
    names->insert(pattern.substr(position + 1, end - position - 1));
    position = end + 1;
  }
  return true;
}

// A relative path pattern: no leading '/', no '..' part, no backslash.
bool SafeRelativePath(const std::string& pattern) {
  if (pattern.empty() || pattern[0] == '/' || pattern.find('\\') != std::string::npos) return false;
  std::stringstream parts(pattern);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

Status CheckPattern(const std::string& pattern, const std::set<std::string>& allowed,
                    const std::set<std::string>& required, std::string* problem) {
  std::set<std::string> names;
  if (!Placeholders(pattern, &names)) {
    *problem = "unbalanced { or }";
    return Status::InvalidInput(*problem);
  }
  for (const std::string& name : names) {
    if (!allowed.count(name)) {
      *problem = "unknown placeholder {" + name + "}";
      return Status::InvalidInput(*problem);
    }
  }
  for (const std::string& name : required) {
    if (!names.count(name)) {
      *problem = "it needs {" + name + "}";
      return Status::InvalidInput(*problem);
    }
  }
  return Status::Ok();
}

Status SectionReader::ReadSection(const YAML::Node& node, ExtractConfig* config) const {
  config->present = true;
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return Error(node.Mark(), "extract must be a mapping of source names to their settings, "
                              "e.g. psd: {archives_from: 2024-01}");
  }
  std::set<std::string> seen;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    const YAML::Mark mark = entry->first.Mark();
    if (!entry->first.IsScalar()) return Error(mark, "keys must be plain names");
    const std::string name = entry->first.Scalar();
    if (!ValidSourceName(name)) {
      return Error(mark, "extract source name '" + name +
                             "' must be lower-case letters, digits and _ (at most 64)");
    }
    if (!seen.insert(name).second) return Error(mark, "extract source '" + name + "' appears twice");
    if (static_cast<int>(seen.size()) > kExtractSourcesMax) {
      return Error(mark, "more than " + std::to_string(kExtractSourcesMax) + " extract sources");
    }
    ExtractSourceConfig source;
    source.name = name;
    MATERIA_RETURN_IF_ERROR(ReadSource(name, entry->second, mark, &source));
    config->sources.push_back(std::move(source));
  }
  return Status::Ok();
}

Status SectionReader::ReadSource(const std::string& name, const YAML::Node& node,
                                 const YAML::Mark& name_mark, ExtractSourceConfig* source) const {
  if (!node.IsMap()) {
    const YAML::Mark mark = node.IsNull() ? name_mark : node.Mark();
    return Error(mark, "extract source '" + name + "' must be a mapping of settings, "
                       "e.g. {archives_from: 2024-01}");
  }
  std::set<std::string> seen;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    const YAML::Mark mark = entry->first.Mark();
    if (!entry->first.IsScalar()) return Error(mark, "keys must be plain names");
    const std::string key = entry->first.Scalar();
    if (!seen.insert(key).second) {
      return Error(mark, "key '" + key + "' appears twice in extract source '" + name + "'");
    }
    MATERIA_RETURN_IF_ERROR(ReadKey(key, entry->second, mark, source));
  }
  if (!seen.count("archives_from")) {
    return Error(name_mark, "extract source '" + name +
                                "' needs archives_from, the first monthly archive (YYYY-MM)");
  }
  return CheckSource(*source, name_mark);
}

Status SectionReader::ReadKey(const std::string& key, const YAML::Node& value,
                              const YAML::Mark& key_mark, ExtractSourceConfig* source) const {
  for (const IntegerKey& integer : kIntegerKeys) {
    if (key == integer.name) return ReadInteger(integer, value, source);
  }
  for (const char* text_key : kTextKeys) {
    if (key != text_key) continue;
    const YAML::Mark mark = value.IsNull() ? key_mark : value.Mark();
    if (!value.IsNull() && !value.IsScalar()) return Error(mark, key + " must be a single value");
    return ReadText(key, value.IsNull() ? "" : value.Scalar(), mark, source);
  }
  return Error(key_mark, "unknown key '" + key + "' in extract source '" + source->name + "'");
}

Status SectionReader::ReadText(const std::string& key, const std::string& text,
                               const YAML::Mark& mark, ExtractSourceConfig* source) const {
  if (key == "type") {
    if (text != "psd") return Error(mark, "unknown extract type '" + text + "' (known: psd)");
  } else if (key == "base_url") {
    const bool http = text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0;
    if (!http || text.size() > kUrlLengthMax || text.find_first_of(" \t\r\n?#") != std::string::npos) {
      return Error(mark, "invalid base_url '" + text + "': expected an http:// or https:// URL");
    }
    source->base_url = text;
    while (source->base_url.size() > 8 && source->base_url.back() == '/') source->base_url.pop_back();
  } else if (key == "archives_from" || key == "archives_to") {
    std::optional<YearMonth> month = ParseYearMonth(text);
    if (!month) return Error(mark, "invalid " + key + " '" + text + "': expected a month as YYYY-MM");
    (key == "archives_from" ? source->archives_from : source->archives_to.emplace()) = *month;
  } else if (key == "schedule") {
    if (!text.empty()) {
      auto cron = Cron::Parse(text);
      if (!cron.ok()) return Error(mark, "schedule: " + cron.status().message());
    }
    source->schedule = text;
  } else {
    std::string problem;
    if (key == "archive_path" || key == "current_path") {
      // archive_path names each month; current_path is one fixed URL, or '' for none.
      const bool archive = key == "archive_path";
      const std::set<std::string> placeholders =
          archive ? std::set<std::string>{"year", "month"} : std::set<std::string>{};
      const bool allowed_empty = !archive && text.empty();
      if (!allowed_empty &&
          (text.empty() || text.size() > kUrlLengthMax || text.find_first_of(" \t\r\n") != std::string::npos ||
           !CheckPattern(text, placeholders, placeholders, &problem).ok())) {
        return Error(mark, "invalid " + key + " '" + text + "'" + (problem.empty() ? "" : ": " + problem));
      }
      (archive ? source->archive_path : source->current_path) = text;
    } else {  // landing_path
      const bool pattern_ok = CheckPattern(text, {"source", "year", "month", "etag"},
                                           {"year", "month", "etag"}, &problem).ok();
      if (pattern_ok && !SafeRelativePath(text)) problem = "it must be a relative path without '..'";
      const size_t slash = text.rfind('/');
      if (problem.empty() && slash != std::string::npos && text.find("{etag}") < slash) {
        problem = "{etag} belongs in the file name, not in a directory";
      }
      if (problem.empty() && (text.size() < 7 || text.compare(text.size() - 7, 7, ".csv.gz") != 0)) {
        problem = "it must end in .csv.gz";
      }
      if (!problem.empty()) return Error(mark, "invalid landing_path '" + text + "': " + problem);
      source->landing_path = text;
    }
  }
  return Status::Ok();
}

Status SectionReader::ReadInteger(const IntegerKey& key, const YAML::Node& value,
                                  ExtractSourceConfig* source) const {
  const std::string text = value.IsScalar() ? value.Scalar() : "";
  int64_t number = -1;
  if (IsAllDigits(text) && text.size() <= 15) number = std::stoll(text);
  if (number < key.minimum || number > key.maximum) {
    return Error(value.Mark(), std::string(key.name) + " must be a whole number from " +
                                   std::to_string(key.minimum) + " to " +
                                   std::to_string(key.maximum) + ", got '" + text + "'");
  }
  const std::string name = key.name;
  if (name == "timeout_connect_ms") source->timeout_connect_ms = number;
  if (name == "timeout_total_ms") source->timeout_total_ms = number;
  if (name == "retries") source->retries = static_cast<int>(number);
  if (name == "retry_backoff_ms") source->retry_backoff_ms = number;
  if (name == "retry_backoff_max_ms") source->retry_backoff_max_ms = number;
  if (name == "download_bytes_max") source->download_bytes_max = number;
  if (name == "csv_bytes_max") source->csv_bytes_max = number;
  return Status::Ok();
}

int MonthsBetween(const YearMonth& from, const YearMonth& to) {
  return (to.year * 12 + to.month) - (from.year * 12 + from.month) + 1;
}

Status SectionReader::CheckSource(const ExtractSourceConfig& source, const YAML::Mark& name_mark) const {
  if (source.archives_to) {
    const int months = MonthsBetween(source.archives_from, *source.archives_to);
    if (months < 1) {
      return Error(name_mark, "extract source '" + source.name + "': archives_to is before archives_from");
    }
    if (months > kExtractMonthsMax) {
      return Error(name_mark, "extract source '" + source.name + "' spans more than " +
                                  std::to_string(kExtractMonthsMax) + " months");
    }
  }
  return Status::Ok();
}

Result<std::string> ReadConfigFile(const fs::path& path) {
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  if (!error && size > kConfigBytesMax) {
    return Status::InvalidInput(path.filename().string() + ": the file is " + std::to_string(size) +
                                " bytes, more than the limit of " + std::to_string(kConfigBytesMax));
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return Status::IoError("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream content;
  content << stream.rdbuf();
  if (stream.bad()) return Status::IoError("cannot read " + path.string());
  return content.str();
}

}  // namespace

std::optional<YearMonth> ParseYearMonth(const std::string& text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  const std::string year = text.substr(0, 4);
  const std::string month = text.substr(5, 2);
  if (!IsAllDigits(year) || !IsAllDigits(month)) return std::nullopt;
  YearMonth result{std::stoi(year), std::stoi(month)};
  if (result.year < kMinYear || result.year > kMaxYear || result.month < 1 || result.month > 12) {
    return std::nullopt;
  }
  return result;
}

Result<ExtractConfig> ParseExtractConfig(const std::string& text, const std::string& file_name) {
  SectionReader reader(file_name);
  ExtractConfig config;
  config.file_name = file_name;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    return reader.Error(error.mark, error.msg);
  }
  if (!root.IsMap()) return config;
  try {
    for (auto entry = root.begin(); entry != root.end(); ++entry) {
      if (entry->first.IsScalar() && entry->first.Scalar() == "extract") {
        MATERIA_RETURN_IF_ERROR(reader.ReadSection(entry->second, &config));
        break;
      }
    }
  } catch (const YAML::Exception& error) {
    return reader.Error(error.mark, error.msg);
  }
  return config;
}

Result<ExtractConfig> LoadExtractConfig(const std::string& project_dir) {
  const fs::path directory(project_dir.empty() ? "." : project_dir);
  std::error_code error;
  for (const char* name : {"config.yaml", "config.yml"}) {
    if (!fs::exists(directory / name, error)) continue;
    MATERIA_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(directory / name));
    return ParseExtractConfig(text, name);
  }
  return Status::NotFound("no config.yaml in " + fs::absolute(directory, error).string() +
                          " (is this a Materia project?)");
}

}  // namespace materia
