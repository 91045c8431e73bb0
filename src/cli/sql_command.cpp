// materia sql "QUERY": a read-only query against the warehouse's environment views.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace materia::cli {

namespace {

constexpr size_t kMaxCellWidth = 60;

std::string CsvCell(const std::optional<std::string>& value) {
  if (!value) return "";
  bool quote = value->find_first_of(",\"\n\r") != std::string::npos;
  if (!quote) return *value;
  std::string out = "\"";
  for (char c : *value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

bool IsNumericType(const std::string& type) {
  static const char* kNumeric[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                                   "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL"};
  for (const char* name : kNumeric) {
    if (type == name) return true;
  }
  return false;
}

// Characters on screen: UTF-8 continuation bytes take no column.
size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (char c : text) width += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return width;
}

void PrintTable(const QueryResult& result) {
  std::vector<size_t> widths;
  for (const std::string& name : result.column_names) widths.push_back(DisplayWidth(name));
  auto cell = [](const std::optional<std::string>& value) {
    std::string text = value ? *value : "NULL";
    return text.size() > kMaxCellWidth ? text.substr(0, kMaxCellWidth - 1) + "…" : text;
  };
  for (const auto& row : result.rows) {
    for (size_t c = 0; c < row.size(); c++) widths[c] = std::max(widths[c], DisplayWidth(cell(row[c])));
  }
  std::vector<bool> numeric;
  for (const std::string& type : result.column_types) numeric.push_back(IsNumericType(type));
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string text;
    for (size_t c = 0; c < cells.size(); c++) {
      std::string pad(widths[c] - std::min(widths[c], DisplayWidth(cells[c])), ' ');
      bool right = numeric[c] && !header;
      text += (c ? " | " : "") + (right ? pad + cells[c] : cells[c] + pad);
    }
    std::printf("%s\n", text.c_str());
  };
  line(result.column_names, true);
  std::string rule;
  for (size_t c = 0; c < widths.size(); c++) rule += (c ? "-+-" : "") + std::string(widths[c], '-');
  std::printf("%s\n", rule.c_str());
  for (const auto& row : result.rows) {
    std::vector<std::string> cells;
    for (const auto& value : row) cells.push_back(cell(value));
    line(cells, false);
  }
  std::printf("(%zu row%s)\n", result.rows.size(), result.rows.size() == 1 ? "" : "s");
}

void PrintCsv(const QueryResult& result) {
  std::string header;
  for (size_t c = 0; c < result.column_names.size(); c++) {
    header += (c ? "," : "") + CsvCell(result.column_names[c]);
  }
  std::printf("%s\n", header.c_str());
  for (const auto& row : result.rows) {
    std::string text;
    for (size_t c = 0; c < row.size(); c++) text += (c ? "," : "") + CsvCell(row[c]);
    std::printf("%s\n", text.c_str());
  }
}

void PrintJson(const QueryResult& result) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : result.rows) {
    nlohmann::json object = nlohmann::json::object();
    for (size_t c = 0; c < row.size(); c++) {
      object[result.column_names[c]] = row[c] ? nlohmann::json(*row[c]) : nlohmann::json(nullptr);
    }
    rows.push_back(object);
  }
  std::printf("%s\n", rows.dump(2).c_str());
}

int SqlCommand(std::string query, const std::string& format) {
  if (query.empty() || query == "-") {
    query.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (query.find_first_not_of(" \t\r\n;") == std::string::npos) {
    return ReportError(Status::InvalidInput("no query given (pass it as an argument or on stdin)"));
  }
  auto config = LoadConfig(".");
  if (!config.ok()) return ReportError(config.status());
  auto warehouse = OpenWarehouse(*config, true);
  if (!warehouse.ok()) return ReportError(warehouse.status());
  auto connection = DuckConnection::Connect(*warehouse);
  if (!connection.ok()) return ReportError(connection.status());
  auto result = (*connection)->Query(query);
  if (!result.ok()) return ReportError(result.status());
  if (format == "csv") PrintCsv(*result);
  else if (format == "json") PrintJson(*result);
  else PrintTable(*result);
  return kExitOk;
}

}  // namespace

void RegisterSqlCommand(CLI::App& app, GlobalOptions& global) {
  struct Options {
    std::string query;
    std::string format = "table";
  };
  auto options = std::make_shared<Options>();
  CLI::App* sql = app.add_subcommand(
      "sql", "Run a read-only query against the warehouse (environment views: prod is the plain "
             "schema, e.g. serving.obt_commodity_metrics; dev is serving__dev)");
  sql->add_option("query", options->query, "the query; omit or '-' to read it from stdin");
  AddFormatOption(sql, &options->format, {"table", "csv", "json"});
  SetProjectAction(sql, global, [options] { return SqlCommand(options->query, options->format); });
}

}  // namespace materia::cli
