#include "run/unit_test.h"

#include "base/parallel.h"
#include "run/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "base/time.h"
#include "project/macros.h"

namespace materia {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr double kRelativeTolerance = 1e-9;
constexpr int kTreeDepthMax = 512;     // parse trees deeper than this are left alone
constexpr int kShapeDepthMax = 1'000;  // upstream chains longer than this stay unknown
constexpr size_t kRowsShownMax = 20;   // per section of a diff
constexpr size_t kCellWidthMax = 40;   // characters of a cell shown in a diff

struct Column {
  std::string name;  // as DuckDB reports it
  std::string type;  // exact, e.g. DECIMAL(18,3); "" for an untyped fixture column (all NULL)
};

// Where fixtures keep their typed rows: each input is a view over one such table.
constexpr const char* kFixtureSchema = "materia_fixture";
constexpr const char* kRowColumn = "materia_row";  // keeps the rows in the order written

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string Located(const SourceLocation& where, const std::string& message) {
  return (where.line > 0 ? where.ToString() : where.file) + ": " + message;
}

// "s.t" -> (s, t); "t" -> (main, t): DuckDB's default schema. A catalog is dropped.
std::pair<std::string, std::string> SplitTableName(const std::string& name) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos) return {"main", name};
  std::string schema = name.substr(0, dot);
  size_t catalog_dot = schema.rfind('.');
  if (catalog_dot != std::string::npos) schema = schema.substr(catalog_dot + 1);
  return {schema, name.substr(dot + 1)};
}

// The name an upstream is compared by: lower case, "main.t" as "t".
std::string NormalizeTableName(const std::string& name) {
  auto [schema, table] = SplitTableName(ToLower(Trim(name)));
  return schema == "main" ? table : schema + "." + table;
}

std::string QuoteTable(const std::string& name) {
  auto [schema, table] = SplitTableName(name);
  return QuoteIdentifier(schema) + "." + QuoteIdentifier(table);
}

std::string FixtureTable(const std::string& name) {
  auto [schema, table] = SplitTableName(name);
  return QuoteIdentifier(kFixtureSchema) + "." + QuoteIdentifier(schema + "__" + table);
}

std::string StripTrailingSemicolons(std::string sql) {
  while (!sql.empty() && (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) {
    sql.pop_back();
  }
  return sql;
}

bool IsIntegerType(const std::string& type) {
  static const char* kTypes[] = {"TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",  "HUGEINT",
                                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"};
  return std::any_of(std::begin(kTypes), std::end(kTypes), [&](const char* name) { return type == name; });
}

bool IsApproximateType(const std::string& type) {
  return type == "FLOAT" || type == "DOUBLE" || type == "REAL" || type.rfind("DECIMAL", 0) == 0;
}

// ---------------------------------------------------------------------------------
// Types of fixture columns read from their values.

bool DigitsAt(std::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return false;
  for (size_t i = at; i < at + count; i++) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

bool LooksLikeDate(std::string_view text) {
  return text.size() == 10 && DigitsAt(text, 0, 4) && text[4] == '-' && DigitsAt(text, 5, 2) &&
         text[7] == '-' && DigitsAt(text, 8, 2);
}

// YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z]
bool LooksLikeTimestamp(std::string_view text) {
  if (text.size() < 16 || !LooksLikeDate(text.substr(0, 10))) return false;
  if ((text[10] != ' ' && text[10] != 'T') || !DigitsAt(text, 11, 2) || text[13] != ':' ||
      !DigitsAt(text, 14, 2)) {
    return false;
  }
  size_t i = 16;
  if (i < text.size() && text[i] == ':') {
    if (!DigitsAt(text, i + 1, 2)) return false;
    i += 3;
    if (i < text.size() && text[i] == '.') {
      i++;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') i++;
    }
  }
  if (i < text.size() && text[i] == 'Z') i++;
  return i == text.size();
}

// The type one value suggests; "" for NULL.
std::string ValueType(const TestValue& value, DuckConnection& connection) {
  switch (value.kind) {
    case TestValue::Kind::kNull: return "";
    case TestValue::Kind::kNested: {
      auto type = connection.Query("SELECT typeof(" + value.text + ")");
      return type.ok() && type->Scalar() ? *type->Scalar() : "VARCHAR";
    }
    case TestValue::Kind::kPlain:
    case TestValue::Kind::kQuoted: break;
  }
  if (LooksLikeDate(value.text)) return "DATE";
  if (LooksLikeTimestamp(value.text)) return "TIMESTAMP";
  if (value.kind == TestValue::Kind::kQuoted) return "VARCHAR";
  std::string literal = TestValueLiteral(value);
  if (literal == "true" || literal == "false") return "BOOLEAN";
  if (literal.front() == '\'') return "VARCHAR";
  bool whole = literal.find_first_of(".eE") == std::string::npos;
  return whole && literal.size() <= 18 ? "BIGINT" : "DOUBLE";
}

std::string UnifyTypes(const std::string& a, const std::string& b) {
  if (a.empty() || a == b) return b;
  if (b.empty()) return a;
  std::set<std::string> pair{a, b};
  if (pair == std::set<std::string>{"BIGINT", "DOUBLE"}) return "DOUBLE";
  if (pair == std::set<std::string>{"DATE", "TIMESTAMP"}) return "TIMESTAMP";
  return "VARCHAR";
}

// ---------------------------------------------------------------------------------
// Rows and parse trees.

// The string member `key` of `node`, or "" when absent or not a string (a parse tree
// reuses names: "type" is a string on nodes and an object on constants).
std::string StringMember(const Json& node, const char* key) {
  if (!node.is_object()) return "";
  auto found = node.find(key);
  return found != node.end() && found->is_string() ? found->get<std::string>() : "";
}

// Reads DuckDB's parse tree of `sql`; a syntax error is kInvalidInput with DuckDB's words.
Result<Json> SerializeTree(DuckConnection& connection, const std::string& sql) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                           connection.QueryParams("SELECT json_serialize_sql(?::VARCHAR)", {sql}));
  Json tree = Json::parse(result.Scalar().value_or(""), nullptr, false);
  if (tree.is_discarded() || !tree.is_object())
    return Status::Internal("json_serialize_sql returned bad JSON");
  auto error = tree.find("error");
  if (error != tree.end() && error->is_boolean() && error->get<bool>()) {
    std::string message = StringMember(tree, "error_message");
    return Status::InvalidInput(message.empty() ? "cannot parse query" : message);
  }
  if (!tree.contains("statements") || tree["statements"].size() != 1) {
    return Status::InvalidInput("expected one query");
  }
  return tree;
}

Result<std::string> DeserializeTree(DuckConnection& connection, const Json& tree) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                           connection.QueryParams("SELECT json_deserialize_sql(?::JSON)", {tree.dump()}));
  if (!result.Scalar()) return Status::Internal("json_deserialize_sql returned NULL");
  return *result.Scalar();
}

