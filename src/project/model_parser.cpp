#include "project/model_parser.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "base/cron.h"
#include "base/time.h"
#include "project/sql_lexer.h"

namespace materia {

namespace {

constexpr size_t kModelFileBytesMax = 16 * 1024 * 1024;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// SQLMesh properties that Materia accepts and keeps in `properties` without using yet.
constexpr std::string_view kKeptProperties[] = {
    "partitioned_by", "clustered_by", "storage_format", "table_format", "physical_properties",
    "virtual_properties", "session_properties", "table_properties", "stamp",
    "disable_restatement", "gateway", "signals",
    "references", "physical_version", "optimize_query", "validate_query", "formatting",
    "ignored_rules", "on_destructive_change", "on_additive_change", "columns", "cron_tz",
    "retention", "project"};

// SQLMesh kinds that Materia does not run yet.
constexpr std::string_view kUnsupportedKinds[] = {
    "INCREMENTAL_BY_PARTITION", "INCREMENTAL_UNMANAGED",
    "EMBEDDED", "EXTERNAL",
    "MANAGED", "CUSTOM", "VIEW_MATERIALIZED"};

constexpr std::string_view kSeedProperties[] = {
    "path", "csv_settings", "batch_size"};
constexpr std::string_view kUniqueKeyProperties[] = {
    "unique_key", "when_matched", "merge_filter", "batch_size", "batch_concurrency", "lookback",
    "forward_only", "disable_restatement", "on_destructive_change", "on_additive_change",
    "auto_restatement_cron", "auto_restatement_intervals"};
constexpr std::string_view kTimeRangeProperties[] = {
    "time_column", "batch_size", "batch_concurrency", "lookback", "forward_only",
    "disable_restatement", "on_destructive_change", "on_additive_change",
    "auto_restatement_cron", "auto_restatement_intervals", "partition_by_time_column"};

constexpr std::string_view kScdProperties[] = {
    "unique_key", "valid_from_name", "valid_to_name", "invalidate_hard_deletes",
    "time_data_type", "forward_only", "disable_restatement", "on_destructive_change",
    "on_additive_change", "batch_concurrency"};
constexpr std::string_view kScdByTimeProperties[] = {"updated_at_name", "updated_at_as_valid_from"};
constexpr std::string_view kScdByColumnProperties[] = {"columns", "execution_time_as_valid_from"};

template <size_t N>
bool Contains(const std::string_view (&names)[N], std::string_view name) {
  for (std::string_view candidate : names) {
    if (candidate == name) return true;
  }
  return false;
}

bool StartsQuery(const Token& token) {
  return token.IsWord("select") || token.IsWord("with") || token.IsWord("from") ||
         token.IsSymbol('(');
}

// Tokens [begin, end) of the token list.
struct Span {
  size_t begin = 0;
  size_t end = 0;
  bool empty() const { return begin >= end; }
};

class ModelParser {
 public:
  ModelParser(const std::string& path, std::string_view content, std::vector<Token> tokens,
              std::vector<size_t> partners)
      : path_(path), content_(content), tokens_(std::move(tokens)), partners_(std::move(partners)) {
    model_.path = path;
  }

  Result<ModelDefinition> Parse();
  // The tokens (all but the end) as the value of `audits`: one call.
  Result<AuditCall> ParseOneAudit();

 private:
  using Handler = Status (ModelParser::*)(const std::string& key, Span value);
  Handler FindHandler(const std::string& key) const;

  Status ParseHeader();
  Result<size_t> ParseProperty(size_t index, size_t close);
  Status ParseStatements();
  Status AssignStatements(const std::vector<Span>& statements);

  Status ParseName(const std::string& key, Span value);
  Status ParseKind(const std::string& key, Span value);
  Status ParseKindProperty(Span item);
  Status ApplyKindProperty(const std::string& key, Span value);
  Status CheckKindComplete(const Token& kind_token);
  Status ParseText(const std::string& key, Span value);
  Status ParseGrains(const std::string& key, Span value);
  Status ParseTags(const std::string& key, Span value);
  Status ParseDependsOn(const std::string& key, Span value);
  Status ParseAudits(const std::string& key, Span value);
  Result<AuditArgument> ParseAuditArgument(const std::string& audit, Span part) const;
  Status ParseColumnDescriptions(const std::string& key, Span value);
  Status KeepProperty(const std::string& key, Span value);
  Status ParseIntervalUnit(const std::string& key, Span value);
  Status ParseEnabled(const std::string& key, Span value);
  Status ParseFlag(const std::string& key, Span value);
  Result<std::string> ParseChangePolicy(const std::string& key, Span value) const;
  Status CheckModel() const;
  Result<bool> ParseBoolean(const std::string& key, Span value) const;

