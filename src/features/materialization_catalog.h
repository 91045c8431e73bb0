// The MaterializationCatalog: an index of which versions of which ML features were
// written to which metadata store, and how many samples each holds. It records what
// was materialized where; it never reads or writes the feature data itself.
//
// An entry is identified by (feature, feature_version, container, data_version).
// `container` names the store the data went to, with its kind first:
// "duckdb:/path/x.duckdb", "parquet:/dir", "postgres:db". Registering an entry that
// already exists updates its sample count and time, so a retried write is harmless.
//
// "Newest first" everywhere means: larger materialized_at_ms first, ties broken by
// feature_version, container, then data_version, each ascending. Every
// implementation returns the same results in the same order.
//
// Implementations (in memory, SQLite, later Postgres) are safe for concurrent use
// from several threads; the SQLite one also from several processes. Every method
// checks its arguments first and returns kInvalidInput with one line naming the bad
// value; backend failures are kDatabaseError with the backend's message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "base/status.h"

namespace materia {

// Limits on what the catalog accepts and returns.
inline constexpr size_t kCatalogFeatureKeyLengthMax = 256;
inline constexpr size_t kCatalogVersionLengthMax = 128;
inline constexpr size_t kCatalogContainerLengthMax = 4096;
// The most entries one catalog holds; List and Versions never return more.
inline constexpr size_t kCatalogEntriesMax = 1'000'000;

struct MaterializationEntry {
  std::string feature;          // key, e.g. "video/crop"
  std::string feature_version;  // lowercase hex: the version of the computation
  std::string container;        // the store written to, e.g. "duckdb:/data/x.duckdb"
  std::string data_version;     // lowercase hex: the version of the data written
  int64_t sample_count = 0;     // samples written, >= 0
  int64_t materialized_at_ms = 0;  // wall clock, ms since the Unix epoch, >= 0

  bool operator==(const MaterializationEntry&) const = default;
};

// Argument checks shared by every implementation. Each returns ok or kInvalidInput
// with one line naming the value and what is wrong with it.
//
// A feature key is one or more '/'-separated segments of [a-z0-9_-], at most
// kCatalogFeatureKeyLengthMax characters.
Status CheckCatalogFeatureKey(std::string_view feature);
// A version is 1 to kCatalogVersionLengthMax lowercase hexadecimal digits. `what`
// names it in the message ("feature version", "data version").
Status CheckCatalogVersion(std::string_view what, std::string_view version);
// A container is 1 to kCatalogContainerLengthMax characters, none of them control
// characters.
Status CheckCatalogContainer(std::string_view container);
// All of the above for an entry, plus a sample count and a time that are >= 0.
Status CheckMaterializationEntry(const MaterializationEntry& entry);

// Whether `feature` is `prefix` itself or lies under it ("video" covers "video" and
// "video/crop", not "videos").
bool FeatureIsUnderPrefix(std::string_view feature, std::string_view prefix);

// Orders entries newest first (see the top of this file).
bool IsNewerEntry(const MaterializationEntry& left, const MaterializationEntry& right);

class MaterializationCatalog {
 public:
  virtual ~MaterializationCatalog() = default;

  // Records `entry`; when (feature, feature_version, container, data_version) is
  // already there, replaces its sample_count and materialized_at_ms. Returns ok, or
  // kInvalidInput for a bad entry, a read-only catalog or a full one (more than
  // kCatalogEntriesMax entries), or kDatabaseError.
  virtual Status Register(const MaterializationEntry& entry) = 0;

  // Returns whether at least one entry of `feature` exists, restricted to
  // `container` and/or `data_version` when given; false for an unknown feature.
  // kInvalidInput for a bad argument, kDatabaseError on backend failure.
  virtual Result<bool> HasFeature(const std::string& feature,
                                  const std::optional<std::string>& container = std::nullopt,
                                  const std::optional<std::string>& data_version =
                                      std::nullopt) const = 0;

  // Returns the distinct data versions of `feature` across all containers, newest
  // first by their latest materialization (ties by data version ascending); empty
  // for an unknown feature. kInvalidInput for a bad key, kDatabaseError otherwise.
  virtual Result<std::vector<std::string>> Versions(const std::string& feature) const = 0;

