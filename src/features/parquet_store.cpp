// The Parquet store: a metadata store in a folder of Parquet files that any engine
// (DuckDB, Spark, Polars, pandas) can read with a glob. Its layout under the root:
//
//   <root>/<key>/@rows/[<column>=<value>/...]<created_at micros>-<random hex>.parquet
//   <root>/<key>/@versions/<feature_version>.json   the definition, as recorded
//   <root>/.tmp-<random hex>/                        a write in progress
//
// A key's '/' become folders, so "video" and "video/crop" live in <root>/video/@rows and
// <root>/video/crop/@rows; '@' never occurs in a key, so a feature folder never
// collides with a store folder, and "<key>/@rows/**" never reaches another feature's
// files. Temporary folders sit at the root, outside every feature's glob.
//
// Every Append writes one new file (one per partition when the rows carry all the
// store's partition_by columns; hive style, `<column>=<value>/`, with the columns kept
// inside the files too, so a reader without hive partitioning sees the same rows). File
// names begin with a zero-padded microsecond time, so they sort in the order written.
// A write goes to a temporary folder first and its files are then renamed into place:
// a reader sees each file whole or not at all, and a failed write leaves no file and no
// temporary folder behind. A write spanning several partitions renames one file per
// partition; a reader in between may see some of them, and a crash in between leaves
// the ones already renamed (whole rows of the write, never a broken file).
//
// Readers take the latest row per sample by materia_created_at and skip tombstones
// (LatestRowsSql over read_parquet(... union_by_name = true)). Hive partitioning is used
// when every file sits at the same partition depth with the same columns, with the
// partition columns typed as in the files (DuckDB would otherwise guess the type of
// '007' or '12' from the folder name); a feature whose layout changed (partition_by
// edited) is read without it, which gives the same rows.
//
// HardDelete rewrites the feature's file set in a temporary folder and swaps it with
// @rows (an atomic exchange on Linux, else two renames). It must not run while another
// process appends to the same feature: that append's file would be swapped away.
//
// A ParquetStore is not thread-safe: one engine, one thread. Several processes may
// append to one store at once (each file has a name of its own).

#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc, _GNU_SOURCE)
#include <fcntl.h>  // AT_FDCWD

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/text.h"
#include "features/metadata_store.h"
#include "features/provenance.h"

