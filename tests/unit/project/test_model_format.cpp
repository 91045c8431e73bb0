#include "project/model_format.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "plan/snapshot.h"
#include "project/project.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

class ModelFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("materia_format_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "models");
    fs::create_directories(dir_ / "seeds");
    Write("config.yaml",
          "gateways:\n  local:\n    connection: {type: duckdb, database: w.duckdb}\n"
          "model_defaults: {start: '2024-01-01', cron: '@daily'}\n"
          "variables: {landing_dir: data}\n");
    config_.variables["landing_dir"] = "'data'";
    auto analyzer = SqlAnalyzer::Create();
    ASSERT_TRUE(analyzer.ok());
    analyzer_.emplace(std::move(analyzer).value());
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& path, const std::string& content) {
    std::ofstream(dir_ / path, std::ios::binary) << content;
  }
  std::string Read(const std::string& path) {
    std::ifstream in(dir_ / path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
  }

  // Formats `content`; a failure fails the test.
  std::string Format(const std::string& content) {
    auto formatted = FormatModelFile("models/m.sql", content, config_, *analyzer_);
    EXPECT_TRUE(formatted.ok()) << formatted.status().message();
    return formatted.ok() ? *formatted : content;
  }

  std::map<std::string, std::string> Fingerprints() {
    LoadOptions options;
    options.use_cache = false;
    auto project = LoadProject(dir_.string(), options);
    EXPECT_TRUE(project.ok()) << project.status().message();
    std::map<std::string, std::string> fingerprints;
    if (!project.ok()) return fingerprints;
    for (const auto& [name, snapshot] : ComputeSnapshots(*project)) fingerprints[name] = snapshot.fingerprint;
    return fingerprints;
  }

  fs::path dir_;
  ProjectConfig config_;
  std::optional<SqlAnalyzer> analyzer_;
};

TEST_F(ModelFormatTest, HeaderGetsOnePropertyPerLineNameAndKindFirst) {
  std::string formatted = Format(
      "model (owner   jen, KIND incremental_by_time_range(TIME_COLUMN ds,batch_size 7), name "
      "raw.events, tags [a,b], cron '@daily');\n"
      "select ds, id from raw.source\n");
  EXPECT_EQ(formatted,
            "MODEL (\n"
            "  name raw.events,\n"
            "  kind INCREMENTAL_BY_TIME_RANGE (\n"
            "    time_column ds,\n"
            "    batch_size 7\n"
            "  ),\n"
            "  owner jen,\n"
            "  tags [a, b],\n"
            "  cron '@daily'\n"
            ");\n"
            "\n"
            "SELECT ds, id FROM raw.source\n");
}

TEST_F(ModelFormatTest, QueryIsNormalizedKeepingItsLines) {
  std::string formatted = Format(
      "MODEL (name s.a, kind FULL);\n"
      "\t\tselect   a ,b,  count( DISTINCT c )   AS n\n"
      "\t\tfrom s.t   \n"
      "\n"
      "\n"
      "\t\twhere a is not null and b between 1 and 2\n"
      "\t\tgroup by all;\n");
  EXPECT_EQ(formatted,
            "MODEL (\n"
            "  name s.a,\n"
            "  kind FULL\n"
            ");\n"
            "\n"
            "SELECT a, b, count(DISTINCT c) AS n\n"
            "FROM s.t\n"
            "\n"
            "WHERE a IS NOT null AND b BETWEEN 1 AND 2\n"
            "GROUP BY ALL\n");
}

TEST_F(ModelFormatTest, CommentsInTheHeaderAndTheQueryAreKept) {
  std::string formatted = Format(
      "-- The events, one row each.\n"
      "\n"
      "MODEL ( -- header\n"
      "  name s.a, -- the name\n"
      "  -- before kind\n"
      "  kind FULL,\n"
      "  owner /* who */ jen\n"
      "  -- at the end\n"
      ");\n"
      "/* before the query */\n"
      "SELECT a, -- first\n"
      "  /* second */ b\n"
      "FROM s.t -- last\n");
  EXPECT_EQ(formatted,
            "-- The events, one row each.\n"
            "\n"
            "MODEL ( -- header\n"
            "  name s.a, -- the name\n"
            "  -- before kind\n"
            "  kind FULL,\n"
            "  owner /* who */ jen\n"
            "  -- at the end\n"
            ");\n"
            "\n"
            "/* before the query */\n"
            "SELECT a, -- first\n"
            "  /* second */ b\n"
            "FROM s.t -- last\n");
}

TEST_F(ModelFormatTest, LongListsGetOneItemPerLine) {
  std::string formatted = Format(
      "MODEL (name s.a, column_descriptions (alpha = 'the first column of the table, described at length', "
      "beta = 'the second one'));\nSELECT 1 AS alpha, 2 AS beta\n");
  EXPECT_EQ(formatted,
            "MODEL (\n"
            "  name s.a,\n"
            "  column_descriptions (\n"
            "    alpha = 'the first column of the table, described at length',\n"
            "    beta = 'the second one'\n"
            "  )\n"
            ");\n"
            "\n"
            "SELECT 1 AS alpha, 2 AS beta\n");
}