  Result<std::vector<Span>> SplitItems(Span inner) const;
  Result<std::vector<Span>> ListOrSingle(Span value) const;
  bool IsGroup(Span value) const;
  Span Inner(Span group) const { return Span{group.begin + 1, group.end - 1}; }
  size_t ValueEnd(size_t begin, size_t close) const;
  Result<std::vector<std::pair<std::string, Span>>> ParseAssignments(
      Span value, const std::string& usage) const;
  Result<std::pair<std::string, std::string>> ParseTableName(Span value,
                                                             const std::string& what) const;
  Result<int> ParseCount(const std::string& key, Span value) const;

  std::string RawText(Span span) const;
  std::string ScalarText(Span span) const;
  Status Error(const Token& token, const std::string& message) const {
    return ErrorAt(LocationOf(path_, token), message);
  }

  const std::string& path_;
  std::string_view content_;
  std::vector<Token> tokens_;
  std::vector<size_t> partners_;
  size_t position_ = 0;
  ModelDefinition model_;
  std::set<std::string> kind_keys_;
};

std::string ModelParser::RawText(Span span) const {
  assert(!span.empty());
  size_t begin = tokens_[span.begin].offset;
  return std::string(content_.substr(begin, tokens_[span.end - 1].end_offset() - begin));
}

// A single string or quoted identifier stands for its value; anything else for its text.
std::string ModelParser::ScalarText(Span span) const {
  const Token& first = tokens_[span.begin];
  if (span.end == span.begin + 1 && first.type == TokenType::kString) return StringValue(first);
  if (span.end == span.begin + 1 && first.type == TokenType::kQuotedIdentifier) {
    return IdentifierValue(first);
  }
  return RawText(span);
}

// The index of the ',' or `close` that ends the value starting at `begin`.
size_t ModelParser::ValueEnd(size_t begin, size_t close) const {
  size_t index = begin;
  while (index < close && !tokens_[index].IsSymbol(',')) {
    index = IsOpening(tokens_[index]) ? partners_[index] + 1 : index + 1;
  }
  return index;
}

bool ModelParser::IsGroup(Span value) const {
  const Token& first = tokens_[value.begin];
  return (first.IsSymbol('(') || first.IsSymbol('[')) && partners_[value.begin] == value.end - 1;
}

// Splits the tokens inside a bracket on top-level commas; a trailing comma is allowed.
Result<std::vector<Span>> ModelParser::SplitItems(Span inner) const {
  std::vector<Span> items;
  size_t begin = inner.begin;
  while (begin < inner.end) {
    size_t end = ValueEnd(begin, inner.end);
    if (end == begin) return Error(tokens_[begin], "empty item in a list");
    items.push_back(Span{begin, end});
    begin = end + 1;
  }
  return items;
}

Result<std::vector<Span>> ModelParser::ListOrSingle(Span value) const {
  if (IsGroup(value)) return SplitItems(Inner(value));
  return std::vector<Span>{value};
}

Result<std::vector<std::pair<std::string, Span>>> ModelParser::ParseAssignments(
    Span value, const std::string& usage) const {
  if (!IsGroup(value)) return Error(tokens_[value.begin], usage);
  MATERIA_ASSIGN_OR_RETURN(std::vector<Span> items, SplitItems(Inner(value)));
  std::vector<std::pair<std::string, Span>> assignments;
  for (const Span& item : items) {
    const Token& name = tokens_[item.begin];
    bool named = name.type == TokenType::kWord || name.type == TokenType::kQuotedIdentifier ||
                 name.type == TokenType::kString;
    if (!named || item.end < item.begin + 3 || !tokens_[item.begin + 1].IsSymbol('=')) {
      return Error(name, usage);
    }
    std::string key = name.type == TokenType::kString ? StringValue(name) : IdentifierValue(name);
    assignments.emplace_back(key, Span{item.begin + 2, item.end});
  }
  return assignments;
}

// "schema.table" from bare or quoted identifiers, or from one string; lower-cased.
Result<std::pair<std::string, std::string>> ModelParser::ParseTableName(
    Span value, const std::string& what) const {
  Status invalid =
      Error(tokens_[value.begin], what + " '" + RawText(value) + "' must be schema.table");
  std::vector<std::string> parts;
  const Token& first = tokens_[value.begin];
  if (value.end == value.begin + 1 && first.type == TokenType::kString) {
    std::string text = StringValue(first);
    size_t dot = text.find('.');
    if (dot == std::string::npos) return invalid;
    parts = {text.substr(0, dot), text.substr(dot + 1)};
    if (parts[1].find('.') != std::string::npos) return invalid;
  } else {
    for (size_t i = value.begin; i < value.end; i++) {
      const Token& token = tokens_[i];
      bool expect_name = (i - value.begin) % 2 == 0;
      bool is_name = token.type == TokenType::kWord || token.type == TokenType::kQuotedIdentifier;
      if (expect_name != is_name || (!expect_name && !token.IsSymbol('.'))) return invalid;
      if (is_name) parts.push_back(IdentifierValue(token));
    }
    if ((value.end - value.begin) % 2 == 0) return invalid;  // ends with '.'
  }
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) return invalid;
  return std::make_pair(ToLower(parts[0]), ToLower(parts[1]));
}

Result<int> ModelParser::ParseCount(const std::string& key, Span value) const {
  const Token& first = tokens_[value.begin];
  Status invalid =
      Error(first, key + " must be a non-negative integer, got '" + RawText(value) + "'");
  if (value.end != value.begin + 1 || first.type != TokenType::kNumber) return invalid;
  int count = 0;
  const char* begin = first.text.data();
  const char* end = begin + first.text.size();
  auto [stop, error] = std::from_chars(begin, end, count);
  if (error != std::errc() || stop != end || count < 0) return invalid;
  return count;
}

ModelParser::Handler ModelParser::FindHandler(const std::string& key) const {
  static const std::pair<std::string_view, Handler> kHandlers[] = {
      {"name", &ModelParser::ParseName},
      {"kind", &ModelParser::ParseKind},
      {"cron", &ModelParser::ParseText},
      {"start", &ModelParser::ParseText},
      {"end", &ModelParser::ParseText},
      {"owner", &ModelParser::ParseText},
      {"description", &ModelParser::ParseText},
      {"dialect", &ModelParser::ParseText},
      {"grain", &ModelParser::ParseGrains},
      {"grains", &ModelParser::ParseGrains},
      {"tags", &ModelParser::ParseTags},
      {"depends_on", &ModelParser::ParseDependsOn},
      {"audits", &ModelParser::ParseAudits},
      {"column_descriptions", &ModelParser::ParseColumnDescriptions},
      {"enabled", &ModelParser::ParseEnabled},
      {"allow_partials", &ModelParser::ParseFlag},
      {"forward_only", &ModelParser::ParseFlag},
      {"interval_unit", &ModelParser::ParseIntervalUnit},
  };
  for (const auto& [name, handler] : kHandlers) {
    if (name == key) return handler;
  }
  if (Contains(kKeptProperties, key)) return &ModelParser::KeepProperty;
  return nullptr;
}

Status ModelParser::ParseName(const std::string& key, Span value) {
  MATERIA_ASSIGN_OR_RETURN(auto parts, ParseTableName(value, "model name"));
  model_.schema = parts.first;
  model_.table = parts.second;
  model_.name = parts.first + "." + parts.second;
  return Status::Ok();
}

Status ModelParser::ParseText(const std::string& key, Span value) {
  std::string text = ScalarText(value);
  // Schedules are checked here, where the value's position is known.
  if (key == "cron" && !text.empty()) {  // empty: the default
    if (auto cron = Cron::Parse(text); !cron.ok()) return Error(tokens_[value.begin], cron.status().message());
  } else if ((key == "start" || key == "end") && !text.empty()) {
    if (auto time = ParseTimestamp(text, NowMs()); !time.ok()) {
      return Error(tokens_[value.begin], key + ": " + time.status().message());
    }
  }
  if (key == "cron")
    model_.cron = text;
  else if (key == "start")
    model_.start = text;
  else if (key == "end")
    model_.end = text;
  else if (key == "owner")
    model_.owner = text;
  else if (key == "description")
    model_.description = text;
  else if (key == "dialect")
    model_.dialect = text;
  return Status::Ok();
}

// `grain id`, `grain (a, b)` (one grain of two columns), `grains ((a, b), c)`.
Status ModelParser::ParseGrains(const std::string& key, Span value) {
  std::vector<Span> grains = {value};
  if (key == "grains" && IsGroup(value)) {
    MATERIA_ASSIGN_OR_RETURN(grains, SplitItems(Inner(value)));
  }
  for (const Span& grain : grains) {
    MATERIA_ASSIGN_OR_RETURN(std::vector<Span> columns, ListOrSingle(grain));
    std::vector<std::string> names;
    for (const Span& column : columns) names.push_back(ScalarText(column));
    model_.grains.push_back(std::move(names));
    model_.grain_locations.push_back(LocationOf(path_, tokens_[columns.empty() ? grain.begin : columns.front().begin]));
  }
  return Status::Ok();
}

Status ModelParser::ParseTags(const std::string& key, Span value) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<Span> items, ListOrSingle(value));
  for (const Span& item : items) model_.tags.push_back(ScalarText(item));
  return Status::Ok();
}

