#include "run/evaluate.h"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>

#include "base/hash.h"
#include "base/text.h"
#include "plan/snapshot.h"
#include "project/sql_lexer.h"
#include "run/audit.h"

namespace materia {

namespace {

constexpr size_t kNoCount = static_cast<size_t>(-1);

// Runs `statements` in one transaction; rolls back on the first error. When `count`
// is given, it receives the row count that statements[count_index] reported (a
// CREATE TABLE ... AS reports the rows it wrote). `check`, when given, runs before the
// commit and sees the transaction's writes; when it returns false the transaction is
// rolled back and RunChecked returns false.
Result<bool> RunChecked(DuckConnection& connection, const std::vector<std::string>& statements,
                        size_t count_index, int64_t* count, const std::function<bool()>& check) {
  if (statements.size() == 1 && !check) {  // a statement alone is its own transaction
    if (count_index != 0 || !count) {
      MATERIA_RETURN_IF_ERROR(connection.Execute(statements[0]));
      return true;
    }
    MATERIA_ASSIGN_OR_RETURN(QueryResult result, connection.Query(statements[0]));
    *count = std::strtoll(result.Scalar().value_or("0").c_str(), nullptr, 10);
    return true;
  }
  MATERIA_RETURN_IF_ERROR(connection.Execute("BEGIN TRANSACTION"));
  for (size_t i = 0; i < statements.size(); i++) {
    Status status;
    if (i == count_index && count) {
      auto result = connection.Query(statements[i]);
      status = result.status();
      if (result.ok()) *count = std::strtoll(result->Scalar().value_or("0").c_str(), nullptr, 10);
    } else {
      status = connection.Execute(statements[i]);
    }
    if (!status.ok()) {
      (void)connection.Execute("ROLLBACK");
      return status;
    }
  }
  if (check && !check()) {
    MATERIA_RETURN_IF_ERROR(connection.Execute("ROLLBACK"));
    return false;
  }
  Status committed = connection.Execute("COMMIT");
  if (!committed.ok()) (void)connection.Execute("ROLLBACK");
  MATERIA_RETURN_IF_ERROR(committed);
  return true;
}

Status RunTransaction(DuckConnection& connection, const std::vector<std::string>& statements,
                      size_t count_index = kNoCount, int64_t* count = nullptr) {
  return RunChecked(connection, statements, count_index, count, nullptr).status();
}

// The check that runs `model`'s audits on `target` before a commit: outcomes go to
// `outcomes`; a blocking failure asks for the rollback. Null when there are no audits.
std::function<bool()> AuditCheck(const EvaluationContext& context, const Model& model,
                                 std::string target, MacroContext macros,
                                 std::vector<AuditOutcome>* outcomes) {
  if (model.audits.empty()) return nullptr;
  return [&context, &model, target = std::move(target), macros = std::move(macros), outcomes] {
    std::vector<AuditOutcome> ran = RunAudits(*context.connection, model, target, macros);
    bool blocked = AnyBlockingFailure(ran);
    outcomes->insert(outcomes->end(), ran.begin(), ran.end());
    return !blocked;
  };
}

// Renders pre- or post-statements; `locations` (parallel to `statements`, may be
// shorter) place macro errors in the file.
Result<std::vector<std::string>> RenderStatements(const Model& model,
                                                  const std::vector<std::string>& statements,
                                                  const std::vector<SourceLocation>& locations,
                                                  const MacroContext& macros) {
  std::vector<std::string> rendered;
  for (size_t i = 0; i < statements.size(); i++) {
    const SourceLocation& where = i < locations.size() ? locations[i] : model.definition.header_location;
    MATERIA_ASSIGN_OR_RETURN(std::string text, RenderMacros(statements[i], macros, where));
    rendered.push_back(std::move(text));
  }
  return rendered;
}

MacroContext ExecutionMacros(const EvaluationContext& context, const Model& model,
                             const SnapshotRecord& snapshot, TimestampMs start_ms, TimestampMs end_ms) {
  return RunMacros(context.project->config, model, snapshot.version, start_ms, end_ms, context.now_ms);
}

Result<int64_t> CountRows(DuckConnection& connection, const std::string& table) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult result, connection.Query("SELECT count(*) FROM " + table));
  return std::stoll(result.Scalar().value_or("0"));
}

