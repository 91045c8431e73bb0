#include "run/validate.h"

#include "run/evaluate.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "base/glob.h"
#include "base/text.h"
#include "db/duckdb.h"
#include "project/sql_lexer.h"

namespace materia {

namespace fs = std::filesystem;

namespace {

constexpr size_t kColumnsListedMax = 20;  // a message lists at most this many columns

bool IsNewline(char c) { return c == '\n' || c == '\r'; }  // as DuckDB counts lines

// DuckDB's message without the suggestions of system tables it adds to a missing
// table ("Did you mean "pg_catalog.pg_enum"?"), which only mislead here; one line.
std::string CleanMessage(const std::string& message) {
  std::string kept;
  size_t begin = 0;
  while (begin <= message.size()) {
    size_t end = message.find('\n', begin);
    if (end == std::string::npos) end = message.size();
    std::string_view line(message.data() + begin, end - begin);
    bool system_hint = line.starts_with("Did you mean \"pg_catalog.") ||
                       line.starts_with("Did you mean \"information_schema.");
    if (!system_hint) kept.append(line).append("\n");
    begin = end + 1;
  }
  return OneLine(kept);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < kColumnsListedMax; i++) text += (i ? ", " : "") + names[i];
  if (names.size() > kColumnsListedMax) text += ", ...";
  return text;
}

// Compiles the models of one project into a private database, in project order.
class Validator {
 public:
  Validator(const Project& project, std::unique_ptr<DuckConnection> connection)
      : project_(project), connection_(std::move(connection)) {}

  ValidationReport Run();

 private:
  // Each returns true when the model compiled; problems go to the report.
  bool ValidateModel(const Model& model);
  bool ValidateSeed(const Model& model);
  bool CheckSources(const Model& model);
  bool CompileQuery(const Model& model, const std::string& table);
  bool CompileTimeRanged(const Model& model, const std::string& table);
  bool CheckTimeColumn(const Model& model, const std::string& table);
  // Each audit's query against the model's (empty) table; problems at the audit.
  bool CompileAudits(const Model& model, const std::string& table);
  // Runs `statement`, in which the model's rendered query starts at byte
  // `query_offset` (npos: the query is not in it). On error records a problem at the
  // position DuckDB names, or at `fallback`.
  bool Execute(const Model& model, const std::string& statement, size_t query_offset,
               const SourceLocation& fallback, const std::string& prefix = "");
  void AddProblem(const Model& model, SourceLocation location, std::string message);
  SourceLocation PropertyLocation(const Model& model, const std::string& key) const;
  Status EnsureSchema(const std::string& schema);

