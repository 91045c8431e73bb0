#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "project/test_file.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

const char* kPath = "tests/test_a.yaml";

// Each test gets a fresh project directory for fixture files.
class TestFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    directory_ = fs::temp_directory_path() /
                 ("materia_test_file_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(directory_);
    fs::create_directories(directory_ / "tests" / "data");
  }
  void TearDown() override { fs::remove_all(directory_); }

  void Write(const std::string& name, const std::string& content) {
    fs::create_directories((directory_ / name).parent_path());
    std::ofstream(directory_ / name) << content;
  }

  TestFile Parse(const std::string& content) {
    Result<TestFile> file = ParseTestFile(kPath, content, directory_.string());
    EXPECT_TRUE(file.ok()) << file.status().message();
    return file.ok() ? file.value() : TestFile();
  }

  std::string ErrorOf(const std::string& content) {
    Result<TestFile> file = ParseTestFile(kPath, content, directory_.string());
    if (file.ok()) return "ok";
    EXPECT_EQ(file.status().code(), StatusCode::kInvalidInput);
    return file.status().message();
  }

  fs::path directory_;
};

// Every cell of `row` as "column=text" (NULL for nulls), to compare in one line.
std::string RowText(const TestRow& row) {
  std::string text;
  for (const TestCell& cell : row.cells) {
    text += (text.empty() ? "" : " ") + cell.column + "=" + (cell.value.is_null() ? "NULL" : cell.value.text);
  }
  return text;
}

TEST_F(TestFileTest, ReadsSqlmeshsDocumentedExample) {
  TestFile file = Parse(R"(test_example_full_model:
  model: sqlmesh_example.full_model
  description: counts orders per item
  inputs:
    sqlmesh_example.incremental_model:
      rows:
      - id: 1
        item_id: 1
      - id: 2
        item_id: 1
  outputs:
    query:
      rows:
      - item_id: 1
        num_orders: 2
    ctes:
      filtered_orders_cte:
        rows:
          - id: 1
            item_id: 1
  vars:
    start: 2022-01-01
    end: '2022-01-31'
    Min_Id: 3
)");
  ASSERT_EQ(file.tests.size(), 1u);
  const UnitTestDefinition& test = file.tests[0];
  EXPECT_EQ(test.name, "test_example_full_model");
  EXPECT_EQ(test.location.ToString(), "tests/test_a.yaml:1:1");
  EXPECT_EQ(test.model, "sqlmesh_example.full_model");
  EXPECT_EQ(test.model_location.ToString(), "tests/test_a.yaml:2:10");
  EXPECT_EQ(test.description, "counts orders per item");
  ASSERT_EQ(test.inputs.size(), 1u);
  EXPECT_EQ(test.inputs[0].name, "sqlmesh_example.incremental_model");
  ASSERT_EQ(test.inputs[0].data.rows.size(), 2u);
  EXPECT_EQ(RowText(test.inputs[0].data.rows[1]), "id=2 item_id=1");
  ASSERT_TRUE(test.query_output.has_value());
  EXPECT_FALSE(test.query_output->partial);
  EXPECT_EQ(RowText(test.query_output->rows[0]), "item_id=1 num_orders=2");
  ASSERT_EQ(test.cte_outputs.size(), 1u);
  EXPECT_EQ(test.cte_outputs[0].name, "filtered_orders_cte");
  ASSERT_EQ(test.vars.size(), 3u);
  EXPECT_EQ(test.FindVar("start")->value.text, "2022-01-01");
  EXPECT_EQ(test.FindVar("end")->value.kind, TestValue::Kind::kQuoted);
  EXPECT_EQ(test.FindVar("min_id")->value.text, "3");  // names are case-insensitive
}

TEST_F(TestFileTest, RowsMayStandDirectlyUnderTheName) {
  TestFile file = Parse(R"(test_a:
  model: s.a
  inputs:
    s.b:
      - {id: 1, name: x}
  outputs:
    query:
      - {id: 1}
)");
  EXPECT_EQ(RowText(file.tests[0].inputs[0].data.rows[0]), "id=1 name=x");
  EXPECT_EQ(RowText(file.tests[0].query_output->rows[0]), "id=1");
}

