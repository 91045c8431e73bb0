#include "project/sql_analysis.h"

#include "base/hash.h"
#include "base/text.h"
#include "project/sql_lexer.h"

#include <algorithm>
#include <charconv>
#include <set>

#include <nlohmann/json.hpp>
#include <simdjson.h>

namespace materia {

using Json = nlohmann::json;
namespace dom = simdjson::dom;

namespace {

constexpr int kMaxTreeDepth = 512;  // deeper trees are rejected, not recursed into

// ---------------------------------------------------------------------------------
// Reading json_serialize_sql's output. Loading a project reads thousands of parse
// trees, so this side uses simdjson's read-only DOM; rewriting (which edits a tree)
// uses nlohmann further below.

// The string member `key` of `node`, or "" when absent or not a string (a parse tree
// reuses names: "type" is a string on nodes and an object on constants).
std::string_view Text(dom::element node, std::string_view key) {
  dom::object object;
  if (node.get_object().get(object)) return {};
  std::string_view text;
  if (object.at_key(key).get_string().get(text)) return {};
  return text;
}

// The member `key` of `node`; an error result when `node` is no object or lacks it
// (simdjson results chain: Member(a, "b")["c"].get_array()).
simdjson::simdjson_result<dom::element> Member(dom::element node, std::string_view key) {
  return node[key];
}

// Folds a constant path expression: 'a', 'a' || 'b', ['a', 'b'], concat('a','b').
// Returns false when any part is not a string constant.
bool FoldConstantStrings(dom::element node, std::vector<std::string>* out, int depth = 0) {
  if (depth > kMaxTreeDepth || !node.is_object()) return false;
  const std::string_view cls = Text(node, "class");
  if (cls == "CONSTANT") {
    bool is_null = false;
    if (!Member(node, "value")["is_null"].get_bool().get(is_null) && is_null) return false;
    std::string_view text;
    if (Member(node, "value")["value"].get_string().get(text)) return false;
    out->emplace_back(text);
    return true;
  }
  if (cls == "CAST") {
    dom::element child;
    return !Member(node, "child").get(child) && FoldConstantStrings(child, out, depth + 1);
  }
  if (cls != "FUNCTION") return false;
  const std::string_view name = Text(node, "function_name");
  dom::array children;
  if (Member(node, "children").get_array().get(children)) return false;
  if (name == "list_value") {
    for (dom::element child : children) {
      if (!FoldConstantStrings(child, out, depth + 1)) return false;
    }
    return true;
  }
  if (name == "||" || name == "concat") {
    std::string joined;
    for (dom::element child : children) {
      std::vector<std::string> part;
      if (!FoldConstantStrings(child, &part, depth + 1) || part.size() != 1) return false;
      joined += part[0];
    }
    out->push_back(joined);
    return true;
  }
  return false;
}

// True when a table name is really a file DuckDB will read ("data/x.csv", "*.parquet").
bool LooksLikeFile(const std::string& name) {
  if (name.find('/') != std::string::npos || name.find('*') != std::string::npos) return true;
  static const char* kExtensions[] = {".csv", ".tsv", ".parquet", ".json", ".jsonl",
                                      ".ndjson", ".gz", ".zst", ".txt"};
  std::string lower = ToLower(name);
  for (const char* extension : kExtensions) {
    std::string suffix(extension);
    if (lower.size() > suffix.size() && lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

// The hash of a serialized parse tree without its source positions: what the query
// means, not where its parts were written. DuckDB writes the tree minified with keys
// in a fixed order, so the text itself is canonical once every "query_location"
// member is cut out. The key cannot occur inside a string value: there its quotes
// would be escaped.
std::string TreeHash(std::string_view json) {
  static constexpr std::string_view kKey = "\"query_location\":";
  std::string kept;
  kept.reserve(json.size());
  size_t position = 0;
  while (true) {
    size_t found = json.find(kKey, position);
    if (found == std::string_view::npos) break;
    kept.append(json, position, found - position);
    size_t end = found + kKey.size();
    while (end < json.size() && json[end] >= '0' && json[end] <= '9') end++;
    if (end < json.size() && json[end] == ',') {
      end++;  // the member's own separator
    } else if (!kept.empty() && kept.back() == ',') {
      kept.pop_back();  // the last member: drop the separator before it
    }
    position = end;
  }
  kept.append(json, position, std::string_view::npos);
  return Sha256Hex(kept);
}

// Walks a statement's parse tree and collects what it reads. CTE names are gathered
// for the whole query, so a CTE shadows an unqualified table of the same name anywhere
// in it.
class TreeWalker {
 public:
  Status Walk(dom::element node, int depth) {
    if (depth > kMaxTreeDepth) return Status::InvalidInput("query is nested too deeply");
    if (node.is_array()) {
      for (dom::element child : dom::array(node)) MATERIA_RETURN_IF_ERROR(Walk(child, depth + 1));
    } else if (node.is_object()) {
      VisitObject(node);
      for (dom::key_value_pair field : dom::object(node)) {
        MATERIA_RETURN_IF_ERROR(Walk(field.value, depth + 1));
      }
    }
    return Status::Ok();
  }

  std::set<std::string> ctes;
  std::vector<std::pair<std::string, std::string>> tables;  // (schema, table)
  std::vector<SourceReference> sources;
  // Every base table reference as written, for rewriting (files excluded).
  struct TableRef {
    std::string catalog, schema, table;  // as written (case kept)
    bool has_alias = false;
    uint64_t location = UINT64_MAX;  // byte offset of the name in the query
  };
  std::vector<TableRef> refs;
  // Column references qualified by a table and its schema (raw.orders.id): a rewrite
  // that renames the table must rename their qualifier too.
  struct ColumnRef {
    std::vector<std::string> names;  // as written
    uint64_t location = UINT64_MAX;
  };
  std::vector<ColumnRef> column_refs;

 private:
  void VisitObject(dom::element node) {
    const std::string_view type = Text(node, "type");
    dom::array map;
    if (type.ends_with("_NODE") && !Member(node, "cte_map")["map"].get_array().get(map)) {
      for (dom::element entry : map) ctes.insert(ToLower(std::string(Text(entry, "key"))));
    }
    if (type == "BASE_TABLE") {
      if (!Member(node, "table_name").is_string()) return;
      std::string schema(Text(node, "schema_name"));
      std::string table(Text(node, "table_name"));
      if (schema.empty() && LooksLikeFile(table)) {  // FROM 'data/x.csv': DuckDB reads the file
        sources.push_back({"scan", {table}});
        return;
      }
      tables.emplace_back(ToLower(schema), ToLower(table));
      TableRef ref;
      ref.catalog = std::string(Text(node, "catalog_name"));
      ref.schema = schema;
      ref.table = table;
      ref.has_alias = !Text(node, "alias").empty();
      uint64_t location = UINT64_MAX;
      if (!Member(node, "query_location").get_uint64().get(location)) ref.location = location;
      refs.push_back(std::move(ref));
    } else if (type == "COLUMN_REF") {
      dom::array names;
      if (Member(node, "column_names").get_array().get(names) || names.size() < 3) return;
      ColumnRef ref;
      for (dom::element name : names) {
        std::string_view text;
        if (name.get_string().get(text)) return;
        ref.names.emplace_back(text);
      }
      uint64_t location = UINT64_MAX;
      if (!Member(node, "query_location").get_uint64().get(location)) ref.location = location;
      column_refs.push_back(std::move(ref));
    } else if (type == "TABLE_FUNCTION") {
      dom::element function;
      if (!Member(node, "function").get(function) && function.is_object()) VisitTableFunction(function);
    }
  }

  void VisitTableFunction(dom::element function) {
    const std::string name = ToLower(std::string(Text(function, "function_name")));
    if (!IsFileReadingFunction(name)) return;
    SourceReference source{name, {}};
    dom::array children;
    dom::element first;
    if (!Member(function, "children").get_array().get(children) && !children.at(0).get(first)) {
      FoldConstantStrings(first, &source.globs);
    }
    sources.push_back(std::move(source));
  }
};

std::vector<std::string> SelectNames(dom::element statement) {
  std::vector<std::string> names;
  dom::array select_list;
  if (Member(statement, "node")["select_list"].get_array().get(select_list)) return names;
  for (dom::element expression : select_list) {
    std::string_view alias = Text(expression, "alias");
    std::string_view cls = Text(expression, "class");
    dom::array column_names;
    std::string_view column;
    if (!alias.empty()) {
      names.push_back(ToLower(std::string(alias)));
    } else if (cls == "COLUMN_REF" &&
               !Member(expression, "column_names").get_array().get(column_names) &&
               column_names.size() > 0 &&
               !column_names.at(column_names.size() - 1).get_string().get(column)) {
      names.push_back(ToLower(std::string(column)));
    } else if (cls == "STAR") {
      names.push_back("*");
    } else {
      names.push_back("");
    }
  }
  return names;
}

// Reads json_serialize_sql's output into `parser`: the single statement's tree, or
// the parser's error (with its offset in `syntax_error`).
Result<dom::element> ParseSerialized(dom::parser& parser, std::string_view text,
                                     SqlSyntaxError* syntax_error) {
  dom::element tree;
  if (parser.parse(text.data(), text.size()).get(tree) || !tree.is_object()) {
    return Status::Internal("json_serialize_sql returned bad JSON");
  }
  bool error = false;
  if (!Member(tree, "error").get_bool().get(error) && error) {
    std::string message(Text(tree, "error_message"));
    if (message.empty()) message = "cannot parse query";
    if (syntax_error) {
      syntax_error->message = message;
      std::string_view position = Text(tree, "position");
      size_t offset = 0;
      auto [end, code] = std::from_chars(position.data(), position.data() + position.size(), offset);
      if (!position.empty() && code == std::errc() && end == position.data() + position.size()) {
        syntax_error->offset = offset;
      }
    }
    if (message.find("Only SELECT") != std::string::npos) {
      message = "the model's query must be a SELECT statement";
    }
    return Status::InvalidInput(message);
  }
  dom::array statements;
  if (Member(tree, "statements").get_array().get(statements)) {
    return Status::Internal("json_serialize_sql returned no statements");
  }
  if (statements.size() != 1) {
    return Status::InvalidInput("expected one query, found " + std::to_string(statements.size()));
  }
  dom::element statement;
  if (statements.at(0).get(statement)) return Status::Internal("json_serialize_sql returned no statement");
  return statement;
}

// Everything an analysis holds, from one statement's tree and the text it was read from.
Result<QueryAnalysis> BuildAnalysis(dom::element statement, std::string_view text) {
  TreeWalker walker;
  MATERIA_RETURN_IF_ERROR(walker.Walk(statement, 0));
  QueryAnalysis analysis;
  std::set<std::string> tables;
  for (const auto& [schema, table] : walker.tables) {
    if (schema.empty() && walker.ctes.count(table)) continue;
    tables.insert(schema.empty() ? table : schema + "." + table);
  }
  analysis.tables.assign(tables.begin(), tables.end());
  analysis.sources = std::move(walker.sources);
  analysis.select_names = SelectNames(statement);
  analysis.tree_hash = TreeHash(text);
  return analysis;
}

// The serializing call on `argument`. Members that are null, empty or at their default
// are left out: the tree means the same, and DuckDB writes (and we read) a third less.
std::string SerializeCall(const std::string& argument) {
  return "json_serialize_sql(" + argument +
         ", skip_null := true, skip_empty := true, skip_default := true)";
}

Result<std::string> SerializeText(DuckConnection& connection, const std::string& sql) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                           connection.QueryParams("SELECT " + SerializeCall("?::VARCHAR"), {sql}));
  std::optional<std::string> text = result.Scalar();
  if (!text) return Status::Internal("json_serialize_sql returned NULL");
  return *text;
}

}  // namespace

bool IsFileReadingFunction(const std::string& function) {
  static const std::set<std::string> kFunctions = {
      "read_csv",     "read_csv_auto", "read_parquet", "parquet_scan", "read_json",
      "read_json_auto", "read_ndjson", "read_ndjson_auto", "read_json_objects",
      "read_text",    "read_blob",     "sniff_csv"};
  return kFunctions.count(function) > 0;
}

Result<SqlAnalyzer> SqlAnalyzer::Create() {
  return SqlAnalyzer();  // the database opens on first use: a warm load never needs it
}

Status SqlAnalyzer::Open() {
  if (connection_) return Status::Ok();
  DuckOptions options;
  options.threads = 1;  // parsing needs no parallelism; callers run analyzers on threads
  MATERIA_ASSIGN_OR_RETURN(database_, DuckDatabase::Open(":memory:", options));
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection,
                           DuckConnection::Connect(database_));
  connection_ = std::move(connection);
  return Status::Ok();
}

Result<QueryAnalysis> SqlAnalyzer::Analyze(const std::string& sql, SqlSyntaxError* syntax_error) {
  MATERIA_RETURN_IF_ERROR(Open());
  MATERIA_ASSIGN_OR_RETURN(std::string text, SerializeText(*connection_, sql));
  dom::parser parser;
  MATERIA_ASSIGN_OR_RETURN(dom::element statement, ParseSerialized(parser, text, syntax_error));
  MATERIA_ASSIGN_OR_RETURN(QueryAnalysis analysis, BuildAnalysis(statement, text));
  analysis.tree_json = simdjson::to_string(statement);
  return analysis;
}

std::vector<Result<QueryAnalysis>> SqlAnalyzer::AnalyzeBatch(const std::vector<std::string>& sqls,
                                                             std::vector<SqlSyntaxError>* errors) {
  errors->assign(sqls.size(), SqlSyntaxError{});
  std::vector<Result<QueryAnalysis>> results;
  results.reserve(sqls.size());
  Status opened = Open();
  if (!opened.ok()) {
    for (size_t i = 0; i < sqls.size(); i++) results.push_back(opened);
    return results;
  }
  // One query parses the whole batch: DuckDB's per-query overhead is paid once. A
  // batch the query cannot take falls back to one query per statement.
  auto batch = connection_->QueryParams(
      "SELECT " + SerializeCall("q") + " FROM (SELECT generate_subscripts(l, 1) AS i, unnest(l) AS q "
      "FROM (SELECT from_json(?::JSON, '[\"VARCHAR\"]') AS l)) ORDER BY i",
      {Json(sqls).dump()});
  if (!batch.ok() || batch->rows.size() != sqls.size()) {
    for (size_t i = 0; i < sqls.size(); i++) results.push_back(Analyze(sqls[i], &(*errors)[i]));
    return results;
  }
  dom::parser parser;
  for (size_t i = 0; i < sqls.size(); i++) {
    const auto& text = batch->rows[i][0];
    if (!text) {
      results.push_back(Status::Internal("json_serialize_sql returned NULL"));
      continue;
    }
    auto statement = ParseSerialized(parser, *text, &(*errors)[i]);
    results.push_back(statement.ok() ? BuildAnalysis(*statement, *text) : Result<QueryAnalysis>(statement.status()));
  }
  return results;
}

namespace {

using Replacements = std::map<std::string, std::pair<std::string, std::string>>;

// The identifier a token names: a quoted one unquoted, a bare word lower-cased (as
// DuckDB folds it for comparison).
std::string IdentifierOf(const Token& token) {
  if (token.type != TokenType::kQuotedIdentifier) return ToLower(std::string(token.text));
  std::string name;
  std::string_view inner = token.text.substr(1, token.text.size() - 2);
  for (size_t i = 0; i < inner.size(); i++) {
    name.push_back(inner[i]);
    if (inner[i] == '"') i++;  // "" stands for one quote
  }
  return ToLower(name);
}

// The dotted name of `parts` identifiers that starts at `offset` of `sql`, whose last
// identifier is `table`: the end offset and the last identifier as written. Returns
// false when the text there is not that name.
bool ScanTableName(std::string_view sql, size_t offset, size_t parts, const std::string& table,
                   size_t* end, std::string* last_as_written) {
  if (offset >= sql.size() || parts == 0) return false;
  SqlLexer lexer(sql.substr(offset), SourceLocation{});
  Token last;
  for (size_t part = 0; part < parts; part++) {
    if (part > 0) {
      auto dot = lexer.Next();
      if (!dot.ok() || !dot->IsSymbol('.')) return false;
    }
    auto token = lexer.Next();
    if (!token.ok()) return false;
    if (token->type != TokenType::kWord && token->type != TokenType::kQuotedIdentifier) return false;
    last = *token;
  }
  if (IdentifierOf(last) != ToLower(table)) return false;
  *end = offset + last.end_offset();
  *last_as_written = std::string(last.text);
  return true;
}

// Rewrites by splicing the query text at the parse tree's table positions: what runs
// is what the user wrote, with only the table names changed. Returns nullopt when a
// position is missing or does not hold the name the tree says (the caller then
// rewrites the tree instead).
std::optional<std::string> SpliceTables(const std::string& sql, const TreeWalker& walker,
                                        const Replacements& replacements) {
  struct Edit {
    size_t begin, end;
    std::string text;
  };
  std::vector<Edit> edits;
  // Unaliased references get their table's name as alias; two of the same name from
  // different schemas (raw.orders, stg.orders) get schema-qualified ones instead.
  std::map<std::string, std::set<std::string>> schemas_of_table;  // lower-cased
  for (const TreeWalker::TableRef& ref : walker.refs) {
    if (!ref.has_alias) schemas_of_table[ToLower(ref.table)].insert(ToLower(ref.schema));
  }
  std::map<std::pair<std::string, std::string>, std::string> alias_of;  // (schema, table) -> alias
  for (const TreeWalker::TableRef& ref : walker.refs) {
    std::string schema = ToLower(ref.schema);
    std::string table = ToLower(ref.table);
    if (schema.empty() && walker.ctes.count(table)) continue;
    auto found = replacements.find(schema.empty() ? table : schema + "." + table);
    if (found == replacements.end()) continue;
    if (ref.location >= sql.size()) return std::nullopt;
    size_t parts = (ref.catalog.empty() ? 0 : 1) + (ref.schema.empty() ? 0 : 1) + 1;
    size_t end = 0;
    std::string written;
    if (!ScanTableName(sql, ref.location, parts, ref.table, &end, &written)) return std::nullopt;
    std::string text = QuoteIdentifier(found->second.first) + "." + QuoteIdentifier(found->second.second);
    // Columns qualified by the table's name (a.x for FROM raw.a) keep working.
    if (!ref.has_alias) {
      std::string alias = schemas_of_table[table].size() > 1 ? QuoteIdentifier(schema + "__" + table) : written;
      alias_of[{schema, table}] = alias;
      text += " AS " + alias;
    }
    edits.push_back({static_cast<size_t>(ref.location), end, std::move(text)});
  }
  // raw.orders.id (or memory.raw.orders.id) -> <alias>.id
  for (const TreeWalker::ColumnRef& column : walker.column_refs) {
    size_t qualifier = column.names.size() - 1;  // parts naming the table
    if (qualifier > 3) continue;
    std::string schema = ToLower(column.names[qualifier - 2]);
    std::string table = ToLower(column.names[qualifier - 1]);
    auto alias = alias_of.find({schema, table});
    if (alias == alias_of.end()) continue;  // a struct field, or a table not renamed
    if (column.location >= sql.size()) return std::nullopt;
    size_t end = 0;
    std::string written;
    if (!ScanTableName(sql, column.location, qualifier, column.names[qualifier - 1], &end, &written)) {
      return std::nullopt;
    }
    edits.push_back({static_cast<size_t>(column.location), end, alias->second});
  }
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  size_t position = 0;
  for (const Edit& edit : edits) {
    if (edit.begin < position) return std::nullopt;  // overlapping: trust the tree instead
    out.append(sql, position, edit.begin - position);
    out += edit.text;
    position = edit.end;
  }
  out.append(sql, position, std::string::npos);
  return out;
}

// Tree rewriting, for queries whose positions cannot be trusted.
void ReplaceTables(Json& node, const std::set<std::string>& ctes, const Replacements& map, int depth) {
  if (depth > kMaxTreeDepth) return;
  if (node.is_array()) {
    for (Json& child : node) ReplaceTables(child, ctes, map, depth + 1);
    return;
  }
  if (!node.is_object()) return;
  auto type = node.find("type");
  auto table_name = node.find("table_name");
  if (type != node.end() && *type == "BASE_TABLE" && table_name != node.end() && table_name->is_string()) {
    std::string schema = ToLower(node.value("schema_name", ""));
    std::string table = ToLower(table_name->get<std::string>());
    bool is_cte = schema.empty() && ctes.count(table);
    auto found = map.find(schema.empty() ? table : schema + "." + table);
    if (!is_cte && found != map.end()) {
      if (node.value("alias", "").empty()) node["alias"] = table_name->get<std::string>();
      node["catalog_name"] = "";
      node["schema_name"] = found->second.first;
      node["table_name"] = found->second.second;
    }
  }
  for (auto& item : node.items()) ReplaceTables(item.value(), ctes, map, depth + 1);
}

Result<std::string> RewriteTree(DuckConnection& connection, const std::string& text,
                                const std::set<std::string>& ctes, const Replacements& replacements) {
  Json tree = Json::parse(text, nullptr, false);
  if (tree.is_discarded() || !tree.contains("statements") || tree["statements"].size() != 1) {
    return Status::Internal("json_serialize_sql returned bad JSON");
  }
  ReplaceTables(tree["statements"][0], ctes, replacements, 0);
  MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                           connection.QueryParams("SELECT json_deserialize_sql(?::JSON)", {tree.dump()}));
  std::optional<std::string> sql = result.Scalar();
  if (!sql) return Status::Internal("json_deserialize_sql returned NULL");
  return *sql;
}

}  // namespace

Result<std::string> SqlAnalyzer::RewriteTables(const std::string& sql, const Replacements& replacements) {
  MATERIA_RETURN_IF_ERROR(Open());
  MATERIA_ASSIGN_OR_RETURN(std::string text, SerializeText(*connection_, sql));
  dom::parser parser;
  MATERIA_ASSIGN_OR_RETURN(dom::element statement, ParseSerialized(parser, text, nullptr));
  TreeWalker walker;
  MATERIA_RETURN_IF_ERROR(walker.Walk(statement, 0));
  if (std::optional<std::string> spliced = SpliceTables(sql, walker, replacements)) return *spliced;
  try {
    return RewriteTree(*connection_, text, walker.ctes, replacements);
  } catch (const Json::exception& error) {
    return Status::Internal(std::string("unexpected parse tree from DuckDB: ") + error.what());
  }
}

}  // namespace materia