MaterializationRecord NewMaterialization(const EvaluationContext& context,
                                         const SnapshotRecord& snapshot, const ModelWork& work,
                                         int64_t rows, std::string data_version) {
  MaterializationRecord record;
  record.name = snapshot.name;
  record.version = snapshot.version;
  record.fingerprint = snapshot.fingerprint;
  record.data_version = std::move(data_version);
  record.input_versions = work.input_versions;
  record.rows = rows;
  record.finished_ms = NowMs();
  record.run_id = context.run_id;
  return record;
}

Result<EvaluationResult> EvaluateWhole(const EvaluationContext& context, const Model& model,
                                       const SnapshotRecord& snapshot, const ModelWork& work) {
  const ModelDefinition& definition = model.definition;
  std::string table = QualifiedPhysicalTable(model.name(), snapshot.version);
  std::vector<std::string> statements;
  MacroContext macros;
  if (definition.kind == ModelKind::kSeed) {
    statements.push_back("CREATE OR REPLACE TABLE " + table + " AS " + SeedQuery(*context.project, model));
  } else {
    MATERIA_ASSIGN_OR_RETURN(ModelSchedule schedule,
                             ScheduleOf(model, context.project->config, context.now_ms));
    macros = ExecutionMacros(context, model, snapshot, schedule.start_ms, schedule.due_end_ms);
    MATERIA_ASSIGN_OR_RETURN(std::string query,
                             RenderForExecution(context, model, snapshot, schedule.start_ms,
                                                schedule.due_end_ms));
    MATERIA_ASSIGN_OR_RETURN(statements, RenderStatements(model, definition.pre_statements, definition.pre_statement_locations, macros));
    const char* verb = definition.kind == ModelKind::kView ? "VIEW" : "TABLE";
    statements.push_back(std::string("CREATE OR REPLACE ") + verb + " " + table + " AS " + query);
    MATERIA_ASSIGN_OR_RETURN(auto post, RenderStatements(model, definition.post_statements, definition.post_statement_locations, macros));
    statements.insert(statements.end(), post.begin(), post.end());
  }
  // The CREATE reports its rows, unless post-statements may change them afterwards.
  int64_t rows = 0;
  bool count_create = definition.kind != ModelKind::kView && definition.post_statements.empty();
  size_t create_index = definition.kind == ModelKind::kSeed ? 0 : definition.pre_statements.size();
  if (definition.kind == ModelKind::kSeed) macros = ExecutionMacros(context, model, snapshot, 0, 0);
  EvaluationResult result;
  MATERIA_ASSIGN_OR_RETURN(
      bool committed,
      RunChecked(*context.connection, statements, count_create ? create_index : kNoCount, &rows,
                 AuditCheck(context, model, table, macros, &result.audits)));
  if (!committed) {
    result.blocked = true;
    return result;
  }
  if (definition.kind != ModelKind::kView && !count_create) {
    MATERIA_ASSIGN_OR_RETURN(rows, CountRows(*context.connection, table));
  }
  result.rows = rows;
  result.data_version = ComputeDataVersion(snapshot.data_identity, work.input_versions);
  EvaluationRecord record;
  record.name = snapshot.name;
  record.version = snapshot.version;
  record.materialization = NewMaterialization(context, snapshot, work, rows, result.data_version);
  MATERIA_RETURN_IF_ERROR(context.state->RecordEvaluation(record));
  return result;
}

