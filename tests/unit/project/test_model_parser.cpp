#include <gtest/gtest.h>

#include <string>

#include "project/model_parser.h"

namespace materia {
namespace {

const char* kPath = "models/a.sql";

ModelDefinition Parse(const std::string& content) {
  Result<ModelDefinition> model = ParseModelFile(kPath, content);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return ModelDefinition();
  return std::move(model).value();
}

// The error message for `content`, or "ok" when it parses.
std::string ErrorOf(const std::string& content) {
  Result<ModelDefinition> model = ParseModelFile(kPath, content);
  if (model.ok()) return "ok";
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidInput);
  return model.status().message();
}

// --- Valid models -------------------------------------------------------------------

TEST(ModelParserTest, ParsesEveryProperty) {
  ModelDefinition model = Parse(R"(MODEL (
  name raw.psd_alldata,
  kind FULL,
  cron '@daily',
  start '2024-01-01',
  end '2024-12-31',
  grain (a, b),
  tags [nightly, heavy],
  owner x,
  description 'text with ''quote''',
  depends_on [a.b],
  audits (not_null(columns := (id)), unique_values(columns := (a, b))),
  column_descriptions (a = 'desc', "B" = 'second'),
  dialect duckdb
);
SELECT 1 AS a, 2 AS b
)");
  EXPECT_EQ(model.name, "raw.psd_alldata");
  EXPECT_EQ(model.schema, "raw");
  EXPECT_EQ(model.table, "psd_alldata");
  EXPECT_EQ(model.kind, ModelKind::kFull);
  EXPECT_EQ(model.cron, "@daily");
  EXPECT_EQ(model.start, "2024-01-01");
  EXPECT_EQ(model.end, "2024-12-31");
  ASSERT_EQ(model.grains.size(), 1u);
  EXPECT_EQ(model.grains[0], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(model.tags, (std::vector<std::string>{"nightly", "heavy"}));
  EXPECT_EQ(model.owner, "x");
  EXPECT_EQ(model.description, "text with 'quote'");
  EXPECT_EQ(model.depends_on, (std::vector<std::string>{"a.b"}));
  ASSERT_EQ(model.audits.size(), 2u);
  EXPECT_EQ(model.audits[0].name, "not_null");
  EXPECT_EQ(model.audits[0].text, "not_null(columns := (id))");
  ASSERT_EQ(model.audits[0].arguments.size(), 1u);
  EXPECT_EQ(model.audits[0].arguments[0].name, "columns");
  EXPECT_TRUE(model.audits[0].arguments[0].is_list);
  EXPECT_EQ(model.audits[0].arguments[0].items, (std::vector<std::string>{"id"}));
  EXPECT_EQ(model.audits[1].name, "unique_values");
  EXPECT_EQ(model.audits[1].arguments[0].items, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(model.column_descriptions.at("a"), "desc");
  EXPECT_EQ(model.column_descriptions.at("B"), "second");
  EXPECT_EQ(model.dialect, "duckdb");
  EXPECT_EQ(model.query, "SELECT 1 AS a, 2 AS b");
  EXPECT_EQ(model.path, kPath);
  EXPECT_EQ(model.header_location.ToString(), "models/a.sql:1:1");
  EXPECT_EQ(model.query_location.ToString(), "models/a.sql:16:1");
  EXPECT_TRUE(model.pre_statements.empty());
  EXPECT_TRUE(model.post_statements.empty());
}

TEST(ModelParserTest, KeepsEveryPropertyAsWritten) {
  ModelDefinition model = Parse(
      "MODEL (name raw.x, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), cron '@daily',\n"
      "  tags [a,  b]);\nSELECT 1");
  EXPECT_EQ(model.properties.at("name"), "raw.x");
  EXPECT_EQ(model.properties.at("kind"), "INCREMENTAL_BY_TIME_RANGE (time_column ds)");
  EXPECT_EQ(model.properties.at("cron"), "'@daily'");
  EXPECT_EQ(model.properties.at("tags"), "[a,  b]");
  EXPECT_EQ(model.kind_properties.at("time_column"), "ds");
  EXPECT_EQ(model.property_locations.at("cron").ToString(), "models/a.sql:1:74");
  EXPECT_EQ(model.property_locations.at("tags").ToString(), "models/a.sql:2:8");
  EXPECT_EQ(model.property_locations.at("kind.time_column").ToString(), "models/a.sql:1:64");
}

TEST(ModelParserTest, DefaultsToViewKind) {
  ModelDefinition model = Parse("MODEL (name staging.x); SELECT * FROM raw.y");
  EXPECT_EQ(model.kind, ModelKind::kView);
  EXPECT_EQ(model.query, "SELECT * FROM raw.y");
  EXPECT_EQ(model.query_location.ToString(), "models/a.sql:1:25");
}

TEST(ModelParserTest, AcceptsCommentsTrailingCommasAndAnyCase) {
  ModelDefinition model = Parse(R"(-- A model.
/* a block
   comment */
Model (
  -- the name
  NAME Raw.PSD_AllData, /* inline */
  Kind full,
  GRAINS (id),
);
-- the query
select 1 as id -- trailing
;
)");
  EXPECT_EQ(model.name, "raw.psd_alldata");
  EXPECT_EQ(model.kind, ModelKind::kFull);
  EXPECT_EQ(model.header_location.ToString(), "models/a.sql:4:1");
  EXPECT_EQ(model.query, "select 1 as id");
  EXPECT_EQ(model.query_location.ToString(), "models/a.sql:11:1");
  EXPECT_EQ(model.grains, (std::vector<std::vector<std::string>>{{"id"}}));
}

TEST(ModelParserTest, ParsesEveryKindForm) {
  EXPECT_EQ(Parse("MODEL (name a.b, kind VIEW); SELECT 1").kind, ModelKind::kView);
  EXPECT_EQ(Parse("MODEL (name a.b, kind FULL ()); SELECT 1").kind, ModelKind::kFull);
  ModelDefinition time_range = Parse(
      "MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ds, batch_size 7, "
      "lookback 2,)); SELECT 1");
  EXPECT_EQ(time_range.kind, ModelKind::kIncrementalByTimeRange);
  EXPECT_EQ(time_range.time_column, "ds");
  EXPECT_EQ(time_range.time_column_format, "");
  EXPECT_EQ(time_range.batch_size, 7);
  EXPECT_EQ(time_range.lookback, 2);

  ModelDefinition formatted = Parse(
      "MODEL (name a.b, kind incremental_by_time_range (time_column (\"Ds\", '%Y-%m-%d'), "
      "batch_concurrency 4, forward_only true)); SELECT 1");
  EXPECT_EQ(formatted.time_column, "Ds");
  EXPECT_EQ(formatted.time_column_format, "%Y-%m-%d");
  EXPECT_EQ(formatted.batch_size, 0);
  EXPECT_EQ(formatted.kind_properties.at("batch_concurrency"), "4");
  EXPECT_EQ(formatted.kind_properties.at("forward_only"), "true");
}

TEST(ModelParserTest, ParsesSeedModels) {
  ModelDefinition seed = Parse(
      "MODEL (\n  name seeds.codes,\n  kind SEED (\n    path '../seeds/x.csv',\n"
      "    csv_settings (delimiter = ';', Quotechar = '\"', header = true)\n  )\n);\n");
  EXPECT_EQ(seed.kind, ModelKind::kSeed);
  EXPECT_EQ(seed.seed_path, "../seeds/x.csv");
  EXPECT_EQ(seed.seed_csv_settings.at("delimiter"), "';'");
  EXPECT_EQ(seed.seed_csv_settings.at("quotechar"), "'\"'");
  EXPECT_EQ(seed.seed_csv_settings.at("header"), "true");
  EXPECT_EQ(seed.query, "");

  ModelDefinition without_semicolon = Parse("MODEL (name s.c, kind SEED (path 'c.csv'))");
  EXPECT_EQ(without_semicolon.seed_path, "c.csv");

  ModelDefinition with_statement =
      Parse("MODEL (name s.c, kind SEED (path 'c.csv')); CREATE INDEX i ON s.c (a);");
  EXPECT_EQ(with_statement.post_statements,
            (std::vector<std::string>{"CREATE INDEX i ON s.c (a)"}));
}

TEST(ModelParserTest, ParsesTagsInEveryForm) {
  EXPECT_EQ(Parse("MODEL (name a.b, tags nightly); SELECT 1").tags,
            (std::vector<std::string>{"nightly"}));
  EXPECT_EQ(Parse("MODEL (name a.b, tags [a, 'b c']); SELECT 1").tags,
            (std::vector<std::string>{"a", "b c"}));
  EXPECT_EQ(Parse("MODEL (name a.b, tags (a, b,)); SELECT 1").tags,
            (std::vector<std::string>{"a", "b"}));
}

TEST(ModelParserTest, ParsesGrainsInEveryForm) {
  using Grains = std::vector<std::vector<std::string>>;
  EXPECT_EQ(Parse("MODEL (name a.b, grain id); SELECT 1").grains, (Grains{{"id"}}));
  EXPECT_EQ(Parse("MODEL (name a.b, grain (a, b)); SELECT 1").grains, (Grains{{"a", "b"}}));
  EXPECT_EQ(Parse("MODEL (name a.b, grains ((a, b), c)); SELECT 1").grains,
            (Grains{{"a", "b"}, {"c"}}));
  EXPECT_EQ(Parse("MODEL (name a.b, grains [x, y]); SELECT 1").grains, (Grains{{"x"}, {"y"}}));
  EXPECT_EQ(Parse("MODEL (name a.b, grains id); SELECT 1").grains, (Grains{{"id"}}));
}

TEST(ModelParserTest, ParsesNamesAndDependencies) {
  EXPECT_EQ(Parse("MODEL (name \"Raw\".\"My Table\"); SELECT 1").name, "raw.my table");
  EXPECT_EQ(Parse("MODEL (name 'Raw.T'); SELECT 1").name, "raw.t");
  EXPECT_EQ(Parse("MODEL (name raw . t); SELECT 1").name, "raw.t");
  EXPECT_EQ(Parse("MODEL (name a.b, depends_on [Raw.X, 'raw.y', \"S\".t]); SELECT 1").depends_on,
            (std::vector<std::string>{"raw.x", "raw.y", "s.t"}));
  EXPECT_EQ(Parse("MODEL (name a.b, depends_on raw.x); SELECT 1").depends_on,
            (std::vector<std::string>{"raw.x"}));
}

TEST(ModelParserTest, AcceptsSqlmeshPropertiesItDoesNotUseYet) {
  ModelDefinition model = Parse(R"(MODEL (
  name a.b,
  partitioned_by (ds),
  clustered_by (a, b),
  storage_format parquet,
  table_format iceberg,
  physical_properties (x = 1),
  virtual_properties (y = 2),
  session_properties (z = 3),
  stamp 'v1',
  interval_unit day,
  allow_partials true,
  enabled true,
  disable_restatement false,
  gateway local,
  signals [one()],
  references (id),
  physical_version 'v2',
  optimize_query false,
  formatting false,
  ignored_rules ['ambiguousorinvalidcolumn'],
  on_destructive_change warn,
  on_additive_change allow,
  columns (id INT, name TEXT)
);
SELECT 1)");
  EXPECT_EQ(model.properties.size(), 23u);
  EXPECT_EQ(model.properties.at("columns"), "(id INT, name TEXT)");
  EXPECT_EQ(model.properties.at("storage_format"), "parquet");
  EXPECT_EQ(model.properties.at("physical_properties"), "(x = 1)");
}

TEST(ModelParserTest, BareStartAndNumbersKeepTheirText) {
  ModelDefinition model = Parse("MODEL (name a.b, start 2024-01-01, cron '*/5 * * * *'); SELECT 1");
  EXPECT_EQ(model.start, "2024-01-01");
  EXPECT_EQ(model.cron, "*/5 * * * *");
}

TEST(ModelParserTest, SplitsStatementsOutsideStringsCommentsAndParentheses) {
  ModelDefinition model = Parse(R"(MODEL (name a.b);
SET threads = 4;
CREATE TEMP TABLE t AS (SELECT 1; SELECT 2);
-- comment; not a statement
WITH x AS (SELECT ';' AS s, "a;b" AS q, $$x;y$$ AS d /* ; */)
SELECT * FROM x;
ANALYZE;
-- trailing comment
)");
  EXPECT_EQ(
      model.pre_statements,
      (std::vector<std::string>{"SET threads = 4", "CREATE TEMP TABLE t AS (SELECT 1; SELECT 2)"}));
  EXPECT_EQ(model.query,
            "WITH x AS (SELECT ';' AS s, \"a;b\" AS q, $$x;y$$ AS d /* ; */)\nSELECT * FROM x");
  EXPECT_EQ(model.query_location.ToString(), "models/a.sql:5:1");
  EXPECT_EQ(model.post_statements, (std::vector<std::string>{"ANALYZE"}));
  ASSERT_EQ(model.pre_statement_locations.size(), 2u);
  EXPECT_EQ(model.pre_statement_locations[0].ToString(), "models/a.sql:2:1");
  EXPECT_EQ(model.pre_statement_locations[1].ToString(), "models/a.sql:3:1");
  ASSERT_EQ(model.post_statement_locations.size(), 1u);
  EXPECT_EQ(model.post_statement_locations[0].ToString(), "models/a.sql:7:1");
}

TEST(ModelParserTest, RecognizesEveryQueryStart) {
  EXPECT_EQ(Parse("MODEL (name a.b); FROM raw.x SELECT a").query, "FROM raw.x SELECT a");
  EXPECT_EQ(Parse("MODEL (name a.b); (SELECT 1) UNION ALL (SELECT 2)").query,
            "(SELECT 1) UNION ALL (SELECT 2)");
  EXPECT_EQ(Parse("MODEL (name a.b); with x as (select 1) select * from x").query,
            "with x as (select 1) select * from x");
}

TEST(ModelParserTest, ColumnsCountCharactersNotBytes) {
  ModelDefinition model = Parse("MODEL (name a.b, description 'h\xC3\xA9llo'); SELECT 1");
  EXPECT_EQ(model.description, "h\xC3\xA9llo");
  EXPECT_EQ(model.query_location.ToString(), "models/a.sql:1:40");
}

TEST(ModelParserTest, AcceptsEscapeAndDollarStrings) {
  ModelDefinition model =
      Parse("MODEL (name a.b, description E'it\\'s', owner $tag$a)b$tag$); SELECT 1");
  EXPECT_EQ(model.description, "it's");
  EXPECT_EQ(model.owner, "a)b");
}

TEST(ModelParserTest, SkipsAByteOrderMark) {
  ModelDefinition model = Parse("\xEF\xBB\xBFMODEL (name a.b);\nSELECT 1");
  EXPECT_EQ(model.name, "a.b");
  EXPECT_EQ(model.header_location.ToString(), "models/a.sql:1:1");
  EXPECT_EQ(model.query, "SELECT 1");
  EXPECT_EQ(model.query_location.ToString(), "models/a.sql:2:1");
}

TEST(ModelKindTest, NamesEveryKind) {
  EXPECT_STREQ(ModelKindName(ModelKind::kView), "VIEW");
  EXPECT_STREQ(ModelKindName(ModelKind::kFull), "FULL");
  EXPECT_STREQ(ModelKindName(ModelKind::kSeed), "SEED");
  EXPECT_STREQ(ModelKindName(ModelKind::kIncrementalByTimeRange), "INCREMENTAL_BY_TIME_RANGE");
}

TEST(SourceLocationTest, FormatsEveryCombination) {
  EXPECT_EQ((SourceLocation{"models/a.sql", 3, 7}).ToString(), "models/a.sql:3:7");
  EXPECT_EQ((SourceLocation{"models/a.sql", 0, 0}).ToString(), "models/a.sql");
  EXPECT_EQ((SourceLocation{"", 3, 7}).ToString(), "3:7");
  EXPECT_EQ((SourceLocation{}).ToString(), "");
}

// --- Invalid models ------------------------------------------------------------------

TEST(ModelParserErrorTest, UnknownProperty) {
  EXPECT_EQ(ErrorOf("MODEL (\n  nmae raw.x\n);\nSELECT 1"),
            "models/a.sql:2:3: unknown property 'nmae'");
}

TEST(ModelParserErrorTest, UnknownKind) {
  EXPECT_EQ(ErrorOf("MODEL (\n  name a.b,\n  kind FUL\n);\nSELECT 1"),
            "models/a.sql:3:8: unknown kind 'FUL'");
}

TEST(ModelParserErrorTest, UnsupportedKinds) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind incremental_by_partition); SELECT 1"),
            "models/a.sql:1:23: kind 'incremental_by_partition' is not supported yet");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind EXTERNAL); SELECT 1"),
            "models/a.sql:1:23: kind 'EXTERNAL' is not supported yet");
}