  const Project& project_;
  std::unique_ptr<DuckConnection> connection_;
  std::set<std::string> schemas_;
  ValidationReport report_;
};

ValidationReport Validator::Run() {
  report_.models = project_.models.size();
  std::set<std::string> failed;  // models with problems, or skipped
  for (const Model& model : project_.models) {
    bool parent_failed = std::any_of(model.parents.begin(), model.parents.end(),
                                     [&](const std::string& parent) { return failed.count(parent); });
    if (parent_failed) {
      report_.skipped.push_back(model.name());
      failed.insert(model.name());
      continue;
    }
    if (ValidateModel(model)) {
      report_.compiled++;
    } else {
      failed.insert(model.name());
    }
  }
  return std::move(report_);
}

bool Validator::ValidateModel(const Model& model) {
  Status schema = EnsureSchema(model.definition.schema);
  if (!schema.ok()) {
    AddProblem(model, model.definition.header_location, CleanMessage(schema.message()));
    return false;
  }
  std::string table = QuoteIdentifier(model.definition.schema) + "." +
                      QuoteIdentifier(model.definition.table);
  if (model.definition.kind == ModelKind::kSeed) return ValidateSeed(model);
  if (!CheckSources(model)) return false;
  bool compiled = model.definition.kind == ModelKind::kIncrementalByTimeRange ? CompileTimeRanged(model, table)
                                                                                 : CompileQuery(model, table);
  // A faulty audit is a problem of its own: the table exists, so children compile on.
  // SCD type 2 tables are compiled without their validity columns: audits are left out.
  if (compiled && !IsScdKind(model.definition.kind)) CompileAudits(model, table);
  return compiled;
}

bool Validator::CompileAudits(const Model& model, const std::string& table) {
  bool valid = true;
  for (const ResolvedAudit& audit : model.audits) {
    const std::string prefix = "audit " + audit.display + ": ";
    Result<std::string> sql = AuditQuery(audit, table, AnalysisMacroContext(project_.config, model.name()));
    if (!sql.ok()) {
      AddProblem(model, audit.location, prefix + sql.status().message());
      valid = false;
      continue;
    }
    const std::string head = "SELECT count(*) FROM (";
    const std::string statement = head + *sql + ") AS materia_failing";
    Status status = connection_->Execute(statement);
    if (status.ok()) continue;
    // A custom audit's fault is in its audits file, where DuckDB's position points.
    SourceLocation where = audit.location;
    std::optional<size_t> offset = DuckDbErrorOffset(statement, status.message());
    if (!audit.builtin && offset && *offset >= head.size() && *offset <= head.size() + sql->size()) {
      where = LocationAt(audit.query_location, *sql, *offset - head.size());
    }
    AddProblem(model, where, prefix + CleanMessage(status.message()));
    valid = false;
  }
  return valid;
}

bool Validator::ValidateSeed(const Model& model) {
  const ModelDefinition& definition = model.definition;
  fs::path seed = fs::path(project_.config.project_dir) / fs::path(definition.path).parent_path() /
                  definition.seed_path;
  std::string options = "header = true";
  for (const auto& [key, value] : definition.seed_csv_settings) options += ", " + key + " = " + value;
  std::string table = QuoteIdentifier(definition.schema) + "." + QuoteIdentifier(definition.table);
  std::string statement = "CREATE TABLE " + table + " AS SELECT * FROM read_csv(" +
                          QuoteLiteral(seed.lexically_normal().string()) + ", " + options +
                          ") LIMIT 0";
  return Execute(model, statement, std::string::npos, PropertyLocation(model, "kind.path"));
}

// Every source glob must match a file; each one that does not is a problem at its
// path literal in the query.
bool Validator::CheckSources(const Model& model) {
  bool ok = true;
  for (const SourceReference& source : model.sources) {
    for (const std::string& glob : source.globs) {
      if (glob.find("://") != std::string::npos) continue;  // remote: DuckDB decides
      fs::path pattern(glob);
      if (pattern.is_relative()) pattern = fs::path(project_.config.project_dir) / pattern;
      auto files = ExpandGlob(pattern.string());
      if (!files.ok() || !files->empty()) continue;
      SourceLocation where = model.definition.query_location;
      auto tokens = Tokenize(model.definition.query, model.definition.query_location);
      if (tokens.ok()) {
        for (const Token& token : *tokens) {
          if (token.type == TokenType::kString && StringValue(token) == glob) {
            where = LocationOf(model.definition.path, token);
            break;
          }
        }
      }
      AddProblem(model, where, "source '" + glob + "' matches no file");
      ok = false;
    }
  }
  return ok;
}

bool Validator::CompileQuery(const Model& model, const std::string& table) {
  const std::string& query = model.rendered_query;
  if (model.definition.kind == ModelKind::kView) {
    std::string prefix = "CREATE VIEW " + table + " AS ";
    return Execute(model, prefix + query, prefix.size(), model.definition.query_location);
  }
  std::string prefix = "CREATE TABLE " + table + " AS SELECT * FROM (";
  return Execute(model, prefix + query + "\n) AS materia_source LIMIT 0", prefix.size(),
                 model.definition.query_location);
}

// A time-ranged model: its table from the declared columns (then the query must fit
// them) or from the query; then the run's time filter must bind.
bool Validator::CompileTimeRanged(const Model& model, const std::string& table) {
  const ModelDefinition& definition = model.definition;
  auto columns = definition.properties.find("columns");
  if (columns == definition.properties.end()) {
    if (model.reads_itself) {
      AddProblem(model, definition.header_location,
                 "the model reads its own table (@this_model): declare its columns in the MODEL "
                 "header, e.g. columns (day DATE, n INTEGER), so the table exists before the "
                 "first run");
      return false;
    }
    if (!CompileQuery(model, table)) return false;
  } else {
    if (!Execute(model, "CREATE TABLE " + table + " " + columns->second, std::string::npos,
                 PropertyLocation(model, "columns"), "columns: ")) {
      return false;
    }
    std::string prefix = "INSERT INTO " + table + " BY NAME SELECT * FROM (";
    if (!Execute(model, prefix + model.rendered_query + "\n) AS materia_source LIMIT 0",
                 prefix.size(), definition.query_location)) {
      return false;
    }
  }
  return CheckTimeColumn(model, table);
}

bool Validator::CheckTimeColumn(const Model& model, const std::string& table) {
  const ModelDefinition& definition = model.definition;
  SourceLocation where = PropertyLocation(model, "kind.time_column");
  auto described = connection_->Query("SELECT column_name FROM (DESCRIBE " + table + ")");
  if (!described.ok()) {
    AddProblem(model, where, CleanMessage(described.status().message()));
    return false;
  }
  std::vector<std::string> names;
  bool found = false;
  for (const auto& row : described->rows) {
    if (!row.empty() && row[0]) {
      names.push_back(*row[0]);
      found = found || ToLower(*row[0]) == ToLower(definition.time_column);
    }
  }
  if (!found) {
    AddProblem(model, where, "time_column '" + definition.time_column +
                                 "' is not a column of the query (its columns: " +
                                 JoinNames(names) + ")");
    return false;
  }
  // The filter a run adds must bind (any interval will do): a column of text needs its format.
  std::string filter = TimeFilter(definition, Interval{0, kMsPerDay});
  return Execute(model, "SELECT * FROM " + table + " WHERE " + filter + " LIMIT 0",
                 std::string::npos, where,
                 "time_column '" + definition.time_column + "' cannot be filtered by time: ");
}

bool Validator::Execute(const Model& model, const std::string& statement, size_t query_offset,
                        const SourceLocation& fallback, const std::string& prefix) {
  Status status = connection_->Execute(statement);
  if (status.ok()) return true;
  SourceLocation where = fallback;
  std::optional<size_t> offset = DuckDbErrorOffset(statement, status.message());
  const std::string& query = model.rendered_query;
  if (offset && query_offset != std::string::npos && *offset >= query_offset &&
      *offset <= query_offset + query.size()) {
    where = LocationAt(model.definition.query_location, query, *offset - query_offset);
  }
  std::string message = prefix + CleanMessage(status.message());
  if (message.starts_with("Catalog Error: Table with name") && !model.external_tables.empty()) {
    message += " (" + JoinNames(model.external_tables) +
               (model.external_tables.size() == 1 ? " is" : " are") +
               " not a model of this project; validate sees only the project's models)";
  }
  AddProblem(model, where, message);
  return false;
}

void Validator::AddProblem(const Model& model, SourceLocation location, std::string message) {
  if (location.file.empty()) location.file = model.definition.path;
  report_.problems.push_back({model.name(), std::move(location), std::move(message)});
}

SourceLocation Validator::PropertyLocation(const Model& model, const std::string& key) const {
  auto found = model.definition.property_locations.find(key);
  return found == model.definition.property_locations.end() ? model.definition.header_location
                                                             : found->second;
}

Status Validator::EnsureSchema(const std::string& schema) {
  if (schemas_.count(schema)) return Status::Ok();
  MATERIA_RETURN_IF_ERROR(
      connection_->Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(schema)));
  schemas_.insert(schema);
  return Status::Ok();
}

