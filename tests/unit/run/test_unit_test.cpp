#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "project/project.h"
#include "run/unit_test.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

// A project on disk with models and test files; each test of this suite writes its own.
class UnitTestRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    directory_ = fs::temp_directory_path() /
                 ("materia_unit_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(directory_);
    Write("config.yaml",
          "gateways:\n  local:\n    connection: {type: duckdb, database: warehouse.duckdb}\n"
          "model_defaults: {dialect: duckdb, start: '2024-01-01'}\nvariables: {region: 'north', n: 1}\n");
    // Orders come from outside the project; items from a seed; a staging model types
    // them, and the tested model aggregates.
    Write("seeds/items.csv", "item_id,name,price\n1,apple,0.5\n2,pear,0.25\n");
    Write("models/items.sql", "MODEL (name s.items, kind SEED (path '../seeds/items.csv'));\n");
    Write("models/orders.sql",
          "MODEL (name s.orders, kind FULL);\n"
          "SELECT id::INTEGER AS id, item_id::INTEGER AS item_id, ds::DATE AS ds, qty::DOUBLE AS qty\n"
          "FROM (VALUES (1, 1, '2024-01-01', 1.0)) AS t(id, item_id, ds, qty)\n");
    Write("models/totals.sql",
          "MODEL (name s.totals, kind FULL);\n"
          "WITH recent AS (\n"
          "  SELECT * FROM s.orders WHERE ds >= @start_date AND ds <= @end_date\n"
          ")\n"
          "SELECT o.item_id, i.name, count(*) AS orders, sum(o.qty * i.price) AS amount,\n"
          "  max(o.ds) AS last_ds, @VAR('region') AS region\n"
          "FROM recent AS o JOIN s.items AS i USING (item_id)\n"
          "GROUP BY ALL\n");
    Write("models/sorted.sql",
          "MODEL (name s.sorted, kind FULL);\n"
          "SELECT id, label FROM raw.events ORDER BY id DESC\n");
    Write("models/clock.sql",
          "MODEL (name s.clock, kind FULL);\n"
          "SELECT CURRENT_DATE AS today, now() AS at, @execution_ds AS ds, @start_ds AS start_ds, @end_ds AS "
          "end_ds\n");
  }
  void TearDown() override { fs::remove_all(directory_); }

  void Write(const std::string& name, const std::string& content) {
    fs::create_directories((directory_ / name).parent_path());
    std::ofstream(directory_ / name) << content;
  }

  Project Load() {
    LoadOptions options;
    options.use_cache = false;
    Result<Project> project = LoadProject(directory_.string(), options);
    EXPECT_TRUE(project.ok()) << project.status().message();
    return project.ok() ? std::move(project).value() : Project();
  }

  // Runs the tests of tests/test_a.yaml holding `yaml`.
  TestReport Run(const std::string& yaml, const std::vector<std::string>& selectors = {}) {
    Write("tests/test_a.yaml", yaml);
    Project project = Load();
    Result<TestReport> report = RunProjectTests(project, TestSelection{selectors});
    EXPECT_TRUE(report.ok()) << report.status().message();
    return report.ok() ? std::move(report).value() : TestReport();
  }

  // The error RunProjectTests returns for `yaml`, or "ok".
  std::string ErrorOf(const std::string& yaml, const std::vector<std::string>& selectors = {}) {
    Write("tests/test_a.yaml", yaml);
    Project project = Load();
    Result<TestReport> report = RunProjectTests(project, TestSelection{selectors});
    return report.ok() ? "ok" : report.status().message();
  }

  fs::path directory_;
};

const char* kTotalsPass = R"(test_totals:
  model: s.totals
  inputs:
    s.orders:
      rows:
        - {id: 1, item_id: 1, ds: '2024-01-02', qty: 2}
        - {id: 2, item_id: 1, ds: 2024-01-03, qty: 1}
        - {id: 3, item_id: 2, ds: '2024-01-03', qty: 4}
        - {id: 4, item_id: 2, ds: '2023-12-31', qty: 9}
  outputs:
    query:
      rows:
        - {item_id: 2, name: pear, orders: 1, amount: 1.0000000000001, last_ds: 2024-01-03, region: south}
        - {item_id: 1, name: apple, orders: 2, amount: 1.5, last_ds: '2024-01-03 00:00:00', region: south}
  vars: {start: 2024-01-01, end: 2024-01-03, region: south}
)";

