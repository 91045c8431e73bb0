#include "project/audits.h"

#include <algorithm>
#include <set>

#include "base/text.h"
#include "project/sql_lexer.h"

namespace materia {

namespace {

constexpr std::string_view kNonBlocking = "_non_blocking";

// ---------------------------------------------------------------------------
// Audit files

class AuditFileParser {
 public:
  AuditFileParser(const std::string& path, std::string_view content, std::vector<Token> tokens,
                  std::vector<size_t> partners)
      : path_(path), content_(content), tokens_(std::move(tokens)), partners_(std::move(partners)) {}

  Result<std::vector<AuditDefinition>> Parse() {
    std::vector<AuditDefinition> audits;
    while (tokens_[position_].type != TokenType::kEnd) {
      MATERIA_ASSIGN_OR_RETURN(AuditDefinition audit, ParseOne());
      audits.push_back(std::move(audit));
    }
    if (audits.empty()) {
      return ErrorAt(SourceLocation{path_, 1, 1}, "expected AUDIT (...) in an audits file, found end of file");
    }
    return audits;
  }

 private:
  Status Error(const Token& token, const std::string& message) const {
    return ErrorAt(LocationOf(path_, token), message);
  }

  std::string Text(size_t begin, size_t end) const {
    size_t offset = tokens_[begin].offset;
    return std::string(content_.substr(offset, tokens_[end - 1].end_offset() - offset));
  }

  // The value of a property as a plain string: a 'string' or "identifier" unquoted.
  std::string Scalar(size_t begin, size_t end) const {
    if (end == begin + 1 && tokens_[begin].type == TokenType::kString) return StringValue(tokens_[begin]);
    if (end == begin + 1 && tokens_[begin].type == TokenType::kQuotedIdentifier) {
      return IdentifierValue(tokens_[begin]);
    }
    return Text(begin, end);
  }

  Result<bool> Boolean(const std::string& key, size_t begin, size_t end) const {
    std::string value = ToLower(Scalar(begin, end));
    if (value == "true") return true;
    if (value == "false") return false;
    return Error(tokens_[begin], key + " must be true or false, got '" + Text(begin, end) + "'");
  }

  // The end of the item starting at `begin`: the next top-level ',' or `close`.
  size_t ItemEnd(size_t begin, size_t close) const {
    size_t index = begin;
    while (index < close && !tokens_[index].IsSymbol(',')) {
      index = IsOpening(tokens_[index]) ? partners_[index] + 1 : index + 1;
    }
    return index;
  }

  Status ParseDefaults(size_t begin, size_t end, AuditDefinition* audit) const {
    static const std::string kUsage = "defaults must be written (name = value, ...)";
    if (!tokens_[begin].IsSymbol('(') || partners_[begin] != end - 1) return Error(tokens_[begin], kUsage);
    size_t close = end - 1;
    for (size_t item = begin + 1; item < close;) {
      size_t item_end = ItemEnd(item, close);
      size_t value = item + 1;
      if (value < item_end && tokens_[value].IsSymbol(':')) value++;
      bool named = tokens_[item].type == TokenType::kWord || tokens_[item].type == TokenType::kQuotedIdentifier;
      if (!named || value >= item_end || !tokens_[value].IsSymbol('=') || value + 1 >= item_end) {
        return Error(tokens_[item], kUsage);
      }
      audit->defaults[ToLower(IdentifierValue(tokens_[item]))] = Text(value + 1, item_end);
      item = item_end + 1;
    }
    return Status::Ok();
  }