TEST(ModelParserTest, ParsesUniqueKeyKinds) {
  auto model = ParseModelFile("models/a.sql", R"(MODEL (name a.b, kind incremental_by_unique_key (
  unique_key (id, "Region"),
  when_matched WHEN MATCHED THEN UPDATE SET target.v = source.v,
  merge_filter (source.day > target.day),
  lookback 2,
));
SELECT 1 AS id)");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->kind, ModelKind::kIncrementalByUniqueKey);
  EXPECT_TRUE(IsIncrementalKind(model->kind));
  EXPECT_EQ(model->unique_key, (std::vector<std::string>{"id", "\"Region\""}));
  EXPECT_EQ(model->when_matched, "WHEN MATCHED THEN UPDATE SET target.v = source.v");
  EXPECT_EQ(model->merge_filter, "source.day > target.day");
  EXPECT_EQ(model->lookback, 2);
  EXPECT_STREQ(ModelKindName(model->kind), "INCREMENTAL_BY_UNIQUE_KEY");
}

TEST(ModelParserTest, ParsesScdKinds) {
  auto by_time = ParseModelFile("models/a.sql", R"(MODEL (name a.b, kind SCD_TYPE_2_BY_TIME (
  unique_key id, updated_at_name changed_at, valid_from_name starts, valid_to_name ends,
  invalidate_hard_deletes false, updated_at_as_valid_from true
));
SELECT 1 AS id)");
  ASSERT_TRUE(by_time.ok()) << by_time.status().message();
  EXPECT_EQ(by_time->kind, ModelKind::kScdType2ByTime);
  EXPECT_TRUE(IsIncrementalKind(by_time->kind));
  EXPECT_EQ(by_time->updated_at_name, "changed_at");
  EXPECT_EQ(by_time->valid_from_name, "starts");
  EXPECT_EQ(by_time->valid_to_name, "ends");
  EXPECT_FALSE(by_time->invalidate_hard_deletes);
  EXPECT_TRUE(by_time->updated_at_as_valid_from);
  // History cannot be recomputed: forward-only and not restatable unless told otherwise.
  EXPECT_TRUE(by_time->forward_only);
  EXPECT_TRUE(by_time->disable_restatement);

  auto alias = ParseModelFile("models/a.sql", "MODEL (name a.b, kind SCD_TYPE_2 (unique_key id)); SELECT 1");
  ASSERT_TRUE(alias.ok()) << alias.status().message();
  EXPECT_STREQ(ModelKindName(alias->kind), "SCD_TYPE_2_BY_TIME");
  EXPECT_EQ(alias->updated_at_name, "updated_at");

  auto by_column = ParseModelFile("models/a.sql", R"(MODEL (name a.b, kind SCD_TYPE_2_BY_COLUMN (
  unique_key (id, region), columns [name, price], disable_restatement false, forward_only false
));
SELECT 1 AS id)");
  ASSERT_TRUE(by_column.ok()) << by_column.status().message();
  EXPECT_EQ(by_column->kind, ModelKind::kScdType2ByColumn);
  EXPECT_EQ(by_column->scd_columns, (std::vector<std::string>{"name", "price"}));
  EXPECT_EQ(by_column->unique_key, (std::vector<std::string>{"id", "region"}));
  EXPECT_FALSE(by_column->disable_restatement);
  EXPECT_FALSE(by_column->forward_only);
  auto star = ParseModelFile("models/a.sql", "MODEL (name a.b, kind SCD_TYPE_2_BY_COLUMN (unique_key id, columns *)); SELECT 1");
  ASSERT_TRUE(star.ok()) << star.status().message();
  EXPECT_EQ(star->scd_columns, (std::vector<std::string>{"*"}));
}

