#include "pipelines/export_serving.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "base/hash.h"
#include "base/text.h"
#include "base/time.h"
#include "db/duckdb.h"
#include "plan/needs_work.h"
#include "plan/snapshot.h"
#include "plan/source_version.h"
#include "run/executor.h"

namespace materia {

namespace {

namespace fs = std::filesystem;

constexpr const char* kServingSchema = "serving";
constexpr const char* kDefaultServingFile = "serving.duckdb";
constexpr const char* kEnvironment = "prod";
constexpr const char* kAttachedCatalog = "pipeline";  // the warehouse, inside the copy
constexpr size_t kServingModelsMax = 10'000;
constexpr int kViewDepthMax = 64;  // views over views, resolved recursively
constexpr size_t kReasonNamesMax = 10;
constexpr uintmax_t kConfigBytesMax = 1 << 20;
constexpr size_t kSourceGlobsMax = 1'000;
constexpr const char* kSourcePrefix = "source:";  // input keys, as plan/needs_work writes them
constexpr const char* kModelPrefix = "model:";

// ---------------------------------------------------------------------------------
// Paths

std::string AbsoluteIn(const std::string& project_dir, const std::string& path) {
  fs::path candidate(path);
  if (candidate.is_relative()) candidate = fs::path(project_dir) / candidate;
  return candidate.lexically_normal().string();
}

std::string Where(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file + ": ";
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

// config.yaml's serving.database, "" when absent. LoadConfig has already checked the
// file's syntax and size; this reads just the one key.
Result<std::string> ConfiguredServingDatabase(const std::string& project_dir) {
  fs::path path = fs::path(project_dir) / "config.yaml";
  std::error_code error;
  if (!fs::is_regular_file(path, error)) path = fs::path(project_dir) / "config.yml";
  if (!fs::is_regular_file(path, error)) return std::string();
  uintmax_t size = fs::file_size(path, error);
  if (error || size > kConfigBytesMax) return std::string();  // LoadConfig reports it
  std::string file = path.filename().string();
  try {
    YAML::Node root = YAML::LoadFile(path.string());
    if (!root.IsMap()) return std::string();
    YAML::Node serving = root["serving"];
    if (!serving || serving.IsNull()) return std::string();
    if (!serving.IsMap()) {
      return Status::InvalidInput(Where(file, serving.Mark()) +
                                  "serving must be a mapping, e.g. {database: serving.duckdb}");
    }
    YAML::Node database = serving["database"];
    if (!database || database.IsNull()) return std::string();
    if (!database.IsScalar() || database.Scalar().empty()) {
      return Status::InvalidInput(Where(file, database.Mark()) +
                                  "serving database must be a file path");
    }
    return database.Scalar();
  } catch (const YAML::Exception& exception) {
    return Status::InvalidInput(Where(file, exception.mark) + exception.msg);
  }
}

// ---------------------------------------------------------------------------------
// Data versions

// The version of each model as an export sees it, memoized for one computation.
//
// A table model (FULL, SEED, the incremental and SCD kinds) has a materialization
// record whose data version hashes its data identity and its inputs (for the
// incremental kinds, its intervals and their versions too). A non-breaking change
// keeps the data identity (so children are not rebuilt), yet it adds a column to the
// served table, so the export version hashes the snapshot's fingerprint as well.
//
// A VIEW's materialization is recorded when the view is created and is not renewed
// when its parents change (it "reads its inputs live"), so its recorded data version
// goes stale. Its version is therefore computed now, from what decides what the view
// returns: its fingerprint (its query, and its parents' fingerprints), the export
// version of each parent (recursively, so a view over a view over a table follows the
// table), and the current version of each file set it reads directly (stat only).
// Which file sets those are comes from the inputs recorded with the view in state, not
// from the model files, so the version is that of what prod reads even while the
// project has unapplied edits. Tables outside the project are not versioned, as
// elsewhere.
class ServingVersions {
 public:
  ServingVersions(const Project& project, StateStore& state, const EnvironmentRecord& environment)
      : project_dir_(project.config.project_dir), state_(state), environment_(environment) {}

  Result<std::string> Of(const std::string& name, int depth) {
    auto memoized = memo_.find(name);
    if (memoized != memo_.end()) return memoized->second;
    if (depth > kViewDepthMax) {
      return Status::InvalidInput("views nest deeper than " + std::to_string(kViewDepthMax) +
                                  " levels at " + name);
    }
    auto reference = environment_.snapshots.find(name);
    if (reference == environment_.snapshots.end()) return std::string("absent");
    MATERIA_ASSIGN_OR_RETURN(std::optional<SnapshotRecord> snapshot,
                             state_.GetSnapshot(name, reference->second.fingerprint));
    if (!snapshot) return std::string("absent");
    std::string data_version;
    if (snapshot->kind == "VIEW") {
      MATERIA_ASSIGN_OR_RETURN(data_version, ViewDataVersion(*snapshot, reference->second, depth));
    } else {
      MATERIA_ASSIGN_OR_RETURN(std::optional<MaterializationRecord> materialization,
                               state_.GetMaterialization(name, reference->second.version));
      data_version = materialization ? materialization->data_version : "not built";
    }
    std::string version = Hasher().Add(snapshot->fingerprint).Add(data_version).Sha256().substr(0, 32);
    memo_[name] = version;
    return version;
  }

 private:
  Result<std::string> ViewDataVersion(const SnapshotRecord& snapshot, const SnapshotRef& reference,
                                      int depth) {
    MATERIA_ASSIGN_OR_RETURN(std::optional<MaterializationRecord> materialization,
                             state_.GetMaterialization(snapshot.name, reference.version));
    if (!materialization) return std::string("not built");
    std::map<std::string, std::string> inputs;
    for (const auto& [key, recorded] : materialization->input_versions) {
      if (key.rfind(kSourcePrefix, 0) == 0) {
        auto version = scanner_.Version(SourceFromKey(key));
        inputs[key] = version.ok() ? *version : "unversioned";
      } else if (key.rfind(kModelPrefix, 0) != 0) {
        inputs[key] = recorded;  // external tables, the schedule: as recorded
      }
    }
    nlohmann::json parents = nlohmann::json::parse(snapshot.parents_json, nullptr, false);
    if (parents.is_array()) {
      for (const nlohmann::json& parent : parents) {
        if (!parent.is_object() || !parent.contains("name") || !parent["name"].is_string()) continue;
        std::string parent_name = parent["name"].get<std::string>();
        MATERIA_ASSIGN_OR_RETURN(inputs[kModelPrefix + parent_name], Of(parent_name, depth + 1));
      }
    }
    return ComputeDataVersion(snapshot.fingerprint, inputs);
  }

  // "source:read_csv:a/*.csv|b/*.csv" (SourceKey) back into the reference it names.
  SourceReference SourceFromKey(const std::string& key) {
    SourceReference source;
    size_t function_end = key.find(':', std::strlen(kSourcePrefix));
    if (function_end == std::string::npos) return source;
    source.function = key.substr(std::strlen(kSourcePrefix), function_end - std::strlen(kSourcePrefix));
    size_t start = function_end + 1;
    while (start <= key.size() && source.globs.size() < kSourceGlobsMax) {
      size_t end = key.find('|', start);
      if (end == std::string::npos) end = key.size();
      if (end > start) source.globs.push_back(AbsoluteIn(project_dir_, key.substr(start, end - start)));
      start = end + 1;
    }
    return source;
  }

  const std::string project_dir_;  // relative globs are relative to it
  StateStore& state_;
  const EnvironmentRecord& environment_;
  SourceScanner scanner_;
  std::map<std::string, std::string> memo_;
};

// ---------------------------------------------------------------------------------
// Deciding

struct ExportDecision {
  std::string path;  // the serving file, absolute
  std::map<std::string, std::string> versions;
  std::optional<ServingExportRecord> last;  // the last successful export
  std::vector<std::string> reasons;         // empty: nothing to do
};

std::string NameList(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); i++) {
    if (i == kReasonNamesMax) {
      text += ", … (" + std::to_string(names.size() - i) + " more)";
      break;
    }
    text += (i == 0 ? "" : ", ") + names[i];
  }
  return text;
}

// Why the versions now differ from those of the last export.
std::vector<std::string> ChangedVersions(const std::map<std::string, std::string>& now,
                                         const std::string& recorded_json) {
  std::map<std::string, std::string> recorded;
  nlohmann::json json = nlohmann::json::parse(recorded_json, nullptr, false);
  if (json.is_object()) {
    for (const auto& [name, value] : json.items()) {
      if (value.is_string()) recorded[name] = value.get<std::string>();
    }
  }
  std::vector<std::string> changed, added, removed;
  for (const auto& [name, version] : now) {
    auto found = recorded.find(name);
    if (found == recorded.end()) added.push_back(name);
    else if (found->second != version) changed.push_back(name);
  }
  for (const auto& [name, version] : recorded) {
    if (now.count(name) == 0) removed.push_back(name);
  }
  std::vector<std::string> reasons;
  if (!changed.empty()) reasons.push_back("serving data changed: " + NameList(changed));
  if (!added.empty()) reasons.push_back("serving models added: " + NameList(added));
  if (!removed.empty()) reasons.push_back("serving models removed: " + NameList(removed));
  return reasons;
}

Result<ExportDecision> Decide(const Project& project, StateStore& state, const ExportOptions& options) {
  ExportDecision decision;
  MATERIA_ASSIGN_OR_RETURN(decision.path, ResolveServingDatabasePath(project.config, options.serving_path));
  MATERIA_ASSIGN_OR_RETURN(decision.versions, ServingDataVersions(project, state));
  MATERIA_ASSIGN_OR_RETURN(decision.last, state.LastServingExport());
  if (options.force) decision.reasons.push_back("forced");
  if (!decision.last) {
    decision.reasons.push_back("never exported");
    return decision;
  }
  std::error_code error;
  if (decision.last->path != decision.path) {
    decision.reasons.push_back("the serving file is now " + decision.path + " (last exported to " +
                               decision.last->path + ")");
  } else if (!fs::exists(decision.path, error)) {
    decision.reasons.push_back("the serving file " + decision.path + " is missing");
  }
  std::vector<std::string> changed = ChangedVersions(decision.versions, decision.last->data_versions_json);
  decision.reasons.insert(decision.reasons.end(), changed.begin(), changed.end());
  return decision;
}

// ---------------------------------------------------------------------------------
// Files

// An exclusive flock(2) on the serving file's directory, held for one export: a
// second export of the same directory at the same time is refused rather than
// interleaved. Released (with its descriptor) on destruction, or by the kernel when
// the process dies.
class DirectoryLock {
 public:
  static Result<std::unique_ptr<DirectoryLock>> Acquire(const std::string& directory,
                                                        const std::string& serving_path) {
    int descriptor = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0) {
      return Status::IoError("cannot open " + directory + ": " + std::strerror(errno));
    }
    if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
      int code = errno;
      ::close(descriptor);
      if (code == EWOULDBLOCK) {
        return Status::Conflict("another export to " + serving_path + " is in progress");
      }
      return Status::IoError("cannot lock " + directory + ": " + std::strerror(code));
    }
    return std::unique_ptr<DirectoryLock>(new DirectoryLock(descriptor));
  }
  ~DirectoryLock() { ::close(descriptor_); }  // closing releases the lock
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  explicit DirectoryLock(int descriptor) : descriptor_(descriptor) {}
  int descriptor_;
};