// The history columns an SCD type 2 table adds to its query's: ", valid_from T, valid_to T"
// in a column list, or as NULL-valued expressions for a SELECT.
std::string ScdColumns(const ModelDefinition& definition, bool as_select) {
  if (!IsScdKind(definition.kind)) return "";
  const std::string& type = definition.time_data_type;
  std::string text;
  for (const std::string* name : {&definition.valid_from_name, &definition.valid_to_name}) {
    text += as_select ? ", CAST(NULL AS " + type + ") AS " + QuoteIdentifier(*name)
                      : ", " + QuoteIdentifier(*name) + " " + type;
  }
  return text;
}

// The statement that creates an incremental model's table before its first interval:
// from the declared `columns (...)` when there are some, else from the query's shape.
// A query that reads its own table needs the declared columns. SCD tables get their
// history columns after the query's.
Result<std::string> CreateTimeRangedTable(const Model& model, const std::string& table,
                                          const std::string& query) {
  const ModelDefinition& definition = model.definition;
  auto columns = definition.properties.find("columns");
  if (columns != definition.properties.end()) {
    std::string list = columns->second;
    size_t close = list.rfind(')');
    if (close != std::string::npos) list.insert(close, ScdColumns(definition, false));
    return "CREATE TABLE IF NOT EXISTS " + table + " " + list;
  }
  if (model.reads_itself) {
    return Status::InvalidInput(
        "the model reads its own table (@this_model): declare its columns in the MODEL "
        "header, e.g. columns (day DATE, n INTEGER), so the table exists before the first run");
  }
  return "CREATE TABLE IF NOT EXISTS " + table + " AS SELECT *" + ScdColumns(definition, true) +
         " FROM (" + query + ") AS materia_source LIMIT 0";
}

// The statement that fails when `temporary` holds a unique key twice (which row would
// win is otherwise arbitrary); the message names the key.
std::string DuplicateKeyCheck(const ModelDefinition& definition, const std::string& temporary) {
  std::string keys;
  std::string key_text;
  for (const std::string& column : definition.unique_key) {
    keys += (keys.empty() ? "" : ", ") + column;
    // The message's key text only; duplicates are found on the columns themselves.
    key_text += std::string(key_text.empty() ? "" : " || ', ' || ") + "coalesce(CAST(" + column +
                " AS VARCHAR), 'NULL')";
  }
  return "SELECT error('the query returned ' || n || ' rows with unique_key (' || " +
         QuoteLiteral(keys) + " || ') = (' || " + key_text +
         " || '): each key must appear once per batch') FROM (SELECT " + keys +
         ", count(*) AS n FROM " + temporary + " GROUP BY " + keys + " HAVING count(*) > 1 LIMIT 1)";
}

// "t.k IS NOT DISTINCT FROM s.k AND ..." over the unique key.
std::string KeyMatch(const ModelDefinition& definition, const std::string& left,
                     const std::string& right) {
  std::string match;
  for (const std::string& column : definition.unique_key) {
    match += (match.empty() ? "" : " AND ") + left + "." + column + " IS NOT DISTINCT FROM " +
             right + "." + column;
  }
  return match;
}

// An upsert of `query`'s rows into `table` on the model's unique key: the rows land in
// a temporary table first, a key that appears twice there is an error (which row would
// win is otherwise arbitrary), then MERGE updates matched rows and inserts the rest,
// by column name. `when_matched` replaces the default update of every column; the
// target is `target` and the new row `source`, as in SQLMesh.
std::vector<std::string> UpsertStatements(const ModelDefinition& definition, const std::string& table,
                                          const std::string& query) {
  std::string match = KeyMatch(definition, "target", "source");
  if (!definition.merge_filter.empty()) match += " AND (" + definition.merge_filter + ")";
  std::string when_matched = definition.when_matched.empty() ? "WHEN MATCHED THEN UPDATE BY NAME"
                                                             : definition.when_matched;
  return {
      "CREATE OR REPLACE TEMPORARY TABLE materia_upsert AS " + query,
      DuplicateKeyCheck(definition, "materia_upsert"),
      "MERGE INTO " + table + " AS target USING materia_upsert AS source ON (" + match + ") " +
          when_matched + " WHEN NOT MATCHED THEN INSERT BY NAME",
      "DROP TABLE materia_upsert",
  };
}