TEST(ModelParserErrorTest, ScdKindMistakes) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SCD_TYPE_2_BY_TIME); SELECT 1"),
            "models/a.sql:1:23: kind SCD_TYPE_2_BY_TIME needs a unique_key, e.g. kind "
            "SCD_TYPE_2_BY_TIME (unique_key id)");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SCD_TYPE_2_BY_COLUMN (unique_key id)); SELECT 1"),
            "models/a.sql:1:23: kind SCD_TYPE_2_BY_COLUMN needs the columns to compare, e.g. "
            "columns [name, price] or columns *");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SCD_TYPE_2_BY_TIME (unique_key id, columns [a])); SELECT 1"),
            "models/a.sql:1:58: property 'columns' does not belong to kind SCD_TYPE_2_BY_TIME");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SCD_TYPE_2_BY_COLUMN (unique_key id, columns [*, a])); SELECT 1"),
            "models/a.sql:1:68: columns takes * alone or a list of columns, not both");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SCD_TYPE_2_BY_TIME (unique_key id, valid_to_name valid_from)); SELECT 1"),
            "models/a.sql:1:23: valid_from_name and valid_to_name must differ");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SCD_TYPE_2_BY_TIME (unique_key id, updated_at_name (a, b))); SELECT 1"),
            "models/a.sql:1:74: updated_at_name takes one column name, got '(a, b)'");
}

