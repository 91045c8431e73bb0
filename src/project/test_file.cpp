#include "project/test_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include "base/text.h"
#include "base/yaml_syntax.h"
#include "db/duckdb.h"

namespace materia {

namespace {

namespace fs = std::filesystem;

constexpr size_t kTestFileBytesMax = 16 * 1024 * 1024;
constexpr size_t kTestFilesMax = 10'000;
constexpr size_t kTestsPerFileMax = 10'000;
constexpr size_t kRowsMax = 100'000;   // per fixture or expected output
constexpr size_t kColumnsMax = 1'000;  // per row
constexpr int kNestingMax = 16;        // YAML lists and maps inside a cell

constexpr std::string_view kTestKeys[] = {"model",       "inputs", "outputs", "vars",
                                          "description", "schema", "gateway"};
constexpr std::string_view kDataKeys[] = {"rows",    "format", "csv_settings", "path",
                                          "columns", "query",  "csv",          "partial"};
constexpr std::string_view kOutputKeys[] = {"query", "ctes", "partial"};

template <size_t N>
bool Contains(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

Result<std::string> ReadFileText(const fs::path& path, const std::string& shown) {
  std::error_code error;
  uintmax_t size = fs::file_size(path, error);
  if (!error && size > kTestFileBytesMax) {
    return Status::InvalidInput(shown + ": the file is " + std::to_string(size) +
                                " bytes, more than the limit of " + std::to_string(kTestFileBytesMax));
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return Status::IoError("cannot read " + shown + ": " + std::strerror(errno));
  std::ostringstream content;
  content << stream.rdbuf();
  if (stream.bad()) return Status::IoError("cannot read " + shown);
  return content.str();
}

// One parsed CSV record and the 1-based line it starts on.
struct CsvRecord {
  std::vector<std::optional<std::string>> fields;  // nullopt: an empty unquoted field
  int line = 0;
};

// Splits CSV text (RFC 4180: "" escapes a quote inside a quoted field, which may span
// lines). Blank lines are skipped, as pandas does by default.
Result<std::vector<CsvRecord>> SplitCsv(std::string_view text, char separator) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  bool quoted = false, in_quotes = false, any = false;
  int line = 1;
  record.line = 1;
  auto end_field = [&] {
    record.fields.push_back(field.empty() && !quoted ? std::nullopt : std::optional(field));
    field.clear();
    quoted = false;
  };
  auto end_record = [&] {
    if (any) {
      end_field();
      records.push_back(std::move(record));
    }
    record = CsvRecord{};
    record.line = line;
    any = false;
  };
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        i++;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        if (c == '\n') line++;
        field += c;
      }
      continue;
    }
    if (c == '\r') continue;
    if (c == '\n') {
      line++;
      end_record();
      continue;
    }
    any = true;
    if (c == separator) {
      end_field();
    } else if (c == '"' && field.empty()) {
      in_quotes = quoted = true;
    } else {
      field += c;
    }
    if (records.size() > kRowsMax)
      return Status::InvalidInput("more than " + std::to_string(kRowsMax) + " rows");
  }
  if (in_quotes) return Status::InvalidInput("unterminated quoted field");
  end_record();
  return records;
}

class TestFileParser {
 public:
  TestFileParser(std::string path, std::string project_dir)
      : path_(std::move(path)), project_dir_(std::move(project_dir)) {}

  Result<TestFile> Parse(const std::string& content);

