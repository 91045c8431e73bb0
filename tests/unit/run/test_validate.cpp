#include "run/validate.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace materia {
namespace {

namespace fs = std::filesystem;

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("materia_validate_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "models");
    fs::create_directories(dir_ / "data");
    fs::create_directories(dir_ / "seeds");
    Write("config.yaml",
          "gateways:\n  local:\n    connection: {type: duckdb, database: w.duckdb}\n"
          "model_defaults: {start: '2024-01-01', cron: '@daily'}\n");
    Write("data/events.csv", "ds,id,amount\n2024-01-01,1,2.5\n");
    Write("seeds/codes.csv", "code,name\n1,one\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& path, const std::string& content) {
    fs::create_directories((dir_ / path).parent_path());
    std::ofstream(dir_ / path, std::ios::binary) << content;
  }

  // A clean project of every kind: a seed, a FULL model reading a file, a VIEW and a
  // time-ranged model over them.
  void WriteCleanProject() {
    Write("models/codes.sql", "MODEL (name raw.codes, kind SEED (path '../seeds/codes.csv'));\n");
    Write("models/events.sql",
          "MODEL (name raw.events, kind FULL);\nSELECT * FROM read_csv('data/events.csv')\n");
    Write("models/named.sql",
          "MODEL (name stg.named, kind VIEW);\n"
          "SELECT e.ds, e.amount, c.name FROM raw.events e JOIN raw.codes c ON c.code = e.id\n");
    Write("models/daily.sql",
          "MODEL (name stg.daily, kind INCREMENTAL_BY_TIME_RANGE (time_column ds));\n"
          "SELECT ds, sum(amount) AS amount FROM stg.named\n"
          "WHERE ds BETWEEN @start_ds AND @end_ds GROUP BY ds\n");
  }

  ValidationReport Validate() {
    LoadOptions options;
    options.use_cache = false;
    auto project = LoadProject(dir_.string(), options);
    EXPECT_TRUE(project.ok()) << project.status().message();
    if (!project.ok()) return {};
    auto report = ValidateProject(*project);
    EXPECT_TRUE(report.ok()) << report.status().message();
    return report.ok() ? *report : ValidationReport{};
  }

  static std::vector<std::string> Lines(const ValidationReport& report) {
    std::vector<std::string> lines;
    for (const ValidationProblem& problem : report.problems) lines.push_back(problem.ToString());
    return lines;
  }

  fs::path dir_;
};

TEST_F(ValidateTest, ACleanProjectCompilesEveryModel) {
  WriteCleanProject();
  ValidationReport report = Validate();
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems[0].ToString());
  EXPECT_EQ(report.models, 4u);
  EXPECT_EQ(report.compiled, 4u);
  EXPECT_TRUE(report.skipped.empty());
}

TEST_F(ValidateTest, RelativeSourcesResolveAgainstTheProjectWhereverItRuns) {
  ASSERT_NE(fs::current_path(), dir_);
  Write("models/scanned.sql", "MODEL (name raw.scanned, kind FULL);\nSELECT * FROM 'data/events.csv'\n");
  Write("models/globbed.sql",
        "MODEL (name raw.globbed, kind VIEW);\nSELECT * FROM read_csv(['data/*.csv', 'data/events.csv'])\n");
  ValidationReport report = Validate();
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems[0].ToString());
  EXPECT_EQ(report.compiled, 2u);
}

TEST_F(ValidateTest, EveryProblemIsReportedAtItsQueryPosition) {
  WriteCleanProject();
  Write("models/bad_column.sql",
        "MODEL (name stg.bad_column, kind FULL);\n"
        "SELECT ds,\n"
        "  amount * rate AS converted\n"
        "FROM raw.events\n");
  Write("models/bad_function.sql",
        "MODEL (name stg.bad_function, kind VIEW);\n\nSELECT no_such_function(id) AS x FROM raw.events\n");
  Write("models/bad_table.sql", "MODEL (name stg.bad_table, kind FULL);\nSELECT * FROM elsewhere.thing\n");
  ValidationReport report = Validate();
  EXPECT_EQ(Lines(report),
            (std::vector<std::string>{
                "models/bad_column.sql:3:12: Binder Error: Referenced column \"rate\" not found in "
                "FROM clause!; Candidate bindings: \"amount\"",
                "models/bad_function.sql:3:8: Catalog Error: Scalar Function with name "
                "no_such_function does not exist!; Did you mean \"json_contains\"?",
                "models/bad_table.sql:2:15: Catalog Error: Table with name thing does not exist! "
                "(elsewhere.thing is not a model of this project; validate sees only the "
                "project's models)"}));
  EXPECT_EQ(report.compiled, 4u);
}

TEST_F(ValidateTest, ChildrenOfAModelWithProblemsAreSkipped) {
  WriteCleanProject();
  Write("models/events.sql", "MODEL (name raw.events, kind FULL);\nSELECT ds, idd FROM read_csv('data/events.csv')\n");
  ValidationReport report = Validate();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].model, "raw.events");
  EXPECT_EQ(report.problems[0].location.ToString(), "models/events.sql:2:12");
  EXPECT_EQ(report.skipped, (std::vector<std::string>{"stg.named", "stg.daily"}));
  EXPECT_EQ(report.compiled, 1u);  // the seed
}