  // Returns every entry whose feature is `feature_prefix` or lies under it (all
  // entries when none is given), ordered by feature ascending, then newest first.
  // kInvalidInput when the prefix is not a valid feature key, kDatabaseError otherwise.
  virtual Result<std::vector<MaterializationEntry>> List(
      const std::optional<std::string>& feature_prefix = std::nullopt) const = 0;

  // Returns the newest entry of `feature` (in `container` when given), or nullopt
  // when there is none. kInvalidInput for a bad argument, kDatabaseError otherwise.
  virtual Result<std::optional<MaterializationEntry>> Info(
      const std::string& feature,
      const std::optional<std::string>& container = std::nullopt) const = 0;

  // Forgets every entry of `feature` in `container` (all feature and data
  // versions), as after the data there was deleted. Returns ok when at least one
  // entry was removed, kNotFound when there was none, kInvalidInput for a bad
  // argument or a read-only catalog, kDatabaseError on backend failure.
  virtual Status Remove(const std::string& feature, const std::string& container) = 0;

  // Replaces every entry of `feature` in `container` with `entries` (each of that
  // feature and container; none: the entries are forgotten) as one change, so that a
  // reader, or a process killed meanwhile, sees the old entries or the new ones and
  // never neither. Returns ok, or the errors of Register and Remove (no kNotFound).
  virtual Status Replace(const std::string& feature, const std::string& container,
                         const std::vector<MaterializationEntry>& entries) = 0;

 protected:
  // Checks Replace's arguments: kInvalidInput when one is bad or names another
  // feature or container.
  static Status CheckReplacement(const std::string& feature, const std::string& container,
                                 const std::vector<MaterializationEntry>& entries);
};

// A catalog held in memory, for tests and for runs without a catalog file. All
// methods lock one mutex, so any number of threads may share one.
class InMemoryCatalog final : public MaterializationCatalog {
 public:
  InMemoryCatalog() = default;

  Status Register(const MaterializationEntry& entry) override;
  Result<bool> HasFeature(const std::string& feature,
                          const std::optional<std::string>& container,
                          const std::optional<std::string>& data_version) const override;
  Result<std::vector<std::string>> Versions(const std::string& feature) const override;
  Result<std::vector<MaterializationEntry>> List(
      const std::optional<std::string>& feature_prefix) const override;
  Result<std::optional<MaterializationEntry>> Info(
      const std::string& feature, const std::optional<std::string>& container) const override;
  Status Remove(const std::string& feature, const std::string& container) override;
  Status Replace(const std::string& feature, const std::string& container,
                 const std::vector<MaterializationEntry>& entries) override;

 private:
  // (feature, feature_version, container, data_version)
  using Key = std::tuple<std::string, std::string, std::string, std::string>;

  mutable std::mutex mutex_;
  std::map<Key, MaterializationEntry> entries_;  // guarded by mutex_
};

// One way in which a store disagrees with the catalog.
struct CatalogDrift {
  enum class Kind {
    kMissing,        // the store no longer has the entry's data
    kCountMismatch,  // the store holds a different number of samples
  };
  Kind kind = Kind::kMissing;
  MaterializationEntry entry;               // as the catalog has it
  std::optional<int64_t> store_sample_count;  // what the store has; nullopt when missing
  std::string line;  // one line for a user, e.g. "missing: video/crop ..."
};

// Counts the samples a store holds for an entry: nullopt when the store no longer
// has it, or an error when the store cannot be asked.
using StoreSampleCounter =
    std::function<Result<std::optional<int64_t>>(const MaterializationEntry&)>;

// Checks every entry of `catalog` against its store through `count_in_store`, and
// returns the drifts in List() order (empty when all agree). Returns the first error
// of List or of `count_in_store` (prefixed with the entry it was asked about).
Result<std::vector<CatalogDrift>> VerifyCatalog(const MaterializationCatalog& catalog,
                                                const StoreSampleCounter& count_in_store);

}  // namespace materia