 private:
  SourceLocation At(const YAML::Mark& mark) const { return At(path_, mark); }
  static SourceLocation At(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null()) return SourceLocation{file, 0, 0};
    return SourceLocation{file, mark.line + 1, mark.column + 1};
  }
  Status Error(const SourceLocation& where, const std::string& message) const {
    return Status::InvalidInput((where.line > 0 ? where.ToString() : where.file) + ": " + message);
  }
  // A value node's location; an empty value has none, so its key stands in.
  SourceLocation ValueAt(const YAML::Node& value, const YAML::Mark& key_mark) const {
    return value.IsNull() || value.Mark().is_null() ? At(key_mark) : At(value.Mark());
  }

  Result<std::string> KeyOf(const YAML::const_iterator& entry) const;
  Result<std::string> ScalarOf(const YAML::Node& node, const YAML::Mark& key_mark,
                               const std::string& what) const;
  Result<UnitTestDefinition> ParseTest(const std::string& name, const YAML::Node& body,
                                       const YAML::Mark& name_mark) const;
  Status ParseTestKey(const std::string& key, const YAML::Node& value, const YAML::Mark& key_mark,
                      UnitTestDefinition* test) const;
  Status ParseInputs(const YAML::Node& node, const YAML::Mark& key_mark, UnitTestDefinition* test) const;
  Status ParseOutputs(const YAML::Node& node, const YAML::Mark& key_mark, UnitTestDefinition* test) const;
  Status ParseVars(const YAML::Node& node, const YAML::Mark& key_mark, UnitTestDefinition* test) const;
  Result<TestData> ParseData(const std::string& name, const YAML::Node& node, const YAML::Mark& name_mark,
                             bool partial) const;
  Status ParseDataKey(const std::string& name, const std::string& key, const YAML::Node& value,
                      const YAML::Mark& key_mark, TestData* data, std::string* format, char* separator,
                      std::optional<std::string>* inline_csv, std::optional<SourceLocation>* file,
                      std::string* file_path, bool* has_rows) const;
  Status ParseColumnTypes(const YAML::Node& node, const YAML::Mark& key_mark, TestData* data) const;
  Status ParseCsvSettings(const YAML::Node& node, const YAML::Mark& key_mark, char* separator) const;
  Status ParseRows(const std::string& file, const YAML::Node& node, const YAML::Mark& key_mark,
                   TestData* data) const;
  Result<TestValue> ParseValue(const std::string& file, const YAML::Node& node, const YAML::Mark& key_mark,
                               int depth) const;
  Status ReadCsv(const std::string& text, const SourceLocation& where, bool from_file, char separator,
                 TestData* data) const;
  Status ReadDataFile(const std::string& name, const std::string& format, char separator,
                      const std::string& file_path, const SourceLocation& where, TestData* data) const;

  std::string path_;
  std::string project_dir_;
};

Result<std::string> TestFileParser::KeyOf(const YAML::const_iterator& entry) const {
  if (!entry->first.IsScalar()) return Error(At(entry->first.Mark()), "keys must be plain names");
  return entry->first.Scalar();
}

Result<std::string> TestFileParser::ScalarOf(const YAML::Node& node, const YAML::Mark& key_mark,
                                             const std::string& what) const {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) return Error(ValueAt(node, key_mark), what + " must be a single value");
  return node.Scalar();
}

Result<TestFile> TestFileParser::Parse(const std::string& content) {
  TestFile file;
  file.path = path_;
  YAML::Node root;
  try {
    root = YAML::Load(content);
  } catch (const YAML::Exception& exception) {
    YamlSyntaxError syntax = ExplainYamlError(content, exception);
    return Error(At(syntax.mark), syntax.message);
  }
  if (root.IsNull()) return file;
  if (!root.IsMap()) {
    return Error(At(root.Mark()), "expected a mapping of test names to tests at the top level");
  }
  std::set<std::string> names;
  for (auto entry = root.begin(); entry != root.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string name, KeyOf(entry));
    if (!names.insert(name).second) {
      return Error(At(entry->first.Mark()), "test '" + name + "' appears twice");
    }
    if (file.tests.size() >= kTestsPerFileMax) {
      return Error(At(entry->first.Mark()),
                   "more than " + std::to_string(kTestsPerFileMax) + " tests in one file");
    }
    MATERIA_ASSIGN_OR_RETURN(UnitTestDefinition test, ParseTest(name, entry->second, entry->first.Mark()));
    file.tests.push_back(std::move(test));
  }
  return file;
}