Status ModelParser::ParseDependsOn(const std::string& key, Span value) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<Span> items, ListOrSingle(value));
  for (const Span& item : items) {
    MATERIA_ASSIGN_OR_RETURN(auto parts, ParseTableName(item, "depends_on entry"));
    model_.depends_on.push_back(parts.first + "." + parts.second);
  }
  return Status::Ok();
}

// `audits (name, name(arg := value, ...), ...)`; arguments take `:=` or `=`.
Status ModelParser::ParseAudits(const std::string& key, Span value) {
  static const std::string kUsage =
      "an audit is a name with optional arguments, e.g. not_null(columns := (id, name))";
  MATERIA_ASSIGN_OR_RETURN(std::vector<Span> items, ListOrSingle(value));
  for (const Span& item : items) {
    const Token& name = tokens_[item.begin];
    if (name.type != TokenType::kWord && name.type != TokenType::kQuotedIdentifier) {
      return Error(name, kUsage);
    }
    AuditCall call;
    call.name = ToLower(IdentifierValue(name));
    call.location = LocationOf(path_, name);
    call.text = RawText(item);
    if (item.end > item.begin + 1) {
      Span arguments{item.begin + 1, item.end};
      if (!tokens_[arguments.begin].IsSymbol('(') || !IsGroup(arguments)) {
        return Error(tokens_[item.begin + 1], kUsage);
      }
      MATERIA_ASSIGN_OR_RETURN(std::vector<Span> parts, SplitItems(Inner(arguments)));
      for (const Span& part : parts) {
        MATERIA_ASSIGN_OR_RETURN(AuditArgument argument, ParseAuditArgument(call.name, part));
        for (const AuditArgument& earlier : call.arguments) {
          if (earlier.name == argument.name) {
            return Error(tokens_[part.begin], "audit " + call.name + " sets argument '" +
                                                  argument.name + "' twice");
          }
        }
        call.arguments.push_back(std::move(argument));
      }
    }
    model_.audits.push_back(std::move(call));
  }
  return Status::Ok();
}