// The SCD type 2 merge of `query` (the source as it is now, `source_columns` its
// columns) into `table` at execution time `now_ms`, as SQLMesh defines it:
//  - a key whose row changed (BY_TIME: a later updated_at; BY_COLUMN: a compared column
//    differs) gets its current row closed (valid_to = updated_at, or the execution time)
//    and a new current row;
//  - with invalidate_hard_deletes, a current key missing from the source is closed at the
//    execution time;
//  - a new key starts at 1970-01-01 on the table's first load, later at its updated_at
//    (BY_TIME) or the execution time (BY_COLUMN); a key that comes back after being
//    closed starts at its updated_at but not before its last valid_to (BY_TIME), or at
//    the execution time (BY_COLUMN).
std::vector<std::string> ScdStatements(const ModelDefinition& definition, const std::string& table,
                                       const std::string& query,
                                       const std::vector<std::string>& source_columns,
                                       TimestampMs now_ms) {
  const std::string& type = definition.time_data_type;
  std::string valid_from = QuoteIdentifier(definition.valid_from_name);
  std::string valid_to = QuoteIdentifier(definition.valid_to_name);
  std::string now = "CAST(TIMESTAMP '" + FormatTimestamp(now_ms) + "' AS " + type + ")";
  std::string epoch = "CAST(TIMESTAMP '1970-01-01 00:00:00' AS " + type + ")";
  bool by_time = definition.kind == ModelKind::kScdType2ByTime;
  std::string updated_at = "CAST(s." + QuoteIdentifier(definition.updated_at_name) + " AS " + type + ")";

  std::string changed;
  std::string closed_at = now;
  if (by_time) {
    changed = updated_at + " > CAST(t." + QuoteIdentifier(definition.updated_at_name) + " AS " + type + ")";
    closed_at = updated_at;
  } else {
    std::vector<std::string> compared = definition.scd_columns;
    if (compared.size() == 1 && compared[0] == "*") {
      compared.clear();
      for (const std::string& column : source_columns) {
        bool key = false;
        for (const std::string& part : definition.unique_key) key |= ToLower(part) == ToLower(column);
        if (!key) compared.push_back(QuoteIdentifier(column));
      }
    }
    for (const std::string& column : compared) {
      changed += (changed.empty() ? "" : " OR ") + std::string("s.") + column + " IS DISTINCT FROM t." + column;
    }
    if (changed.empty()) changed = "false";
  }
  std::string match = KeyMatch(definition, "t", "s");
  std::string keys;
  for (const std::string& column : definition.unique_key) keys += (keys.empty() ? "" : ", ") + column;

  std::string first_load = "(SELECT count(*) = 0 FROM " + table + ")";
  std::string starts;
  if (by_time) {
    starts = "CASE WHEN h.materia_last_to IS NOT NULL THEN greatest(" + updated_at +
             ", h.materia_last_to)" +
             (definition.updated_at_as_valid_from ? "" : " WHEN " + first_load + " THEN " + epoch) +
             " ELSE " + updated_at + " END";
  } else {
    starts = definition.execution_time_as_valid_from
                 ? now
                 : "CASE WHEN h.materia_last_to IS NULL AND " + first_load + " THEN " + epoch +
                       " ELSE " + now + " END";
  }
  std::vector<std::string> statements = {
      "CREATE OR REPLACE TEMPORARY TABLE materia_scd AS " + query,
      DuplicateKeyCheck(definition, "materia_scd"),
      "UPDATE " + table + " AS t SET " + valid_to + " = " + closed_at +
          " FROM materia_scd AS s WHERE t." + valid_to + " IS NULL AND " + match + " AND (" + changed + ")",
  };
  if (definition.invalidate_hard_deletes) {
    statements.push_back("UPDATE " + table + " AS t SET " + valid_to + " = " + now + " WHERE t." +
                         valid_to + " IS NULL AND NOT EXISTS (SELECT 1 FROM materia_scd AS s WHERE " +
                         match + ")");
  }
  statements.push_back(
      "INSERT INTO " + table + " BY NAME SELECT s.*, " + starts + " AS " + valid_from + ", CAST(NULL AS " +
      type + ") AS " + valid_to + " FROM materia_scd AS s LEFT JOIN (SELECT " + keys + ", max(" + valid_to +
      ") AS materia_last_to, count(*) FILTER (WHERE " + valid_to + " IS NULL) AS materia_current FROM " +
      table + " GROUP BY ALL) AS h ON (" + KeyMatch(definition, "h", "s") +
      ") WHERE coalesce(h.materia_current, 0) = 0");
  statements.push_back("DROP TABLE materia_scd");
  return statements;
}