Status SyncPath(const std::string& path, bool directory) {
  int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (descriptor < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  int result = ::fsync(descriptor);
  int code = errno;
  ::close(descriptor);
  if (result != 0) return Status::IoError("cannot sync " + path + ": " + std::strerror(code));
  return Status::Ok();
}

// Removes a DuckDB file and its write-ahead log, if they exist.
Status RemoveDatabaseFiles(const std::string& path) {
  for (const std::string& file : {path, path + ".wal"}) {
    std::error_code error;
    fs::remove(file, error);
    if (error) return Status::IoError("cannot remove " + file + ": " + error.message());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------
// Copying

bool MentionsLock(const std::string& message) {
  return message.find("lock") != std::string::npos || message.find("Lock") != std::string::npos;
}

std::string SourceTable(const std::string& table) {
  return std::string(kAttachedCatalog) + "." + kServingSchema + "." + QuoteIdentifier(table);
}

std::string TargetTable(const std::string& table) {
  return std::string(kServingSchema) + "." + QuoteIdentifier(table);
}

Result<int64_t> CountRows(DuckConnection& connection, const std::string& table) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult result, connection.Query("SELECT count(*) FROM " + table));
  std::optional<std::string> count = result.Scalar();
  if (!count) return Status::Internal("count(*) of " + table + " returned nothing");
  return static_cast<int64_t>(std::strtoll(count->c_str(), nullptr, 10));
}

// Attaches the warehouse read-only to `connection`; a writer holding its lock is a
// clear kConflict. Checks that every table to copy is in its serving schema.
Status AttachWarehouse(DuckConnection& connection, const std::string& warehouse,
                       const std::string& warehouse_shown, const std::vector<std::string>& tables) {
  Status attached = connection.Execute("ATTACH " + QuoteLiteral(warehouse) + " AS " +
                                       kAttachedCatalog + " (READ_ONLY)");
  if (!attached.ok() && MentionsLock(attached.message())) {
    return Status::Conflict("warehouse " + warehouse_shown +
                            " is locked by another process (a run in progress?)");
  }
  MATERIA_RETURN_IF_ERROR(attached);
  MATERIA_ASSIGN_OR_RETURN(QueryResult present,
                           connection.Query(std::string("SELECT table_name FROM information_schema.tables "
                                                        "WHERE table_catalog = '") +
                                            kAttachedCatalog + "' AND table_schema = '" + kServingSchema + "'"));
  std::set<std::string> names;
  for (const auto& row : present.rows) {
    if (row[0]) names.insert(*row[0]);
  }
  for (const std::string& table : tables) {
    if (names.count(table) == 0) {
      return Status::NotFound("warehouse " + warehouse_shown + " has no " + kServingSchema + "." + table +
                              " although prod has it (run `materia run` first)");
    }
  }
  return Status::Ok();
}

Status CopyTables(DuckConnection& connection, const std::vector<std::string>& tables,
                  const ExportOptions& options, std::vector<ExportedTable>* copied) {
  MATERIA_RETURN_IF_ERROR(connection.Execute(std::string("BEGIN TRANSACTION; CREATE SCHEMA ") + kServingSchema));
  for (size_t i = 0; i < tables.size(); i++) {
    const std::string& table = tables[i];
    std::string name = std::string(kServingSchema) + "." + table;
    if (options.progress) {
      options.progress("copying " + name + " (" + std::to_string(i + 1) + "/" +
                       std::to_string(tables.size()) + ")");
    }
    MATERIA_RETURN_IF_ERROR(connection.Execute("CREATE TABLE " + TargetTable(table) +
                                               " AS SELECT * FROM " + SourceTable(table)));
    MATERIA_ASSIGN_OR_RETURN(int64_t source_rows, CountRows(connection, SourceTable(table)));
    MATERIA_ASSIGN_OR_RETURN(int64_t copied_rows, CountRows(connection, TargetTable(table)));
    if (source_rows != copied_rows) {
      return Status::Internal(name + " has " + std::to_string(source_rows) + " rows in the warehouse but " +
                              std::to_string(copied_rows) + " in the copy");
    }
    copied->push_back({name, copied_rows});
  }
  MATERIA_RETURN_IF_ERROR(connection.Execute("COMMIT"));
  MATERIA_RETURN_IF_ERROR(connection.Execute(std::string("DETACH ") + kAttachedCatalog));
  // Everything into the file itself, so that it needs no write-ahead log.
  return connection.Execute("CHECKPOINT");
}

// Writes the serving tables into `new_path`, then closes it.
Status WriteCopy(const std::string& new_path, const std::string& warehouse,
                 const std::string& warehouse_shown, const std::vector<std::string>& tables,
                 const ExportOptions& options, std::vector<ExportedTable>* copied) {
  DuckOptions duck;
  duck.threads = options.threads;
  duck.memory_limit = options.memory_limit;
  MATERIA_ASSIGN_OR_RETURN(std::shared_ptr<DuckDatabase> database, DuckDatabase::Open(new_path, duck));
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection, DuckConnection::Connect(database));
  MATERIA_RETURN_IF_ERROR(AttachWarehouse(*connection, warehouse, warehouse_shown, tables));
  return CopyTables(*connection, tables, options, copied);
}  // the connection and then the database close here