namespace materia {

namespace {

namespace fs = std::filesystem;

using Schema = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kRowsFolder = "@rows";
constexpr const char* kVersionsFolder = "@versions";
constexpr const char* kTemporaryPrefix = ".tmp-";
constexpr const char* kParquetExtension = ".parquet";
// Feature key segments plus partition columns: deeper folders are not looked into.
constexpr int kFolderDepthMax = 64;
// Files one write may produce (one per partition).
constexpr size_t kFilesPerWriteMax = 100000;
constexpr size_t kFeatureVersionLengthMax = 200;

bool StartsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

bool IsNullType(const std::string& type) { return type == "\"NULL\"" || type == "NULL"; }

const std::string* FindType(const Schema& schema, const std::string& column) {
  for (const auto& [name, type] : schema) {
    if (name == column) return &type;
  }
  return nullptr;
}

std::vector<std::string> ColumnNames(const Schema& schema) {
  std::vector<std::string> names;
  for (const auto& [name, type] : schema) names.push_back(name);
  return names;
}

// 16 random hex digits: names temporary folders and files apart across processes.
std::string RandomHex() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  static const char kDigits[] = "0123456789abcdef";
  uint64_t bits = generator();
  std::string text(16, '0');
  for (char& digit : text) {
    digit = kDigits[bits & 0xf];
    bits >>= 4;
  }
  return text;
}

double SecondsSince(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void RemoveQuietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

// The Parquet files under `folder` (recursively, in name order), at most `limit` of them;
// none when the folder does not exist.
Result<std::vector<fs::path>> ParquetFiles(const fs::path& folder, size_t limit = SIZE_MAX) {
  std::vector<fs::path> files;
  std::error_code error;
  if (!fs::is_directory(folder, error)) return files;
  fs::recursive_directory_iterator it(folder, error), end;
  for (; !error && it != end && files.size() < limit; it.increment(error)) {
    if (it.depth() > kFolderDepthMax) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(error) && it->path().extension() == kParquetExtension) files.push_back(it->path());
  }
  if (error) return Status::IoError("cannot list " + folder.string() + ": " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

// The hive partition columns all `files` under `rows` share ("region" for
// rows/region=eu/x.parquet), {} when they sit directly in `rows`, nullopt when the files
// do not all have the same partition columns (or a folder is not `<column>=<value>`).
std::optional<std::vector<std::string>> SharedPartitionColumns(const fs::path& rows,
                                                               const std::vector<fs::path>& files) {
  std::optional<std::vector<std::string>> shared;
  for (const fs::path& file : files) {
    std::vector<std::string> columns;
    for (const fs::path& part : file.parent_path().lexically_relative(rows)) {
      const std::string folder = part.string();
      if (folder == ".") continue;
      const size_t equals = folder.find('=');
      if (equals == std::string::npos || equals == 0) return std::nullopt;
      columns.push_back(folder.substr(0, equals));
    }
    if (shared && *shared != columns) return std::nullopt;
    shared = std::move(columns);
  }
  return shared;
}

// Whether a feature key can name a folder: segments that are not empty, ".", "..",
// hidden, or a store folder ('@').
bool IsFolderKey(const std::string& key) {
  if (key.empty()) return false;
  std::stringstream segments(key);
  std::string segment;
  int depth = 0;
  while (std::getline(segments, segment, '/')) {
    if (segment.empty() || segment[0] == '.' || segment.find('@') != std::string::npos ||
        segment.find('\\') != std::string::npos || segment.find('\0') != std::string::npos) {
      return false;
    }
    depth++;
  }
  return key.back() != '/' && depth <= kFolderDepthMax;
}

bool IsFileVersion(const std::string& version) {
  if (version.empty() || version.size() > kFeatureVersionLengthMax || version[0] == '.') return false;
  return std::all_of(version.begin(), version.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// Moves every Parquet file under `from` to the same place under `to`, named
// `<stem>.parquet` (`<stem>-<n>.parquet` for a second file in one folder). On failure the
// files already moved are removed again.
Status MoveFiles(const fs::path& from, const fs::path& to, const std::string& stem) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<fs::path> files, ParquetFiles(from, kFilesPerWriteMax + 1));
  if (files.size() > kFilesPerWriteMax) {
    return Status::InvalidInput("a write made more than " + std::to_string(kFilesPerWriteMax) +
                                " files: too many partitions");
  }
  std::map<fs::path, int> per_folder;
  std::vector<fs::path> moved;
  for (const fs::path& file : files) {
    const fs::path relative = file.parent_path().lexically_relative(from);
    const fs::path folder = relative == "." ? to : to / relative;
    const int index = per_folder[folder]++;
    const fs::path target = folder / (stem + (index ? "-" + std::to_string(index) : "") + kParquetExtension);
    std::error_code error;
    fs::create_directories(folder, error);
    if (!error) fs::rename(file, target, error);
    if (error) {
      for (const fs::path& done : moved) RemoveQuietly(done);
      return Status::IoError("cannot move " + file.string() + " to " + target.string() + ": " + error.message());
    }
    moved.push_back(target);
  }
  return Status::Ok();
}

// Exchanges the folders `a` and `b` (both exist), atomically where the system can;
// otherwise `b` goes to `spare` and `a` to `b`, so `spare` must not exist.
Status SwapFolders(const fs::path& a, const fs::path& b, const fs::path& spare) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return Status::Ok();
  std::error_code error;
  fs::rename(b, spare, error);
  if (error) return Status::IoError("cannot move " + b.string() + " aside: " + error.message());
  fs::rename(a, b, error);
  if (error) {
    std::error_code ignored;
    fs::rename(spare, b, ignored);
    return Status::IoError("cannot move " + a.string() + " to " + b.string() + ": " + error.message());
  }
  return Status::Ok();
}

// What a feature's files hold: `sql` reads every row (a read_parquet call), `schema`
// is its columns.
struct History {
  std::string sql;
  Schema schema;
};

class ParquetStore final : public MetadataStore {
 public:
  explicit ParquetStore(StoreConfig config) : MetadataStore(std::move(config)) {
    root_ = fs::path(this->config().path).lexically_normal();
    if (root_.filename().empty() && root_.has_parent_path()) root_ = root_.parent_path();  // "/a/b/" -> "/a/b"
  }

  std::string container() const override { return "parquet:" + config().path; }

  Status Attach(DuckConnection& compute, bool read_only) override {
    read_only_ = read_only;
    if (read_only) return Status::Ok();  // a missing root reads as a store with no features
    std::error_code error;
    fs::create_directories(root_, error);
    if (!error && !fs::is_directory(root_, error)) error = std::make_error_code(std::errc::not_a_directory);
    if (error) {
      return Status::IoError("store " + name() + ": cannot create folder " + root_.string() + ": " + error.message());
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> Features(DuckConnection& compute) override {
    std::vector<std::string> features;
    std::error_code error;
    if (!fs::is_directory(root_, error)) return features;
    MATERIA_RETURN_IF_ERROR(CollectFeatures(root_, "", 0, features));
    std::sort(features.begin(), features.end());
    return features;
  }

  Result<std::optional<StoredFeature>> Latest(DuckConnection& compute, const std::string& feature,
                                              const std::vector<std::string>& id_columns,
                                              const std::vector<std::string>& filters) override {
    auto started = std::chrono::steady_clock::now();
    MATERIA_ASSIGN_OR_RETURN(fs::path folder, FeatureFolder(feature));
    MATERIA_ASSIGN_OR_RETURN(std::optional<History> history, ReadHistory(compute, feature, folder / kRowsFolder));
    if (!history) return std::optional<StoredFeature>();
    StoredFeature stored;
    stored.relation = LatestRowsSql(history->sql, id_columns, filters);
    stored.columns = ColumnNames(history->schema);
    counters().reads++;
    counters().read_seconds += SecondsSince(started);
    return std::optional<StoredFeature>(std::move(stored));
  }

  Result<int64_t> Append(DuckConnection& compute, const std::string& feature,
                         const std::vector<std::string>& id_columns, const std::string& relation) override;

  Result<int64_t> HardDelete(DuckConnection& compute, const std::string& feature,
                             const std::vector<std::string>& keys, const std::string& keys_relation) override;

  Status RecordFeatureVersion(DuckConnection& compute, const std::string& feature,
                              const std::string& feature_version, const std::string& definition_json) override;

  Result<std::optional<std::string>> FeatureVersionDefinition(DuckConnection& compute,
                                                              const std::string& feature,
                                                              const std::string& feature_version) override;

 private:
  Status CheckWritable() const;
  Result<fs::path> FeatureFolder(const std::string& feature) const;
  Result<fs::path> VersionFile(const std::string& feature, const std::string& feature_version) const;
  Status CollectFeatures(const fs::path& folder, const std::string& key, int depth,
                         std::vector<std::string>& features) const;
  Result<std::optional<History>> ReadHistory(DuckConnection& compute, const std::string& feature,
                                             const fs::path& rows) const;
  Result<std::string> SelectToAppend(const std::string& feature, const std::string& relation, const Schema& schema,
                                     const Schema& existing) const;
  Result<int64_t> WriteRows(DuckConnection& compute, const std::string& select,
                            const std::vector<std::string>& columns, const fs::path& rows);
  Result<int64_t> RemoveFeature(DuckConnection& compute, const std::string& feature, const fs::path& folder);
  Result<fs::path> MakeTemporaryFolder() const;
  std::string NextFileStem();

  fs::path root_;
  bool read_only_ = false;
  int64_t last_file_us_ = 0;
};


Result<int64_t> ParquetStore::Append(DuckConnection& compute, const std::string& feature,
                                     const std::vector<std::string>& id_columns, const std::string& relation) {
  auto started = std::chrono::steady_clock::now();
  MATERIA_RETURN_IF_ERROR(CheckWritable());
  MATERIA_ASSIGN_OR_RETURN(fs::path folder, FeatureFolder(feature));
  MATERIA_ASSIGN_OR_RETURN(Schema schema, RelationSchema(compute, relation));
  MATERIA_ASSIGN_OR_RETURN(std::optional<History> history, ReadHistory(compute, feature, folder / kRowsFolder));
  MATERIA_ASSIGN_OR_RETURN(std::string select,
                           SelectToAppend(feature, relation, schema, history ? history->schema : Schema{}));
  auto written = WriteRows(compute, select, ColumnNames(schema), folder / kRowsFolder);
  if (!written.ok()) return written.status().WithPrefix(feature + ": appending to store " + name());
  counters().writes++;
  counters().rows_written += *written;
  counters().write_seconds += SecondsSince(started);
  return *written;
}

Result<int64_t> ParquetStore::HardDelete(DuckConnection& compute, const std::string& feature,
                                         const std::vector<std::string>& keys, const std::string& keys_relation) {
  MATERIA_RETURN_IF_ERROR(CheckWritable());
  MATERIA_ASSIGN_OR_RETURN(fs::path folder, FeatureFolder(feature));
  if (keys_relation.empty()) return RemoveFeature(compute, feature, folder);
  if (keys.empty()) return Status::InvalidInput(feature + ": a hard delete by keys needs key columns");
  const fs::path rows = folder / kRowsFolder;
  MATERIA_ASSIGN_OR_RETURN(std::optional<History> history, ReadHistory(compute, feature, rows));
  if (!history) return int64_t{0};
  std::vector<std::string> match;
  for (const std::string& key : keys) {
    match.push_back("t." + QuoteIdentifier(key) + " IS NOT DISTINCT FROM k." + QuoteIdentifier(key));
  }
  const std::string matched = "EXISTS (SELECT 1 FROM " + keys_relation + " AS k WHERE " + JoinText(match, " AND ") + ")";
  MATERIA_ASSIGN_OR_RETURN(QueryResult counts, compute.Query("SELECT count(*) FILTER (WHERE " + matched +
                                                             "), count(*) FROM " + history->sql + " AS t"));
  const int64_t removed = std::stoll(counts.rows[0][0].value_or("0"));
  const int64_t total = std::stoll(counts.rows[0][1].value_or("0"));
  if (removed == 0) return int64_t{0};
  // The rows that stay, as a new file set beside the old; then the two change places.
  MATERIA_ASSIGN_OR_RETURN(fs::path temporary, MakeTemporaryFolder());
  const fs::path kept = temporary / "rows";
  std::error_code error;
  fs::create_directory(kept, error);
  Status status = error ? Status::IoError("cannot create " + kept.string() + ": " + error.message()) : Status::Ok();
  if (status.ok() && removed < total) {
    status = WriteRows(compute, "SELECT * FROM " + history->sql + " AS t WHERE NOT " + matched,
                       ColumnNames(history->schema), kept)
                 .status();
  }
  if (status.ok()) status = SwapFolders(kept, rows, temporary / "old");
  RemoveQuietly(temporary);
  if (!status.ok()) return status.WithPrefix(feature + ": deleting from store " + name());
  return removed;
}

Status ParquetStore::RecordFeatureVersion(DuckConnection& compute, const std::string& feature,
                                          const std::string& feature_version, const std::string& definition_json) {
  MATERIA_RETURN_IF_ERROR(CheckWritable());
  MATERIA_ASSIGN_OR_RETURN(fs::path path, VersionFile(feature, feature_version));
  std::error_code error;
  if (fs::exists(path, error)) return Status::Ok();  // the first definition recorded stays
  fs::create_directories(path.parent_path(), error);
  if (error) return Status::IoError("cannot create " + path.parent_path().string() + ": " + error.message());
  const fs::path temporary = path.parent_path() / (kTemporaryPrefix + RandomHex() + ".json");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << definition_json;
    out.close();
    if (!out) {
      RemoveQuietly(temporary);
      return Status::IoError("cannot write " + temporary.string());
    }
  }
  fs::rename(temporary, path, error);
  if (error) {
    RemoveQuietly(temporary);
    return Status::IoError("cannot write " + path.string() + ": " + error.message());
  }
  return Status::Ok();
}

Result<std::optional<std::string>> ParquetStore::FeatureVersionDefinition(DuckConnection& compute,
                                                                          const std::string& feature,
                                                                          const std::string& feature_version) {
  MATERIA_ASSIGN_OR_RETURN(fs::path path, VersionFile(feature, feature_version));
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IoError("cannot read " + path.string());
  return std::optional<std::string>(std::move(text));
}

Status ParquetStore::CheckWritable() const {
  if (!read_only_) return Status::Ok();
  return Status::InvalidInput("store " + name() + " (" + container() + ") is open read-only");
}

Result<fs::path> ParquetStore::FeatureFolder(const std::string& feature) const {
  if (!IsFolderKey(feature)) {
    return Status::InvalidInput("store " + name() + ": feature key '" + feature + "' cannot name a folder");
  }
  return root_ / feature;
}

Result<fs::path> ParquetStore::VersionFile(const std::string& feature, const std::string& feature_version) const {
  MATERIA_ASSIGN_OR_RETURN(fs::path folder, FeatureFolder(feature));
  if (!IsFileVersion(feature_version)) {
    return Status::InvalidInput("store " + name() + ": feature version '" + feature_version + "' of " + feature +
                                " cannot name a file");
  }
  return folder / kVersionsFolder / (feature_version + ".json");
}

// Adds to `features` every folder under `folder` (whose key is `key`) with a Parquet
// file in its @rows; store folders ('@') and hidden ones (temporary writes) are skipped.
Status ParquetStore::CollectFeatures(const fs::path& folder, const std::string& key, int depth,
                                     std::vector<std::string>& features) const {
  if (depth >= kFolderDepthMax) return Status::Ok();
  std::error_code error;
  fs::directory_iterator it(folder, error), end;
  for (; !error && it != end; it.increment(error)) {
    const std::string segment = it->path().filename().string();
    if (segment.empty() || segment[0] == '.' || segment[0] == '@') continue;
    std::error_code ignored;
    if (!it->is_directory(ignored)) continue;
    const std::string child = key.empty() ? segment : key + "/" + segment;
    MATERIA_ASSIGN_OR_RETURN(std::vector<fs::path> files, ParquetFiles(it->path() / kRowsFolder, 1));
    if (!files.empty()) features.push_back(child);
    MATERIA_RETURN_IF_ERROR(CollectFeatures(it->path(), child, depth + 1, features));
  }
  if (error) return Status::IoError("store " + name() + ": cannot list " + folder.string() + ": " + error.message());
  return Status::Ok();
}

// Every row of the feature, nullopt when `rows` holds no file.
Result<std::optional<History>> ParquetStore::ReadHistory(DuckConnection& compute, const std::string& feature,
                                                         const fs::path& rows) const {
  MATERIA_ASSIGN_OR_RETURN(std::vector<fs::path> files, ParquetFiles(rows));
  if (files.empty()) return std::optional<History>();
  const std::string glob = QuoteLiteral((rows / "**" / ("*" + std::string(kParquetExtension))).string());
  const std::string flat = "read_parquet(" + glob + ", hive_partitioning = false, union_by_name = true)";
  History history;
  auto schema = RelationSchema(compute, flat);
  if (!schema.ok()) return schema.status().WithPrefix(feature + ": reading store " + name());
  history.schema = std::move(schema).value();
  history.sql = flat;
  const std::optional<std::vector<std::string>> partitions = SharedPartitionColumns(rows, files);
  if (!partitions || partitions->empty()) return std::optional<History>(std::move(history));
  // Partition columns typed as the files have them, not as the folder names suggest.
  std::vector<std::string> types;
  for (const std::string& column : *partitions) {
    const std::string* type = FindType(history.schema, column);
    if (type != nullptr) types.push_back(QuoteLiteral(column) + ": " + QuoteLiteral(*type));
  }
  history.sql = "read_parquet(" + glob + ", hive_partitioning = true, union_by_name = true" +
                (types.empty() ? "" : ", hive_types = {" + JoinText(types, ", ") + "}") + ")";
  if (types.size() < partitions->size()) {  // a partition column only in the folder names
    auto hive_schema = RelationSchema(compute, history.sql);
    if (!hive_schema.ok()) return hive_schema.status().WithPrefix(feature + ": reading store " + name());
    history.schema = std::move(hive_schema).value();
  }
  return std::optional<History>(std::move(history));
}

// The SELECT over `relation` that writes its rows with the stored types: a column the
// files have keeps their type; a new all-NULL column is VARCHAR.
Result<std::string> ParquetStore::SelectToAppend(const std::string& feature, const std::string& relation,
                                                 const Schema& schema, const Schema& existing) const {
  std::vector<std::string> select;
  for (const auto& [column, type] : schema) {
    const std::string* stored = FindType(existing, column);
    if (stored != nullptr && !TypesFit(*stored, type)) {
      return Status::InvalidInput(feature + ": column '" + column + "' is " + *stored + " in store " + name() +
                                  ", the rows have " + type);
    }
    std::string cast_to;
    if (stored != nullptr && *stored != type) cast_to = *stored;
    if (stored == nullptr && IsNullType(type)) cast_to = "VARCHAR";
    select.push_back(cast_to.empty() ? QuoteIdentifier(column)
                                     : "CAST(" + QuoteIdentifier(column) + " AS " + cast_to + ") AS " +
                                           QuoteIdentifier(column));
  }
  return "SELECT " + JoinText(select, ", ") + " FROM " + relation;
}

// Writes the rows of `select` (whose columns are `columns`) as new files under `rows`:
// into a temporary folder first, then renamed into place. Returns the rows written.
Result<int64_t> ParquetStore::WriteRows(DuckConnection& compute, const std::string& select,
                                        const std::vector<std::string>& columns, const fs::path& rows) {
  bool partitioned = !config().partition_by.empty();
  for (const std::string& column : config().partition_by) {
    partitioned = partitioned && std::find(columns.begin(), columns.end(), column) != columns.end();
  }
  MATERIA_ASSIGN_OR_RETURN(fs::path temporary, MakeTemporaryFolder());
  const std::string stem = NextFileStem();
  std::string target = (temporary / (stem + kParquetExtension)).string();
  std::string options = "FORMAT parquet";
  if (partitioned) {
    target = temporary.string();
    options += ", PARTITION_BY (" + QuoteIdentifierList(config().partition_by) +
               "), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true";
  }
  auto copied = compute.Query("COPY (" + select + ") TO " + QuoteLiteral(target) + " (" + options + ")");
  Status moved = copied.ok() ? MoveFiles(temporary, rows, stem) : copied.status();
  RemoveQuietly(temporary);
  MATERIA_RETURN_IF_ERROR(moved);
  return copied->rows_changed;
}

// Removes the feature's rows and versions (never the folders of features below it) and
// returns the rows removed.
Result<int64_t> ParquetStore::RemoveFeature(DuckConnection& compute, const std::string& feature,
                                            const fs::path& folder) {
  MATERIA_ASSIGN_OR_RETURN(std::optional<History> history, ReadHistory(compute, feature, folder / kRowsFolder));
  int64_t removed = 0;
  if (history) {
    MATERIA_ASSIGN_OR_RETURN(QueryResult count, compute.Query("SELECT count(*) FROM " + history->sql));
    removed = std::stoll(count.Scalar().value_or("0"));
  }
  MATERIA_ASSIGN_OR_RETURN(fs::path temporary, MakeTemporaryFolder());
  for (const char* part : {kRowsFolder, kVersionsFolder}) {
    std::error_code error;
    if (!fs::exists(folder / part, error)) continue;
    fs::rename(folder / part, temporary / part, error);
    if (error) {
      RemoveQuietly(temporary);
      return Status::IoError(feature + ": cannot remove " + (folder / part).string() + ": " + error.message());
    }
  }
  RemoveQuietly(temporary);
  // Empty folders left behind, up to the root.
  fs::path empty = folder;
  for (int depth = 0; depth < kFolderDepthMax && empty != root_ && StartsWith(empty.string(), root_.string());
       depth++) {
    std::error_code error;
    if (!fs::is_empty(empty, error) || error || !fs::remove(empty, error)) break;
    empty = empty.parent_path();
  }
  return removed;
}

// A new folder under the root for one write; readers never look into it.
Result<fs::path> ParquetStore::MakeTemporaryFolder() const {
  const fs::path folder = root_ / (kTemporaryPrefix + RandomHex());
  std::error_code error;
  if (!fs::create_directory(folder, error) || error) {
    return Status::IoError("store " + name() + ": cannot create " + folder.string() + ": " +
                           (error ? error.message() : "it exists"));
  }
  return folder;
}

// "<micros since 1970, 16 digits>-<random hex>": names sort in the order written.
std::string ParquetStore::NextFileStem() {
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  now_us = std::max(now_us, last_file_us_ + 1);
  last_file_us_ = now_us;
  std::string digits = std::to_string(now_us);
  if (digits.size() < 16) digits.insert(0, 16 - digits.size(), '0');
  return digits + "-" + RandomHex();
}

}  // namespace

Result<std::unique_ptr<MetadataStore>> OpenParquetStore(const StoreConfig& config) {
  if (config.path.empty()) return Status::InvalidInput("store " + config.name + " (parquet) has no path");
  if (!fs::path(config.path).is_absolute()) {
    return Status::InvalidInput("store " + config.name + " (parquet): the path '" + config.path + "' is not absolute");
  }
  if (config.path.find_first_of("*?[") != std::string::npos) {
    return Status::InvalidInput("store " + config.name + " (parquet): the path '" + config.path +
                                "' has a glob character (* ? [)");
  }
  return std::unique_ptr<MetadataStore>(new ParquetStore(config));
}

}  // namespace materia