// The columns and types of the rows `query` returns, without running it.
Result<std::vector<std::pair<std::string, std::string>>> QueryColumns(DuckConnection& connection,
                                                                      const std::string& query) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult shape,
                           connection.Query("SELECT * FROM (" + query + ") AS materia_source LIMIT 0"));
  std::vector<std::pair<std::string, std::string>> columns;
  for (size_t i = 0; i < shape.column_names.size(); i++) {
    columns.emplace_back(shape.column_names[i], i < shape.column_types.size() ? shape.column_types[i] : "");
  }
  return columns;
}

// The columns of an incremental model's table, from its query's: SCD kinds add their
// history columns.
std::vector<std::pair<std::string, std::string>> WithHistory(
    const ModelDefinition& definition, std::vector<std::pair<std::string, std::string>> columns) {
  if (IsScdKind(definition.kind)) {
    columns.emplace_back(definition.valid_from_name, ToUpper(definition.time_data_type));
    columns.emplace_back(definition.valid_to_name, ToUpper(definition.time_data_type));
  }
  return columns;
}

// For a forward-only model whose table exists: the ALTER TABLE statements that give the
// table the columns `wanted` (the new query's, plus SCD history columns), within what
// on_additive_change / on_destructive_change allow. "warn" adds a line to `warnings`.
Result<std::vector<std::string>> AlignColumns(DuckConnection& connection, const ModelDefinition& definition,
                                              const std::string& model_name, const std::string& version,
                                              const std::vector<std::pair<std::string, std::string>>& wanted,
                                              std::vector<std::string>* warnings) {
  auto [schema, name] = SplitModelName(model_name);
  MATERIA_ASSIGN_OR_RETURN(
      QueryResult existing,
      connection.Query("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
                       "current_database() AND schema_name = " + QuoteLiteral(PhysicalSchema(schema)) +
                       " AND table_name = " + QuoteLiteral(PhysicalTableName(schema, name, version)) +
                       " ORDER BY column_index"));
  std::vector<std::string> statements;
  if (existing.rows.empty()) return statements;  // the first run creates the table
  std::string table = QualifiedPhysicalTable(model_name, version);
  std::map<std::string, std::pair<std::string, std::string>> have;  // lower-case -> (name, type)
  for (const auto& row : existing.rows) {
    if (row[0] && row[1]) have[ToLower(*row[0])] = {*row[0], *row[1]};
  }
  auto decide = [&](const std::string& policy, const std::string& change, const std::string& key,
                    const std::string& statement) -> Status {
    if (policy == "error") {
      return Status::InvalidInput("forward-only change " + change + " (" + key +
                                  " is error; set it to allow to change the table" +
                                  (key == "on_destructive_change" ? ", or ignore to leave it" : "") + ")");
    }
    if (policy == "ignore") return Status::Ok();
    if (policy == "warn") warnings->push_back("warning: forward-only change " + change);
    statements.push_back(statement);
    return Status::Ok();
  };
  std::set<std::string> wanted_names;
  for (const auto& [column, type] : wanted) {
    std::string key = ToLower(column);
    wanted_names.insert(key);
    auto found = have.find(key);
    if (found == have.end()) {
      MATERIA_RETURN_IF_ERROR(decide(definition.on_additive_change, "adds column " + column + " " + type,
                                     "on_additive_change",
                                     "ALTER TABLE " + table + " ADD COLUMN " + QuoteIdentifier(column) + " " + type));
    } else if (found->second.second != type) {
      MATERIA_RETURN_IF_ERROR(decide(definition.on_destructive_change,
                                     "changes column " + column + " from " + found->second.second + " to " + type,
                                     "on_destructive_change",
                                     "ALTER TABLE " + table + " ALTER COLUMN " + QuoteIdentifier(column) +
                                         " SET DATA TYPE " + type));
    }
  }
  for (const auto& [key, column] : have) {
    if (wanted_names.count(key)) continue;
    MATERIA_RETURN_IF_ERROR(decide(definition.on_destructive_change, "drops column " + column.first,
                                   "on_destructive_change",
                                   "ALTER TABLE " + table + " DROP COLUMN " + QuoteIdentifier(column.first)));
  }
  return statements;
}