Result<UnitTestDefinition> TestFileParser::ParseTest(const std::string& name, const YAML::Node& body,
                                                     const YAML::Mark& name_mark) const {
  UnitTestDefinition test;
  test.name = name;
  test.location = At(name_mark);
  test.inputs_location = test.location;
  if (!body.IsMap()) {
    return Error(ValueAt(body, name_mark),
                 "test '" + name + "' must be a mapping with model, inputs and outputs");
  }
  bool has_outputs = false;
  for (auto entry = body.begin(); entry != body.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    if (!Contains(kTestKeys, key)) {
      return Error(At(entry->first.Mark()), "unknown key '" + key + "' in test '" + name + "'");
    }
    has_outputs = has_outputs || key == "outputs";
    MATERIA_RETURN_IF_ERROR(ParseTestKey(key, entry->second, entry->first.Mark(), &test));
  }
  if (test.model.empty()) return Error(test.location, "test '" + name + "' has no model");
  if (!has_outputs) return Error(test.location, "test '" + name + "' has no outputs");
  return test;
}

Status TestFileParser::ParseTestKey(const std::string& key, const YAML::Node& value,
                                    const YAML::Mark& key_mark, UnitTestDefinition* test) const {
  if (key == "model") {
    MATERIA_ASSIGN_OR_RETURN(std::string model, ScalarOf(value, key_mark, "model"));
    test->model = ToLower(Trim(model));
    test->model_location = ValueAt(value, key_mark);
  } else if (key == "description") {
    MATERIA_ASSIGN_OR_RETURN(test->description, ScalarOf(value, key_mark, "description"));
  } else if (key == "inputs") {
    test->inputs_location = At(key_mark);
    return ParseInputs(value, key_mark, test);
  } else if (key == "outputs") {
    return ParseOutputs(value, key_mark, test);
  } else if (key == "vars") {
    return ParseVars(value, key_mark, test);
  }
  return Status::Ok();  // schema, gateway: accepted for SQLMesh, not used
}

Status TestFileParser::ParseInputs(const YAML::Node& node, const YAML::Mark& key_mark,
                                   UnitTestDefinition* test) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return Error(ValueAt(node, key_mark), "inputs must be a mapping of upstream tables to their rows");
  }
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string name, KeyOf(entry));
    name = ToLower(Trim(name));
    if (test->FindInput(name) != nullptr) {
      return Error(At(entry->first.Mark()), "input " + name + " appears twice");
    }
    MATERIA_ASSIGN_OR_RETURN(TestData data, ParseData(name, entry->second, entry->first.Mark(), false));
    test->inputs.push_back({name, std::move(data)});
  }
  return Status::Ok();
}

Status TestFileParser::ParseOutputs(const YAML::Node& node, const YAML::Mark& key_mark,
                                    UnitTestDefinition* test) const {
  const SourceLocation where = ValueAt(node, key_mark);
  const std::string need = "outputs of test '" + test->name + "' need 'query' or 'ctes'";
  if (node.IsNull()) return Error(At(key_mark), need);
  if (!node.IsMap()) return Error(where, "outputs must be a mapping with 'query' and/or 'ctes'");
  bool partial = false;
  if (node["partial"]) partial = node["partial"].IsScalar() && ToLower(node["partial"].Scalar()) == "true";
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    const YAML::Mark mark = entry->first.Mark();
    if (!Contains(kOutputKeys, key)) {
      return Error(At(mark), "unknown key '" + key + "' in outputs (use query, ctes or partial)");
    }
    if (key == "query") {
      MATERIA_ASSIGN_OR_RETURN(TestData data, ParseData("query", entry->second, mark, partial));
      test->query_output = std::move(data);
    } else if (key == "ctes") {
      const YAML::Node ctes = entry->second;  // a copy: `->` yields a temporary
      if (!ctes.IsMap()) return Error(ValueAt(ctes, mark), "ctes must be a mapping of CTE names to rows");
      for (auto cte = ctes.begin(); cte != ctes.end(); ++cte) {
        MATERIA_ASSIGN_OR_RETURN(std::string name, KeyOf(cte));
        MATERIA_ASSIGN_OR_RETURN(TestData data, ParseData(name, cte->second, cte->first.Mark(), partial));
        test->cte_outputs.push_back({ToLower(Trim(name)), std::move(data)});
      }
    }
  }
  if (!test->query_output && test->cte_outputs.empty()) return Error(At(key_mark), need);
  return Status::Ok();
}