// Bytes of the UTF-8 character that starts with `lead`.
size_t CharacterBytes(unsigned char lead) {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

}  // namespace

std::string ValidationProblem::ToString() const { return location.ToString() + ": " + message; }

std::optional<size_t> DuckDbErrorOffset(const std::string& statement, const std::string& message) {
  // "...\nLINE 3: <excerpt>\n<spaces>^": the excerpt is (part of) line 3 of the
  // statement, cut with "..." at either end when long; the caret counts columns
  // from the start of the "LINE" line.
  size_t line_at = message.rfind("\nLINE ");
  if (line_at == std::string::npos) return std::nullopt;
  line_at++;
  size_t number_begin = line_at + 5;
  size_t number_end = message.find(':', number_begin);
  size_t line_end = message.find('\n', line_at);
  if (number_end == std::string::npos || line_end == std::string::npos || number_end > line_end) {
    return std::nullopt;
  }
  size_t line_number = 0;
  auto parsed =
      std::from_chars(message.data() + number_begin, message.data() + number_end, line_number);
  if (parsed.ec != std::errc() || line_number == 0) return std::nullopt;
  size_t caret = message.find('^', line_end + 1);
  if (caret == std::string::npos) return std::nullopt;
  size_t caret_column = caret - (line_end + 1);
  size_t indicator = number_end + 2 - line_at;  // "LINE 3: "
  std::string excerpt = message.substr(number_end + 2, line_end - number_end - 2);
  bool cut_before = excerpt.starts_with("...");
  if (cut_before) excerpt.erase(0, 3);
  size_t width = caret_column - std::min(caret_column, indicator + (cut_before ? 3 : 0));

  // The statement's line `line_number`, counted as DuckDB counts.
  size_t line_start = 0;
  for (size_t line = 1; line < line_number; line++) {
    size_t next = line_start;
    while (next < statement.size() && !IsNewline(statement[next])) next++;
    if (next >= statement.size()) return std::nullopt;
    line_start = next + 1;
  }
  size_t line_stop = line_start;
  while (line_stop < statement.size() && !IsNewline(statement[line_stop])) line_stop++;
  std::string_view line(statement.data() + line_start, line_stop - line_start);
  size_t excerpt_at = 0;
  if (cut_before) {
    std::string_view core = excerpt;
    if (core.ends_with("...") && line.find(core) == std::string_view::npos) core.remove_suffix(3);
    excerpt_at = line.find(core);
    if (excerpt_at == std::string_view::npos) return std::nullopt;
  }
  size_t offset = excerpt_at;
  for (size_t column = 0; column < width && offset < line.size(); column++) {
    offset += CharacterBytes(static_cast<unsigned char>(line[offset]));
  }
  return line_start + std::min(offset, line.size());
}

Result<ValidationReport> ValidateProject(const Project& project) {
  MATERIA_ASSIGN_OR_RETURN(std::shared_ptr<DuckDatabase> database, DuckDatabase::Open(":memory:"));
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection,
                           DuckConnection::Connect(database));
  // Relative source paths resolve against the project, as they do in a run (which
  // runs in the project directory).
  MATERIA_RETURN_IF_ERROR(connection->Execute("SET file_search_path = " +
                                              QuoteLiteral(project.config.project_dir)));
  Validator validator(project, std::move(connection));
  return validator.Run();
}

}  // namespace materia