// Checks that the closed copy stands on its own: no write-ahead log beside it, and
// every table readable with the rows copied.
Status VerifyCopy(const std::string& new_path, const std::vector<ExportedTable>& copied) {
  std::error_code error;
  if (fs::exists(new_path + ".wal", error)) {
    return Status::IoError(new_path + " kept a write-ahead log after it was closed");
  }
  DuckOptions read_only;
  read_only.read_only = true;
  MATERIA_ASSIGN_OR_RETURN(std::shared_ptr<DuckDatabase> database, DuckDatabase::Open(new_path, read_only));
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection, DuckConnection::Connect(database));
  for (const ExportedTable& table : copied) {
    std::string name = table.name.substr(std::string(kServingSchema).size() + 1);
    MATERIA_ASSIGN_OR_RETURN(int64_t rows, CountRows(*connection, TargetTable(name)));
    if (rows != table.rows) {
      return Status::Internal(table.name + " has " + std::to_string(rows) + " rows in " + new_path +
                              " after closing, " + std::to_string(table.rows) + " before");
    }
  }
  return Status::Ok();
}

// fsync the new file, rename it over the serving file, fsync the directory. A stale
// write-ahead log of the old serving file would be replayed onto the new one by the
// next reader, so it goes first (serving files are written only here, whole).
Status Publish(const std::string& new_path, const std::string& serving_path) {
  MATERIA_RETURN_IF_ERROR(SyncPath(new_path, false));
  std::error_code error;
  fs::remove(serving_path + ".wal", error);
  if (error) return Status::IoError("cannot remove " + serving_path + ".wal: " + error.message());
  if (std::rename(new_path.c_str(), serving_path.c_str()) != 0) {
    return Status::IoError("cannot rename " + new_path + " to " + serving_path + ": " + std::strerror(errno));
  }
  // The new file is complete and in place now; a failed directory sync only leaves
  // the rename itself at risk from a power cut (the old file would come back), which
  // is no reason to call the export failed when readers already see the new one.
  (void)SyncPath(fs::path(serving_path).parent_path().string(), true);
  return Status::Ok();
}