Status TestFileParser::ParseVars(const YAML::Node& node, const YAML::Mark& key_mark,
                                 UnitTestDefinition* test) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Error(ValueAt(node, key_mark), "vars must be a mapping of names to values");
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string name, KeyOf(entry));
    name = ToLower(name);  // variable names are case-insensitive, as in config.yaml
    if (test->FindVar(name) != nullptr) {
      return Error(At(entry->first.Mark()), "variable '" + name + "' appears twice");
    }
    MATERIA_ASSIGN_OR_RETURN(TestValue value, ParseValue(path_, entry->second, entry->first.Mark(), 0));
    test->vars.push_back({name, std::move(value)});
  }
  return Status::Ok();
}

// An input, `query` output or CTE output: a row list, or a mapping of data keys.
Result<TestData> TestFileParser::ParseData(const std::string& name, const YAML::Node& node,
                                           const YAML::Mark& name_mark, bool partial) const {
  TestData data;
  data.location = At(name_mark);
  data.partial = partial;
  if (node.IsSequence()) {
    MATERIA_RETURN_IF_ERROR(ParseRows(path_, node, name_mark, &data));
    return data;
  }
  if (!node.IsMap()) {
    return Error(ValueAt(node, name_mark), name + " has no rows, path or query");
  }
  std::string format = "yaml";
  char separator = ',';
  std::optional<std::string> inline_csv;
  std::optional<SourceLocation> file;
  std::string file_path;
  bool has_rows = false;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    if (!Contains(kDataKeys, key)) {
      return Error(At(entry->first.Mark()), "unknown key '" + key + "' in " + name +
                                                " (use rows, format, csv_settings, path, columns or query)");
    }
    MATERIA_RETURN_IF_ERROR(ParseDataKey(name, key, entry->second, entry->first.Mark(), &data, &format,
                                         &separator, &inline_csv, &file, &file_path, &has_rows));
  }
  if (data.query && (has_rows || file)) {
    return Error(data.location,
                 name + " has both 'query' and '" + (has_rows ? "rows" : "path") + "'; use one");
  }
  if (inline_csv && format != "csv") {
    return Error(data.location, name + " has CSV rows: add format: csv");
  }
  if (format == "csv" && inline_csv) {
    MATERIA_RETURN_IF_ERROR(ReadCsv(*inline_csv, data.location, false, separator, &data));
  } else if (file) {
    MATERIA_RETURN_IF_ERROR(ReadDataFile(name, format, separator, file_path, *file, &data));
  } else if (!has_rows && !data.query) {
    return Error(data.location, name + " has no rows, path or query");
  }
  return data;
}

Status TestFileParser::ParseDataKey(const std::string& name, const std::string& key, const YAML::Node& value,
                                    const YAML::Mark& key_mark, TestData* data, std::string* format,
                                    char* separator, std::optional<std::string>* inline_csv,
                                    std::optional<SourceLocation>* file, std::string* file_path,
                                    bool* has_rows) const {
  const SourceLocation where = ValueAt(value, key_mark);
  if (key == "format") {
    MATERIA_ASSIGN_OR_RETURN(std::string text, ScalarOf(value, key_mark, "format"));
    *format = ToLower(Trim(text));
    if (*format != "yaml" && *format != "csv") {
      return Error(where, "unsupported format '" + text + "' for " + name + " (use yaml or csv)");
    }
  } else if (key == "rows" || key == "csv") {
    *has_rows = true;
    if (value.IsScalar() && !value.IsNull()) {
      *inline_csv = value.Scalar();
    } else if (key == "csv") {
      return Error(where, "csv must be the CSV text, e.g. csv: |");
    } else {
      return ParseRows(path_, value, key_mark, data);
    }
  } else if (key == "path") {
    MATERIA_ASSIGN_OR_RETURN(*file_path, ScalarOf(value, key_mark, "path"));
    if (file_path->empty()) return Error(where, "path must name a file");
    *file = where;
  } else if (key == "query") {
    MATERIA_ASSIGN_OR_RETURN(std::string sql, ScalarOf(value, key_mark, "query"));
    if (Trim(sql).empty()) return Error(where, "query of " + name + " is empty");
    data->query = sql;
    data->query_location = where;
  } else if (key == "columns") {
    return ParseColumnTypes(value, key_mark, data);
  } else if (key == "csv_settings") {
    return ParseCsvSettings(value, key_mark, separator);
  } else if (key == "partial") {
    MATERIA_ASSIGN_OR_RETURN(std::string text, ScalarOf(value, key_mark, "partial"));
    text = ToLower(text);
    if (text != "true" && text != "false") return Error(where, "partial must be true or false");
    data->partial = text == "true";
  }
  return Status::Ok();
}