TEST(ModelParserTest, ForwardOnlyAndPartials) {
  auto model = ParseModelFile("models/a.sql", R"(MODEL (name a.b, allow_partials true,
  kind INCREMENTAL_BY_TIME_RANGE (time_column ds, forward_only true, on_destructive_change allow,
  on_additive_change error));
SELECT 1 AS ds)");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_TRUE(model->forward_only);
  EXPECT_TRUE(model->allow_partials);
  EXPECT_EQ(model->on_destructive_change, "allow");
  EXPECT_EQ(model->on_additive_change, "error");
  auto defaults = ParseModelFile("models/a.sql", "MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ds)); SELECT 1");
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->forward_only);
  EXPECT_FALSE(defaults->allow_partials);
  EXPECT_EQ(defaults->on_destructive_change, "error");
  EXPECT_EQ(defaults->on_additive_change, "allow");
}

TEST(ModelParserErrorTest, ForwardOnlyMistakes) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind FULL, forward_only true); SELECT 1"),
            "models/a.sql:1:42: forward_only applies to incremental kinds, not to kind FULL");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ds, "
                    "on_destructive_change never)); SELECT 1"),
            "models/a.sql:1:88: on_destructive_change must be allow, warn, error or ignore, got 'never'");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ds, "
                    "on_additive_change ignore)); SELECT 1"),
            "models/a.sql:1:85: on_additive_change must be allow, warn or error, got 'ignore'");
}