// Evaluates one batch; returns false when a blocking audit rolled it back. Only the
// part of the batch before `work.partial_start_ms` (when set) is recorded as done.
Result<bool> EvaluateBatch(const EvaluationContext& context, const Model& model,
                           const SnapshotRecord& snapshot, const ModelWork& work, Interval batch,
                           const std::map<std::string, std::string>& batch_inputs,
                           std::vector<AuditOutcome>* audits, std::vector<std::string>* warnings) {
  const ModelDefinition& definition = model.definition;
  std::string table = QualifiedPhysicalTable(model.name(), snapshot.version);
  MacroContext macros = ExecutionMacros(context, model, snapshot, batch.start, batch.end);
  MATERIA_ASSIGN_OR_RETURN(std::string query,
                           RenderForExecution(context, model, snapshot, batch.start, batch.end));
  MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> statements,
                           RenderStatements(model, definition.pre_statements, definition.pre_statement_locations, macros));
  std::vector<std::pair<std::string, std::string>> source_columns;
  if (definition.forward_only || IsScdKind(definition.kind)) {
    MATERIA_ASSIGN_OR_RETURN(source_columns, QueryColumns(*context.connection, query));
  }
  if (definition.forward_only) {
    MATERIA_ASSIGN_OR_RETURN(auto alter, AlignColumns(*context.connection, definition, model.name(),
                                                      snapshot.version, WithHistory(definition, source_columns),
                                                      warnings));
    statements.insert(statements.end(), alter.begin(), alter.end());
  }
  MATERIA_ASSIGN_OR_RETURN(std::string create, CreateTimeRangedTable(model, table, query));
  statements.push_back(create);
  std::string written = table;  // what audits see
  if (definition.kind == ModelKind::kIncrementalByUniqueKey) {
    std::vector<std::string> merge = UpsertStatements(definition, table, query);
    statements.insert(statements.end(), merge.begin(), merge.end());
  } else if (IsScdKind(definition.kind)) {
    std::vector<std::string> names;
    for (const auto& column : source_columns) names.push_back(column.first);
    std::vector<std::string> merge = ScdStatements(definition, table, query, names, context.now_ms);
    statements.insert(statements.end(), merge.begin(), merge.end());
  } else {
    std::string filter = TimeFilter(definition, batch);
    statements.push_back("DELETE FROM " + table + " WHERE " + filter);
    statements.push_back("INSERT INTO " + table + " BY NAME SELECT * FROM (" + query +
                         ") AS materia_source WHERE " + filter);
    written = "(SELECT * FROM " + table + " WHERE " + filter + ")";  // the intervals just written
  }
  MATERIA_ASSIGN_OR_RETURN(auto post, RenderStatements(model, definition.post_statements, definition.post_statement_locations, macros));
  statements.insert(statements.end(), post.begin(), post.end());
  MATERIA_ASSIGN_OR_RETURN(bool committed,
                           RunChecked(*context.connection, statements, kNoCount, nullptr,
                                      AuditCheck(context, model, written, macros, audits)));
  if (!committed) return false;
  Interval complete = batch;
  if (work.partial_start_ms > 0) complete.end = std::min(complete.end, work.partial_start_ms);
  if (complete.start >= complete.end) return true;  // all of it partial: computed, not recorded
  EvaluationRecord record;
  record.name = snapshot.name;
  record.version = snapshot.version;
  record.intervals.Add(complete);
  record.interval_versions.push_back(
      {snapshot.name, snapshot.version, complete,
       ComputeDataVersion(snapshot.data_identity, batch_inputs), batch_inputs});
  MATERIA_RETURN_IF_ERROR(context.state->RecordEvaluation(record));
  return true;
}