Status TestFileParser::ParseColumnTypes(const YAML::Node& node, const YAML::Mark& key_mark,
                                        TestData* data) const {
  data->columns_location = ValueAt(node, key_mark);
  if (!node.IsMap()) {
    return Error(data->columns_location, "columns must be a mapping of column names to types");
  }
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string column, KeyOf(entry));
    MATERIA_ASSIGN_OR_RETURN(std::string type, ScalarOf(entry->second, entry->first.Mark(), "a column type"));
    if (Trim(type).empty()) return Error(At(entry->first.Mark()), "column '" + column + "' has no type");
    data->column_types.emplace_back(ToLower(column), Trim(type));
  }
  return Status::Ok();
}

// pandas' read_csv settings: the separator is what changes how rows read; the rest
// (skip_blank_lines, ...) are accepted as their defaults here.
Status TestFileParser::ParseCsvSettings(const YAML::Node& node, const YAML::Mark& key_mark,
                                        char* separator) const {
  if (!node.IsMap()) return Error(ValueAt(node, key_mark), "csv_settings must be a mapping");
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    if (key != "sep" && key != "delimiter") continue;
    MATERIA_ASSIGN_OR_RETURN(std::string text, ScalarOf(entry->second, entry->first.Mark(), key));
    if (text.size() != 1) {
      return Error(ValueAt(entry->second, entry->first.Mark()), key + " must be one character");
    }
    *separator = text[0];
  }
  return Status::Ok();
}

Status TestFileParser::ParseRows(const std::string& file, const YAML::Node& node, const YAML::Mark& key_mark,
                                 TestData* data) const {
  if (node.IsNull()) return Status::Ok();  // `rows:` with nothing: no rows
  if (!node.IsSequence()) {
    return Error(ValueAt(node, key_mark), "rows must be a list of mappings from column names to values");
  }
  if (node.size() > kRowsMax) {
    return Error(At(file, node.Mark()), "more than " + std::to_string(kRowsMax) + " rows");
  }
  for (const YAML::Node& item : node) {
    if (!item.IsMap()) {
      return Error(At(file, item.Mark()), "each row must be a mapping of column names to values");
    }
    TestRow row;
    row.location = At(file, item.Mark());
    for (auto entry = item.begin(); entry != item.end(); ++entry) {
      MATERIA_ASSIGN_OR_RETURN(std::string column, KeyOf(entry));
      TestCell cell{ToLower(column), column, {}};
      if (row.Find(cell.column) != nullptr) {
        return Error(At(file, entry->first.Mark()), "column '" + column + "' appears twice in a row");
      }
      if (row.cells.size() >= kColumnsMax) {
        return Error(row.location, "more than " + std::to_string(kColumnsMax) + " columns in a row");
      }
      MATERIA_ASSIGN_OR_RETURN(cell.value, ParseValue(file, entry->second, entry->first.Mark(), 0));
      // The key stands for the cell in messages: it says which column.
      cell.value.location = At(file, entry->first.Mark());
      row.cells.push_back(std::move(cell));
    }
    data->rows.push_back(std::move(row));
  }
  return Status::Ok();
}