struct WrittenExport {
  std::vector<ExportedTable> tables;
  int64_t bytes = 0;
};

// Steps 2 to 4 of an export (see the header), under the directory lock; on failure
// the new file is removed.
Result<WrittenExport> WriteServingFile(const Project& project, const ExportDecision& decision,
                                       const ExportOptions& options) {
  const std::string& warehouse_shown = project.config.gateway().database;
  if (warehouse_shown.empty() || warehouse_shown == ":memory:") {
    return Status::InvalidInput("the warehouse is in memory: there is no serving layer to export");
  }
  std::string warehouse = AbsoluteIn(project.config.project_dir, warehouse_shown);
  std::error_code error;
  if (!fs::exists(warehouse, error)) {
    return Status::NotFound("warehouse " + warehouse_shown +
                            " does not exist (run `materia plan --auto-apply` first)");
  }
  if (fs::equivalent(warehouse, decision.path, error)) {
    return Status::InvalidInput("the serving file " + decision.path +
                                " is the warehouse itself: choose another serving database");
  }
  std::string directory = fs::path(decision.path).parent_path().string();
  fs::create_directories(directory, error);
  if (error) return Status::IoError("cannot create " + directory + ": " + error.message());
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DirectoryLock> lock, DirectoryLock::Acquire(directory, decision.path));
  std::string new_path = ServingTemporaryPath(decision.path);
  MATERIA_RETURN_IF_ERROR(RemoveDatabaseFiles(new_path));  // left by a crash

  std::vector<std::string> tables;
  for (const auto& [name, version] : decision.versions) tables.push_back(SplitModelName(name).second);
  WrittenExport written;
  Status status = WriteCopy(new_path, warehouse, warehouse_shown, tables, options, &written.tables);
  if (status.ok()) {
    if (options.progress) options.progress("checking " + new_path);
    status = VerifyCopy(new_path, written.tables);
  }
  if (status.ok()) {
    written.bytes = static_cast<int64_t>(fs::file_size(new_path, error));
    if (error) status = Status::IoError("cannot read the size of " + new_path + ": " + error.message());
  }
  if (status.ok()) {
    if (options.progress) options.progress("renaming " + new_path + " to " + decision.path);
    status = Publish(new_path, decision.path);
  }
  if (!status.ok()) {
    (void)RemoveDatabaseFiles(new_path);
    return status;
  }
  return written;
}