// Parse-tree edits use nlohmann::json, which throws on a tree of an unexpected shape;
// that becomes an error value here instead of escaping.
template <typename Body>
auto CatchJson(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Json::exception& error) {
    return Status::Internal(std::string("unexpected parse tree from DuckDB: ") + error.what());
  }
}

bool HasOrderBy(const Json& node) {
  auto modifiers = node.find("modifiers");
  if (modifiers == node.end() || !modifiers->is_array()) return false;
  return std::any_of(modifiers->begin(), modifiers->end(),
                     [](const Json& m) { return StringMember(m, "type") == "ORDER_MODIFIER"; });
}

// The expressions that read the clock, and what they become when time is frozen.
struct FrozenTime {
  Json timestamp, date, time;  // CAST('…' AS TIMESTAMP / DATE / TIME) nodes
};

const Json* FrozenReplacement(const Json& node, const FrozenTime& frozen, std::string* name) {
  const std::string cls = StringMember(node, "class");
  std::string word;
  if (cls == "COLUMN_REF") {
    auto names = node.find("column_names");
    if (names == node.end() || !names->is_array() || names->size() != 1 || !(*names)[0].is_string())
      return nullptr;
    word = ToLower((*names)[0].get<std::string>());
    *name = (*names)[0].get<std::string>();
  } else if (cls == "FUNCTION") {
    auto children = node.find("children");
    if (children != node.end() && children->is_array() && !children->empty()) return nullptr;
    if (!StringMember(node, "schema").empty()) return nullptr;
    word = ToLower(StringMember(node, "function_name"));
    *name = StringMember(node, "function_name") + "()";
  } else {
    return nullptr;
  }
  static const std::set<std::string> kTimestamps = {"current_timestamp",     "now",
                                                    "get_current_timestamp", "transaction_timestamp",
                                                    "localtimestamp",        "current_localtimestamp"};
  static const std::set<std::string> kDates = {"current_date", "today"};
  static const std::set<std::string> kTimes = {"current_time", "get_current_time", "localtime"};
  if (kTimestamps.count(word)) return &frozen.timestamp;
  if (kDates.count(word)) return &frozen.date;
  if (kTimes.count(word)) return &frozen.time;
  return nullptr;
}

// Replaces clock reads in `node`; a replaced select item keeps its output name.
bool FreezeTime(Json& node, const FrozenTime& frozen, int depth, bool select_item) {
  if (depth > kTreeDepthMax) return false;
  if (node.is_array()) {
    bool changed = false;
    for (Json& child : node) changed = FreezeTime(child, frozen, depth + 1, false) || changed;
    return changed;
  }
  if (!node.is_object()) return false;
  std::string name;
  if (const Json* replacement = FrozenReplacement(node, frozen, &name)) {
    std::string alias = StringMember(node, "alias");
    node = *replacement;
    node["alias"] = !alias.empty() ? alias : select_item ? name : "";
    return true;
  }
  bool changed = false;
  for (auto& item : node.items()) {
    if (item.key() == "select_list" && item.value().is_array()) {
      for (Json& child : item.value()) changed = FreezeTime(child, frozen, depth + 1, true) || changed;
    } else {
      changed = FreezeTime(item.value(), frozen, depth + 1, false) || changed;
    }
  }
  return changed;
}

Result<FrozenTime> FrozenTimeNodes(DuckConnection& connection, TimestampMs execution_ms) {
  std::string timestamp = FormatTimestamp(execution_ms);
  MATERIA_ASSIGN_OR_RETURN(
      Json tree,
      SerializeTree(connection, "SELECT CAST(" + QuoteLiteral(timestamp) + " AS TIMESTAMP), CAST(" +
                                    QuoteLiteral(FormatDate(execution_ms)) + " AS DATE), CAST(" +
                                    QuoteLiteral(timestamp.substr(11)) + " AS TIME)"));
  const Json& list = tree["statements"][0]["node"]["select_list"];
  return FrozenTime{list.at(0), list.at(1), list.at(2)};
}

// ---------------------------------------------------------------------------------
// Times and variables of a test.

struct TestTimes {
  TimestampMs start_ms = 0;        // SQLMesh's default for all three: the epoch
  TimestampMs end_ms = kMsPerDay;  // exclusive: the epoch's whole day
  TimestampMs execution_ms = 0;
  bool execution_set = false;
};

bool IsTimeVar(const std::string& name) {
  return name == "start" || name == "end" || name == "execution_time" || name == "latest";
}

Result<TestTimes> ReadTimes(const UnitTestDefinition& test) {
  TestTimes times;
  TimestampMs now = NowMs();
  for (const TestVariable& var : test.vars) {
    if (!IsTimeVar(var.name) || var.value.is_null()) continue;
    if (var.value.kind == TestValue::Kind::kNested) {
      return Status::InvalidInput(Located(var.value.location, var.name + " must be a date or a time"));
    }
    auto parsed = ParseTimestamp(var.value.text, now);
    if (!parsed.ok()) return Status::InvalidInput(Located(var.value.location, parsed.status().message()));
    if (var.name == "start") {
      times.start_ms = *parsed;
    } else if (var.name == "end") {
      // A date without a time of day includes that day, as SQLMesh makes end inclusive.
      bool whole_day = var.value.text.find(':') == std::string::npos && *parsed % kMsPerDay == 0;
      times.end_ms = *parsed + (whole_day ? kMsPerDay : 0);
    } else {
      times.execution_ms = *parsed;
      times.execution_set = true;
    }
  }
  return times;
}

MacroContext TestMacros(const Project& project, const Model& model, const UnitTestDefinition& test,
                        const TestTimes& times) {
  MacroContext context;
  context.start_ms = times.start_ms;
  context.end_ms = times.end_ms;
  context.execution_ms = times.execution_ms;
  context.variables = project.config.variables;
  for (const TestVariable& var : test.vars) {
    if (!IsTimeVar(var.name)) context.variables[var.name] = TestValueLiteral(var.value);
  }
  context.this_model = QuoteTable(model.name());
  context.gateway = project.config.default_gateway;
  return context;
}

// What the model reads, as upstream names are compared.
std::vector<std::string> Upstreams(const Model& model) {
  std::vector<std::string> names;
  for (const std::string& parent : model.parents) names.push_back(NormalizeTableName(parent));
  for (const std::string& table : model.external_tables) names.push_back(NormalizeTableName(table));
  return names;
}

Result<std::vector<Column>> DescribeTable(DuckConnection& connection, const std::string& table) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult described, connection.Query("DESCRIBE " + table));
  std::vector<Column> columns;
  for (const auto& row : described.rows) {
    if (row.size() < 2 || !row[0] || !row[1]) return Status::Internal("DESCRIBE returned a bad row");
    columns.push_back({*row[0], *row[1]});
  }
  return columns;
}

// ---------------------------------------------------------------------------------
// The columns of project models, known without data where possible. Each shape is a
// table, empty, in a private in-memory database, so that a model's query binds over
// its upstreams' shapes. Not thread-safe.
class ModelShapes {
 public:
  explicit ModelShapes(const Project& project) : project_(project) {}