  Status ParseProperty(size_t begin, size_t end, std::set<std::string>* seen, AuditDefinition* audit) {
    const Token& key_token = tokens_[begin];
    if (key_token.type != TokenType::kWord) {
      return Error(key_token, "expected an audit property name, found " + DescribeToken(key_token));
    }
    std::string key = ToLower(std::string(key_token.text));
    if (!seen->insert(key).second) return Error(key_token, "property '" + key + "' is set twice");
    size_t value = begin + 1;
    if (value >= end) return Error(key_token, "property '" + key + "' has no value");
    if (key == "name") {
      if (value + 1 != end || (tokens_[value].type != TokenType::kWord &&
                               tokens_[value].type != TokenType::kQuotedIdentifier &&
                               tokens_[value].type != TokenType::kString)) {
        return Error(tokens_[value], "audit name '" + Text(value, end) + "' must be one word");
      }
      audit->name = ToLower(Scalar(value, end));
    } else if (key == "blocking") {
      MATERIA_ASSIGN_OR_RETURN(audit->blocking, Boolean(key, value, end));
    } else if (key == "skip") {
      MATERIA_ASSIGN_OR_RETURN(audit->skip, Boolean(key, value, end));
    } else if (key == "description") {
      audit->description = Scalar(value, end);
    } else if (key == "defaults") {
      MATERIA_RETURN_IF_ERROR(ParseDefaults(value, end, audit));
    } else if (key == "standalone") {
      MATERIA_ASSIGN_OR_RETURN(bool standalone, Boolean(key, value, end));
      if (standalone) {
        return Error(tokens_[value], "standalone audits are not supported yet: attach the audit to "
                                     "a model with audits (...) in its MODEL header");
      }
    } else if (key != "dialect" && key != "owner" && key != "tags") {
      return Error(key_token, "unknown audit property '" + key +
                                  "' (known: name, blocking, defaults, description, dialect, skip)");
    }
    return Status::Ok();
  }

  Result<AuditDefinition> ParseOne() {
    const Token& keyword = tokens_[position_];
    if (!keyword.IsWord("audit")) {
      return Error(keyword, "expected AUDIT (...) at the start of an audit, found " + DescribeToken(keyword));
    }
    AuditDefinition audit;
    audit.path = path_;
    audit.header_location = LocationOf(path_, keyword);
    size_t open = position_ + 1;
    if (!tokens_[open].IsSymbol('(')) {
      return Error(tokens_[open], "expected '(' after AUDIT, found " + DescribeToken(tokens_[open]));
    }
    size_t close = partners_[open];
    std::set<std::string> seen;
    for (size_t item = open + 1; item < close;) {
      size_t item_end = ItemEnd(item, close);
      if (item_end > item) MATERIA_RETURN_IF_ERROR(ParseProperty(item, item_end, &seen, &audit));
      item = item_end + 1;
    }
    if (audit.name.empty()) return Error(keyword, "AUDIT has no name");
    position_ = close + 1;
    if (!tokens_[position_].IsSymbol(';')) {
      return Error(tokens_[position_], "expected ';' after the AUDIT header, found " +
                                           DescribeToken(tokens_[position_]));
    }
    position_++;
    size_t begin = position_;
    while (tokens_[position_].type != TokenType::kEnd && !tokens_[position_].IsSymbol(';')) {
      position_ = IsOpening(tokens_[position_]) ? partners_[position_] + 1 : position_ + 1;
    }
    if (position_ == begin) {
      return Error(tokens_[begin], "audit " + audit.name + " has no query after its header");
    }
    const Token& first = tokens_[begin];
    if (!first.IsWord("select") && !first.IsWord("with") && !first.IsSymbol('(')) {
      return Error(first, "the query of audit " + audit.name + " must be a SELECT, found " +
                              DescribeToken(first));
    }
    audit.query = Text(begin, position_);
    audit.query_location = LocationOf(path_, first);
    if (tokens_[position_].IsSymbol(';')) position_++;
    return audit;
  }