std::string TablesJson(const std::vector<ExportedTable>& tables) {
  nlohmann::json json = nlohmann::json::array();
  for (const ExportedTable& table : tables) json.push_back({{"name", table.name}, {"rows", table.rows}});
  return json.dump();
}

std::string VersionsJson(const std::map<std::string, std::string>& versions) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, version] : versions) json[name] = version;
  return json.dump();
}

// An input problem (kInvalidInput, kNotFound, kConflict) is not an export: nothing
// was written, so it is neither prefixed nor recorded as a failed export.
bool IsExportFailure(const Status& status) {
  return status.code() != StatusCode::kInvalidInput && status.code() != StatusCode::kNotFound &&
         status.code() != StatusCode::kConflict;
}

}  // namespace

// ---------------------------------------------------------------------------------

std::string ExportReport::ToJson() const {
  nlohmann::json table_list = nlohmann::json::array();
  for (const ExportedTable& table : tables) table_list.push_back({{"name", table.name}, {"rows", table.rows}});
  double megabytes_per_second = seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0;
  nlohmann::json json = {{"skipped", skipped},
                         {"reason", reason},
                         {"path", path},
                         {"tables", table_list},
                         {"rows", rows},
                         {"bytes", bytes},
                         {"seconds", seconds},
                         {"mb_per_second", megabytes_per_second},
                         {"export_id", export_id}};
  return json.dump(2);
}