  // The model's columns, or std::nullopt when they cannot be known without data.
  std::optional<std::vector<Column>> Find(const std::string& name, int depth = 0) {
    auto cached = cache_.find(name);
    if (cached != cache_.end()) return cached->second;
    const Model* model = project_.Find(name);
    std::optional<std::vector<Column>> columns;
    if (model != nullptr && depth < kShapeDepthMax && Open().ok()) columns = Infer(*model, depth);
    cache_[name] = columns;
    return columns;
  }

 private:
  Status Open() {
    if (connection_) return Status::Ok();
    DuckOptions options;
    options.threads = 1;
    MATERIA_ASSIGN_OR_RETURN(database_, DuckDatabase::Open(":memory:", options));
    MATERIA_ASSIGN_OR_RETURN(connection_, DuckConnection::Connect(database_));
    return Status::Ok();
  }

  std::optional<std::vector<Column>> Infer(const Model& model, int depth) {
    const ModelDefinition& definition = model.definition;
    std::string table = QuoteTable(model.name());
    std::string create;
    auto declared = definition.properties.find("columns");
    if (declared != definition.properties.end()) {
      create = "CREATE TABLE " + table + " " + declared->second;
    } else if (definition.kind == ModelKind::kSeed) {
      create = "CREATE TABLE " + table + " AS " + SeedQuery(project_, model) + " LIMIT 0";
    } else {
      // Files and outside tables have no shape without their data.
      if (!model.sources.empty() || !model.external_tables.empty() || model.reads_itself) return std::nullopt;
      for (const std::string& parent : model.parents) {
        if (!Find(parent, depth + 1)) return std::nullopt;
      }
      create = "CREATE TABLE " + table + " AS SELECT * FROM (\n" + model.rendered_query +
               "\n) AS materia_shape LIMIT 0";
    }
    std::string schema = QuoteIdentifier(SplitTableName(model.name()).first);
    if (!connection_->Execute("CREATE SCHEMA IF NOT EXISTS " + schema).ok()) return std::nullopt;
    if (!connection_->Execute(create).ok()) return std::nullopt;
    auto columns = DescribeTable(*connection_, table);
    if (!columns.ok()) return std::nullopt;
    return *columns;
  }

  const Project& project_;
  std::shared_ptr<DuckDatabase> database_;
  std::unique_ptr<DuckConnection> connection_;
  std::map<std::string, std::optional<std::vector<Column>>> cache_;
};

// ---------------------------------------------------------------------------------
// Comparing rows.

struct Cell {
  std::optional<std::string> value;  // canonical text; nullopt for NULL
  std::string shown;                 // as the diff shows it
  bool comparable = true;            // false: an expected value that does not fit the type
};
using Rows = std::vector<std::vector<Cell>>;

bool CellsEqual(const Cell& expected, const Cell& actual, bool approximate) {
  if (!expected.comparable || !actual.comparable) return false;
  if (!expected.value || !actual.value) return !expected.value && !actual.value;
  if (*expected.value == *actual.value) return true;
  if (!approximate) return false;
  char* end_a = nullptr;
  char* end_b = nullptr;
  double a = std::strtod(expected.value->c_str(), &end_a);
  double b = std::strtod(actual.value->c_str(), &end_b);
  if (*end_a != '\0' || *end_b != '\0') return false;
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= kRelativeTolerance * std::max(std::fabs(a), std::fabs(b));
}

struct RowComparison {
  std::vector<std::pair<size_t, size_t>> differing;  // (expected, actual) row pairs
  std::vector<size_t> missing;                       // expected rows not in the output
  std::vector<size_t> unexpected;                    // output rows not expected
  bool equal() const { return differing.empty() && missing.empty() && unexpected.empty(); }
};

class RowComparer {
 public:
  RowComparer(const Rows& expected, const Rows& actual, const std::vector<bool>& approximate)
      : expected_(expected), actual_(actual), approximate_(approximate) {}

  size_t EqualCells(size_t e, size_t a) const {
    size_t count = 0;
    for (size_t c = 0; c < approximate_.size(); c++)
      count += CellsEqual(expected_[e][c], actual_[a][c], approximate_[c]);
    return count;
  }

  RowComparison Ordered() const {
    RowComparison result;
    size_t common = std::min(expected_.size(), actual_.size());
    for (size_t i = 0; i < common; i++) {
      if (EqualCells(i, i) != approximate_.size()) result.differing.emplace_back(i, i);
    }
    for (size_t i = common; i < expected_.size(); i++) result.missing.push_back(i);
    for (size_t i = common; i < actual_.size(); i++) result.unexpected.push_back(i);
    return result;
  }

  // Rows match as multisets: exact matches first, then the closest remaining pairs
  // (most equal cells) are shown as differing rows, and the rest as missing or
  // unexpected.
  RowComparison Unordered() const {
    std::vector<bool> used(actual_.size(), false);
    std::vector<size_t> unmatched;
    for (size_t e = 0; e < expected_.size(); e++) {
      bool found = false;
      for (size_t a = 0; a < actual_.size() && !found; a++) {
        if (!used[a] && EqualCells(e, a) == approximate_.size()) used[a] = found = true;
      }
      if (!found) unmatched.push_back(e);
    }
    RowComparison result;
    for (size_t e : unmatched) {
      size_t best = actual_.size();
      size_t best_count = 0;
      for (size_t a = 0; a < actual_.size(); a++) {
        size_t count = used[a] ? 0 : EqualCells(e, a);
        if (count > best_count) best = a, best_count = count;
      }
      if (best == actual_.size()) {
        result.missing.push_back(e);
      } else {
        used[best] = true;
        result.differing.emplace_back(e, best);
      }
    }
    for (size_t a = 0; a < actual_.size(); a++) {
      if (!used[a]) result.unexpected.push_back(a);
    }
    return result;
  }

 private:
  const Rows& expected_;
  const Rows& actual_;
  const std::vector<bool>& approximate_;
};

size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (char c : text) width += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return width;
}