TEST(ModelParserErrorTest, BooleansMustBeTrueOrFalse) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, enabled maybe); SELECT 1"),
            "models/a.sql:1:26: enabled must be true or false, got 'maybe'");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ds, "
                    "disable_restatement 1)); SELECT 1"),
            "models/a.sql:1:86: disable_restatement must be true or false, got '1'");
  auto disabled = ParseModelFile("models/a.sql", "MODEL (name a.b, enabled 'false'); SELECT 1");
  ASSERT_TRUE(disabled.ok());
  EXPECT_FALSE(disabled->enabled);
}

TEST(ModelParserErrorTest, KindIsNotAWord) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind 'FULL'); SELECT 1"),
            "models/a.sql:1:23: expected a model kind, found ''FULL''");
}

TEST(ModelParserErrorTest, MissingName) {
  EXPECT_EQ(ErrorOf("MODEL (kind FULL);\nSELECT 1"), "models/a.sql:1:1: MODEL has no name");
  EXPECT_EQ(ErrorOf("-- header\nMODEL ();\nSELECT 1"), "models/a.sql:2:1: MODEL has no name");
}

TEST(ModelParserErrorTest, NameMustHaveTwoParts) {
  EXPECT_EQ(ErrorOf("MODEL (name x); SELECT 1"),
            "models/a.sql:1:13: model name 'x' must be schema.table");
  EXPECT_EQ(ErrorOf("MODEL (name cat.raw.x); SELECT 1"),
            "models/a.sql:1:13: model name 'cat.raw.x' must be schema.table");
  EXPECT_EQ(ErrorOf("MODEL (name raw.); SELECT 1"),
            "models/a.sql:1:13: model name 'raw.' must be schema.table");
  EXPECT_EQ(ErrorOf("MODEL (name 'raw'); SELECT 1"),
            "models/a.sql:1:13: model name ''raw'' must be schema.table");
  EXPECT_EQ(ErrorOf("MODEL (name 'a.b.c'); SELECT 1"),
            "models/a.sql:1:13: model name ''a.b.c'' must be schema.table");
  EXPECT_EQ(ErrorOf("MODEL (name raw.2x); SELECT 1"),
            "models/a.sql:1:13: model name 'raw.2x' must be schema.table");
  EXPECT_EQ(ErrorOf("MODEL (name \"\".x); SELECT 1"),
            "models/a.sql:1:13: model name '\"\".x' must be schema.table");
}