TEST_F(UnitTestRunTest, PassesWhenRowsMatchAsValuesInAnyOrder) {
  // Dates typed from the upstream model, compared as values; floats within 1e-9; the
  // seed read from its file; the test's var overrides config.yaml's; `end` includes its day.
  TestReport report = Run(kTotalsPass);
  ASSERT_EQ(report.outcomes.size(), 1u);
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kPassed)
      << report.outcomes[0].message << report.outcomes[0].diff;
  EXPECT_TRUE(report.AllPassed());
  EXPECT_EQ(report.passed, 1);
}

TEST_F(UnitTestRunTest, FailureShowsTheDifferingCellsAndMissingRows) {
  TestReport report = Run(R"(test_totals:
  model: s.totals
  inputs:
    s.orders:
      - {id: 1, item_id: 1, ds: '2024-01-01', qty: 2}
      - {id: 2, item_id: 2, ds: '2024-01-01', qty: 2}
  outputs:
    query:
      partial: true
      rows:
        - {item_id: 1, orders: 1, amount: 1.5}
        - {item_id: 2, orders: 1, amount: 0.5}
        - {item_id: 3, orders: 7, amount: 1}
  vars: {start: 2024-01-01, end: 2024-01-01}
)");
  ASSERT_EQ(report.outcomes.size(), 1u);
  const TestOutcome& outcome = report.outcomes[0];
  EXPECT_EQ(outcome.status, TestStatus::kFailed);
  EXPECT_EQ(outcome.message, "the query output of s.totals differs (1 row differs, 1 missing row)");
  EXPECT_EQ(outcome.diff,
            "the query output of s.totals differs (1 row differs, 1 missing row):\n"
            "  rows that differ (exp: expected, act: actual; * marks a differing cell):\n"
            "         item_id  orders  amount\n"
            "    exp  1        1       1.5 *\n"
            "    act  1        1       1.0 *\n"
            "  missing rows (expected, not in the output):\n"
            "      item_id  orders  amount\n"
            "      3        7       1.0\n");
  EXPECT_EQ(report.failed, 1);
  EXPECT_FALSE(report.AllPassed());
  std::string text = FormatTestReport(report);
  EXPECT_NE(text.find("FAILED  test_totals  tests/test_a.yaml:1:1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("1 test: 0 passed, 1 failed, 0 errors in "), std::string::npos) << text;
}

TEST_F(UnitTestRunTest, UnexpectedRowsAreListed) {
  TestReport report = Run(R"(test_totals:
  model: s.totals
  inputs:
    s.orders:
      - {id: 1, item_id: 1, ds: '1970-01-01', qty: 2}
  outputs:
    query: []
)");
  EXPECT_EQ(report.outcomes[0].message, "the query output of s.totals differs (1 unexpected row)");
  EXPECT_NE(report.outcomes[0].diff.find("  unexpected rows (in the output, not expected):\n"
                                         "      item_id  name   orders  amount  last_ds     region\n"
                                         "      1        apple  1       1.0     1970-01-01  north\n"),
            std::string::npos)
      << report.outcomes[0].diff;
}

TEST_F(UnitTestRunTest, OrderCountsOnlyWithOrderBy) {
  std::string test = R"(test_sorted:
  model: s.sorted
  inputs:
    raw.events:
      - {id: 1, label: a}
      - {id: 2, label: b}
  outputs:
    query:
      - {id: 1, label: a}
      - {id: 2, label: b}
)";
  TestReport report = Run(test);
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kFailed);
  EXPECT_NE(report.outcomes[0].diff.find("    exp #1  1 *  a *\n    act #1  2 *  b *\n"), std::string::npos)
      << report.outcomes[0].diff;
  Write("models/sorted.sql", "MODEL (name s.sorted, kind FULL);\nSELECT id, label FROM raw.events\n");
  EXPECT_EQ(Run(test).outcomes[0].status, TestStatus::kPassed);
}