std::string Shorten(const std::string& text) {
  std::string one_line;
  for (char c : text) one_line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (DisplayWidth(one_line) <= kCellWidthMax) return one_line;
  std::string cut;
  size_t width = 0;
  for (char c : one_line) {
    bool starts = (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    if (starts && ++width > kCellWidthMax - 3) break;
    cut += c;
  }
  return cut + "...";
}

// Lays out rows of cells (the first one a label) as aligned columns, each line
// indented by `indent` and ending in '\n'.
std::string Table(const std::vector<std::vector<std::string>>& lines, const std::string& indent) {
  std::vector<size_t> widths;
  for (const auto& line : lines) {
    if (widths.size() < line.size()) widths.resize(line.size(), 0);
    for (size_t c = 0; c < line.size(); c++) widths[c] = std::max(widths[c], DisplayWidth(line[c]));
  }
  std::string text;
  for (const auto& line : lines) {
    std::string row = indent;
    for (size_t c = 0; c < line.size(); c++) {
      row += line[c];
      if (c + 1 < line.size()) row += std::string(widths[c] - DisplayWidth(line[c]) + 2, ' ');
    }
    while (!row.empty() && row.back() == ' ') row.pop_back();
    text += row + "\n";
  }
  return text;
}

std::string CountText(size_t count, const char* one, const char* many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

// The diff of one output: its headline and the rows that differ, are missing or are
// unexpected, each set as a small table.
std::string DiffText(const std::string& what, const std::vector<std::string>& columns,
                     const std::vector<bool>& approximate, const Rows& expected, const Rows& actual,
                     const RowComparison& comparison, bool ordered, std::string* headline) {
  std::vector<std::string> parts;
  if (!comparison.differing.empty())
    parts.push_back(CountText(comparison.differing.size(), "row differs", "rows differ"));
  if (!comparison.missing.empty())
    parts.push_back(CountText(comparison.missing.size(), "missing row", "missing rows"));
  if (!comparison.unexpected.empty())
    parts.push_back(CountText(comparison.unexpected.size(), "unexpected row", "unexpected rows"));
  *headline = what + " differs (" + JoinNames(parts) + ")";
  std::string text = *headline + ":\n";
  std::vector<std::string> header{""};
  header.insert(header.end(), columns.begin(), columns.end());
  auto row_cells = [&](const std::string& label, const std::vector<Cell>& row, const std::vector<Cell>* other,
                       bool other_is_actual) {
    std::vector<std::string> line{label};
    for (size_t c = 0; c < row.size(); c++) {
      bool differs = other && !(other_is_actual ? CellsEqual(row[c], (*other)[c], approximate[c])
                                                : CellsEqual((*other)[c], row[c], approximate[c]));
      line.push_back(Shorten(row[c].shown) + (differs ? " *" : ""));
    }
    return line;
  };
  auto limited = [](size_t count) { return std::min(count, kRowsShownMax); };
  auto more = [](size_t count) {
    return count > kRowsShownMax ? "    ... and " + std::to_string(count - kRowsShownMax) + " more\n"
                                 : std::string();
  };
  if (!comparison.differing.empty()) {
    text += "  rows that differ (exp: expected, act: actual; * marks a differing cell):\n";
    std::vector<std::vector<std::string>> lines{header};
    for (size_t i = 0; i < limited(comparison.differing.size()); i++) {
      auto [e, a] = comparison.differing[i];
      std::string number = ordered ? " #" + std::to_string(e + 1) : "";
      lines.push_back(row_cells("exp" + number, expected[e], &actual[a], true));
      lines.push_back(row_cells("act" + number, actual[a], &expected[e], false));
    }
    text += Table(lines, "    ") + more(comparison.differing.size());
  }
  auto section = [&](const char* title, const std::vector<size_t>& indices, const Rows& rows) {
    if (indices.empty()) return;
    text += std::string("  ") + title + ":\n";
    std::vector<std::vector<std::string>> lines{header};
    for (size_t i = 0; i < limited(indices.size()); i++)
      lines.push_back(row_cells("", rows[indices[i]], nullptr, true));
    text += Table(lines, "    ") + more(indices.size());
  };
  section("missing rows (expected, not in the output)", comparison.missing, expected);
  section("unexpected rows (in the output, not expected)", comparison.unexpected, actual);
  return text;
}

// ---------------------------------------------------------------------------------
// One test's database: its inputs as views, the model's query rendered for it.

// What checking one output found.
struct OutputCheck {
  bool query_failed = false;  // the model's query raised an error: `message` is DuckDB's
  std::string message;        // the headline of a difference, or the error
  std::string diff;
};

class TestSession {
 public:
  TestSession(const Project& project, const Model& model, const UnitTestDefinition& test, ModelShapes& shapes)
      : project_(project), model_(model), test_(test), shapes_(shapes) {}

  // Opens the database, creates the inputs and renders the query. Errors are faults
  // of the test, one line each.
  Status Prepare();

  // Runs the model's query (or one of its CTEs) and compares it with `expected`.
  // Errors are faults of the test (a column mismatch, an expected query that fails).
  Result<OutputCheck> CheckQuery(const TestData& expected);
  Result<OutputCheck> CheckCte(const TestCteOutput& cte);

  // The model's query output.
  Result<TypedRows> Evaluate();

 private:
  Status CreateInput(const TestInput& input);
  Status CreateFromQuery(const TestInput& input, const Model* upstream,
                         const std::optional<std::vector<Column>>& known);
  Result<std::vector<Column>> InputColumns(const TestInput& input, const Model* upstream,
                                           const std::optional<std::vector<Column>>& known);
  Status CreateFixture(const std::string& name, const std::vector<Column>& columns);
  Status InsertRows(const TestInput& input, const std::vector<Column>& columns);
  Status CreateMissingInputs();
  Result<std::string> CteSql(const TestCteOutput& cte, bool* ordered);
  Result<OutputCheck> Check(const std::string& what, const std::string& sql, bool ordered,
                            const TestData& expected);
  Result<Rows> ExpectedRows(const std::string& what, const TestData& expected, const TypedRows& actual,
                            const std::vector<size_t>& compared);

  const Project& project_;
  const Model& model_;
  const UnitTestDefinition& test_;
  ModelShapes& shapes_;
  std::shared_ptr<DuckDatabase> database_;
  std::unique_ptr<DuckConnection> connection_;
  std::string query_;     // rendered, ready to run
  Json tree_;             // its parse tree
  bool ordered_ = false;  // the query ends with ORDER BY
};

Status TestSession::Prepare() {
  DuckOptions options;
  options.threads = 1;  // fixtures are small; a test should not compete for cores
  MATERIA_ASSIGN_OR_RETURN(database_, DuckDatabase::Open(":memory:", options));
  MATERIA_ASSIGN_OR_RETURN(connection_, DuckConnection::Connect(database_));
  for (const TestInput& input : test_.inputs) MATERIA_RETURN_IF_ERROR(CreateInput(input));
  MATERIA_RETURN_IF_ERROR(CreateMissingInputs());
  MATERIA_ASSIGN_OR_RETURN(TestTimes times, ReadTimes(test_));
  MacroContext macros = TestMacros(project_, model_, test_, times);
  const ModelDefinition& definition = model_.definition;
  MATERIA_ASSIGN_OR_RETURN(query_, RenderMacros(definition.query, macros, definition.query_location));
  auto tree = SerializeTree(*connection_, query_);
  if (!tree.ok()) return Status::InvalidInput(definition.path + ": " + OneLine(tree.status().message()));
  tree_ = std::move(tree).value();
  return CatchJson([&]() -> Status {
    if (times.execution_set) {
      MATERIA_ASSIGN_OR_RETURN(FrozenTime frozen, FrozenTimeNodes(*connection_, times.execution_ms));
      if (FreezeTime(tree_["statements"][0], frozen, 0, false)) {
        MATERIA_ASSIGN_OR_RETURN(query_, DeserializeTree(*connection_, tree_));
      }
    }
    ordered_ = HasOrderBy(tree_["statements"][0]["node"]);
    return Status::Ok();
  });
}

Status TestSession::CreateInput(const TestInput& input) {
  const Model* upstream = project_.Find(input.name);
  std::optional<std::vector<Column>> known;
  if (upstream != nullptr) known = shapes_.Find(upstream->name());
  if (input.data.query) return CreateFromQuery(input, upstream, known);
  MATERIA_ASSIGN_OR_RETURN(std::vector<Column> columns, InputColumns(input, upstream, known));
  if (columns.empty()) {
    return Status::InvalidInput(
        Located(input.data.location, input.name + " has no columns: give it rows, or types under columns:"));
  }
  Status created = CreateFixture(input.name, columns);
  if (!created.ok()) {
    const SourceLocation& where =
        input.data.column_types.empty() ? input.data.location : input.data.columns_location;
    return Status::InvalidInput(
        Located(where, "cannot create " + input.name + ": " + OneLine(created.message())));
  }
  return InsertRows(input, columns);
}

// The upstream model's output names, when its analysis knows them all.
std::vector<std::string> KnownNames(const Model* upstream) {
  if (upstream == nullptr || upstream->select_names.empty()) return {};
  std::vector<std::string> names;
  for (const std::string& name : upstream->select_names) {
    if (name.empty() || name == "*") return {};
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

// The fixture's columns: the upstream model's own when known (the test's `columns:`
// may change their types); else its output names when known, or the test's
// `columns:` and the columns its rows name. Columns without a type take one from
// their values; a column without values stays untyped (NULL, which fits any use).
Result<std::vector<Column>> TestSession::InputColumns(const TestInput& input, const Model* upstream,
                                                      const std::optional<std::vector<Column>>& known) {
  const TestData& data = input.data;
  std::vector<Column> columns;
  if (known) columns = *known;
  if (!known) {
    for (const std::string& name : KnownNames(upstream)) columns.push_back({name, ""});
  }
  const bool closed = !columns.empty();  // no other column may appear
  std::vector<std::string> names;
  for (const Column& column : columns) names.push_back(column.name);
  auto find = [&](const std::string& name) -> Column* {
    for (Column& column : columns) {
      if (ToLower(column.name) == name) return &column;
    }
    return nullptr;
  };
  auto mismatch = [&](const SourceLocation& where, const std::string& name) {
    return Status::InvalidInput(Located(where, "column '" + name + "' is not a column of " + input.name +
                                                   " (its columns: " + JoinNames(names) + ")"));
  };
  for (const auto& [name, type] : data.column_types) {
    if (Column* column = find(name)) {
      column->type = type;
    } else if (closed) {
      return mismatch(data.columns_location, name);
    } else {
      columns.push_back({name, type});
    }
  }
  for (const TestRow& row : data.rows) {
    for (const TestCell& cell : row.cells) {
      if (find(cell.column) != nullptr) continue;
      if (closed) return mismatch(cell.value.location, cell.written);
      columns.push_back({cell.written, ""});
    }
  }
  for (Column& column : columns) {
    if (!column.type.empty()) continue;
    for (const TestRow& row : data.rows) {
      if (const TestCell* cell = row.Find(ToLower(column.name))) {
        column.type = UnifyTypes(column.type, ValueType(cell->value, *connection_));
      }
    }
  }
  return columns;
}

// An input is a view over a table of its typed columns (kept in a schema of its own),
// which adds the untyped ones as NULL.
Status TestSession::CreateFixture(const std::string& name, const std::vector<Column>& columns) {
  std::string definition = QuoteIdentifier(kRowColumn) + " INTEGER";
  std::string select;
  for (const Column& column : columns) {
    std::string quoted = QuoteIdentifier(column.name);
    if (!column.type.empty()) definition += ", " + quoted + " " + column.type;
    select += std::string(select.empty() ? "" : ", ") + (column.type.empty() ? "NULL AS " + quoted : quoted);
  }
  MATERIA_RETURN_IF_ERROR(
      connection_->Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(kFixtureSchema)));
  MATERIA_RETURN_IF_ERROR(
      connection_->Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(SplitTableName(name).first)));
  MATERIA_RETURN_IF_ERROR(
      connection_->Execute("CREATE TABLE " + FixtureTable(name) + " (" + definition + ")"));
  return connection_->Execute("CREATE VIEW " + QuoteTable(name) + " AS SELECT " + select + " FROM " +
                              FixtureTable(name) + " ORDER BY " + QuoteIdentifier(kRowColumn));
}

Status TestSession::InsertRows(const TestInput& input, const std::vector<Column>& columns) {
  std::vector<const Column*> typed;
  std::string placeholders = "?";
  for (const Column& column : columns) {
    if (column.type.empty()) continue;
    typed.push_back(&column);
    placeholders += ", ?";
  }
  const std::string insert = "INSERT INTO " + FixtureTable(input.name) + " VALUES (" + placeholders + ")";
  for (size_t r = 0; r < input.data.rows.size(); r++) {
    const TestRow& row = input.data.rows[r];
    std::vector<std::optional<std::string>> params{std::to_string(r)};
    for (const Column* column : typed) {
      const TestCell* cell = row.Find(ToLower(column->name));
      params.emplace_back(cell == nullptr || cell->value.is_null() ? std::nullopt
                                                                   : std::optional(cell->value.text));
    }
    auto inserted = connection_->QueryParams(insert, params);
    if (inserted.ok()) continue;
    // Name the value that does not fit, where it is written.
    for (size_t c = 0; c < typed.size(); c++) {
      if (!params[c + 1]) continue;
      auto fits = connection_->QueryParams(
          "SELECT TRY_CAST(?::VARCHAR AS " + typed[c]->type + ") IS NOT NULL", {params[c + 1]});
      if (fits.ok() && fits->Scalar() == "false") {
        const TestCell* cell = row.Find(ToLower(typed[c]->name));
        return Status::InvalidInput(
            Located(cell->value.location, "value '" + *params[c + 1] + "' of column " + typed[c]->name +
                                              " does not fit its type " + typed[c]->type));
      }
    }
    return Status::InvalidInput(Located(row.location, "cannot insert the row into " + input.name + ": " +
                                                          OneLine(inserted.status().message())));
  }
  return Status::Ok();
}

// An input given as SQL: the model's columns when known (missing ones NULL), else
// whatever the query selects.
Status TestSession::CreateFromQuery(const TestInput& input, const Model* upstream,
                                    const std::optional<std::vector<Column>>& known) {
  const TestData& data = input.data;
  std::string sql = "SELECT * FROM (\n" + StripTrailingSemicolons(*data.query) + "\n) AS materia_input";
  Status status = connection_->Execute("CREATE SCHEMA IF NOT EXISTS " +
                                       QuoteIdentifier(SplitTableName(input.name).first));
  if (known) {
    MATERIA_ASSIGN_OR_RETURN(std::vector<Column> columns, InputColumns(input, upstream, known));
    std::string definition;
    for (const Column& column : columns) {
      definition += (definition.empty() ? "" : ", ") + QuoteIdentifier(column.name) + " " + column.type;
    }
    if (status.ok())
      status = connection_->Execute("CREATE TABLE " + QuoteTable(input.name) + " (" + definition + ")");
    if (status.ok())
      status = connection_->Execute("INSERT INTO " + QuoteTable(input.name) + " BY NAME " + sql);
  } else {
    if (status.ok()) status = connection_->Execute("CREATE TABLE " + QuoteTable(input.name) + " AS " + sql);
    for (const auto& [name, type] : data.column_types) {
      if (!status.ok()) break;
      status = connection_->Execute("ALTER TABLE " + QuoteTable(input.name) + " ALTER COLUMN " +
                                    QuoteIdentifier(name) + " SET DATA TYPE " + type);
    }
  }
  if (status.ok()) return status;
  return Status::InvalidInput(
      Located(data.query_location, "query of " + input.name + ": " + OneLine(status.message())));
}

// Upstream seeds read their file, and a model that reads its own table gets it empty
// (with its declared columns), when the test gives no rows for them.
Status TestSession::CreateMissingInputs() {
  for (const std::string& parent : model_.parents) {
    const Model* upstream = project_.Find(parent);
    if (test_.FindInput(NormalizeTableName(parent)) != nullptr || upstream == nullptr) continue;
    if (upstream->definition.kind != ModelKind::kSeed) continue;
    Status status =
        connection_->Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(SplitTableName(parent).first));
    if (status.ok()) {
      status = connection_->Execute("CREATE TABLE " + QuoteTable(parent) + " AS " +
                                    SeedQuery(project_, *upstream));
    }
    if (!status.ok()) {
      return Status::InvalidInput(
          Located(upstream->definition.header_location,
                  "cannot read the seed of " + parent + ": " + OneLine(status.message())));
    }
  }
  auto declared = model_.definition.properties.find("columns");
  if (model_.reads_itself && test_.FindInput(NormalizeTableName(model_.name())) == nullptr &&
      declared != model_.definition.properties.end()) {
    MATERIA_RETURN_IF_ERROR(connection_->Execute("CREATE SCHEMA IF NOT EXISTS " +
                                                 QuoteIdentifier(SplitTableName(model_.name()).first)));
    MATERIA_RETURN_IF_ERROR(
        connection_->Execute("CREATE TABLE " + QuoteTable(model_.name()) + " " + declared->second));
  }
  return Status::Ok();
}

// SELECT * FROM the CTE, under the query's own WITH clause: the parse tree of
// `SELECT * FROM "name"` takes the query's CTE map.
Result<std::string> TestSession::CteSql(const TestCteOutput& cte, bool* ordered) {
  const Json& node = tree_["statements"][0]["node"];
  std::vector<std::string> names;
  const Json* found = nullptr;
  auto map = node.find("cte_map");
  if (map != node.end() && map->contains("map")) {
    for (const Json& entry : (*map)["map"]) {
      std::string key = StringMember(entry, "key");
      names.push_back(key);
      if (ToLower(key) == cte.name) found = &entry;
    }
  }
  if (found == nullptr) {
    return Status::InvalidInput(
        Located(cte.data.location, "model " + model_.name() + " has no CTE named '" + cte.name +
                                       "' (its CTEs: " + (names.empty() ? "none" : JoinNames(names)) + ")"));
  }
  *ordered = found->contains("value") && (*found)["value"].contains("query") &&
             (*found)["value"]["query"].contains("node") && HasOrderBy((*found)["value"]["query"]["node"]);
  MATERIA_ASSIGN_OR_RETURN(
      Json select,
      SerializeTree(*connection_, "SELECT * FROM " + QuoteIdentifier(StringMember(*found, "key"))));
  select["statements"][0]["node"]["cte_map"] = *map;
  return DeserializeTree(*connection_, select);
}

Result<OutputCheck> TestSession::CheckQuery(const TestData& expected) {
  return Check("the query output of " + model_.name(), query_, ordered_, expected);
}

Result<OutputCheck> TestSession::CheckCte(const TestCteOutput& cte) {
  bool ordered = false;
  MATERIA_ASSIGN_OR_RETURN(std::string sql, CatchJson([&] { return CteSql(cte, &ordered); }));
  return Check("CTE " + cte.name + " of " + model_.name(), sql, ordered, cte.data);
}

Result<TypedRows> TestSession::Evaluate() {
  auto rows = QueryTypedRows(*connection_, query_);
  if (!rows.ok())
    return Status::DatabaseError(model_.definition.path + ": " + OneLine(rows.status().message()));
  return rows;
}

Result<OutputCheck> TestSession::Check(const std::string& what, const std::string& sql, bool ordered,
                                       const TestData& expected) {
  OutputCheck check;
  auto actual = QueryTypedRows(*connection_, sql);
  if (!actual.ok()) {
    check.query_failed = true;
    check.message = model_.definition.path + ": " + OneLine(actual.status().message());
    return check;
  }
  std::map<std::string, size_t> index;
  for (size_t c = 0; c < actual->names.size(); c++) index.emplace(ToLower(actual->names[c]), c);
  std::vector<size_t> compared;
  if (expected.partial) {
    for (const std::string& column : expected.RowColumns()) {
      if (index.count(column)) compared.push_back(index[column]);
    }
  } else {
    for (size_t c = 0; c < actual->names.size(); c++) compared.push_back(c);
  }
  MATERIA_ASSIGN_OR_RETURN(Rows expected_rows, ExpectedRows(what, expected, *actual, compared));
  Rows actual_rows;
  for (const auto& row : actual->rows) {
    std::vector<Cell> cells;
    for (size_t c : compared) cells.push_back({row[c], row[c] ? *row[c] : "NULL", true});
    actual_rows.push_back(std::move(cells));
  }
  std::vector<std::string> columns;
  std::vector<bool> approximate;
  for (size_t c : compared) {
    columns.push_back(actual->names[c]);
    approximate.push_back(IsApproximateType(actual->types[c]));
  }
  RowComparer comparer(expected_rows, actual_rows, approximate);
  RowComparison comparison = ordered ? comparer.Ordered() : comparer.Unordered();
  if (comparison.equal()) return check;
  check.diff =
      DiffText(what, columns, approximate, expected_rows, actual_rows, comparison, ordered, &check.message);
  return check;
}

// The expected rows as the output's types make them: each value cast by DuckDB to
// its column's type (whole numbers only into integer columns), rendered as text.
Result<Rows> TestSession::ExpectedRows(const std::string& what, const TestData& expected,
                                       const TypedRows& actual, const std::vector<size_t>& compared) {
  std::vector<TestRow> rows = expected.rows;
  if (expected.query) {
    auto produced = QueryTypedRows(*connection_, *expected.query);
    if (!produced.ok()) {
      return Status::InvalidInput(Located(
          expected.query_location, "query of the expected rows: " + OneLine(produced.status().message())));
    }
    rows.clear();
    for (const auto& values : produced->rows) {
      TestRow row;
      row.location = expected.query_location;
      for (size_t c = 0; c < values.size(); c++) {
        TestValue value;
        value.location = expected.query_location;
        if (values[c]) value = {TestValue::Kind::kQuoted, *values[c], expected.query_location};
        row.cells.push_back({ToLower(produced->names[c]), produced->names[c], value});
      }
      rows.push_back(std::move(row));
    }
  }
  std::vector<std::string> names;
  for (const std::string& name : actual.names) names.push_back(ToLower(name));
  Rows out;
  for (const TestRow& row : rows) {
    for (const TestCell& cell : row.cells) {
      if (std::find(names.begin(), names.end(), cell.column) == names.end()) {
        return Status::InvalidInput(
            Located(cell.value.location, "column '" + cell.written + "' is not a column of " + what +
                                             " (its columns: " + JoinNames(actual.names) + ")"));
      }
    }
    std::vector<Cell> cells(compared.size());
    std::string select;
    std::vector<std::optional<std::string>> params;
    std::vector<size_t> cast_at;
    for (size_t i = 0; i < compared.size(); i++) {
      const TestCell* cell = row.Find(names[compared[i]]);
      if (cell == nullptr || cell->value.is_null()) {
        cells[i] = {std::nullopt, "NULL", true};
        continue;
      }
      const std::string& type = actual.types[compared[i]];
      cells[i] = {cell->value.text, cell->value.text, true};
      if (type == "VARCHAR" || type == "\"NULL\"" || type == "NULL") continue;
      // DuckDB rounds '2.5' into an integer column; only whole numbers may go there.
      std::string value = "TRY_CAST(?::VARCHAR AS " + type + ")";
      std::string cast = IsIntegerType(type) ? "CASE WHEN TRY_CAST(?::VARCHAR AS DOUBLE) = " + value +
                                                   " THEN CAST(" + value + " AS VARCHAR) END"
                                             : "CAST(" + value + " AS VARCHAR)";
      select += std::string(select.empty() ? "" : ", ") + cast;
      for (int k = IsIntegerType(type) ? 3 : 1; k > 0; k--) params.push_back(cell->value.text);
      cast_at.push_back(i);
    }
    if (!cast_at.empty()) {
      MATERIA_ASSIGN_OR_RETURN(QueryResult cast, connection_->QueryParams("SELECT " + select, params));
      for (size_t k = 0; k < cast_at.size(); k++) {
        Cell& cell = cells[cast_at[k]];
        cell.value = cast.rows.at(0).at(k);
        cell.comparable = cell.value.has_value();
        if (cell.value) cell.shown = *cell.value;
      }
    }
    out.push_back(std::move(cells));
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Selecting tests.

struct SelectedTest {
  const TestFile* file;
  const UnitTestDefinition* test;
};

std::string NormalizePath(const std::string& path) {
  std::string normal = fs::path(path).lexically_normal().generic_string();
  while (normal.rfind("./", 0) == 0) normal = normal.substr(2);
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

bool FileMatches(const std::string& file, const std::string& selector) {
  return file == selector || file.rfind(selector + "/", 0) == 0;
}

bool Matches(const TestFile& file, const UnitTestDefinition& test, const std::string& selector) {
  size_t separator = selector.find("::");
  if (separator != std::string::npos) {
    return FileMatches(file.path, NormalizePath(selector.substr(0, separator))) &&
           test.name == selector.substr(separator + 2);
  }
  return FileMatches(file.path, NormalizePath(selector)) || test.name == selector ||
         test.model == ToLower(selector);
}

// A selector that names files only: the others need not be read.
bool NamesFiles(const std::string& project_dir, const std::string& selector) {
  if (selector.find("::") != std::string::npos) return true;
  std::error_code error;
  return fs::exists(fs::path(project_dir) / NormalizePath(selector), error);
}

Result<std::vector<TestFile>> LoadSelectedFiles(const std::string& project_dir,
                                                const TestSelection& selection) {
  bool files_only = !selection.selectors.empty() &&
                    std::all_of(selection.selectors.begin(), selection.selectors.end(),
                                [&](const std::string& s) { return NamesFiles(project_dir, s); });
  MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> paths, ListTestFiles(project_dir));
  std::vector<TestFile> files;
  for (const std::string& path : paths) {
    bool wanted =
        !files_only ||
        std::any_of(selection.selectors.begin(), selection.selectors.end(), [&](const std::string& s) {
          return FileMatches(path, NormalizePath(s.substr(0, s.find("::"))));
        });
    if (!wanted) continue;
    MATERIA_ASSIGN_OR_RETURN(TestFile file, LoadTestFile(project_dir, path));
    files.push_back(std::move(file));
  }
  return files;
}

Result<std::vector<SelectedTest>> SelectTests(const std::vector<TestFile>& files,
                                              const TestSelection& selection) {
  std::vector<SelectedTest> selected;
  std::set<std::string> used;
  for (const TestFile& file : files) {
    for (const UnitTestDefinition& test : file.tests) {
      bool take = selection.selectors.empty();
      for (const std::string& selector : selection.selectors) {
        if (!Matches(file, test, selector)) continue;
        used.insert(selector);
        take = true;
      }
      if (take) selected.push_back({&file, &test});
    }
  }
  for (const std::string& selector : selection.selectors) {
    if (!used.count(selector)) return Status::InvalidInput("no test matches '" + selector + "'");
  }
  return selected;
}

// Runs one validated test with shapes shared across tests.
TestOutcome RunWithShapes(const Project& project, const UnitTestDefinition& test, ModelShapes& shapes) {
  auto started = std::chrono::steady_clock::now();
  TestOutcome outcome;
  outcome.name = test.name;
  outcome.model = test.model;
  outcome.location = test.location;
  outcome.description = test.description;
  auto finish = [&](TestStatus status, std::string message) {
    outcome.status = status;
    outcome.message = OneLine(message);
    outcome.seconds = SecondsSince(started);
    return outcome;
  };
  Status valid = ValidateUnitTest(project, test);
  if (!valid.ok()) return finish(TestStatus::kError, valid.message());
  TestSession session(project, *project.Find(test.model), test, shapes);
  Status prepared = session.Prepare();
  if (!prepared.ok()) return finish(TestStatus::kError, prepared.message());
  std::vector<std::string> headlines;
  std::vector<Result<OutputCheck>> checks;
  for (const TestCteOutput& cte : test.cte_outputs) checks.push_back(session.CheckCte(cte));
  if (test.query_output) checks.push_back(session.CheckQuery(*test.query_output));
  for (const Result<OutputCheck>& check : checks) {
    if (!check.ok()) return finish(TestStatus::kError, check.status().message());
    if (check->query_failed) return finish(TestStatus::kFailed, check->message);
    if (check->message.empty()) continue;
    headlines.push_back(check->message);
    outcome.diff += check->diff;
  }
  if (headlines.empty()) return finish(TestStatus::kPassed, "");
  std::string message;
  for (const std::string& headline : headlines) message += (message.empty() ? "" : "; ") + headline;
  return finish(TestStatus::kFailed, message);
}

}  // namespace

const char* TestStatusName(TestStatus status) {
  switch (status) {
    case TestStatus::kPassed: return "passed";
    case TestStatus::kFailed: return "failed";
    case TestStatus::kError: return "error";
  }
  return "error";
}

Result<TypedRows> QueryTypedRows(DuckConnection& connection, const std::string& sql, size_t max_rows) {
  std::string query = StripTrailingSemicolons(sql);
  // A subquery takes any query form (WITH, FROM-first, VALUES).
  MATERIA_ASSIGN_OR_RETURN(QueryResult described,
                           connection.Query("DESCRIBE SELECT * FROM (\n" + query + "\n) AS materia_rows"));
  TypedRows rows;
  for (const auto& row : described.rows) {
    if (row.size() < 2 || !row[0] || !row[1]) return Status::Internal("DESCRIBE returned a bad row");
    rows.names.push_back(*row[0]);
    rows.types.push_back(*row[1]);
  }
  // As text, DuckDB's own rendering: nested values included, which the C API's
  // per-value text leaves empty.
  MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                           connection.Query("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (\n" + query +
                                            "\n) AS materia_rows LIMIT " + std::to_string(max_rows + 1)));
  if (result.rows.size() > max_rows) {
    return Status::InvalidInput("the query returns more than " + std::to_string(max_rows) + " rows");
  }
  rows.rows = std::move(result.rows);
  return rows;
}

Status ValidateUnitTest(const Project& project, const UnitTestDefinition& test) {
  const Model* model = project.Find(test.model);
  if (model == nullptr) {
    return Status::InvalidInput(
        Located(test.model_location, "test '" + test.name + "' names unknown model '" + test.model + "'"));
  }
  if (model->definition.kind == ModelKind::kSeed) {
    return Status::InvalidInput(
        Located(test.model_location, "model " + model->name() + " is a SEED: it has no query to test"));
  }
  std::vector<std::string> upstreams = Upstreams(*model);
  for (const TestInput& input : test.inputs) {
    std::string name = NormalizeTableName(input.name);
    bool self = model->reads_itself && name == NormalizeTableName(model->name());
    if (self || std::find(upstreams.begin(), upstreams.end(), name) != upstreams.end()) continue;
    return Status::InvalidInput(
        Located(input.data.location, "input " + input.name + " is not an upstream of " + model->name() +
                                         " (it reads " +
                                         (upstreams.empty() ? "no tables" : JoinNames(upstreams)) + ")"));
  }
  for (const std::string& upstream : upstreams) {
    bool given = std::any_of(test.inputs.begin(), test.inputs.end(), [&](const TestInput& input) {
      return NormalizeTableName(input.name) == upstream;
    });
    const Model* parent = project.Find(upstream);
    if (given || (parent != nullptr && parent->definition.kind == ModelKind::kSeed)) continue;
    return Status::InvalidInput(Located(
        test.inputs_location,
        "test '" + test.name + "' has no input for " + upstream + ", which " + model->name() + " reads"));
  }
  return ReadTimes(test).status();
}

TestOutcome RunUnitTest(const Project& project, const UnitTestDefinition& test) {
  ModelShapes shapes(project);
  return RunWithShapes(project, test, shapes);
}

Result<TypedRows> EvaluateUnitTestModel(const Project& project, const UnitTestDefinition& test) {
  MATERIA_RETURN_IF_ERROR(ValidateUnitTest(project, test));
  ModelShapes shapes(project);
  TestSession session(project, *project.Find(test.model), test, shapes);
  MATERIA_RETURN_IF_ERROR(session.Prepare());
  return session.Evaluate();
}

Result<TestReport> RunProjectTests(const Project& project, const TestSelection& selection) {
  auto started = std::chrono::steady_clock::now();
  MATERIA_ASSIGN_OR_RETURN(std::vector<TestFile> files,
                           LoadSelectedFiles(project.config.project_dir, selection));
  MATERIA_ASSIGN_OR_RETURN(std::vector<SelectedTest> selected, SelectTests(files, selection));
  for (const SelectedTest& entry : selected) MATERIA_RETURN_IF_ERROR(ValidateUnitTest(project, *entry.test));
  // Tests are independent (each has its own database): they run on every core, in
  // contiguous chunks so that each chunk reuses one cache of upstream shapes.
  std::vector<TestOutcome> outcomes(selected.size());
  size_t chunks = std::min<size_t>(selected.size(), static_cast<size_t>(ThreadsOrCores(0)));
  ParallelFor(chunks, 0, [&](size_t chunk) {
    ModelShapes shapes(project);
    size_t begin = selected.size() * chunk / chunks;
    size_t end = selected.size() * (chunk + 1) / chunks;
    for (size_t i = begin; i < end; i++) outcomes[i] = RunWithShapes(project, *selected[i].test, shapes);
  }, /*serial_below=*/2);
  TestReport report;
  for (TestOutcome& outcome : outcomes) {
    report.passed += outcome.status == TestStatus::kPassed;
    report.failed += outcome.status == TestStatus::kFailed;
    report.errors += outcome.status == TestStatus::kError;
    report.outcomes.push_back(std::move(outcome));
  }
  report.seconds = SecondsSince(started);
  return report;
}

std::string FormatTestReport(const TestReport& report) {
  size_t width = 0;
  for (const TestOutcome& outcome : report.outcomes) width = std::max(width, DisplayWidth(outcome.name));
  width = std::min(width, kCellWidthMax);
  std::string text;
  for (const TestOutcome& outcome : report.outcomes) {
    const char* label = outcome.status == TestStatus::kPassed   ? "ok"
                        : outcome.status == TestStatus::kFailed ? "FAILED"
                                                                : "ERROR";
    std::string pad(width - std::min(width, DisplayWidth(outcome.name)), ' ');
    text += std::string(label) + std::string(8 - std::string(label).size(), ' ') + outcome.name + pad + "  " +
            outcome.location.ToString() + "\n";
    if (outcome.status == TestStatus::kPassed) continue;
    if (outcome.diff.empty()) text += "  " + outcome.message + "\n";
    size_t start = 0;
    while (start < outcome.diff.size()) {
      size_t end = outcome.diff.find('\n', start);
      if (end == std::string::npos) end = outcome.diff.size();
      text += "  " + outcome.diff.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  size_t total = report.outcomes.size();
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.2fs", report.seconds);
  text += CountText(total, "test", "tests") + ": " + std::to_string(report.passed) + " passed, " +
          std::to_string(report.failed) + " failed, " + CountText(report.errors, "error", "errors") + " in " +
          seconds + "\n";
  return text;
}

std::string FormatTestReportJson(const TestReport& report) {
  Json tests = Json::array();
  for (const TestOutcome& outcome : report.outcomes) {
    tests.push_back({{"name", outcome.name},
                     {"model", outcome.model},
                     {"file", outcome.location.file},
                     {"line", outcome.location.line},
                     {"status", TestStatusName(outcome.status)},
                     {"message", outcome.message},
                     {"diff", outcome.diff},
                     {"seconds", outcome.seconds}});
  }
  Json out = {{"tests", tests},
              {"passed", report.passed},
              {"failed", report.failed},
              {"errors", report.errors},
              {"seconds", report.seconds}};
  return out.dump(2) + "\n";
}

}  // namespace materia