Result<AuditArgument> ModelParser::ParseAuditArgument(const std::string& audit, Span part) const {
  const Token& name = tokens_[part.begin];
  size_t value_begin = part.begin + 1;
  if (value_begin < part.end && tokens_[value_begin].IsSymbol(':')) value_begin++;
  bool named = name.type == TokenType::kWord || name.type == TokenType::kQuotedIdentifier;
  if (!named || value_begin >= part.end || !tokens_[value_begin].IsSymbol('=') ||
      value_begin + 1 >= part.end) {
    return Error(name, "arguments of audit " + audit + " must be written name := value, found '" +
                           RawText(part) + "'");
  }
  Span value{value_begin + 1, part.end};
  AuditArgument argument;
  argument.name = ToLower(IdentifierValue(name));
  argument.text = RawText(value);
  argument.location = LocationOf(path_, name);
  argument.is_list = IsGroup(value);
  if (argument.is_list) {
    MATERIA_ASSIGN_OR_RETURN(std::vector<Span> items, SplitItems(Inner(value)));
    for (const Span& entry : items) argument.items.push_back(RawText(entry));
  } else {
    argument.items.push_back(argument.text);
  }
  return argument;
}

Status ModelParser::ParseColumnDescriptions(const std::string& key, Span value) {
  MATERIA_ASSIGN_OR_RETURN(
      auto assignments,
      ParseAssignments(value, "column_descriptions must be written (column = 'description', ...)"));
  for (const auto& [column, text] : assignments) {
    model_.column_descriptions[column] = ScalarText(text);
  }
  return Status::Ok();
}

Status ModelParser::KeepProperty(const std::string& key, Span value) { return Status::Ok(); }

// SQLMesh's interval units; kept, not used yet (the cron decides the intervals).
Status ModelParser::ParseIntervalUnit(const std::string& key, Span value) {
  std::string text = ToLower(ScalarText(value));
  if (!text.empty() && !IsIntervalUnit(text)) {
    return Error(tokens_[value.begin], "interval_unit must be one of " + std::string(kIntervalUnitList) +
                                           ", got '" + RawText(value) + "'");
  }
  return Status::Ok();
}

