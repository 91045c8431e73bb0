// Unit test files: tests/**/test*.yaml (and .yml), SQLMesh's unit-test format, read
// into plain structs that remember where everything was written.
//
//   test_full_model:                       # the test's name, unique in its file
//     model: s.full_model                  # required
//     description: counts orders per item  # optional
//     inputs:                              # one entry per upstream model or table
//       s.orders:
//         rows:                            # or the row list directly under the name
//           - {id: 1, item_id: 1}
//         columns: {id: INTEGER}           # optional types, name -> DuckDB type
//       s.items:
//         format: csv                      # yaml (default) or csv
//         rows: |                          # inline CSV (also accepted under `csv:`)
//           id,name
//           1,apple
//       s.prices:
//         format: csv
//         path: tests/data/prices.csv      # a file, relative to the project
//       s.stock:
//         query: SELECT 1 AS id            # SQL that produces the rows
//     outputs:                             # required: `query` and/or `ctes`
//       partial: true                      # optional, applies to every output below
//       query:
//         partial: true                    # only the listed columns are compared
//         rows: [{item_id: 1, num_orders: 2}]
//       ctes:
//         filtered_orders: {rows: [{id: 1}]}
//     vars: {start: 2024-01-01, end: 2024-01-31, execution_time: 2024-02-01, n: 3}
//
// A column left out of a row is NULL. `format: yaml` with a `path` reads the rows from
// a YAML file (a list of rows, or a mapping with `rows`). `schema` and `gateway` are
// SQLMesh keys that are accepted and not used.
//
// Errors are one line, "file:line:col: message", kInvalidInput (positions 1-based):
//   tests/test_a.yaml:3:5: end of map not found            (YAML syntax, yaml-cpp's words)
//   tests/test_a.yaml:1:1: test 'test_a' has no model
//   tests/test_a.yaml:1:1: test 'test_a' has no outputs
//   tests/test_a.yaml:6:3: outputs of test 'test_a' need 'query' or 'ctes'
//   tests/test_a.yaml:5:15: unsupported format 'xml' for s.b (use yaml or csv)
//   tests/test_a.yaml:6:15: file tests/data/b.csv does not exist
//   tests/test_a.yaml:4:5: s.b has both 'query' and 'rows'; use one
//   tests/test_a.yaml:4:5: s.b has no rows, path or query
//   tests/test_a.yaml:2:3: unknown key 'modle' in test 'test_a'
//   tests/test_a.yaml:7:9: each row must be a mapping of column names to values
//   tests/test_a.yaml:9:1: test 'test_a' appears twice
//   tests/data/b.csv:3: row has 3 values, the header has 2 columns
// Checks that need the project (the model exists, the inputs are its upstreams, the
// columns match) happen when the test runs (run/unit_test.h). Thread-safe: no shared
// state.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "project/model.h"

namespace materia {

// One cell as written.
struct TestValue {
  enum class Kind {
    kNull,    // null, ~, an empty CSV field, or a column left out of a row
    kPlain,   // an unquoted scalar: 42, 1.5, true, 2024-01-01, apple
    kQuoted,  // a quoted scalar: always a string
    kNested,  // a YAML list or mapping, `text` holds it as a DuckDB literal ([1, 2], {'a': 1})
  };
  Kind kind = Kind::kNull;
  std::string text;
  SourceLocation location;

  bool is_null() const { return kind == Kind::kNull; }
};

// `value` as a SQL literal: NULL, a bare number or boolean, a quoted string, or the
// nested literal.
std::string TestValueLiteral(const TestValue& value);

struct TestCell {
  std::string column;   // lower-cased (DuckDB compares names case-insensitively)
  std::string written;  // as written, for messages
  TestValue value;
};

struct TestRow {
  std::vector<TestCell> cells;
  SourceLocation location;

  // The cell of `column` (lower-case), or nullptr when the row leaves it out.
  const TestCell* Find(const std::string& column) const;
};

// The rows of an input fixture or of an expected output.
struct TestData {
  std::vector<TestRow> rows;
  std::optional<std::string> query;  // SQL producing the rows instead of `rows`
  SourceLocation query_location;
  // `columns:` types, lower-cased name -> DuckDB type as written, in file order.
  std::vector<std::pair<std::string, std::string>> column_types;
  SourceLocation columns_location;
  bool partial = false;     // outputs: compare only the columns the rows name
  SourceLocation location;  // the entry's name (s.orders, query, a CTE's name)

  // Lower-cased column names the rows use, in order of first appearance.
  std::vector<std::string> RowColumns() const;
};

struct TestInput {
  std::string name;  // lower-cased as written: schema.table (or table)
  TestData data;
};

struct TestCteOutput {
  std::string name;  // lower-cased
  TestData data;
};

struct TestVariable {
  std::string name;  // lower-cased
  TestValue value;
};

struct UnitTestDefinition {
  std::string name;
  SourceLocation location;  // the test's name
  std::string model;        // lower-cased
  SourceLocation model_location;
  std::string description;
  std::vector<TestInput> inputs;
  SourceLocation inputs_location;  // the `inputs` key, or the test's name without one
  std::optional<TestData> query_output;
  std::vector<TestCteOutput> cte_outputs;
  std::vector<TestVariable> vars;

  const TestInput* FindInput(const std::string& name) const;
  const TestVariable* FindVar(const std::string& name) const;
};

struct TestFile {
  std::string path;  // relative to the project, e.g. tests/test_orders.yaml
  std::vector<UnitTestDefinition> tests;
};

// Parses one test file. `path` names the file in messages; `project_dir` resolves
// the `path:` of fixtures (relative to the project).
Result<TestFile> ParseTestFile(const std::string& path, const std::string& content,
                               const std::string& project_dir);

// Lists tests/**/test*.yaml and test*.yml under `project_dir`, sorted, as paths
// relative to it. A project without tests/ has none.
Result<std::vector<std::string>> ListTestFiles(const std::string& project_dir);

// Reads and parses every test file of the project, in ListTestFiles order.
Result<std::vector<TestFile>> LoadTestFiles(const std::string& project_dir);

// Reads and parses one test file given relative to `project_dir` (or absolute).
Result<TestFile> LoadTestFile(const std::string& project_dir, const std::string& path);

}  // namespace materia