TEST_F(ModelFormatTest, PreAndPostStatementsAndColumnsStayAsWritten) {
  std::string content =
      "MODEL (name s.a, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), columns (ds   DATE,  n INT));\n"
      "SET  threads = 2;\n"
      "SELECT @start_ds::DATE AS ds, 1 AS n;\n"
      "CREATE   INDEX i ON @this_model (ds)\n";
  std::string formatted = Format(content);
  EXPECT_NE(formatted.find("  columns (ds   DATE,  n INT)\n"), std::string::npos) << formatted;
  EXPECT_NE(formatted.find("\nSET  threads = 2;\n\nSELECT @start_ds::DATE AS ds, 1 AS n;\n\n"
                           "CREATE   INDEX i ON @this_model (ds)\n"),
            std::string::npos)
      << formatted;
}

TEST_F(ModelFormatTest, NamesSpelledLikeKeywordsKeepTheirCase) {
  // After AS or a dot a keyword is a name: `AS from` names a column "from".
  std::string formatted = Format("MODEL (name s.a);\nselect  1 as from ,t.end from s.t\n");
  EXPECT_NE(formatted.find("\nSELECT 1 AS from, t.end FROM s.t\n"), std::string::npos) << formatted;
  // `first` and `last` are clause words (NULLS FIRST) and column names here: upper
  // case would rename the columns, so only the reserved keywords change.
  formatted = Format("MODEL (name s.a);\nselect first, last from s.t where x between 1 and 2\n");
  EXPECT_NE(formatted.find("\nSELECT first, last FROM s.t WHERE x between 1 AND 2\n"), std::string::npos)
      << formatted;
}

TEST_F(ModelFormatTest, AQueryThatDoesNotParseIsKeptAsWritten) {
  std::string formatted = Format("MODEL (name s.a);\nselect   x  \nFORM   t   \n");
  EXPECT_NE(formatted.find("\nselect   x\nFORM   t\n"), std::string::npos) << formatted;
}

TEST_F(ModelFormatTest, StringsKeepTheirSpaces) {
  std::string formatted = Format("MODEL (name s.a);\nselect 'a  b   \n  c' as x,  \"Odd  Name\"  from s.t\n");
  EXPECT_NE(formatted.find("SELECT 'a  b   \n  c' AS x, \"Odd  Name\" FROM s.t\n"), std::string::npos)
      << formatted;
}

TEST_F(ModelFormatTest, FormattingTwiceChangesNothing) {
  const char* files[] = {
      "model (name s.a, kind full, grain (a,b), description 'x');\nselect a, b from s.t\n",
      "-- c\nMODEL (name s.a, -- n\n kind SEED (path '../seeds/x.csv', csv_settings (delimiter = ';')),\n);\n",
      "MODEL (name s.a, kind INCREMENTAL_BY_TIME_RANGE (time_column (ds, '%Y-%m-%d'), lookback 2));\n"
      "  WITH x AS (\n    SELECT 1 AS ds -- one\n  )\n  SELECT * FROM x;\n-- end\n",
  };
  for (const char* file : files) {
    std::string once = Format(file);
    EXPECT_EQ(Format(once), once) << once;
  }
}

TEST_F(ModelFormatTest, UnparsableFilesAreRefusedWithTheParsersMessage) {
  auto formatted = FormatModelFile("models/m.sql", "MODEL (name s.a, kind FUL);\nSELECT 1\n", config_,
                                   *analyzer_);
  ASSERT_FALSE(formatted.ok());
  EXPECT_EQ(formatted.status().message(), "models/m.sql:1:23: unknown kind 'FUL'");
}

// The promise users rely on: formatting a project changes no model's fingerprint.
TEST_F(ModelFormatTest, FingerprintsAreUnchanged) {
  Write("seeds/codes.csv", "code,name\n1,one\n");
  fs::create_directories(dir_ / "data");
  Write("data/events.csv", "ds,id\n2024-01-01,1\n");
  Write("models/seed.sql",
        "model (name raw.codes, kind seed (path '../seeds/codes.csv', csv_settings (delim = ',')));\n");
  Write("models/events.sql",
        "-- raw events\nMODEL (name raw.events, kind FULL, tags (raw));\n"
        "select * from read_csv(@VAR('landing_dir') || '/events.csv',header=true)\n");
  Write("models/daily.sql",
        "MODEL (\n name stg.daily, kind incremental_by_time_range (time_column ds, batch_size 3),\n"
        " cron '@daily', columns (ds DATE, n BIGINT),\n);\n"
        "select ds::date as ds,count(*) as n  -- per day\n"
        "  from raw.events\n  where ds between @start_ds and @end_ds\n  group by 1;\n"
        "ANALYZE  @this_model\n");
  Write("models/joined.sql",
        "MODEL (name stg.joined, kind view);\n"
        "with e as (select id from raw.events)\n"
        "select e.id, c.name, d.n, 1 as from_value from e left join raw.codes c on c.code = e.id "
        "cross join stg.daily d\n");
  std::map<std::string, std::string> before = Fingerprints();
  ASSERT_EQ(before.size(), 4u);
  for (const char* file : {"models/seed.sql", "models/events.sql", "models/daily.sql", "models/joined.sql"}) {
    auto formatted = FormatModelFile(file, Read(file), config_, *analyzer_);
    ASSERT_TRUE(formatted.ok()) << formatted.status().message();
    EXPECT_NE(*formatted, Read(file)) << file;  // every file here is laid out differently
    Write(file, *formatted);
  }
  EXPECT_EQ(Fingerprints(), before);
}

}  // namespace
}  // namespace materia