Result<bool> ModelParser::ParseBoolean(const std::string& key, Span value) const {
  std::string text = ToLower(ScalarText(value));
  if (text == "true") return true;
  if (text == "false") return false;
  return Error(tokens_[value.begin], key + " must be true or false, got '" + RawText(value) + "'");
}

Status ModelParser::ParseEnabled(const std::string& key, Span value) {
  MATERIA_ASSIGN_OR_RETURN(model_.enabled, ParseBoolean(key, value));
  return Status::Ok();
}

// A model-level boolean: allow_partials, forward_only (also a kind property).
Status ModelParser::ParseFlag(const std::string& key, Span value) {
  MATERIA_ASSIGN_OR_RETURN(bool flag, ParseBoolean(key, value));
  (key == "allow_partials" ? model_.allow_partials : model_.forward_only) = flag;
  return Status::Ok();
}

Result<std::string> ModelParser::ParseChangePolicy(const std::string& key, Span value) const {
  std::string text = ToLower(ScalarText(value));
  bool additive = key == "on_additive_change";
  if (text == "error" || text == "warn" || text == "allow" || (!additive && text == "ignore")) {
    return text;
  }
  return Error(tokens_[value.begin], key + " must be " +
                                         (additive ? "allow, warn or error" : "allow, warn, error or ignore") +
                                         ", got '" + RawText(value) + "'");
}

// Checks that need the whole header: properties that only some kinds have. (allow_partials
// is accepted on every kind, as SQLMesh does; it only changes incremental ones.)
Status ModelParser::CheckModel() const {
  if (model_.forward_only && !IsIncrementalKind(model_.kind) && model_.properties.count("forward_only")) {
    return ErrorAt(model_.property_locations.at("forward_only"),
                   std::string("forward_only applies to incremental kinds, not to kind ") +
                       ModelKindName(model_.kind));
  }
  return Status::Ok();
}

Status ModelParser::ParseKind(const std::string& key, Span value) {
  const Token& name = tokens_[value.begin];
  if (name.type != TokenType::kWord) {
    return Error(name, "expected a model kind, found " + DescribeToken(name));
  }
  std::string upper = ToUpper(name.text);
  if (upper == "VIEW")
    model_.kind = ModelKind::kView;
  else if (upper == "FULL")
    model_.kind = ModelKind::kFull;
  else if (upper == "SEED")
    model_.kind = ModelKind::kSeed;
  else if (upper == "INCREMENTAL_BY_TIME_RANGE")
    model_.kind = ModelKind::kIncrementalByTimeRange;
  else if (upper == "INCREMENTAL_BY_UNIQUE_KEY")
    model_.kind = ModelKind::kIncrementalByUniqueKey;
  else if (upper == "SCD_TYPE_2_BY_TIME" || upper == "SCD_TYPE_2")
    model_.kind = ModelKind::kScdType2ByTime;
  else if (upper == "SCD_TYPE_2_BY_COLUMN")
    model_.kind = ModelKind::kScdType2ByColumn;
  else if (Contains(kUnsupportedKinds, upper)) {
    return Error(name, "kind '" + std::string(name.text) + "' is not supported yet");
  } else {
    return Error(name, "unknown kind '" + std::string(name.text) + "'");
  }
  if (IsScdKind(model_.kind)) {
    // History cannot be computed again: SCD tables keep their rows across code changes
    // and refuse restatement unless told otherwise.
    model_.forward_only = true;
    model_.disable_restatement = true;
  }
  size_t next = value.begin + 1;
  if (next < value.end) {
    const Token& open = tokens_[next];
    if (!open.IsSymbol('(') || partners_[next] + 1 != value.end) {
      const Token& extra = open.IsSymbol('(') ? tokens_[partners_[next] + 1] : open;
      return Error(extra, "unexpected " + DescribeToken(extra) + " after kind " +
                              ModelKindName(model_.kind));
    }
    MATERIA_ASSIGN_OR_RETURN(std::vector<Span> items, SplitItems(Inner(Span{next, value.end})));
    for (const Span& item : items) MATERIA_RETURN_IF_ERROR(ParseKindProperty(item));
  }
  return CheckKindComplete(name);
}

