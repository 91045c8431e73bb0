// The definition of one model, as read from its file: the MODEL (...) header and the
// query. Plain data; no behaviour beyond small accessors. Produced by
// ParseModelFile (model_parser.h), consumed by analysis, planning and running.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/time.h"

namespace materia {

// Where something is in a file: 1-based line and column.
struct SourceLocation {
  std::string file;  // path as the user would type it, relative to the project
  int line = 0;
  int column = 0;
  // "file:line:col" (or "file" when line is 0; "line:col" when file is empty)
  std::string ToString() const;
};

enum class ModelKind {
  kView,
  kFull,
  kSeed,
  kIncrementalByTimeRange,
  kIncrementalByUniqueKey,
  kScdType2ByTime,    // also written SCD_TYPE_2
  kScdType2ByColumn,
};

// "VIEW", "FULL", "SEED", "INCREMENTAL_BY_TIME_RANGE", "INCREMENTAL_BY_UNIQUE_KEY",
// "SCD_TYPE_2_BY_TIME", "SCD_TYPE_2_BY_COLUMN"
const char* ModelKindName(ModelKind kind);

// True for the kinds whose data grows by intervals (cron, start, batch_size, lookback):
// time ranges, unique keys and both SCD type 2 kinds.
bool IsIncrementalKind(ModelKind kind);

// True for SCD_TYPE_2_BY_TIME and SCD_TYPE_2_BY_COLUMN.
bool IsScdKind(ModelKind kind);

// One argument of an audit call: `columns := (id, name)`, `threshold := 10`.
struct AuditArgument {
  std::string name;                // lower-cased
  std::string text;                // the value as written (SQL)
  std::vector<std::string> items;  // a bracketed list's items as written; else {text}
  bool is_list = false;            // written as (a, b) or [a, b]
  SourceLocation location;         // the argument's name
};

// An audit a model asks for in its header: `not_null(columns := (id))`, `my_audit`.
struct AuditCall {
  std::string name;  // lower-cased, e.g. "not_null", "accepted_values_non_blocking"
  std::vector<AuditArgument> arguments;
  SourceLocation location;  // the audit's name
  std::string text;         // as written, for messages
};

struct ModelDefinition {
  // Identity.
  std::string name;    // "schema.table", lower-cased
  std::string schema;  // "schema"
  std::string table;   // "table"

  // Kind and its properties.
  ModelKind kind = ModelKind::kView;
  std::string time_column;         // INCREMENTAL_BY_TIME_RANGE
  std::vector<std::string> unique_key;  // INCREMENTAL_BY_UNIQUE_KEY: columns as written
  std::string when_matched;  // INCREMENTAL_BY_UNIQUE_KEY: `WHEN MATCHED THEN ...` clauses, or ""
  std::string merge_filter;  // INCREMENTAL_BY_UNIQUE_KEY: extra match condition, or ""
  std::string time_column_format;  // optional, e.g. "%Y-%m-%d"
  int batch_size = 0;              // intervals per batch; 0 = all at once
  int lookback = 0;                // extra intervals re-run before the due ones
  bool disable_restatement = false;  // incremental kinds: `plan --restate-model` refuses it
  // Incremental kinds: a change of code keeps the table and its intervals; only intervals
  // run from now on use the new query, and the table's columns follow it (ALTER TABLE).
  bool forward_only = false;
  // What a forward-only change may do to the table's columns: "allow", "warn", "error"
  // (refuse) or "ignore" (leave the column as it is). Dropping or retyping a column is
  // destructive; adding one is additive.
  std::string on_destructive_change = "error";
  std::string on_additive_change = "allow";
  // SCD type 2 kinds: the history columns the table gets, and how rows are compared.
  std::string valid_from_name = "valid_from";
  std::string valid_to_name = "valid_to";
  std::string updated_at_name = "updated_at";   // BY_TIME: when the source row last changed
  std::vector<std::string> scd_columns;         // BY_COLUMN: columns compared; {"*"} = all
  bool invalidate_hard_deletes = true;  // a key gone from the source closes its current row
  bool updated_at_as_valid_from = false;       // BY_TIME: first load starts at updated_at
  bool execution_time_as_valid_from = false;   // BY_COLUMN: first load starts at the run
  std::string time_data_type = "TIMESTAMP";    // type of valid_from / valid_to
  std::string seed_path;           // SEED: path of the CSV, relative to the model file
  std::map<std::string, std::string> seed_csv_settings;  // SEED: csv_settings (raw values)
  // Every kind property as written, lower-cased key -> raw text, including those kept
  // for SQLMesh compatibility that have no field above (batch_concurrency, forward_only...).
  std::map<std::string, std::string> kind_properties;

  bool enabled = true;  // `enabled false`: the file is read and checked, the model left out
  // Incremental kinds: also run the interval that has not ended yet (up to now). It is
  // re-run on every run until it is complete; only complete intervals are recorded.
  bool allow_partials = false;

  // Scheduling. Empty = take model_defaults from config.yaml.
  std::string cron;
  std::string start;  // as written: "2024-01-01", "1 year ago"
  std::string end;

  // Metadata (does not change the data).
  std::vector<std::vector<std::string>> grains;  // grain a / grain (a, b) / grains (...)
  std::vector<SourceLocation> grain_locations;    // one per grain: its first column
  std::vector<std::string> tags;
  std::string owner;
  std::string description;
  std::vector<std::string> depends_on;  // extra explicit dependencies, "schema.table"
  std::vector<AuditCall> audits;        // `audits (not_null(columns := (id)), ...)`
  std::string dialect;
  std::map<std::string, std::string> column_descriptions;

  // Every property exactly as written, lower-cased key -> raw text, for display.
  std::map<std::string, std::string> properties;

  // SQL. Each statement is one string without its trailing ';'. `query` is the one
  // SELECT (or WITH ... SELECT); pre_statements run before it, post_statements after.
  // SEED models have an empty query.
  std::string query;
  std::vector<std::string> pre_statements;
  std::vector<std::string> post_statements;

  // Where things are, for error messages.
  std::string path;                // file path relative to the project
  SourceLocation header_location;  // the MODEL keyword
  SourceLocation query_location;   // first character of the query
  // First character of each pre/post statement, parallel to those vectors.
  std::vector<SourceLocation> pre_statement_locations;
  std::vector<SourceLocation> post_statement_locations;
  // Where each property's value starts, keyed like `properties`; kind properties are
  // keyed "kind.<name>" (e.g. "kind.time_column").
  std::map<std::string, SourceLocation> property_locations;
};

}  // namespace materia