TEST_F(TestFileTest, KeepsWhetherAValueWasQuotedAndMakesNestedValuesLiterals) {
  TestFile file = Parse(R"(test_a:
  model: s.a
  inputs:
    s.b:
      - {n: 42, s: '42', d: 2024-01-01, none: ~, empty: null, l: [1, 'x'], m: {k: true}}
  outputs:
    query: []
)");
  const TestRow& row = file.tests[0].inputs[0].data.rows[0];
  EXPECT_EQ(row.Find("n")->value.kind, TestValue::Kind::kPlain);
  EXPECT_EQ(row.Find("s")->value.kind, TestValue::Kind::kQuoted);
  EXPECT_EQ(row.Find("d")->value.kind, TestValue::Kind::kPlain);
  EXPECT_TRUE(row.Find("none")->value.is_null());
  EXPECT_TRUE(row.Find("empty")->value.is_null());
  EXPECT_EQ(row.Find("l")->value.text, "[1, 'x']");
  EXPECT_EQ(row.Find("m")->value.text, "{'k': true}");
  EXPECT_EQ(TestValueLiteral(row.Find("s")->value), "'42'");
  EXPECT_EQ(TestValueLiteral(row.Find("n")->value), "42");
  EXPECT_EQ(row.Find("n")->value.location.ToString(), "tests/test_a.yaml:5:10");
}

TEST_F(TestFileTest, PartialAppliesFromOutputsOrPerOutput) {
  TestFile file = Parse(R"(test_a:
  model: s.a
  outputs:
    partial: true
    query: [{a: 1}]
    ctes:
      c: {rows: [{a: 1}]}
test_b:
  model: s.a
  outputs:
    query:
      partial: true
      rows: [{a: 1}]
    ctes:
      c: [{a: 1}]
)");
  EXPECT_TRUE(file.tests[0].query_output->partial);
  EXPECT_TRUE(file.tests[0].cte_outputs[0].data.partial);
  EXPECT_TRUE(file.tests[1].query_output->partial);
  EXPECT_FALSE(file.tests[1].cte_outputs[0].data.partial);
}

TEST_F(TestFileTest, ReadsInlineCsvWithItsSeparator) {
  TestFile file = Parse(R"(test_a:
  model: s.a
  inputs:
    s.b:
      format: csv
      rows: |
        id,name,"note"
        1,apple,"a, b"

        2,,x
    s.c:
      format: csv
      csv_settings: {sep: '#'}
      csv: |
        id#n
        7#8
  outputs:
    query: []
)");
  const TestData& b = file.tests[0].inputs[0].data;
  ASSERT_EQ(b.rows.size(), 2u);  // the blank line is skipped
  EXPECT_EQ(RowText(b.rows[0]), "id=1 name=apple note=a, b");
  EXPECT_EQ(RowText(b.rows[1]), "id=2 name=NULL note=x");
  EXPECT_EQ(b.rows[0].Find("id")->value.kind, TestValue::Kind::kPlain);
  EXPECT_EQ(RowText(file.tests[0].inputs[1].data.rows[0]), "id=7 n=8");
}

TEST_F(TestFileTest, ReadsRowsFromCsvAndYamlFilesRelativeToTheProject) {
  Write("tests/data/b.csv", "id,name\n1,apple\n2,pear\n");
  Write("tests/data/c.yaml", "rows:\n  - {id: 5}\n");
  Write("tests/data/d.yaml", "- {id: 6}\n");
  TestFile file = Parse(R"(test_a:
  model: s.a
  inputs:
    s.b: {format: csv, path: tests/data/b.csv}
    s.c: {path: tests/data/c.yaml}
    s.d: {format: yaml, path: tests/data/d.yaml}
  outputs:
    query: []
)");
  const auto& inputs = file.tests[0].inputs;
  ASSERT_EQ(inputs[0].data.rows.size(), 2u);
  EXPECT_EQ(RowText(inputs[0].data.rows[1]), "id=2 name=pear");
  EXPECT_EQ(inputs[0].data.rows[1].location.ToString(), "tests/data/b.csv:3:1");
  EXPECT_EQ(RowText(inputs[1].data.rows[0]), "id=5");
  EXPECT_EQ(RowText(inputs[2].data.rows[0]), "id=6");
}

TEST_F(TestFileTest, ReadsQueriesAndColumnTypes) {
  TestFile file = Parse(R"(test_a:
  model: s.a
  inputs:
    s.b:
      query: SELECT 1 AS id
      columns: {ID: INTEGER, amount: 'DECIMAL(10, 2)'}
  outputs:
    query:
      query: SELECT 1 AS id
)");
  const TestData& b = file.tests[0].inputs[0].data;
  EXPECT_EQ(b.query.value_or(""), "SELECT 1 AS id");
  ASSERT_EQ(b.column_types.size(), 2u);
  EXPECT_EQ(b.column_types[0].first, "id");
  EXPECT_EQ(b.column_types[1].second, "DECIMAL(10, 2)");
  EXPECT_EQ(file.tests[0].query_output->query.value_or(""), "SELECT 1 AS id");
}