TEST(ModelParserErrorTest, DependsOnEntriesMustHaveTwoParts) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, depends_on [raw.x, y]); SELECT 1"),
            "models/a.sql:1:37: depends_on entry 'y' must be schema.table");
}

TEST(ModelParserErrorTest, UnterminatedString) {
  EXPECT_EQ(ErrorOf("MODEL (\n  name a.b,\n  owner 'x\n);\nSELECT 1"),
            "models/a.sql:3:9: unterminated string");
  EXPECT_EQ(ErrorOf("MODEL (name a.b);\nSELECT 'abc"), "models/a.sql:2:8: unterminated string");
  EXPECT_EQ(ErrorOf("MODEL (name a.b);\nSELECT E'abc\\'"), "models/a.sql:2:8: unterminated string");
  EXPECT_EQ(ErrorOf("MODEL (name a.b);\nSELECT $x$abc$"), "models/a.sql:2:8: unterminated string");
}

TEST(ModelParserErrorTest, UnterminatedQuotedIdentifier) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b);\nSELECT \"abc"),
            "models/a.sql:2:8: unterminated quoted identifier");
}

TEST(ModelParserErrorTest, UnterminatedComment) {
  EXPECT_EQ(ErrorOf("/* header\nMODEL (name a.b);\nSELECT 1"),
            "models/a.sql:1:1: unterminated comment");
  EXPECT_EQ(ErrorOf("MODEL (name a.b);\nSELECT 1 /* /* nested */"),
            "models/a.sql:2:10: unterminated comment");
}

TEST(ModelParserErrorTest, UnclosedParenthesis) {
  EXPECT_EQ(ErrorOf("MODEL (\n  name a.b,\n  kind FULL;\nSELECT 1"),
            "models/a.sql:1:7: unclosed '('");
  EXPECT_EQ(ErrorOf("MODEL (name a.b);\nSELECT count(*\nFROM x"),
            "models/a.sql:2:13: unclosed '('");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, tags [a, b);\nSELECT 1"),
            "models/a.sql:1:28: unexpected ')'");
}

TEST(ModelParserErrorTest, UnexpectedClosingBracket) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b);\nSELECT 1)"), "models/a.sql:2:9: unexpected ')'");
}

TEST(ModelParserErrorTest, KindPropertyThatDoesNotBelong) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind FULL (time_column ds)); SELECT 1"),
            "models/a.sql:1:29: property 'time_column' does not belong to kind FULL");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind VIEW (materialized true)); SELECT 1"),
            "models/a.sql:1:29: property 'materialized' does not belong to kind VIEW");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SEED (path 'x.csv', lookback 2))"),
            "models/a.sql:1:43: property 'lookback' does not belong to kind SEED");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ds, "
                    "path 'x')); SELECT 1"),
            "models/a.sql:1:66: property 'path' does not belong to kind "
            "INCREMENTAL_BY_TIME_RANGE");
}

TEST(ModelParserErrorTest, TimeRangeWithoutTimeColumn) {
  std::string expected =
      "models/a.sql:1:23: kind INCREMENTAL_BY_TIME_RANGE needs a time_column, e.g. "
      "kind INCREMENTAL_BY_TIME_RANGE (time_column ds)";
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE); SELECT 1"), expected);
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (batch_size 2)); SELECT 1"),
            expected);
}

TEST(ModelParserErrorTest, SeedWithoutPath) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SEED)"),
            "models/a.sql:1:23: kind SEED needs a path, e.g. kind SEED (path '../seeds/x.csv')");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SEED (path ''))"),
            "models/a.sql:1:23: kind SEED needs a path, e.g. kind SEED (path '../seeds/x.csv')");
}