Result<std::string> ResolveServingDatabasePath(const ProjectConfig& config,
                                               const std::string& override_path) {
  if (!override_path.empty()) return AbsoluteIn(config.project_dir, override_path);
  const char* environment = std::getenv("SERVING_DUCKDB_PATH");
  if (environment != nullptr && *environment != '\0') return AbsoluteIn(config.project_dir, environment);
  MATERIA_ASSIGN_OR_RETURN(std::string configured, ConfiguredServingDatabase(config.project_dir));
  return AbsoluteIn(config.project_dir, configured.empty() ? kDefaultServingFile : configured);
}

std::string ServingDatabasePath(const ProjectConfig& config, const std::string& override_path) {
  auto path = ResolveServingDatabasePath(config, override_path);
  return path.ok() ? *path : AbsoluteIn(config.project_dir, kDefaultServingFile);
}

std::string ServingTemporaryPath(const std::string& serving_path) {
  fs::path path(serving_path);
  std::string name = path.stem().string() + "_new" + path.extension().string();
  return (path.parent_path() / name).string();
}

Result<std::map<std::string, std::string>> ServingDataVersions(const Project& project, StateStore& state) {
  MATERIA_ASSIGN_OR_RETURN(std::optional<EnvironmentRecord> environment, state.GetEnvironment(kEnvironment));
  if (!environment) {
    return Status::NotFound("there is no prod environment to export (run `materia plan --auto-apply` first)");
  }
  ServingVersions versions(project, state, *environment);
  std::map<std::string, std::string> result;
  for (const auto& [name, reference] : environment->snapshots) {
    if (SplitModelName(name).first != kServingSchema) continue;
    if (result.size() == kServingModelsMax) {
      return Status::InvalidInput("prod has more than " + std::to_string(kServingModelsMax) +
                                  " serving models, the most an export copies");
    }
    MATERIA_ASSIGN_OR_RETURN(result[name], versions.Of(name, 0));
  }
  if (result.empty()) {
    return Status::NotFound("the prod environment has no models in schema serving: nothing to export");
  }
  return result;
}

