// Running unit tests (project/test_file.h): each test gets a private in-memory DuckDB
// database holding one view (or, for an input given as a query, a table) per input,
// named as the upstream it stands for (schema.table), so the model's query runs
// exactly as written. The query is rendered
// with the test's vars, and its rows (and those of any tested CTE) are compared with
// the expected rows.
//
// Types. An input that is a model of the project takes the model's columns and types
// when they can be known without data: its declared `columns (...)`, its seed file's
// header, or its query bound over empty tables of its own upstreams (recursively; a
// model reading files or tables outside the project is not known this way, though its
// column names are when its query names them). The test's `columns:` types win.
// Other columns take a type read from their values: whole numbers BIGINT, other
// numbers DOUBLE, true/false BOOLEAN, 'YYYY-MM-DD' DATE, 'YYYY-MM-DD HH:MM:SS'
// TIMESTAMP, lists and mappings what DuckDB makes of them, anything else VARCHAR; a
// column with no value at all is NULL without a type, which fits any use. A column
// left out of a row is NULL. A SEED upstream without an input reads its seed file.
// Inputs are views (over tables in the schema materia_fixture) that keep the rows in
// the order written.
//
// Comparing. Expected values are cast to the output column's type by DuckDB, so
// '2024-01-01' equals a DATE and 2024-01-01 00:00:00 a TIMESTAMP; FLOAT, DOUBLE and
// DECIMAL values are equal within a relative tolerance of 1e-9. Row order counts only
// when the query (or the CTE) ends with ORDER BY. Without `partial`, a column left out
// of an expected row must be NULL; with it, only the named columns are compared.
//
// Vars. `start`, `end` and `execution_time` set the time macros (default: the Unix
// epoch, as SQLMesh does); an `end` without a time of day includes that whole day.
// With `execution_time`, CURRENT_TIMESTAMP, now(), CURRENT_DATE, today() and
// CURRENT_TIME return it. Other vars override config.yaml `variables` for @VAR.
//
// Errors. A test that cannot be run as written is found before anything runs, and
// RunProjectTests returns it as one line, kInvalidInput:
//   tests/test_a.yaml:2:10: test 'test_a' names unknown model 's.nope'
//   tests/test_a.yaml:5:5: input s.c is not an upstream of s.a (it reads s.b)
//   tests/test_a.yaml:3:3: test 'test_a' has no input for s.b, which s.a reads
//   tests/test_a.yaml:9:12: invalid date or time 'soon' ...       (a time var)
//   no test matches 'test_nope'
// Faults found while a test runs make that test an error (TestStatus::kError) with a
// one-line message, and the other tests still run:
//   tests/test_a.yaml:7:11: column 'itm_id' is not a column of s.b (its columns: id, item_id)
//   tests/test_a.yaml:14:11: column 'n' is not a column of the query output of s.a (its columns: ...)
//   tests/test_a.yaml:7:15: value 'abc' of column id does not fit its type INTEGER
//   tests/test_a.yaml:12:7: model s.a has no CTE named 'x' (its CTEs: a, b)
// A test fails (kFailed) when its rows differ, or when the model's query fails on its
// inputs (the DuckDB error is the message).
//
// Thread safety: the functions are safe to call from several threads at once; each
// run opens its own databases.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/duckdb.h"
#include "project/project.h"
#include "project/test_file.h"

namespace materia {

// Which tests to run. Each selector picks tests by their file ("tests/test_a.yaml",
// relative to the project; a folder picks the files under it), by file and name
// ("tests/test_a.yaml::test_orders"), by name ("test_orders", in any file) or by the
// model they test ("s.orders"). No selectors: every test of the project.
struct TestSelection {
  std::vector<std::string> selectors;
};

enum class TestStatus { kPassed, kFailed, kError };

// "passed", "failed", "error"
const char* TestStatusName(TestStatus status);

struct TestOutcome {
  std::string name;
  std::string model;
  SourceLocation location;  // the test's name in its file
  std::string description;
  TestStatus status = TestStatus::kPassed;
  std::string message;  // failed or error: one line saying what
  std::string diff;     // failed: the differing rows as small tables, lines ending in '\n'
  double seconds = 0;
};

struct TestReport {
  std::vector<TestOutcome> outcomes;  // in file order, then in order within each file
  int passed = 0;
  int failed = 0;
  int errors = 0;
  double seconds = 0;

  bool AllPassed() const { return failed == 0 && errors == 0; }
};

// Loads the project's test files (tests/**/test*.yaml|yml), checks the selected tests
// against `project`, and runs them one after the other. Returns the report even when
// tests fail; returns an error (one line, see above) for an unreadable or invalid
// test file, an invalid test, or a selector that matches nothing.
Result<TestReport> RunProjectTests(const Project& project, const TestSelection& selection);

// The report as text: one line per test ("ok", "FAILED", "ERROR", its name and
// file:line), the message and diff under a test that did not pass, and a summary line
// ("3 tests: 2 passed, 1 failed, 0 errors in 0.12s"). Every line ends in '\n'.
std::string FormatTestReport(const TestReport& report);

// The report as JSON: {"tests": [{name, model, file, line, status, message, diff,
// seconds}], "passed", "failed", "errors", "seconds"}.
std::string FormatTestReportJson(const TestReport& report);

// Rows with DuckDB's exact column types ("INTEGER", "DECIMAL(18,3)", "INTEGER[]")
// and each value as DuckDB casts it to VARCHAR (std::nullopt for NULL).
struct TypedRows {
  std::vector<std::string> names;
  std::vector<std::string> types;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// Runs `sql` (one SELECT) on `connection`. At most `max_rows` rows are read (more is
// an error). Errors are DuckDB's, kDatabaseError.
Result<TypedRows> QueryTypedRows(DuckConnection& connection, const std::string& sql,
                                 size_t max_rows = 100'000);

// Checks `test` against `project`: the checks listed above as found before anything
// runs.
Status ValidateUnitTest(const Project& project, const UnitTestDefinition& test);

// Runs one test that ValidateUnitTest accepted.
TestOutcome RunUnitTest(const Project& project, const UnitTestDefinition& test);

// The model's query output on the test's inputs and vars (outputs are not read):
// what `create_test` writes as the expected rows. Errors: ValidateUnitTest's, a fault
// in the inputs, or the query's DuckDB error.
Result<TypedRows> EvaluateUnitTestModel(const Project& project, const UnitTestDefinition& test);

}  // namespace materia