Result<TestValue> TestFileParser::ParseValue(const std::string& file, const YAML::Node& node,
                                             const YAML::Mark& key_mark, int depth) const {
  TestValue value;
  value.location = node.Mark().is_null() ? At(file, key_mark) : At(file, node.Mark());
  if (depth > kNestingMax) {
    return Error(value.location, "values nest deeper than " + std::to_string(kNestingMax) + " levels");
  }
  if (node.IsNull()) return value;
  if (node.IsScalar()) {
    bool quoted = node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
    if (!quoted && IsYamlNull(node.Scalar())) return value;
    value.kind = quoted ? TestValue::Kind::kQuoted : TestValue::Kind::kPlain;
    value.text = node.Scalar();
    return value;
  }
  // Lists and mappings become DuckDB literals, which DuckDB casts to the column's
  // LIST, STRUCT or MAP type.
  bool is_map = node.IsMap();
  std::string literal = is_map ? "{" : "[";
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    if (literal.size() > 1) literal += ", ";
    const YAML::Node& item = is_map ? entry->second : *entry;
    MATERIA_ASSIGN_OR_RETURN(TestValue inner, ParseValue(file, item, key_mark, depth + 1));
    if (is_map) {
      MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
      literal += QuoteLiteral(key) + ": ";
    }
    literal += TestValueLiteral(inner);
  }
  value.kind = TestValue::Kind::kNested;
  value.text = literal + (is_map ? "}" : "]");
  return value;
}

// CSV rows: the header names the columns; an empty field is NULL.
Status TestFileParser::ReadCsv(const std::string& text, const SourceLocation& where, bool from_file,
                               char separator, TestData* data) const {
  auto records = SplitCsv(text, separator);
  if (!records.ok()) return Error(where, "CSV: " + records.status().message());
  if (records->empty()) return Status::Ok();
  const CsvRecord& header = records->front();
  std::vector<std::string> columns;
  for (const auto& field : header.fields) {
    std::string column = Trim(field.value_or(""));
    if (column.empty()) return Error(where, "CSV header has an empty column name");
    columns.push_back(column);
  }
  for (size_t r = 1; r < records->size(); r++) {
    const CsvRecord& record = (*records)[r];
    // A row in a file is named by its line; inline CSV by the key that holds it.
    SourceLocation row_at = from_file ? SourceLocation{where.file, record.line, 1} : where;
    std::string prefix = from_file ? "" : "CSV line " + std::to_string(record.line) + ": ";
    if (record.fields.size() != columns.size()) {
      return Error(row_at, prefix + "row has " + std::to_string(record.fields.size()) +
                               " values, the header has " + std::to_string(columns.size()) + " columns");
    }
    TestRow row;
    row.location = row_at;
    for (size_t c = 0; c < columns.size(); c++) {
      TestValue value;
      value.location = row_at;
      if (record.fields[c]) {
        value.kind = TestValue::Kind::kPlain;  // pandas reads numbers as numbers
        value.text = *record.fields[c];
      }
      row.cells.push_back({ToLower(columns[c]), columns[c], std::move(value)});
    }
    data->rows.push_back(std::move(row));
  }
  return Status::Ok();
}

// Rows from a file: CSV, or YAML holding a row list (or a mapping with `rows`).
Status TestFileParser::ReadDataFile(const std::string& name, const std::string& format, char separator,
                                    const std::string& file_path, const SourceLocation& where,
                                    TestData* data) const {
  fs::path absolute =
      fs::path(file_path).is_absolute() ? fs::path(file_path) : fs::path(project_dir_) / file_path;
  std::error_code error;
  if (!fs::is_regular_file(absolute, error)) {
    return Error(where, "file " + file_path + " does not exist");
  }
  MATERIA_ASSIGN_OR_RETURN(std::string content, ReadFileText(absolute, file_path));
  if (format == "csv") return ReadCsv(content, SourceLocation{file_path, 1, 1}, true, separator, data);
  YAML::Node root;
  try {
    root = YAML::Load(content);
  } catch (const YAML::Exception& exception) {
    return Error(At(file_path, exception.mark), exception.msg);
  }
  YAML::Node rows = root.IsMap() ? root["rows"] : root;
  if (!rows.IsDefined() || (!rows.IsSequence() && !rows.IsNull())) {
    return Error(SourceLocation{file_path, 1, 1}, "expected the rows of " + name + " (a list of rows)");
  }
  return ParseRows(file_path, rows, root.Mark(), data);
}

}  // namespace