TEST_F(UnitTestRunTest, TestsCtesByName) {
  TestReport report = Run(R"(test_recent:
  model: s.totals
  inputs:
    s.orders:
      - {id: 1, item_id: 1, ds: '2024-01-05', qty: 2}
      - {id: 2, item_id: 1, ds: '2024-02-05', qty: 2}
  outputs:
    ctes:
      recent:
        partial: true
        rows: [{id: 1, ds: 2024-01-05}]
  vars: {start: 2024-01-01, end: 2024-01-31}
test_recent_wrong:
  model: s.totals
  inputs:
    s.orders:
      - {id: 1, item_id: 1, ds: '2024-01-05', qty: 2}
  outputs:
    ctes:
      RECENT: [{id: 2}]
)");
  ASSERT_EQ(report.outcomes.size(), 2u);
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kPassed)
      << report.outcomes[0].message << report.outcomes[0].diff;
  EXPECT_EQ(report.outcomes[1].status, TestStatus::kFailed);
  EXPECT_EQ(report.outcomes[1].message, "CTE recent of s.totals differs (1 missing row)");
}

TEST_F(UnitTestRunTest, FreezesTheClockAtExecutionTime) {
  TestReport report = Run(R"(test_clock:
  model: s.clock
  outputs:
    query:
      - {today: 2024-03-01, at: '2024-03-01 10:30:00', ds: '2024-03-01', start_ds: '2024-02-01', end_ds: '2024-02-29'}
  vars: {execution_time: '2024-03-01 10:30:00', start: 2024-02-01, end: 2024-02-29}
test_epoch:
  model: s.clock
  outputs:
    query:
      partial: true
      rows: [{ds: '1970-01-01', start_ds: '1970-01-01', end_ds: '1970-01-01'}]
)");
  for (const TestOutcome& outcome : report.outcomes) {
    EXPECT_EQ(outcome.status, TestStatus::kPassed) << outcome.name << ": " << outcome.message << outcome.diff;
  }
}

TEST_F(UnitTestRunTest, InputsAndExpectedRowsFromQueriesAndCsv) {
  Write("tests/data/orders.csv", "id,item_id,ds,qty\n1,2,2024-01-01,4\n");
  TestReport report = Run(R"(test_csv:
  model: s.totals
  inputs:
    s.orders: {format: csv, path: tests/data/orders.csv}
    s.items:
      query: SELECT 2 AS item_id, 'fig' AS name, 3 AS price
  outputs:
    query:
      query: SELECT 2 AS item_id, 'fig' AS name, 1 AS orders, 12.0 AS amount, DATE '2024-01-01' AS last_ds, 'north' AS region
  vars: {start: 2024-01-01, end: 2024-01-01}
)");
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kPassed)
      << report.outcomes[0].message << report.outcomes[0].diff;
}

TEST_F(UnitTestRunTest, TypesExternalColumnsFromValuesAndColumns) {
  Write("models/late.sql",
        "MODEL (name s.late, kind FULL);\n"
        "SELECT id, day + 1 AS next_day, amount * 2 AS twice FROM raw.payments WHERE day >= DATE "
        "'2024-01-01'\n");
  TestReport report = Run(R"(test_late:
  model: s.late
  inputs:
    raw.payments:
      columns: {amount: 'DECIMAL(10,2)'}
      rows:
        - {id: 1, day: '2024-01-31', amount: 1.25}
        - {id: 2, day: '2023-12-31', amount: 3}
  outputs:
    query:
      - {id: 1, next_day: 2024-02-01, twice: 2.5}
)");
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kPassed)
      << report.outcomes[0].message << report.outcomes[0].diff;
}