Status ModelParser::ParseKindProperty(Span item) {
  const Token& name = tokens_[item.begin];
  if (name.type != TokenType::kWord) {
    return Error(name, "expected a kind property name, found " + DescribeToken(name));
  }
  std::string key = ToLower(name.text);
  bool belongs =
      (model_.kind == ModelKind::kSeed && Contains(kSeedProperties, key)) ||
      (model_.kind == ModelKind::kIncrementalByTimeRange && Contains(kTimeRangeProperties, key)) ||
      (model_.kind == ModelKind::kIncrementalByUniqueKey && Contains(kUniqueKeyProperties, key)) ||
      (IsScdKind(model_.kind) && Contains(kScdProperties, key)) ||
      (model_.kind == ModelKind::kScdType2ByTime && Contains(kScdByTimeProperties, key)) ||
      (model_.kind == ModelKind::kScdType2ByColumn && Contains(kScdByColumnProperties, key));
  if (!belongs) {
    return Error(name,
                 "property '" + key + "' does not belong to kind " + ModelKindName(model_.kind));
  }
  if (!kind_keys_.insert(key).second) return Error(name, "property '" + key + "' is set twice");
  Span value{item.begin + 1, item.end};
  if (value.empty()) return Error(name, "property '" + key + "' has no value");
  model_.kind_properties[key] = RawText(value);
  model_.property_locations["kind." + key] = LocationOf(path_, tokens_[value.begin]);
  return ApplyKindProperty(key, value);
}

Status ModelParser::ApplyKindProperty(const std::string& key, Span value) {
  if (key == "batch_size") {
    MATERIA_ASSIGN_OR_RETURN(model_.batch_size, ParseCount(key, value));
  } else if (key == "lookback") {
    MATERIA_ASSIGN_OR_RETURN(model_.lookback, ParseCount(key, value));
  } else if (key == "path") {
    model_.seed_path = ScalarText(value);
  } else if (key == "csv_settings") {
    MATERIA_ASSIGN_OR_RETURN(
        auto assignments,
        ParseAssignments(value, "csv_settings must be written (name = value, ...)"));
    for (const auto& [name, text] : assignments) {
      model_.seed_csv_settings[ToLower(name)] = RawText(text);
    }
  } else if (key == "disable_restatement") {
    MATERIA_ASSIGN_OR_RETURN(model_.disable_restatement, ParseBoolean(key, value));
  } else if (key == "forward_only") {
    MATERIA_ASSIGN_OR_RETURN(model_.forward_only, ParseBoolean(key, value));
  } else if (key == "on_destructive_change") {
    MATERIA_ASSIGN_OR_RETURN(model_.on_destructive_change, ParseChangePolicy(key, value));
  } else if (key == "on_additive_change") {
    MATERIA_ASSIGN_OR_RETURN(model_.on_additive_change, ParseChangePolicy(key, value));
  } else if (key == "invalidate_hard_deletes") {
    MATERIA_ASSIGN_OR_RETURN(model_.invalidate_hard_deletes, ParseBoolean(key, value));
  } else if (key == "updated_at_as_valid_from") {
    MATERIA_ASSIGN_OR_RETURN(model_.updated_at_as_valid_from, ParseBoolean(key, value));
  } else if (key == "execution_time_as_valid_from") {
    MATERIA_ASSIGN_OR_RETURN(model_.execution_time_as_valid_from, ParseBoolean(key, value));
  } else if (key == "valid_from_name" || key == "valid_to_name" || key == "updated_at_name") {
    const Token& first = tokens_[value.begin];
    bool single = value.end == value.begin + 1 &&
                  (first.type == TokenType::kWord || first.type == TokenType::kQuotedIdentifier ||
                   first.type == TokenType::kString);
    if (!single) return Error(first, key + " takes one column name, got '" + RawText(value) + "'");
    std::string name = ScalarText(value);
    (key == "valid_from_name" ? model_.valid_from_name
     : key == "valid_to_name" ? model_.valid_to_name
                              : model_.updated_at_name) = name;
  } else if (key == "time_data_type") {
    model_.time_data_type = RawText(value);
  } else if (key == "columns") {
    MATERIA_ASSIGN_OR_RETURN(std::vector<Span> parts, ListOrSingle(value));
    for (const Span& part : parts) model_.scd_columns.push_back(ScalarText(part));
    if (model_.scd_columns.size() > 1 &&
        std::find(model_.scd_columns.begin(), model_.scd_columns.end(), "*") != model_.scd_columns.end()) {
      return Error(tokens_[value.begin], "columns takes * alone or a list of columns, not both");
    }
  } else if (key == "unique_key") {
    MATERIA_ASSIGN_OR_RETURN(std::vector<Span> parts, ListOrSingle(value));
    for (const Span& part : parts) model_.unique_key.push_back(RawText(part));
  } else if (key == "when_matched") {
    // SQLMesh writes the clauses bare or in parentheses: keep what is inside.
    Span clauses = IsGroup(value) ? Inner(value) : value;
    if (clauses.empty() || !tokens_[clauses.begin].IsWord("when")) {
      return Error(tokens_[value.begin], "when_matched takes MERGE clauses, e.g. when_matched "
                                         "(WHEN MATCHED THEN UPDATE SET v = source.v)");
    }
    model_.when_matched = RawText(clauses);
  } else if (key == "merge_filter") {
    model_.merge_filter = RawText(IsGroup(value) ? Inner(value) : value);
  } else if (key == "time_column") {
    MATERIA_ASSIGN_OR_RETURN(std::vector<Span> parts, ListOrSingle(value));
    if (parts.size() > 2) {
      return Error(tokens_[value.begin],
                   "time_column takes a column and an optional format, e.g. "
                   "time_column (ds, '%Y-%m-%d')");
    }
    model_.time_column = ScalarText(parts[0]);
    if (parts.size() == 2) model_.time_column_format = ScalarText(parts[1]);
  }
  return Status::Ok();
}