TEST_F(TestFileTest, AnEmptyFileHasNoTests) {
  EXPECT_TRUE(Parse("").tests.empty());
  EXPECT_TRUE(Parse("# only a comment\n").tests.empty());
}

TEST_F(TestFileTest, ListsTestFilesUnderTestsOnly) {
  Write("tests/test_b.yaml", "");
  Write("tests/test_a.yml", "");
  Write("tests/sub/test_c.yaml", "");
  Write("tests/helper.yaml", "");
  Write("tests/test_d.txt", "");
  Write("models/test_e.yaml", "");
  Result<std::vector<std::string>> files = ListTestFiles(directory_.string());
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_EQ(*files,
            (std::vector<std::string>{"tests/sub/test_c.yaml", "tests/test_a.yml", "tests/test_b.yaml"}));
}

// --- Errors: one line each, at the fault ---------------------------------------------

TEST_F(TestFileTest, YamlSyntaxErrorsHaveTheirPosition) {
  EXPECT_EQ(ErrorOf("test_a:\n  model: [s.a\n"), "tests/test_a.yaml:3:1: end of sequence flow not found");
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n   outputs: x\n"), "tests/test_a.yaml:3:11: illegal map value");
}

TEST_F(TestFileTest, MissingModelOrOutputs) {
  EXPECT_EQ(ErrorOf("test_a:\n  outputs:\n    query: []\n"),
            "tests/test_a.yaml:1:1: test 'test_a' has no model");
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n"), "tests/test_a.yaml:1:1: test 'test_a' has no outputs");
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n  outputs:\n"),
            "tests/test_a.yaml:3:3: outputs of test 'test_a' need 'query' or 'ctes'");
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n  outputs: {partial: true}\n"),
            "tests/test_a.yaml:3:3: outputs of test 'test_a' need 'query' or 'ctes'");
}

TEST_F(TestFileTest, BadFormat) {
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n  inputs:\n    s.b:\n      format: xml\n      rows: []\n"
                    "  outputs:\n    query: []\n"),
            "tests/test_a.yaml:5:15: unsupported format 'xml' for s.b (use yaml or csv)");
}

TEST_F(TestFileTest, MissingCsvPath) {
  EXPECT_EQ(
      ErrorOf(
          "test_a:\n  model: s.a\n  inputs:\n    s.b:\n      format: csv\n      path: tests/data/nope.csv\n"
          "  outputs:\n    query: []\n"),
      "tests/test_a.yaml:6:13: file tests/data/nope.csv does not exist");
}

TEST_F(TestFileTest, CsvRowOfTheWrongWidth) {
  Write("tests/data/b.csv", "id,name\n1,apple\n2\n");
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n  inputs:\n    s.b: {format: csv, path: tests/data/b.csv}\n"
                    "  outputs:\n    query: []\n"),
            "tests/data/b.csv:3:1: row has 1 values, the header has 2 columns");
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n  inputs:\n    s.b:\n      format: csv\n      rows: |\n        "
                    "a,b\n        1\n"
                    "  outputs:\n    query: []\n"),
            "tests/test_a.yaml:4:5: CSV line 2: row has 1 values, the header has 2 columns");
}

TEST_F(TestFileTest, OtherMistakes) {
  EXPECT_EQ(ErrorOf("test_a:\n  modle: s.a\n"),
            "tests/test_a.yaml:2:3: unknown key 'modle' in test 'test_a'");
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n  outputs: {query: []}\ntest_a:\n  model: s.b\n"),
            "tests/test_a.yaml:4:1: test 'test_a' appears twice");
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.a\n  inputs:\n    s.b:\n      - 1\n  outputs: {query: []}\n"),
            "tests/test_a.yaml:5:9: each row must be a mapping of column names to values");
  EXPECT_EQ(
      ErrorOf(
          "test_a:\n  model: s.a\n  inputs:\n    s.b: {query: SELECT 1, rows: []}\n  outputs: {query: []}\n"),
      "tests/test_a.yaml:4:5: s.b has both 'query' and 'rows'; use one");
  EXPECT_EQ(
      ErrorOf("test_a:\n  model: s.a\n  inputs:\n    s.b: {columns: {a: INTEGER}}\n  outputs: {query: []}\n"),
      "tests/test_a.yaml:4:5: s.b has no rows, path or query");
  EXPECT_EQ(
      ErrorOf(
          "test_a:\n  model: s.a\n  inputs:\n    s.b: {format: yaml, rows: 'a,b'}\n  outputs: {query: []}\n"),
      "tests/test_a.yaml:4:5: s.b has CSV rows: add format: csv");
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "tests/test_a.yaml:1:1: expected a mapping of test names to tests at the top level");
}

}  // namespace
}  // namespace materia