TEST_F(UnitTestRunTest, AnUpstreamReadingFilesTakesItsColumnNamesAndLeftOutColumnsAreNull) {
  // The file's types cannot be known without it; the names can, and a column left
  // out is NULL of no type, which fits any use.
  Write("models/raw.sql", "MODEL (name s.raw, kind FULL);\nSELECT a, b, c FROM read_csv('data/*.csv')\n");
  Write("models/typed.sql",
        "MODEL (name s.typed, kind FULL);\nSELECT CAST(a AS INTEGER) + coalesce(b, 0) AS total, c FROM s.raw\n");
  TestReport report = Run(R"(test_typed:
  model: s.typed
  inputs:
    s.raw: [{a: '2'}]
  outputs:
    query: [{total: 2}]
test_typo:
  model: s.typed
  inputs:
    s.raw: [{a: '2', z: 1}]
  outputs:
    query: []
)");
  ASSERT_EQ(report.outcomes.size(), 2u);
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kPassed) << report.outcomes[0].message << report.outcomes[0].diff;
  EXPECT_EQ(report.outcomes[1].message,
            "tests/test_a.yaml:10:22: column 'z' is not a column of s.raw (its columns: a, b, c)");
}

TEST_F(UnitTestRunTest, AValueThatDoesNotFitItsTypeIsNotEqual) {
  TestReport report = Run(R"(test_totals:
  model: s.totals
  inputs:
    s.orders: [{id: 1, item_id: 1, ds: '2024-01-01', qty: 2}]
  outputs:
    query:
      partial: true
      rows: [{item_id: 1.5, last_ds: not a date}]
  vars: {start: 2024-01-01, end: 2024-01-01}
)");
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kFailed);
  // No cell is equal, so the rows are shown apart; the values as written.
  EXPECT_NE(report.outcomes[0].diff.find("  missing rows (expected, not in the output):\n"
                                         "      item_id  last_ds\n"
                                         "      1.5      not a date\n"),
            std::string::npos)
      << report.outcomes[0].diff;
}

// --- Errors -----------------------------------------------------------------------------

TEST_F(UnitTestRunTest, UnknownModel) {
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.nope\n  outputs:\n    query: []\n"),
            "tests/test_a.yaml:2:10: test 'test_a' names unknown model 's.nope'");
}

TEST_F(UnitTestRunTest, UnknownInput) {
  EXPECT_EQ(
      ErrorOf("test_a:\n  model: s.totals\n  inputs:\n    s.orders: []\n    s.other: []\n"
              "  outputs:\n    query: []\n"),
      "tests/test_a.yaml:5:5: input s.other is not an upstream of s.totals (it reads s.items, s.orders)");
}

TEST_F(UnitTestRunTest, MissingInput) {
  // The seed s.items may be left out (its file is read); s.orders may not.
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.totals\n  outputs:\n    query: []\n"),
            "tests/test_a.yaml:1:1: test 'test_a' has no input for s.orders, which s.totals reads");
}

TEST_F(UnitTestRunTest, BadTimeVar) {
  EXPECT_EQ(ErrorOf("test_a:\n  model: s.clock\n  outputs:\n    query: []\n  vars: {start: soon}\n"),
            "tests/test_a.yaml:5:17: invalid date or time 'soon'");
}

TEST_F(UnitTestRunTest, SelectorMatchingNothing) {
  EXPECT_EQ(ErrorOf(kTotalsPass, {"test_nope"}), "no test matches 'test_nope'");
}

TEST_F(UnitTestRunTest, ColumnMismatchInAnInputIsAnErrorOfThatTest) {
  TestReport report = Run(R"(test_a:
  model: s.totals
  inputs:
    s.orders: [{id: 1, itm_id: 2}]
  outputs:
    query: []
test_b:
  model: s.clock
  outputs:
    query: [{ds: '1970-01-01'}]
    partial: true
)");
  ASSERT_EQ(report.outcomes.size(), 2u);
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kError);
  EXPECT_EQ(report.outcomes[0].message,
            "tests/test_a.yaml:4:24: column 'itm_id' is not a column of s.orders (its columns: id, item_id, "
            "ds, qty)");
  EXPECT_EQ(report.outcomes[1].status, TestStatus::kPassed)
      << report.outcomes[1].message << report.outcomes[1].diff;
  EXPECT_EQ(report.errors, 1);
  std::string text = FormatTestReport(report);
  EXPECT_NE(text.find("ERROR   test_a  tests/test_a.yaml:1:1\n  tests/test_a.yaml:4:24: column 'itm_id'"),
            std::string::npos)
      << text;
}