Result<EvaluationResult> EvaluateTimeRanged(const EvaluationContext& context, const Model& model,
                                            const SnapshotRecord& snapshot, const ModelWork& work) {
  std::vector<AuditOutcome> audits;
  std::vector<std::string> warnings;
  for (size_t i = 0; i < work.batches.size(); i++) {
    MATERIA_ASSIGN_OR_RETURN(bool committed,
                             EvaluateBatch(context, model, snapshot, work, work.batches[i],
                                           work.batch_input_versions[i], &audits, &warnings));
    if (!committed) {  // earlier batches stay: they passed
      EvaluationResult blocked;
      blocked.blocked = true;
      blocked.audits = std::move(audits);
      blocked.warnings = std::move(warnings);
      return blocked;
    }
  }
  std::string table = QualifiedPhysicalTable(model.name(), snapshot.version);
  if (work.batches.empty()) {
    // Nothing is due yet: create the table empty so that children can read it.
    MATERIA_ASSIGN_OR_RETURN(ModelSchedule schedule,
                             ScheduleOf(model, context.project->config, context.now_ms));
    MATERIA_ASSIGN_OR_RETURN(std::string query,
                             RenderForExecution(context, model, snapshot, schedule.start_ms,
                                                schedule.start_ms));
    MATERIA_ASSIGN_OR_RETURN(std::string create, CreateTimeRangedTable(model, table, query));
    MATERIA_RETURN_IF_ERROR(RunTransaction(*context.connection, {create}));
  }
  MATERIA_ASSIGN_OR_RETURN(int64_t rows, CountRows(*context.connection, table));
  MATERIA_ASSIGN_OR_RETURN(IntervalSet done, context.state->GetIntervals(snapshot.name, snapshot.version));
  MATERIA_ASSIGN_OR_RETURN(auto versions, context.state->GetIntervalVersions(snapshot.name, snapshot.version));
  Hasher hasher;
  hasher.Add(done.ToString());
  for (const IntervalVersionRecord& version : versions) hasher.Add(version.data_version);
  std::map<std::string, std::string> inputs = work.input_versions;
  inputs["intervals"] = hasher.Sha256().substr(0, 32);
  EvaluationResult result{rows, ComputeDataVersion(snapshot.data_identity, inputs), std::move(audits)};
  result.warnings = std::move(warnings);
  EvaluationRecord record;
  record.name = snapshot.name;
  record.version = snapshot.version;
  record.materialization = NewMaterialization(context, snapshot, work, rows, result.data_version);
  MATERIA_RETURN_IF_ERROR(context.state->RecordEvaluation(record));
  return result;
}

}  // namespace

MacroContext RunMacros(const ProjectConfig& config, const Model& model, const std::string& version,
                       TimestampMs start_ms, TimestampMs end_ms, TimestampMs now_ms) {
  MacroContext macros;
  macros.start_ms = start_ms;
  macros.end_ms = end_ms;
  macros.execution_ms = now_ms;
  macros.variables = config.variables;
  macros.this_model = QualifiedPhysicalTable(model.name(), version);
  macros.gateway = config.default_gateway;
  return macros;
}