std::string TestValueLiteral(const TestValue& value) {
  switch (value.kind) {
    case TestValue::Kind::kNull: return "NULL";
    case TestValue::Kind::kNested: return value.text;
    case TestValue::Kind::kQuoted: return QuoteLiteral(value.text);
    case TestValue::Kind::kPlain:
      if (IsYamlBool(value.text)) return ToLower(value.text);
      if (IsYamlNumber(value.text)) return value.text[0] == '+' ? value.text.substr(1) : value.text;
      return QuoteLiteral(value.text);
  }
  return "NULL";
}

const TestCell* TestRow::Find(const std::string& column) const {
  for (const TestCell& cell : cells) {
    if (cell.column == column) return &cell;
  }
  return nullptr;
}

std::vector<std::string> TestData::RowColumns() const {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const TestRow& row : rows) {
    for (const TestCell& cell : row.cells) {
      if (seen.insert(cell.column).second) columns.push_back(cell.column);
    }
  }
  return columns;
}

const TestInput* UnitTestDefinition::FindInput(const std::string& input) const {
  for (const TestInput& candidate : inputs) {
    if (candidate.name == input) return &candidate;
  }
  return nullptr;
}

const TestVariable* UnitTestDefinition::FindVar(const std::string& var) const {
  for (const TestVariable& candidate : vars) {
    if (candidate.name == var) return &candidate;
  }
  return nullptr;
}

Result<TestFile> ParseTestFile(const std::string& path, const std::string& content,
                               const std::string& project_dir) {
  if (content.size() > kTestFileBytesMax) {
    return Status::InvalidInput(path + ": the file is " + std::to_string(content.size()) +
                                " bytes, more than the limit of " + std::to_string(kTestFileBytesMax));
  }
  return TestFileParser(path, project_dir).Parse(content);
}

Result<std::vector<std::string>> ListTestFiles(const std::string& project_dir) {
  std::vector<std::string> files;
  fs::path root(project_dir);
  fs::path tests = root / "tests";
  std::error_code error;
  if (!fs::is_directory(tests, error)) return files;
  for (fs::recursive_directory_iterator it(tests, error), end; it != end && !error; it.increment(error)) {
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    std::string extension = path.extension().string();
    if (name.rfind("test", 0) != 0 || (extension != ".yaml" && extension != ".yml")) continue;
    std::error_code file_error;
    if (!it->is_regular_file(file_error)) continue;
    files.push_back(path.lexically_relative(root).generic_string());
    if (files.size() > kTestFilesMax)
      return Status::InvalidInput("more than " + std::to_string(kTestFilesMax) + " test files");
  }
  if (error) return Status::IoError("cannot list " + tests.string() + ": " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<TestFile> LoadTestFile(const std::string& project_dir, const std::string& path) {
  fs::path absolute = fs::path(path).is_absolute() ? fs::path(path) : fs::path(project_dir) / path;
  MATERIA_ASSIGN_OR_RETURN(std::string content, ReadFileText(absolute, path));
  return ParseTestFile(path, content, project_dir);
}

Result<std::vector<TestFile>> LoadTestFiles(const std::string& project_dir) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> paths, ListTestFiles(project_dir));
  std::vector<TestFile> files;
  for (const std::string& path : paths) {
    MATERIA_ASSIGN_OR_RETURN(TestFile file, LoadTestFile(project_dir, path));
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace materia