TEST(ModelParserErrorTest, CountsMustBeNonNegativeIntegers) {
  const std::string prefix = "MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ds, ";
  EXPECT_EQ(ErrorOf(prefix + "batch_size -1)); SELECT 1"),
            "models/a.sql:1:77: batch_size must be a non-negative integer, got '-1'");
  EXPECT_EQ(ErrorOf(prefix + "batch_size 1.5)); SELECT 1"),
            "models/a.sql:1:77: batch_size must be a non-negative integer, got '1.5'");
  EXPECT_EQ(ErrorOf(prefix + "batch_size seven)); SELECT 1"),
            "models/a.sql:1:77: batch_size must be a non-negative integer, got 'seven'");
  EXPECT_EQ(ErrorOf(prefix + "batch_size 99999999999)); SELECT 1"),
            "models/a.sql:1:77: batch_size must be a non-negative integer, got '99999999999'");
  EXPECT_EQ(ErrorOf(prefix + "lookback '2')); SELECT 1"),
            "models/a.sql:1:75: lookback must be a non-negative integer, got ''2''");
  EXPECT_EQ(ErrorOf(prefix + "lookback 0x10)); SELECT 1"),
            "models/a.sql:1:75: lookback must be a non-negative integer, got '0x10'");
  EXPECT_EQ(Parse(prefix + "batch_size 0, lookback 0)); SELECT 1").batch_size, 0);
}

TEST(ModelParserErrorTest, TimeColumnTakesAtMostTwoParts) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column (ds, '%Y', x))); "
                    "SELECT 1"),
            "models/a.sql:1:62: time_column takes a column and an optional format, e.g. "
            "time_column (ds, '%Y-%m-%d')");
}

TEST(ModelParserErrorTest, ModelWithoutQuery) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind FULL);\n"), "models/a.sql:1:29: model has no query");
  EXPECT_EQ(ErrorOf("MODEL (name a.b)"), "models/a.sql:1:17: model has no query");
  EXPECT_EQ(ErrorOf("MODEL (name a.b);\nSET x = 1;\n-- nothing else\n"),
            "models/a.sql:2:1: model has no query: a model's query is a SELECT or WITH statement, found 'SET'");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind FULL);\nDELETE FROM t WHERE x = 1\n"),
            "models/a.sql:2:1: model has no query: a model's query is a SELECT or WITH statement, found "
            "'DELETE'");
}

TEST(ModelParserErrorTest, ScheduleValuesAreCheckedAtTheirPosition) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, cron '@fortnightly');\nSELECT 1"),
            "models/a.sql:1:23: invalid cron '@fortnightly': unknown alias '@fortnightly' (expected "
            "@hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind FULL, start 'whenever');\nSELECT 1"),
            "models/a.sql:1:35: start: invalid date or time 'whenever'");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, end '2024-02-30');\nSELECT 1"),
            "models/a.sql:1:22: end: invalid date or time '2024-02-30': day 30 is out of range 1-29 in "
            "2024-02");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, interval_unit fortnight);\nSELECT 1"),
            "models/a.sql:1:32: interval_unit must be one of year, month, day, hour, half_hour, "
            "quarter_hour, five_minute, got 'fortnight'");
  // Empty values keep the defaults; relative times are valid.
  EXPECT_TRUE(ParseModelFile("models/a.sql", "MODEL (name a.b, cron '', interval_unit '', start '1 year ago');\n"
                                             "SELECT 1")
                  .ok());
}

TEST(ModelParserErrorTest, SeedWithQuery) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SEED (path 'x.csv'));\nSELECT 1"),
            "models/a.sql:2:1: a SEED model takes its rows from its CSV file and has no query");
}

TEST(ModelParserErrorTest, FileWithoutHeader) {
  EXPECT_EQ(ErrorOf("SELECT 1"),
            "models/a.sql:1:1: expected MODEL (...) at the start of the file, found 'SELECT'");
  EXPECT_EQ(ErrorOf(""),
            "models/a.sql:1:1: expected MODEL (...) at the start of the file, found end of file");
  EXPECT_EQ(ErrorOf("-- only a comment\n"),
            "models/a.sql:2:1: expected MODEL (...) at the start of the file, found end of file");
  EXPECT_EQ(ErrorOf("MODEL name a.b; SELECT 1"),
            "models/a.sql:1:7: expected '(' after MODEL, found 'name'");
}

TEST(ModelParserErrorTest, HeaderNotFollowedBySemicolon) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b)\nSELECT 1"),
            "models/a.sql:2:1: expected ';' after the MODEL header, found 'SELECT'");
}

TEST(ModelParserErrorTest, PropertySetTwice) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, Name a.c); SELECT 1"),
            "models/a.sql:1:18: property 'name' is set twice");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column ds, "
                    "time_column dt)); SELECT 1"),
            "models/a.sql:1:66: property 'time_column' is set twice");
}

TEST(ModelParserErrorTest, PropertyWithoutValue) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, owner); SELECT 1"),
            "models/a.sql:1:18: property 'owner' has no value");
  EXPECT_EQ(ErrorOf("MODEL (name); SELECT 1"), "models/a.sql:1:8: property 'name' has no value");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind INCREMENTAL_BY_TIME_RANGE (time_column)); SELECT 1"),
            "models/a.sql:1:50: property 'time_column' has no value");
}