TEST_F(ValidateTest, AMissingSourceFileIsAProblemAtItsPathAndTheRestGoesOn) {
  WriteCleanProject();
  Write("models/landing.sql",
        "MODEL (name raw.landing, kind FULL);\nSELECT *\nFROM read_csv('data/landing/*/*.csv')\n");
  Write("models/scan.sql", "MODEL (name raw.scan, kind FULL);\nSELECT * FROM 'data/nothing.csv'\n");
  ValidationReport report = Validate();
  EXPECT_EQ(Lines(report),
            (std::vector<std::string>{
                "models/landing.sql:3:15: source 'data/landing/*/*.csv' matches no file",
                "models/scan.sql:2:15: source 'data/nothing.csv' matches no file"}));
  EXPECT_EQ(report.compiled, 4u);
}

TEST_F(ValidateTest, TimeColumnMustBeAColumnOfTheQuery) {
  WriteCleanProject();
  Write("models/daily.sql",
        "MODEL (name stg.daily, kind INCREMENTAL_BY_TIME_RANGE (time_column day));\n"
        "SELECT ds, amount FROM stg.named\n");
  ValidationReport report = Validate();
  EXPECT_EQ(Lines(report),
            (std::vector<std::string>{"models/daily.sql:1:68: time_column 'day' is not a column of "
                                      "the query (its columns: ds, amount)"}));
}

TEST_F(ValidateTest, TimeColumnMustCompareWithTimestamps) {
  WriteCleanProject();
  Write("models/daily.sql",
        "MODEL (name stg.daily, kind INCREMENTAL_BY_TIME_RANGE (time_column ds));\n"
        "SELECT 20240101 AS ds, amount FROM stg.named\n");
  Write("models/text.sql",
        "MODEL (name stg.text, kind INCREMENTAL_BY_TIME_RANGE (time_column (ds, '%Y-%m-%d')));\n"
        "SELECT ds::VARCHAR AS ds FROM stg.named\n");
  ValidationReport report = Validate();
  EXPECT_EQ(Lines(report),
            (std::vector<std::string>{
                "models/daily.sql:1:68: time_column 'ds' cannot be filtered by time: Binder Error: "
                "Cannot compare values of type INTEGER and type TIMESTAMP - an explicit cast is "
                "required"}));
}

TEST_F(ValidateTest, DeclaredColumnsMustFitTheQuery) {
  WriteCleanProject();
  Write("models/self.sql",
        "MODEL (name stg.self, kind INCREMENTAL_BY_TIME_RANGE (time_column ds),\n"
        "  columns (ds DATE, total DOUBLE));\n"
        "SELECT ds, amount AS total FROM stg.named\nWHERE ds NOT IN (SELECT ds FROM @this_model)\n");
  Write("models/wrong.sql",
        "MODEL (name stg.wrong, kind INCREMENTAL_BY_TIME_RANGE (time_column ds),\n"
        "  columns (ds DATE));\n"
        "SELECT ds, amount FROM stg.named\n");
  Write("models/undeclared.sql",
        "MODEL (name stg.undeclared, kind INCREMENTAL_BY_TIME_RANGE (time_column ds));\n"
        "SELECT ds FROM stg.named WHERE ds NOT IN (SELECT ds FROM @this_model)\n");
  ValidationReport report = Validate();
  std::vector<std::string> lines = Lines(report);
  ASSERT_EQ(lines.size(), 2u) << (lines.empty() ? "" : lines[0]);
  EXPECT_EQ(lines[0],
            "models/undeclared.sql:1:1: the model reads its own table (@this_model): declare its "
            "columns in the MODEL header, e.g. columns (day DATE, n INTEGER), so the table exists "
            "before the first run");
  // BY NAME: the query's column must be one of the declared ones.
  EXPECT_EQ(lines[1],
            "models/wrong.sql:3:1: Binder Error: Table \"wrong\" does not have a column with name "
            "\"amount\"; Did you mean: \"ds\"");
}

TEST_F(ValidateTest, ASeedWhoseSettingsAreWrongIsAProblemAtItsPath) {
  Write("models/codes.sql",
        "MODEL (name raw.codes,\n  kind SEED (path '../seeds/codes.csv', csv_settings (no_such_option = 1)));\n");
  ValidationReport report = Validate();
  std::vector<std::string> lines = Lines(report);
  ASSERT_EQ(lines.size(), 1u);
  std::string expected =
      "models/codes.sql:2:19: Binder Error: Invalid named parameter \"no_such_option\" for "
      "function read_csv; Candidates:; ";
  EXPECT_EQ(lines[0].substr(0, expected.size()), expected);
}

TEST(DuckDbErrorOffsetTest, FindsTheCaretInShortAndCutLines) {
  std::string statement = "SELECT a,\n  b + 1 AS c FROM t";
  std::string message = "Binder Error: x\n\nLINE 2:   b + 1 AS c FROM t\n          ^";
  EXPECT_EQ(DuckDbErrorOffset(statement, message), statement.find('b'));

  std::string long_line = "SELECT ";
  for (int i = 0; i < 40; i++) long_line += "c" + std::to_string(i) + ", ";
  long_line += "zz, 1";
  size_t at = long_line.find("zz");
  // DuckDB shows 40 columns either side of the fault, "..." where it cuts.
  std::string excerpt = "..." + long_line.substr(at - 39, 79) + "...";
  std::string cut = "Binder Error: y\n\nLINE 1: " + excerpt + "\n" + std::string(8 + 3 + 39, ' ') + "^";
  EXPECT_EQ(DuckDbErrorOffset(long_line, cut), at);

  EXPECT_EQ(DuckDbErrorOffset(statement, "Catalog Error: no position"), std::nullopt);
}

}  // namespace
}  // namespace materia
