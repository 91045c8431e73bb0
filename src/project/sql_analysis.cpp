#include "project/sql_analysis.h"

#include "base/text.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace materia {

using Json = nlohmann::json;

namespace {

constexpr int kMaxTreeDepth = 512;  // deeper trees are rejected, not recursed into

// The string member `key` of `node`, or "" when absent or not a string (a parse tree
// reuses names: "type" is a string on nodes and an object on constants).
std::string Text(const Json& node, const char* key) {
  auto found = node.find(key);
  if (found == node.end() || !found->is_string()) return "";
  return found->get<std::string>();
}

// Folds a constant path expression: 'a', 'a' || 'b', ['a', 'b'], concat('a','b').
// Returns false when any part is not a string constant.
bool FoldConstantStrings(const Json& node, std::vector<std::string>* out) {
  if (!node.is_object()) return false;
  const std::string cls = Text(node, "class");
  if (cls == "CONSTANT") {
    const Json& value = node["value"];
    if (value.value("is_null", false) || !value.contains("value")) return false;
    if (!value["value"].is_string()) return false;
    out->push_back(value["value"].get<std::string>());
    return true;
  }
  if (cls == "CAST") return FoldConstantStrings(node["child"], out);
  if (cls != "FUNCTION") return false;
  const std::string name = Text(node, "function_name");
  const Json& children = node["children"];
  if (name == "list_value") {
    for (const Json& child : children) {
      if (!FoldConstantStrings(child, out)) return false;
    }
    return true;
  }
  if (name == "||" || name == "concat") {
    std::string joined;
    for (const Json& child : children) {
      std::vector<std::string> part;
      if (!FoldConstantStrings(child, &part) || part.size() != 1) return false;
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

// Collects what a parse tree reads. CTE names are gathered for the whole query, so a
// CTE shadows an unqualified table of the same name anywhere in it.
class TreeWalker {
 public:
  Status Walk(const Json& node, int depth) {
    if (depth > kMaxTreeDepth) return Status::InvalidInput("query is nested too deeply");
    if (node.is_array()) {
      for (const Json& child : node) MATERIA_RETURN_IF_ERROR(Walk(child, depth + 1));
      return Status::Ok();
    }
    if (!node.is_object()) return Status::Ok();
    VisitObject(node);
    for (const auto& item : node.items()) {
      MATERIA_RETURN_IF_ERROR(Walk(item.value(), depth + 1));
    }
    return Status::Ok();
  }

  std::set<std::string> ctes;
  std::vector<std::pair<std::string, std::string>> tables;  // (schema, table)
  std::vector<SourceReference> sources;

 private:
  void VisitObject(const Json& node) {
    if (node.contains("cte_map") && node["cte_map"].contains("map")) {
      for (const Json& entry : node["cte_map"]["map"]) {
        ctes.insert(ToLower(Text(entry, "key")));
      }
    }
    const std::string type = Text(node, "type");
    if (type == "BASE_TABLE" && node.contains("table_name")) {
      std::string schema = Text(node, "schema_name");
      std::string table = Text(node, "table_name");
      if (schema.empty() && LooksLikeFile(table)) {  // FROM 'data/x.csv': DuckDB reads the file
        sources.push_back({"scan", {table}});
        return;
      }
      tables.emplace_back(ToLower(schema), ToLower(table));
    } else if (type == "TABLE_FUNCTION" && node.contains("function")) {
      VisitTableFunction(node["function"]);
    }
  }

  void VisitTableFunction(const Json& function) {
    const std::string name = ToLower(Text(function, "function_name"));
    if (!IsFileReadingFunction(name)) return;
    SourceReference source{name, {}};
    const Json& children = function["children"];
    if (!children.empty()) FoldConstantStrings(children[0], &source.globs);
    sources.push_back(std::move(source));
  }
};

std::vector<std::string> SelectNames(const Json& statement) {
  std::vector<std::string> names;
  const Json& node = statement["node"];
  if (!node.contains("select_list")) return names;
  for (const Json& expression : node["select_list"]) {
    std::string alias = Text(expression, "alias");
    if (!alias.empty()) {
      names.push_back(ToLower(alias));
    } else if (Text(expression, "class") == "COLUMN_REF") {
      names.push_back(ToLower(expression["column_names"].back().get<std::string>()));
    } else if (Text(expression, "class") == "STAR") {
      names.push_back("*");
    } else {
      names.push_back("");
    }
  }
  return names;
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

namespace {

// Serializes `sql`; returns the single statement's tree or the parser's error.
// Reads json_serialize_sql's output: the single statement's tree or the parser's error.
Result<Json> ParseSerialized(const std::string& text, SqlSyntaxError* syntax_error) {
  Json tree = Json::parse(text, nullptr, false);
  if (tree.is_discarded()) return Status::Internal("json_serialize_sql returned bad JSON");
  if (tree.value("error", false)) {
    std::string message = tree.value("error_message", "cannot parse query");
    if (syntax_error) {
      syntax_error->message = message;
      std::string position = Text(tree, "position");
      if (!position.empty() && position.size() < 18 &&
          position.find_first_not_of("0123456789") == std::string::npos) {
        syntax_error->offset = std::stoull(position);
      }
    }
    if (message.find("Only SELECT") != std::string::npos) {
      message = "the model's query must be a SELECT statement";
    }
    return Status::InvalidInput(message);
  }
  const Json& statements = tree["statements"];
  if (statements.size() != 1) {
    return Status::InvalidInput("expected one query, found " +
                                std::to_string(statements.size()));
  }
  return statements[0];
}

Result<Json> SerializeOne(DuckConnection& connection, const std::string& sql,
                          SqlSyntaxError* syntax_error) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                           connection.QueryParams("SELECT json_serialize_sql(?::VARCHAR)", {sql}));
  std::optional<std::string> text = result.Scalar();
  if (!text) return Status::Internal("json_serialize_sql returned NULL");
  return ParseSerialized(*text, syntax_error);
}

// Everything but the normalized text, from a statement's tree.
Result<QueryAnalysis> BuildAnalysis(const Json& statement) {
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
  return analysis;
}

Result<std::string> Deserialize(DuckConnection& connection, const Json& statement) {
  Json wrapper = {{"error", false}, {"statements", Json::array({statement})}};
  MATERIA_ASSIGN_OR_RETURN(
      QueryResult result,
      connection.QueryParams("SELECT json_deserialize_sql(?::JSON)", {wrapper.dump()}));
  std::optional<std::string> text = result.Scalar();
  if (!text) return Status::Internal("json_deserialize_sql returned NULL");
  return *text;
}

}  // namespace

Result<QueryAnalysis> SqlAnalyzer::Analyze(const std::string& sql, SqlSyntaxError* syntax_error) {
  try {
    return AnalyzeTree(sql, syntax_error);
  } catch (const Json::exception& error) {
    return Status::Internal(std::string("unexpected parse tree from DuckDB: ") + error.what());
  }
}

Result<QueryAnalysis> SqlAnalyzer::AnalyzeTree(const std::string& sql, SqlSyntaxError* syntax_error) {
  MATERIA_RETURN_IF_ERROR(Open());
  MATERIA_ASSIGN_OR_RETURN(Json statement, SerializeOne(*connection_, sql, syntax_error));
  MATERIA_ASSIGN_OR_RETURN(QueryAnalysis analysis, BuildAnalysis(statement));
  MATERIA_ASSIGN_OR_RETURN(analysis.normalized_sql, Deserialize(*connection_, statement));
  analysis.tree_json = statement.dump();
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
  // One query parses and normalizes the whole batch: DuckDB's per-query overhead is
  // paid once. A batch the query cannot take falls back to one query per statement.
  auto batch = connection_->QueryParams(
      "SELECT s, CASE WHEN json_extract_string(s, '$.error') = 'false' "
      "AND json_array_length(s::JSON -> 'statements') = 1 "
      "THEN json_deserialize_sql(s::JSON) END "
      "FROM (SELECT i, json_serialize_sql(q) AS s FROM (SELECT generate_subscripts(l, 1) AS i, "
      "unnest(l) AS q FROM (SELECT from_json(?::JSON, '[\"VARCHAR\"]') AS l))) ORDER BY i",
      {Json(sqls).dump()});
  if (!batch.ok() || batch->rows.size() != sqls.size()) {
    for (size_t i = 0; i < sqls.size(); i++) results.push_back(Analyze(sqls[i], &(*errors)[i]));
    return results;
  }
  for (size_t i = 0; i < sqls.size(); i++) {
    const auto& row = batch->rows[i];
    try {
      auto statement = row[0] ? ParseSerialized(*row[0], &(*errors)[i])
                              : Result<Json>(Status::Internal("json_serialize_sql returned NULL"));
      if (!statement.ok()) {
        results.push_back(statement.status());
        continue;
      }
      auto analysis = BuildAnalysis(*statement);
      if (analysis.ok() && row[1]) analysis->normalized_sql = *row[1];
      results.push_back(analysis.ok() && !row[1] ? Analyze(sqls[i], &(*errors)[i]) : analysis);
    } catch (const Json::exception& error) {
      results.push_back(Status::Internal(std::string("unexpected parse tree from DuckDB: ") + error.what()));
    }
  }
  return results;
}

namespace {

void ReplaceTables(Json& node, const std::set<std::string>& ctes,
                   const std::map<std::string, std::pair<std::string, std::string>>& map,
                   int depth) {
  if (depth > kMaxTreeDepth) return;
  if (node.is_array()) {
    for (Json& child : node) ReplaceTables(child, ctes, map, depth + 1);
    return;
  }
  if (!node.is_object()) return;
  if (Text(node, "type") == "BASE_TABLE" && node.contains("table_name")) {
    std::string schema = ToLower(Text(node, "schema_name"));
    std::string table = ToLower(Text(node, "table_name"));
    bool is_cte = schema.empty() && ctes.count(table);
    auto found = map.find(schema.empty() ? table : schema + "." + table);
    if (!is_cte && found != map.end()) {
      node["catalog_name"] = "";
      node["schema_name"] = found->second.first;
      node["table_name"] = found->second.second;
    }
  }
  for (auto& item : node.items()) ReplaceTables(item.value(), ctes, map, depth + 1);
}

}  // namespace

Result<std::string> SqlAnalyzer::RewriteTables(
    const std::string& sql,
    const std::map<std::string, std::pair<std::string, std::string>>& replacements) {
  try {
    MATERIA_RETURN_IF_ERROR(Open());
    MATERIA_ASSIGN_OR_RETURN(Json statement, SerializeOne(*connection_, sql, nullptr));
    TreeWalker walker;
    MATERIA_RETURN_IF_ERROR(walker.Walk(statement, 0));
    ReplaceTables(statement, walker.ctes, replacements, 0);
    return Deserialize(*connection_, statement);
  } catch (const Json::exception& error) {
    return Status::Internal(std::string("unexpected parse tree from DuckDB: ") + error.what());
  }
}

}  // namespace materia