TEST_F(UnitTestRunTest, ColumnMismatchInAnOutput) {
  TestReport report = Run(R"(test_a:
  model: s.totals
  inputs:
    s.orders: []
  outputs:
    query: [{item_id: 1, nm: 2}]
)");
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kError);
  EXPECT_EQ(
      report.outcomes[0].message,
      "tests/test_a.yaml:6:26: column 'nm' is not a column of the query output of s.totals (its columns: "
      "item_id, name, orders, amount, last_ds, region)");
}

TEST_F(UnitTestRunTest, ValueThatDoesNotFitAnInputColumn) {
  TestReport report =
      Run("test_a:\n  model: s.totals\n  inputs:\n    s.orders: [{id: abc}]\n  outputs:\n    query: []\n");
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kError);
  EXPECT_EQ(report.outcomes[0].message,
            "tests/test_a.yaml:4:17: value 'abc' of column id does not fit its type INTEGER");
}

TEST_F(UnitTestRunTest, UnknownCte) {
  TestReport report =
      Run("test_a:\n  model: s.totals\n  inputs:\n    s.orders: []\n  outputs:\n    ctes:\n      nope: []\n");
  EXPECT_EQ(report.outcomes[0].message,
            "tests/test_a.yaml:7:7: model s.totals has no CTE named 'nope' (its CTEs: recent)");
}

TEST_F(UnitTestRunTest, AQueryThatFailsOnTheInputsFailsTheTest) {
  Write("models/broken.sql", "MODEL (name s.broken, kind FULL);\nSELECT missing_column FROM raw.events\n");
  TestReport report =
      Run("test_a:\n  model: s.broken\n  inputs:\n    raw.events: [{id: 1}]\n  outputs:\n    query: []\n");
  EXPECT_EQ(report.outcomes[0].status, TestStatus::kFailed);
  EXPECT_EQ(report.outcomes[0].message.rfind("models/broken.sql: Binder Error: ", 0), 0u)
      << report.outcomes[0].message;
}

// --- Selecting and reporting --------------------------------------------------------------

TEST_F(UnitTestRunTest, SelectsByFileNameAndModel) {
  Write("tests/test_b.yaml",
        "test_clock:\n  model: s.clock\n  outputs:\n    query:\n      partial: true\n      rows: []\n");
  auto names = [&](const std::vector<std::string>& selectors) {
    std::string text;
    for (const TestOutcome& outcome : Run(kTotalsPass, selectors).outcomes) text += outcome.name + " ";
    return text;
  };
  EXPECT_EQ(names({}), "test_totals test_clock ");
  EXPECT_EQ(names({"tests/test_b.yaml"}), "test_clock ");
  EXPECT_EQ(names({"./tests/test_a.yaml::test_totals"}), "test_totals ");
  EXPECT_EQ(names({"test_clock"}), "test_clock ");
  EXPECT_EQ(names({"s.totals"}), "test_totals ");
  EXPECT_EQ(names({"tests"}), "test_totals test_clock ");
}

TEST_F(UnitTestRunTest, ReportsAsJson) {
  std::string json = FormatTestReportJson(Run(kTotalsPass));
  EXPECT_NE(json.find("\"name\": \"test_totals\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"status\": \"passed\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"file\": \"tests/test_a.yaml\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"passed\": 1"), std::string::npos) << json;
}

TEST_F(UnitTestRunTest, EvaluatesTheModelForCreateTest) {
  Write("tests/test_a.yaml", kTotalsPass);
  Project project = Load();
  Result<TestFile> file = LoadTestFile(directory_.string(), "tests/test_a.yaml");
  ASSERT_TRUE(file.ok()) << file.status().message();
  Result<TypedRows> rows = EvaluateUnitTestModel(project, file->tests[0]);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_EQ(rows->names,
            (std::vector<std::string>{"item_id", "name", "orders", "amount", "last_ds", "region"}));
  EXPECT_EQ(rows->types[0], "INTEGER");
  EXPECT_EQ(rows->types[4], "DATE");
  EXPECT_EQ(rows->rows.size(), 2u);
}

}  // namespace
}  // namespace materia