  const std::string& path_;
  std::string_view content_;
  std::vector<Token> tokens_;
  std::vector<size_t> partners_;
  size_t position_ = 0;
};

// ---------------------------------------------------------------------------
// Built-ins

struct BuiltinSpec {
  std::string_view name;
  std::vector<std::string_view> required;
  // Optional arguments and their defaults (SQL text); every built-in also takes
  // `condition`, a filter on the rows audited.
  std::vector<std::pair<std::string_view, std::string_view>> optional;
  std::vector<std::string_view> single;  // arguments that take one value, not a list
  std::string_view example;
};

const std::vector<BuiltinSpec>& Builtins() {
  static const std::vector<BuiltinSpec> kBuiltins = {
      {"accepted_range", {"column"}, {{"min_v", ""}, {"max_v", ""}, {"inclusive", "true"}},
       {"column", "min_v", "max_v", "inclusive"}, "accepted_range(column := price, min_v := 0, max_v := 100)"},
      {"accepted_values", {"column", "is_in"}, {}, {"column"},
       "accepted_values(column := status, is_in := ('new', 'done'))"},
      {"at_least_one", {"column"}, {}, {"column"}, "at_least_one(column := id)"},
      {"forall", {"criteria"}, {}, {}, "forall(criteria := (price > 0, qty >= 0))"},
      {"not_accepted_values", {"column", "is_in"}, {}, {"column"},
       "not_accepted_values(column := status, is_in := ('bad'))"},
      {"not_constant", {"column"}, {}, {"column"}, "not_constant(column := price)"},
      {"not_empty_string", {"column"}, {}, {"column"}, "not_empty_string(column := name)"},
      {"not_null", {"columns"}, {}, {}, "not_null(columns := (id, name))"},
      {"number_of_rows", {"threshold"}, {}, {"threshold"}, "number_of_rows(threshold := 10)"},
      {"sequential_values", {"column"}, {{"interval", "1"}}, {"column", "interval"},
       "sequential_values(column := day_number, interval := 1)"},
      {"unique_combination_of_columns", {"columns"}, {}, {},
       "unique_combination_of_columns(columns := (a, b))"},
      {"unique_values", {"columns"}, {}, {}, "unique_values(columns := (id))"},
  };
  return kBuiltins;
}

const BuiltinSpec* FindBuiltin(std::string_view name) {
  for (const BuiltinSpec& spec : Builtins()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string text;
  for (std::string_view name : names) text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

AuditArgument DefaultArgument(std::string_view name, std::string_view text) {
  AuditArgument argument;
  argument.name = std::string(name);
  argument.text = std::string(text);
  argument.items = {argument.text};
  return argument;
}

Result<ResolvedAudit> ResolveBuiltin(const AuditCall& call, const BuiltinSpec& spec, bool blocking) {
  ResolvedAudit audit;
  audit.name = std::string(spec.name);
  audit.display = call.text;
  audit.blocking = blocking;
  audit.location = call.location;
  std::vector<std::string_view> accepted = spec.required;
  for (const auto& [name, value] : spec.optional) accepted.push_back(name);
  accepted.push_back("condition");
  for (const AuditArgument& argument : call.arguments) {
    if (std::find(accepted.begin(), accepted.end(), argument.name) == accepted.end()) {
      return ErrorAt(argument.location, "audit " + call.name + " takes no argument '" + argument.name +
                                            "' (it takes " + JoinNames(accepted) + ")");
    }
    bool single = argument.name == "condition" ||
                  std::find(spec.single.begin(), spec.single.end(), argument.name) != spec.single.end();
    if (single && argument.is_list && argument.items.size() != 1) {
      return ErrorAt(argument.location, "argument '" + argument.name + "' of audit " + call.name +
                                            " takes one value, not a list");
    }
    if (argument.items.empty()) {
      return ErrorAt(argument.location, "argument '" + argument.name + "' of audit " + call.name +
                                            " is an empty list");
    }
    audit.arguments[argument.name] = argument;
  }
  for (std::string_view required : spec.required) {
    if (!audit.arguments.count(std::string(required))) {
      return ErrorAt(call.location, "audit " + call.name + " needs argument '" + std::string(required) +
                                        "', e.g. " + std::string(spec.example));
    }
  }
  for (const auto& [name, value] : spec.optional) {
    if (!audit.arguments.count(std::string(name))) audit.arguments[std::string(name)] = DefaultArgument(name, value);
  }
  if (spec.name == "accepted_range" && audit.arguments["min_v"].text.empty() &&
      audit.arguments["max_v"].text.empty()) {
    return ErrorAt(call.location, "audit " + call.name + " needs min_v or max_v, e.g. " + std::string(spec.example));
  }
  return audit;
}

Result<ResolvedAudit> ResolveCustom(const AuditCall& call, const AuditDefinition& definition,
                                    bool non_blocking) {
  ResolvedAudit audit;
  audit.name = definition.name;
  audit.display = call.text;
  audit.blocking = definition.blocking && !non_blocking;
  audit.builtin = false;
  audit.custom_query = definition.query;
  audit.query_location = definition.query_location;
  audit.location = call.location;
  for (const auto& [name, text] : definition.defaults) audit.arguments[name] = DefaultArgument(name, text);
  for (const AuditArgument& argument : call.arguments) audit.arguments[argument.name] = argument;
  return audit;
}

// The arguments' text as SQL: a list as "(a, b)", so that `x IN @is_in` works.
std::string ArgumentSql(const AuditArgument& argument) {
  if (!argument.is_list) return argument.text;
  std::string text = "(";
  for (size_t i = 0; i < argument.items.size(); i++) text += (i ? ", " : "") + argument.items[i];
  return text + ")";
}

std::string Joined(const std::vector<std::string>& parts, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < parts.size(); i++) text += (i ? separator : "") + parts[i];
  return text;
}

std::string BuiltinQuery(const ResolvedAudit& audit, const std::string& target) {
  auto argument = [&](const char* name) -> const AuditArgument& { return audit.arguments.at(name); };
  auto has = [&](const char* name) { return audit.arguments.count(name) && !audit.arguments.at(name).text.empty(); };
  std::string source = target;
  if (has("condition")) source = "(SELECT * FROM " + target + " WHERE " + argument("condition").text + ")";
  source += " AS materia_audited";
  const std::string& name = audit.name;
  if (name == "not_null") {
    std::vector<std::string> tests;
    for (const std::string& column : argument("columns").items) tests.push_back("(" + column + ") IS NULL");
    return "SELECT * FROM " + source + " WHERE " + Joined(tests, " OR ");
  }
  if (name == "unique_values") {
    std::vector<std::string> tests;
    for (const std::string& column : argument("columns").items) {
      tests.push_back("((" + column + ") IS NOT NULL AND count(*) OVER (PARTITION BY " + column + ") > 1)");
    }
    return "SELECT * FROM " + source + " QUALIFY " + Joined(tests, " OR ");
  }
  if (name == "unique_combination_of_columns") {
    std::string columns = Joined(argument("columns").items, ", ");
    return "SELECT " + columns + ", count(*) AS duplicates FROM " + source + " GROUP BY " + columns +
           " HAVING count(*) > 1";
  }
  if (name == "accepted_values" || name == "not_accepted_values") {
    // A NULL in the list would make `x NOT IN (...)` never true and silence the audit:
    // NULL values are never failing rows here anyway, so NULL items are left out.
    std::vector<std::string> items;
    for (const std::string& item : argument("is_in").items) {
      if (ToLower(item) != "null") items.push_back(item);
    }
    if (items.empty()) items.push_back("NULL");
    std::string values = "(" + Joined(items, ", ") + ")";
    std::string op = name == "accepted_values" ? " NOT IN " : " IN ";
    return "SELECT * FROM " + source + " WHERE (" + argument("column").text + ")" + op + values;
  }
  if (name == "accepted_range") {
    std::string column = "(" + argument("column").text + ")";
    bool inclusive = ToLower(argument("inclusive").text) != "false";
    std::vector<std::string> tests;
    if (has("min_v")) tests.push_back(column + (inclusive ? " < " : " <= ") + "(" + argument("min_v").text + ")");
    if (has("max_v")) tests.push_back(column + (inclusive ? " > " : " >= ") + "(" + argument("max_v").text + ")");
    return "SELECT * FROM " + source + " WHERE " + Joined(tests, " OR ");
  }
  if (name == "number_of_rows") {
    std::string threshold = "(" + argument("threshold").text + ")";
    return "SELECT count(*) AS row_count FROM " + source + " HAVING count(*) <= " + threshold;
  }
  if (name == "at_least_one") {
    std::string column = argument("column").text;
    return "SELECT count(" + column + ") AS non_null_values FROM " + source + " HAVING count(" + column + ") = 0";
  }
  if (name == "not_constant") {
    std::string column = argument("column").text;
    return "SELECT count(DISTINCT " + column + ") AS distinct_values FROM " + source +
           " HAVING count(DISTINCT " + column + ") <= 1";
  }
  if (name == "sequential_values") {
    std::string column = argument("column").text;
    return "SELECT * FROM (SELECT " + column + " AS value, lag(" + column + ") OVER (ORDER BY " + column +
           ") AS previous_value FROM " + source + ") AS materia_sequence WHERE value - previous_value <> (" +
           argument("interval").text + ")";
  }
  if (name == "forall") {
    std::vector<std::string> tests;
    for (const std::string& criterion : argument("criteria").items) tests.push_back("NOT (" + criterion + ")");
    return "SELECT * FROM " + source + " WHERE " + Joined(tests, " OR ");
  }
  // not_empty_string
  return "SELECT * FROM " + source + " WHERE (" + argument("column").text + ") = ''";
}

}  // namespace

Result<std::vector<AuditDefinition>> ParseAuditFile(const std::string& path, const std::string& content) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(content, SourceLocation{path, 1, 1}));
  MATERIA_ASSIGN_OR_RETURN(std::vector<size_t> partners, MatchBrackets(path, tokens));
  AuditFileParser parser(path, content, std::move(tokens), std::move(partners));
  return parser.Parse();
}