TEST(ModelParserErrorTest, PropertyNameIsNotAWord) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b,, kind FULL); SELECT 1"),
            "models/a.sql:1:17: expected a property name, found ','");
  EXPECT_EQ(ErrorOf("MODEL ('name' a.b); SELECT 1"),
            "models/a.sql:1:8: expected a property name, found ''name''");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SEED ('path' 'x.csv'))"),
            "models/a.sql:1:29: expected a kind property name, found ''path''");
}

TEST(ModelParserErrorTest, TextAfterKind) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind FULL please); SELECT 1"),
            "models/a.sql:1:28: unexpected 'please' after kind FULL");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind FULL () please); SELECT 1"),
            "models/a.sql:1:31: unexpected 'please' after kind FULL");
}

TEST(ModelParserErrorTest, EmptyListItem) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, tags [a,, b]); SELECT 1"),
            "models/a.sql:1:26: empty item in a list");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind FULL (,)); SELECT 1"),
            "models/a.sql:1:29: empty item in a list");
}

TEST(ModelParserErrorTest, AssignmentLists) {
  EXPECT_EQ(ErrorOf("MODEL (name a.b, column_descriptions (a 'x')); SELECT 1"),
            "models/a.sql:1:39: column_descriptions must be written (column = 'description', ...)");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, column_descriptions a = 'x'); SELECT 1"),
            "models/a.sql:1:38: column_descriptions must be written (column = 'description', ...)");
  EXPECT_EQ(ErrorOf("MODEL (name a.b, kind SEED (path 'x.csv', csv_settings (delimiter =)))"),
            "models/a.sql:1:57: csv_settings must be written (name = value, ...)");
}

TEST(ModelParserErrorTest, FileTooLarge) {
  std::string content = "MODEL (name a.b); SELECT 1 -- ";
  content.append(16 * 1024 * 1024, 'x');
  EXPECT_EQ(ErrorOf(content),
            "models/a.sql: model file is 16777246 bytes, more than the limit "
            "of 16777216");
}

TEST(ModelParserErrorTest, BracketsNestTooDeep) {
  std::string content =
      "MODEL (name a.b); SELECT " + std::string(1001, '(') + "1" + std::string(1001, ')');
  EXPECT_EQ(ErrorOf(content), "models/a.sql:1:1026: brackets nest deeper than 1000 levels");
}

TEST(ModelParserAudits, NamesArgumentsAndListsAsWritten) {
  auto model = ParseModelFile("models/a.sql", R"(MODEL (
  name s.a,
  audits (
    unique_grain,
    accepted_values(column = status, is_in := ['new', 'done']),
    forall(criteria := (price > 0, qty >= 0)),
    Number_Of_Rows(threshold := 10),
  )
);
SELECT 1 AS a)");
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->audits.size(), 4u);
  EXPECT_EQ(model->audits[0].name, "unique_grain");
  EXPECT_TRUE(model->audits[0].arguments.empty());
  EXPECT_EQ(model->audits[0].location.ToString(), "models/a.sql:4:5");
  const AuditCall& accepted = model->audits[1];
  ASSERT_EQ(accepted.arguments.size(), 2u);
  EXPECT_EQ(accepted.arguments[0].name, "column");
  EXPECT_FALSE(accepted.arguments[0].is_list);
  EXPECT_EQ(accepted.arguments[0].text, "status");
  EXPECT_EQ(accepted.arguments[1].items, (std::vector<std::string>{"'new'", "'done'"}));
  EXPECT_EQ(model->audits[2].arguments[0].items,
            (std::vector<std::string>{"price > 0", "qty >= 0"}));
  EXPECT_EQ(model->audits[3].name, "number_of_rows");
  EXPECT_EQ(model->audits[3].arguments[0].text, "10");
}

TEST(ModelParserAudits, MalformedCallsAreOneLineErrors) {
  auto bad_argument = ParseModelFile("models/a.sql",
                                     "MODEL (name s.a, audits (not_null(columns (id))));\nSELECT 1");
  ASSERT_FALSE(bad_argument.ok());
  EXPECT_EQ(bad_argument.status().message(),
            "models/a.sql:1:35: arguments of audit not_null must be written name := value, "
            "found 'columns (id)'");
  auto twice = ParseModelFile("models/a.sql",
                              "MODEL (name s.a, audits (not_null(columns := a, columns := b)));\nSELECT 1");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "models/a.sql:1:49: audit not_null sets argument 'columns' twice");
  auto not_a_name = ParseModelFile("models/a.sql", "MODEL (name s.a, audits ('x'));\nSELECT 1");
  ASSERT_FALSE(not_a_name.ok());
  EXPECT_EQ(not_a_name.status().message(),
            "models/a.sql:1:26: an audit is a name with optional arguments, e.g. "
            "not_null(columns := (id, name))");
}

}  // namespace
}  // namespace materia