namespace {

std::string TimeLiteral(TimestampMs ms) { return "TIMESTAMP '" + FormatTimestamp(ms) + "'"; }

}  // namespace

std::string TimeFilter(const ModelDefinition& definition, Interval interval) {
  std::string column = QuoteIdentifier(definition.time_column);
  if (!definition.time_column_format.empty()) {
    std::string format = QuoteLiteral(definition.time_column_format);
    return column + " >= strftime(" + TimeLiteral(interval.start) + ", " + format + ") AND " +
           column + " < strftime(" + TimeLiteral(interval.end) + ", " + format + ")";
  }
  return column + " >= " + TimeLiteral(interval.start) + " AND " + column + " < " +
         TimeLiteral(interval.end);
}

std::string SeedQuery(const Project& project, const Model& model) {
  const ModelDefinition& definition = model.definition;
  std::filesystem::path seed = std::filesystem::path(project.config.project_dir) /
                               std::filesystem::path(definition.path).parent_path() / definition.seed_path;
  std::string options = "header = true";
  for (const auto& [key, value] : definition.seed_csv_settings) options += ", " + key + " = " + value;
  return "SELECT * FROM read_csv(" + QuoteLiteral(seed.lexically_normal().string()) + ", " + options + ")";
}

Result<std::string> RenderForExecution(const EvaluationContext& context, const Model& model,
                                       const SnapshotRecord& snapshot, TimestampMs start_ms,
                                       TimestampMs end_ms) {
  MacroContext macros = ExecutionMacros(context, model, snapshot, start_ms, end_ms);
  MATERIA_ASSIGN_OR_RETURN(std::string rendered,
                           RenderMacros(model.definition.query, macros, model.definition.query_location));
  std::map<std::string, std::pair<std::string, std::string>> replacements;
  for (const std::string& parent : model.parents) {
    const SnapshotRecord& target = context.snapshots->at(parent);
    auto [schema, table] = SplitModelName(parent);
    replacements[parent] = {PhysicalSchema(schema), PhysicalTableName(schema, table, target.version)};
  }
  if (replacements.empty()) return rendered;  // nothing to point elsewhere
  return context.analyzer->RewriteTables(rendered, replacements);
}

Result<std::vector<std::string>> ForwardOnlyMigration(const EvaluationContext& context,
                                                      const Model& model,
                                                      const SnapshotRecord& snapshot,
                                                      std::vector<std::string>* warnings) {
  const ModelDefinition& definition = model.definition;
  MATERIA_ASSIGN_OR_RETURN(ModelSchedule schedule,
                           ScheduleOf(model, context.project->config, context.now_ms));
  MATERIA_ASSIGN_OR_RETURN(std::string query,
                           RenderForExecution(context, model, snapshot, schedule.start_ms,
                                              schedule.start_ms));
  auto migration = [&]() -> Result<std::vector<std::string>> {
    MATERIA_ASSIGN_OR_RETURN(auto columns, QueryColumns(*context.connection, query));
    return AlignColumns(*context.connection, definition, model.name(), snapshot.version,
                        WithHistory(definition, columns), warnings);
  }();
  if (!migration.ok()) {
    return Status::InvalidInput(definition.path + ": " + OneLine(migration.status().message()));
  }
  return migration;
}

Result<EvaluationResult> EvaluateModel(const EvaluationContext& context, const Model& model,
                                       const SnapshotRecord& snapshot, const ModelWork& work) {
  Result<EvaluationResult> result = IsIncrementalKind(model.definition.kind)
                                        ? EvaluateTimeRanged(context, model, snapshot, work)
                                        : EvaluateWhole(context, model, snapshot, work);
  if (!result.ok()) {
    return Status::DatabaseError(model.definition.path + ": " +
                                 OneLine(result.status().message()));
  }
  return result;
}

}  // namespace materia