Status ModelParser::CheckKindComplete(const Token& kind_token) {
  if (model_.kind == ModelKind::kIncrementalByTimeRange && model_.time_column.empty()) {
    return Error(kind_token,
                 "kind INCREMENTAL_BY_TIME_RANGE needs a time_column, e.g. "
                 "kind INCREMENTAL_BY_TIME_RANGE (time_column ds)");
  }
  if (model_.kind == ModelKind::kIncrementalByUniqueKey && model_.unique_key.empty()) {
    return Error(kind_token,
                 "kind INCREMENTAL_BY_UNIQUE_KEY needs a unique_key, e.g. "
                 "kind INCREMENTAL_BY_UNIQUE_KEY (unique_key (id))");
  }
  if (model_.kind == ModelKind::kSeed && model_.seed_path.empty()) {
    return Error(kind_token, "kind SEED needs a path, e.g. kind SEED (path '../seeds/x.csv')");
  }
  if (IsScdKind(model_.kind) && model_.unique_key.empty()) {
    return Error(kind_token, std::string("kind ") + ModelKindName(model_.kind) +
                                 " needs a unique_key, e.g. kind " + ModelKindName(model_.kind) +
                                 " (unique_key id" +
                                 (model_.kind == ModelKind::kScdType2ByColumn ? ", columns [name, price])" : ")"));
  }
  if (model_.kind == ModelKind::kScdType2ByColumn && model_.scd_columns.empty()) {
    return Error(kind_token,
                 "kind SCD_TYPE_2_BY_COLUMN needs the columns to compare, e.g. columns [name, price] "
                 "or columns *");
  }
  if (IsScdKind(model_.kind) && ToLower(model_.valid_from_name) == ToLower(model_.valid_to_name)) {
    return Error(kind_token, "valid_from_name and valid_to_name must differ");
  }
  return Status::Ok();
}

// Parses `key value` at `index`; returns the index of the ',' or `close` after it.
Result<size_t> ModelParser::ParseProperty(size_t index, size_t close) {
  const Token& name = tokens_[index];
  if (name.type != TokenType::kWord) {
    return Error(name, "expected a property name, found " + DescribeToken(name));
  }
  std::string key = ToLower(name.text);
  Handler handler = FindHandler(key);
  if (handler == nullptr) return Error(name, "unknown property '" + std::string(name.text) + "'");
  if (model_.properties.count(key) > 0) return Error(name, "property '" + key + "' is set twice");
  Span value{index + 1, ValueEnd(index + 1, close)};
  if (value.empty()) return Error(name, "property '" + key + "' has no value");
  model_.properties[key] = RawText(value);
  model_.property_locations[key] = LocationOf(path_, tokens_[value.begin]);
  MATERIA_RETURN_IF_ERROR((this->*handler)(key, value));
  return value.end;
}