std::vector<std::string> BuiltinAuditNames() {
  std::vector<std::string> names;
  for (const BuiltinSpec& spec : Builtins()) names.emplace_back(spec.name);
  return names;
}

Result<std::vector<ResolvedAudit>> ResolveAudits(const ModelDefinition& model,
                                                 const std::map<std::string, AuditDefinition>& custom) {
  std::vector<ResolvedAudit> audits;
  for (const AuditCall& call : model.audits) {
    std::string base = call.name;
    bool non_blocking = base.size() > kNonBlocking.size() && base.ends_with(kNonBlocking);
    if (non_blocking) base.resize(base.size() - kNonBlocking.size());
    auto defined = custom.find(call.name);  // a custom audit may itself end in _non_blocking
    if (defined != custom.end()) {
      if (defined->second.skip) continue;
      MATERIA_ASSIGN_OR_RETURN(ResolvedAudit audit, ResolveCustom(call, defined->second, false));
      audits.push_back(std::move(audit));
      continue;
    }
    // A custom audit wins over a built-in of the same name, in both variants.
    defined = custom.find(base);
    if (non_blocking && defined != custom.end()) {
      if (defined->second.skip) continue;
      MATERIA_ASSIGN_OR_RETURN(ResolvedAudit audit, ResolveCustom(call, defined->second, true));
      audits.push_back(std::move(audit));
      continue;
    }
    if (const BuiltinSpec* spec = FindBuiltin(base)) {
      MATERIA_ASSIGN_OR_RETURN(ResolvedAudit audit, ResolveBuiltin(call, *spec, !non_blocking));
      audits.push_back(std::move(audit));
      continue;
    }
    std::string known;
    for (const std::string& name : BuiltinAuditNames()) known += (known.empty() ? "" : ", ") + name;
    return ErrorAt(call.location, "unknown audit '" + call.name + "' (built-ins: " + known +
                                      "; custom audits come from audits/*.sql)");
  }
  for (size_t index = 0; index < model.grains.size(); ++index) {
    const std::vector<std::string>& grain = model.grains[index];
    ResolvedAudit audit;
    audit.name = "unique_combination_of_columns";
    audit.display = "unique grain (" + Joined(grain, ", ") + ")";
    audit.location = index < model.grain_locations.size() ? model.grain_locations[index] : model.header_location;
    AuditArgument columns;
    columns.name = "columns";
    columns.location = audit.location;
    columns.items = grain;
    columns.is_list = true;
    columns.text = "(" + Joined(grain, ", ") + ")";
    audit.arguments["columns"] = columns;
    audits.push_back(std::move(audit));
  }
  return audits;
}

Result<std::string> AuditQuery(const ResolvedAudit& audit, const std::string& target, MacroContext macros) {
  if (audit.builtin) return BuiltinQuery(audit, target);
  macros.this_model = target;
  for (const auto& [name, argument] : audit.arguments) macros.variables[name] = ArgumentSql(argument);
  return RenderMacros(audit.custom_query, macros, audit.query_location);
}

}  // namespace materia
