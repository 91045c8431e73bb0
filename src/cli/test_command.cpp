// materia test [SELECTOR...]: runs the project's unit tests (tests/test*.yaml).
// materia create_test MODEL --query TABLE "SELECT ..." ...: writes a test from real
// data: the queries' rows (read from the warehouse) become the inputs, and the model's
// output on them becomes the expected rows.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <yaml-cpp/yaml.h>

#include "base/text.h"
#include "base/time.h"
#include "cli/commands.h"
#include "run/unit_test.h"

namespace materia::cli {

namespace {

namespace fs = std::filesystem;

constexpr size_t kCreateTestRowsMax = 10'000;  // per --query: a unit test stays small

// A selector that names a file or folder is taken relative to where the user is
// (the command runs in the project directory); tests know their files relative to the
// project. Names of tests and models stay as they are.
std::string ProjectRelative(const std::string& selector, const fs::path& user_dir,
                            const fs::path& project_dir) {
  size_t separator = selector.find("::");
  std::string path = selector.substr(0, separator);
  std::string rest = separator == std::string::npos ? "" : selector.substr(separator);
  std::error_code error;
  fs::path candidate = fs::path(path).is_absolute() ? fs::path(path) : user_dir / path;
  if (path.empty() || !fs::exists(candidate, error)) return selector;
  fs::path relative =
      fs::weakly_canonical(candidate, error).lexically_relative(fs::weakly_canonical(project_dir, error));
  if (relative.empty() || relative.native().rfind("..", 0) == 0) return selector;
  return relative.generic_string() + rest;
}

int TestCommand(const std::vector<std::string>& selectors, const std::string& format,
                const fs::path& user_dir) {
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  TestSelection selection;
  for (const std::string& selector : selectors) {
    selection.selectors.push_back(ProjectRelative(selector, user_dir, project->config.project_dir));
  }
  auto report = RunProjectTests(*project, selection);
  if (!report.ok()) return ReportError(report.status());
  if (format == "json") {
    std::fputs(FormatTestReportJson(*report).c_str(), stdout);
  } else if (report->outcomes.empty()) {
    std::printf("No tests: add tests/test_*.yaml (or run `materia create_test`)\n");
  } else {
    std::fputs(FormatTestReport(*report).c_str(), stdout);
  }
  if (report->errors > 0) return kExitError;
  return report->failed > 0 ? kExitFailed : kExitOk;
}

// ---------------------------------------------------------------------------------
// create_test

struct CreateTestOptions {
  std::string model;
  std::vector<std::pair<std::string, std::string>> queries;  // (table, SQL)
  std::vector<std::pair<std::string, std::string>> vars;     // (name, value)
  std::string name;
  std::string path;
};

bool IsPlainType(const std::string& type) {
  static const char* kTypes[] = {"TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",  "HUGEINT",
                                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
                                 "FLOAT",    "DOUBLE",    "BOOLEAN"};
  for (const char* name : kTypes) {
    if (type == name) return true;
  }
  return type.rfind("DECIMAL", 0) == 0;
}

// Rows read from the warehouse as a test's data: numbers and booleans written plain,
// everything else quoted, with the exact types as `columns:`.
TestData DataFromRows(const TypedRows& rows, const SourceLocation& where) {
  TestData data;
  data.location = where;
  data.columns_location = where;
  for (size_t c = 0; c < rows.names.size(); c++)
    data.column_types.emplace_back(ToLower(rows.names[c]), rows.types[c]);
  for (const auto& values : rows.rows) {
    TestRow row;
    row.location = where;
    for (size_t c = 0; c < values.size(); c++) {
      TestValue value;
      value.location = where;
      if (values[c]) {
        value.kind = IsPlainType(rows.types[c]) ? TestValue::Kind::kPlain : TestValue::Kind::kQuoted;
        value.text = *values[c];
      }
      row.cells.push_back({ToLower(rows.names[c]), rows.names[c], value});
    }
    data.rows.push_back(std::move(row));
  }
  return data;
}

void EmitValue(YAML::Emitter& out, const TestValue& value) {
  if (value.is_null()) {
    out << YAML::Null;
  } else if (value.kind == TestValue::Kind::kQuoted) {
    out << YAML::SingleQuoted << value.text;
  } else {
    out << value.text;
  }
}

void EmitRows(YAML::Emitter& out, const std::vector<TestRow>& rows) {
  out << YAML::BeginSeq;
  for (const TestRow& row : rows) {
    out << YAML::BeginMap;
    for (const TestCell& cell : row.cells) {
      out << YAML::Key << cell.written << YAML::Value;
      EmitValue(out, cell.value);
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

std::string EmitTest(const UnitTestDefinition& test) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << test.name << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "model" << YAML::Value << test.model;
  out << YAML::Key << "inputs" << YAML::Value << YAML::BeginMap;
  for (const TestInput& input : test.inputs) {
    out << YAML::Key << input.name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "columns" << YAML::Value << YAML::BeginMap;
    for (const auto& [column, type] : input.data.column_types)
      out << YAML::Key << column << YAML::Value << type;
    out << YAML::EndMap << YAML::Key << "rows" << YAML::Value;
    EmitRows(out, input.data.rows);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::Key << "outputs" << YAML::Value << YAML::BeginMap << YAML::Key << "query" << YAML::Value
      << YAML::BeginMap << YAML::Key << "rows" << YAML::Value;
  EmitRows(out, test.query_output->rows);
  out << YAML::EndMap << YAML::EndMap;
  if (!test.vars.empty()) {
    out << YAML::Key << "vars" << YAML::Value << YAML::BeginMap;
    for (const TestVariable& var : test.vars) {
      out << YAML::Key << var.name << YAML::Value;
      EmitValue(out, var.value);
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

// Reads each --query from the warehouse (read-only) into the test's inputs.
Status ReadInputs(const Project& project, const CreateTestOptions& options, UnitTestDefinition* test) {
  MATERIA_ASSIGN_OR_RETURN(std::shared_ptr<DuckDatabase> warehouse, OpenWarehouse(project.config, true));
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection, DuckConnection::Connect(warehouse));
  for (const auto& [table, sql] : options.queries) {
    std::string name = ToLower(Trim(table));
    SourceLocation where{"--query " + name, 0, 0};
    if (test->FindInput(name) != nullptr) return Status::InvalidInput("--query " + name + " is given twice");
    auto rows = QueryTypedRows(*connection, sql, kCreateTestRowsMax);
    if (!rows.ok()) return Status::InvalidInput("--query " + name + ": " + OneLine(rows.status().message()));
    test->inputs.push_back({name, DataFromRows(*rows, where)});
  }
  return Status::Ok();
}

// Refuses a name the file already has; returns the file's current text ("" if new).
Result<std::string> ExistingText(const Project& project, const std::string& path, const std::string& name) {
  fs::path absolute = fs::path(project.config.project_dir) / path;
  std::error_code error;
  if (!fs::exists(absolute, error)) return std::string();
  MATERIA_ASSIGN_OR_RETURN(TestFile file, LoadTestFile(project.config.project_dir, path));
  for (const UnitTestDefinition& test : file.tests) {
    if (test.name == name) {
      return Status::InvalidInput(test.location.ToString() + ": a test named '" + name +
                                  "' exists already (choose another with --name)");
    }
  }
  std::ifstream stream(absolute, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text.empty() ? text : text + "\n";
}

// Writes under a temporary name, then renames: a reader never sees half a file.
Status WriteFile(const fs::path& path, const std::string& text) {
  std::error_code error;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
  fs::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream stream(temporary, std::ios::binary | std::ios::trunc);
    stream << text;
    if (!stream.flush()) return Status::IoError("cannot write " + temporary.string());
  }
  fs::rename(temporary, path, error);
  if (error) return Status::IoError("cannot write " + path.string() + ": " + error.message());
  return Status::Ok();
}

Result<UnitTestDefinition> BuildTest(const Project& project, const CreateTestOptions& options,
                                     const Model& model) {
  UnitTestDefinition test;
  test.name = options.name.empty() ? "test_" + model.definition.table : options.name;
  test.model = model.name();
  test.location = test.model_location = test.inputs_location = SourceLocation{"create_test", 0, 0};
  for (const auto& [name, value] : options.vars) {
    test.vars.push_back({ToLower(name), TestValue{TestValue::Kind::kPlain, value, {"--var " + name, 0, 0}}});
  }
  std::vector<std::string> upstreams = model.parents;
  upstreams.insert(upstreams.end(), model.external_tables.begin(), model.external_tables.end());
  // Names are checked before any query reads the warehouse.
  for (const auto& [table, sql] : options.queries) {
    std::string name = ToLower(Trim(table));
    bool self = model.reads_itself && name == model.name();
    if (self || std::find(upstreams.begin(), upstreams.end(), name) != upstreams.end()) continue;
    std::string reads;
    for (const std::string& upstream : upstreams) reads += (reads.empty() ? "" : ", ") + upstream;
    return Status::InvalidInput("--query " + name + ": " + name + " is not an upstream of " + model.name() +
                                " (it reads " + (reads.empty() ? "no tables" : reads) + ")");
  }
  for (const std::string& upstream : upstreams) {
    const Model* parent = project.Find(upstream);
    bool given = std::any_of(options.queries.begin(), options.queries.end(),
                             [&](const auto& query) { return ToLower(Trim(query.first)) == upstream; });
    if (given || (parent && parent->definition.kind == ModelKind::kSeed)) continue;
    return Status::InvalidInput(model.name() + " reads " + upstream + ": add --query " + upstream +
                                " \"SELECT * FROM " + upstream + " LIMIT 10\"");
  }
  MATERIA_RETURN_IF_ERROR(ReadInputs(project, options, &test));
  MATERIA_ASSIGN_OR_RETURN(TypedRows output, EvaluateUnitTestModel(project, test));
  test.query_output = DataFromRows(output, test.location);
  return test;
}

// Emits `test` and runs it as read back: it must pass (types and values survive the
// YAML). A model that reads the clock gets `execution_time` frozen at `now_ms`.
Result<std::string> VerifiedText(const Project& project, const std::string& path, UnitTestDefinition* test,
                                 TimestampMs now_ms) {
  std::string text = EmitTest(*test);
  MATERIA_ASSIGN_OR_RETURN(TestFile written, ParseTestFile(path, text, project.config.project_dir));
  TestOutcome outcome = RunUnitTest(project, written.tests.front());
  if (outcome.status == TestStatus::kPassed) return text;
  if (test->FindVar("execution_time") == nullptr && test->FindVar("latest") == nullptr) {
    test->vars.push_back(
        {"execution_time", TestValue{TestValue::Kind::kQuoted, FormatTimestamp(now_ms), {}}});
    MATERIA_ASSIGN_OR_RETURN(TypedRows output, EvaluateUnitTestModel(project, *test));
    test->query_output = DataFromRows(output, test->location);
    text = EmitTest(*test);
    MATERIA_ASSIGN_OR_RETURN(written, ParseTestFile(path, text, project.config.project_dir));
    outcome = RunUnitTest(project, written.tests.front());
    if (outcome.status == TestStatus::kPassed) return text;
  }
  return Status::Internal("the new test does not pass when read back (is " + test->model +
                          " deterministic?): " + outcome.message);
}

int CreateTestCommand(const CreateTestOptions& options) {
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  const Model* model = project->Find(ToLower(Trim(options.model)));
  if (model == nullptr) return ReportError(Status::NotFound("unknown model '" + options.model + "'"));
  auto test = BuildTest(*project, options, *model);
  if (!test.ok()) return ReportError(test.status());
  std::string path = options.path.empty() ? "tests/test_" + model->definition.table + ".yaml" : options.path;
  auto existing = ExistingText(*project, path, test->name);
  if (!existing.ok()) return ReportError(existing.status());
  auto text = VerifiedText(*project, path, &*test, NowMs() / kMsPerSecond * kMsPerSecond);
  if (!text.ok()) return ReportError(text.status());
  Status saved = WriteFile(fs::path(project->config.project_dir) / path, *existing + *text);
  if (!saved.ok()) return ReportError(saved);
  size_t input_rows = 0;
  for (const TestInput& input : test->inputs) input_rows += input.data.rows.size();
  std::printf("Wrote test '%s' to %s: %zu input row%s, %zu expected row%s\n", test->name.c_str(),
              path.c_str(), input_rows, input_rows == 1 ? "" : "s", test->query_output->rows.size(),
              test->query_output->rows.size() == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace

void RegisterTestCommands(CLI::App& app, GlobalOptions& global) {
  struct TestOptions {
    std::vector<std::string> selectors;
    std::string format = "text";
  };
  auto test_options = std::make_shared<TestOptions>();
  CLI::App* test = app.add_subcommand(
      "test",
      "Run the unit tests in tests/test*.yaml (SQLMesh's format): each model runs on the test's "
      "input rows and its output is compared with the expected rows. Exit 0 all passed, 1 a test "
      "failed, 2 a test is invalid");
  test->add_option("selectors", test_options->selectors,
                   "tests to run: a file (tests/test_a.yaml), file::test, a test name or a model name "
                   "(default: all)");
  AddFormatOption(test, &test_options->format, {"text", "json"});
  test->callback([&global, test_options] {
    std::error_code error;
    fs::path user_dir = fs::current_path(error);
    auto entered = EnterProject(global.project_dir);
    global.exit_code = entered.ok() ? TestCommand(test_options->selectors, test_options->format, user_dir)
                                    : ReportError(entered.status());
  });

  auto create_options = std::make_shared<CreateTestOptions>();
  CLI::App* create = app.add_subcommand(
      "create_test",
      "Write a unit test from real data: the --query rows (read from the warehouse) become "
      "the inputs, the model's output on them the expected rows");
  create->add_option("model", create_options->model, "the model to test, e.g. serving.dim_country")
      ->required();
  create
      ->add_option("--query", create_options->queries,
                   "TABLE SQL: an upstream table and the query whose rows stand for it (repeatable)")
      ->required();
  create->add_option("--var", create_options->vars,
                     "NAME VALUE: a test variable, e.g. --var start 2024-01-01 (repeatable)");
  create->add_option("--name", create_options->name, "the test's name (default: test_<model table>)");
  create->add_option("--path", create_options->path,
                     "the file, relative to the project (default: tests/test_<model table>.yaml)");
  SetProjectAction(create, global, [create_options] { return CreateTestCommand(*create_options); });
}

}  // namespace materia::cli