Result<ExportCheckResult> CheckExportServing(const Project& project, StateStore& state,
                                             const ExportOptions& options) {
  MATERIA_ASSIGN_OR_RETURN(ExportDecision decision, Decide(project, state, options));
  ExportCheckResult result;
  result.has_work = !decision.reasons.empty();
  result.reasons = std::move(decision.reasons);
  return result;
}

Result<ExportReport> ExportServing(const Project& project, StateStore& state, const ExportOptions& options) {
  TimestampMs started_ms = NowMs();
  auto started = std::chrono::steady_clock::now();
  MATERIA_ASSIGN_OR_RETURN(ExportDecision decision, Decide(project, state, options));
  ExportReport report;
  report.path = decision.path;
  report.export_id = "export-" + NewRunId(started_ms);
  ServingExportRecord record;
  record.export_id = report.export_id;
  record.path = decision.path;
  record.started_ms = started_ms;
  record.data_versions_json = VersionsJson(decision.versions);
  if (decision.reasons.empty()) {
    report.skipped = true;
    report.reason = "the serving layer is unchanged since the export of " + FormatIso(decision.last->finished_ms);
    record.status = "skipped";
    record.finished_ms = NowMs();
    record.tables_json = "[]";
    MATERIA_RETURN_IF_ERROR(state.PutServingExport(record));
    return report;
  }
  report.reason = decision.reasons[0];
  for (size_t i = 1; i < decision.reasons.size(); i++) report.reason += "; " + decision.reasons[i];

  auto written = WriteServingFile(project, decision, options);
  record.finished_ms = NowMs();
  if (!written.ok()) {
    if (!IsExportFailure(written.status())) return written.status();
    std::string message = "export to " + decision.path + " failed (the serving file is unchanged): " +
                          OneLine(written.status().message());
    Status failure = written.status().code() == StatusCode::kInternal ? Status::Internal(message)
                     : written.status().code() == StatusCode::kIoError ? Status::IoError(message)
                                                                        : Status::DatabaseError(message);
    record.status = "failed";
    record.tables_json = "[]";
    record.error = message;
    (void)state.PutServingExport(record);  // the failure itself is what is reported
    return failure;
  }
  report.tables = std::move(written->tables);
  for (const ExportedTable& table : report.tables) report.rows += table.rows;
  report.bytes = written->bytes;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  record.status = "success";
  record.tables_json = TablesJson(report.tables);
  record.rows = report.rows;
  record.bytes = report.bytes;
  MATERIA_RETURN_IF_ERROR(state.PutServingExport(record));
  return report;
}

}  // namespace materia