Status ModelParser::ParseHeader() {
  const Token& model = tokens_[0];
  if (!model.IsWord("model")) {
    return Error(model,
                 "expected MODEL (...) at the start of the file, found " + DescribeToken(model));
  }
  model_.header_location = LocationOf(path_, model);
  const Token& open = tokens_[1];
  if (!open.IsSymbol('('))
    return Error(open, "expected '(' after MODEL, found " + DescribeToken(open));
  size_t close = partners_[1];
  size_t index = 2;
  while (index < close) {
    MATERIA_ASSIGN_OR_RETURN(index, ParseProperty(index, close));
    if (index < close) index++;  // the ',' between properties; a trailing one is allowed
  }
  if (model_.name.empty()) return Error(model, "MODEL has no name");
  position_ = close + 1;
  const Token& after = tokens_[position_];
  if (after.IsSymbol(';')) {
    position_++;
  } else if (after.type != TokenType::kEnd) {
    return Error(after, "expected ';' after the MODEL header, found " + DescribeToken(after));
  }
  return Status::Ok();
}

Status ModelParser::ParseStatements() {
  std::vector<Span> statements;
  size_t begin = position_;
  size_t index = position_;
  while (tokens_[index].type != TokenType::kEnd) {
    if (tokens_[index].IsSymbol(';')) {
      if (index > begin) statements.push_back(Span{begin, index});
      begin = index + 1;
      index++;
    } else {
      index = IsOpening(tokens_[index]) ? partners_[index] + 1 : index + 1;
    }
  }
  if (index > begin) statements.push_back(Span{begin, index});
  return AssignStatements(statements);
}

Status ModelParser::AssignStatements(const std::vector<Span>& statements) {
  bool seen_query = false;
  for (const Span& statement : statements) {
    const Token& first = tokens_[statement.begin];
    if (!seen_query && StartsQuery(first)) {
      if (model_.kind == ModelKind::kSeed) {
        return Error(first, "a SEED model takes its rows from its CSV file and has no query");
      }
      seen_query = true;
      model_.query = RawText(statement);
      model_.query_location = LocationOf(path_, first);
    } else if (seen_query || model_.kind == ModelKind::kSeed) {
      model_.post_statements.push_back(RawText(statement));
      model_.post_statement_locations.push_back(LocationOf(path_, first));
    } else {
      model_.pre_statements.push_back(RawText(statement));
      model_.pre_statement_locations.push_back(LocationOf(path_, first));
    }
  }
  if (!seen_query && model_.kind != ModelKind::kSeed) {
    if (!statements.empty()) {
      // Only pre-statements: the last one is where the query was meant to be.
      const Token& first = tokens_[statements.back().begin];
      return Error(first, "model has no query: a model's query is a SELECT or WITH statement, found '" +
                              std::string(first.text) + "'");
    }
    const Token& last = tokens_[tokens_.size() >= 2 ? tokens_.size() - 2 : 0];
    return ErrorAt(SourceLocation{path_, last.end_line, last.end_column}, "model has no query");
  }
  return Status::Ok();
}

Result<AuditCall> ModelParser::ParseOneAudit() {
  Span all{0, tokens_.size() - 1};  // the last token is the end
  if (all.empty()) return Error(tokens_[0], "an audit is a name with optional arguments, e.g. not_null(columns := (id, name))");
  MATERIA_ASSIGN_OR_RETURN(std::vector<Span> items, SplitItems(all));
  if (items.size() != 1) return Error(tokens_[items[1].begin], "one audit per entry");
  MATERIA_RETURN_IF_ERROR(ParseAudits("audits", all));
  return model_.audits.front();
}

Result<ModelDefinition> ModelParser::Parse() {
  MATERIA_RETURN_IF_ERROR(ParseHeader());
  MATERIA_RETURN_IF_ERROR(CheckModel());
  MATERIA_RETURN_IF_ERROR(ParseStatements());
  return std::move(model_);
}

}  // namespace

Result<ModelDefinition> ParseModelFile(const std::string& path, const std::string& content) {
  if (content.size() > kModelFileBytesMax) {
    return Status::InvalidInput(path + ": model file is " + std::to_string(content.size()) +
                                " bytes, more than the limit of " +
                                std::to_string(kModelFileBytesMax));
  }
  std::string_view text = content;
  if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
    text.remove_prefix(kByteOrderMark.size());  // editors on Windows may add one
  }
  MATERIA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text, SourceLocation{path, 1, 1}));
  MATERIA_ASSIGN_OR_RETURN(std::vector<size_t> partners, MatchBrackets(path, tokens));
  ModelParser parser(path, text, std::move(tokens), std::move(partners));
  return parser.Parse();
}

Result<AuditCall> ParseAuditCall(std::string_view text, const SourceLocation& start) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text, start));
  MATERIA_ASSIGN_OR_RETURN(std::vector<size_t> partners, MatchBrackets(start.file, tokens));
  ModelParser parser(start.file, text, std::move(tokens), std::move(partners));
  return parser.ParseOneAudit();
}

}  // namespace materia
