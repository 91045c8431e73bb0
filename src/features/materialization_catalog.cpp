#include "features/materialization_catalog.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace materia {

namespace {

bool IsKeyCharacter(char character) {
  return (character >= 'a' && character <= 'z') || (character >= '0' && character <= '9') ||
         character == '_' || character == '-';
}

bool IsLowercaseHex(char character) {
  return (character >= '0' && character <= '9') || (character >= 'a' && character <= 'f');
}

std::string Describe(const MaterializationEntry& entry) {
  return entry.feature + " " + entry.feature_version + " (data " + entry.data_version +
         ") in " + entry.container;
}

}  // namespace

Status CheckCatalogFeatureKey(std::string_view feature) {
  if (feature.empty()) return Status::InvalidInput("feature key is empty");
  if (feature.size() > kCatalogFeatureKeyLengthMax) {
    return Status::InvalidInput("feature key of " + std::to_string(feature.size()) +
                                " characters is longer than the maximum of " +
                                std::to_string(kCatalogFeatureKeyLengthMax));
  }
  bool segment_empty = true;
  for (char character : feature) {
    if (character == '/') {
      if (segment_empty) break;
      segment_empty = true;
    } else if (IsKeyCharacter(character)) {
      segment_empty = false;
    } else {
      return Status::InvalidInput("feature key '" + std::string(feature) +
                                  "' is not valid: segments are made of a-z, 0-9, '_' and "
                                  "'-', separated by '/'");
    }
  }
  if (segment_empty) {
    return Status::InvalidInput("feature key '" + std::string(feature) +
                                "' has an empty segment");
  }
  return Status::Ok();
}

Status CheckCatalogVersion(std::string_view what, std::string_view version) {
  if (version.empty()) return Status::InvalidInput(std::string(what) + " is empty");
  if (version.size() > kCatalogVersionLengthMax) {
    return Status::InvalidInput(std::string(what) + " of " + std::to_string(version.size()) +
                                " characters is longer than the maximum of " +
                                std::to_string(kCatalogVersionLengthMax));
  }
  if (!std::all_of(version.begin(), version.end(), IsLowercaseHex)) {
    return Status::InvalidInput(std::string(what) + " '" + std::string(version) +
                                "' is not lowercase hexadecimal");
  }
  return Status::Ok();
}

Status CheckCatalogContainer(std::string_view container) {
  if (container.empty()) return Status::InvalidInput("container is empty");
  if (container.size() > kCatalogContainerLengthMax) {
    return Status::InvalidInput("container of " + std::to_string(container.size()) +
                                " characters is longer than the maximum of " +
                                std::to_string(kCatalogContainerLengthMax));
  }
  for (char character : container) {
    unsigned char byte = static_cast<unsigned char>(character);
    if (byte < 0x20 || byte == 0x7f) {
      return Status::InvalidInput("container contains a control character");
    }
  }
  return Status::Ok();
}

Status CheckMaterializationEntry(const MaterializationEntry& entry) {
  MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(entry.feature));
  MATERIA_RETURN_IF_ERROR(CheckCatalogVersion("feature version", entry.feature_version));
  MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(entry.container));
  MATERIA_RETURN_IF_ERROR(CheckCatalogVersion("data version", entry.data_version));
  if (entry.sample_count < 0) {
    return Status::InvalidInput("sample count " + std::to_string(entry.sample_count) +
                                " of feature " + entry.feature + " is negative");
  }
  if (entry.materialized_at_ms < 0) {
    return Status::InvalidInput("materialization time " +
                                std::to_string(entry.materialized_at_ms) + " ms of feature " +
                                entry.feature + " is negative");
  }
  return Status::Ok();
}

bool FeatureIsUnderPrefix(std::string_view feature, std::string_view prefix) {
  if (feature.size() < prefix.size() || feature.substr(0, prefix.size()) != prefix) {
    return false;
  }
  return feature.size() == prefix.size() || feature[prefix.size()] == '/';
}

bool IsNewerEntry(const MaterializationEntry& left, const MaterializationEntry& right) {
  if (left.materialized_at_ms != right.materialized_at_ms) {
    return left.materialized_at_ms > right.materialized_at_ms;
  }
  return std::tie(left.feature_version, left.container, left.data_version) <
         std::tie(right.feature_version, right.container, right.data_version);
}

// ---------------------------------------------------------------------------------
// InMemoryCatalog

Status InMemoryCatalog::Register(const MaterializationEntry& entry) {
  MATERIA_RETURN_IF_ERROR(CheckMaterializationEntry(entry));
  Key key{entry.feature, entry.feature_version, entry.container, entry.data_version};
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = entries_.find(key);
  if (found != entries_.end()) {
    found->second = entry;
    return Status::Ok();
  }
  if (entries_.size() >= kCatalogEntriesMax) {
    return Status::InvalidInput("the materialization catalog is full (" +
                                std::to_string(kCatalogEntriesMax) + " entries)");
  }
  entries_.emplace(std::move(key), entry);
  return Status::Ok();
}

Result<bool> InMemoryCatalog::HasFeature(const std::string& feature,
                                         const std::optional<std::string>& container,
                                         const std::optional<std::string>& data_version) const {
  MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
  if (container) MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(*container));
  if (data_version) MATERIA_RETURN_IF_ERROR(CheckCatalogVersion("data version", *data_version));
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = entries_.lower_bound(Key{feature, "", "", ""});
       it != entries_.end() && it->second.feature == feature; ++it) {
    if (container && it->second.container != *container) continue;
    if (data_version && it->second.data_version != *data_version) continue;
    return true;
  }
  return false;
}

Result<std::vector<std::string>> InMemoryCatalog::Versions(const std::string& feature) const {
  MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
  std::map<std::string, int64_t> latest_ms;  // data version -> newest time
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.lower_bound(Key{feature, "", "", ""});
         it != entries_.end() && it->second.feature == feature; ++it) {
      auto [slot, inserted] =
          latest_ms.emplace(it->second.data_version, it->second.materialized_at_ms);
      if (!inserted) slot->second = std::max(slot->second, it->second.materialized_at_ms);
    }
  }
  std::vector<std::pair<std::string, int64_t>> ordered(latest_ms.begin(), latest_ms.end());
  std::sort(ordered.begin(), ordered.end(), [](const auto& left, const auto& right) {
    if (left.second != right.second) return left.second > right.second;
    return left.first < right.first;
  });
  std::vector<std::string> versions;
  versions.reserve(ordered.size());
  for (auto& [version, time_ms] : ordered) versions.push_back(std::move(version));
  return versions;
}

Result<std::vector<MaterializationEntry>> InMemoryCatalog::List(
    const std::optional<std::string>& feature_prefix) const {
  if (feature_prefix) MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(*feature_prefix));
  std::vector<MaterializationEntry> entries;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, entry] : entries_) {
      if (feature_prefix && !FeatureIsUnderPrefix(entry.feature, *feature_prefix)) continue;
      entries.push_back(entry);
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const MaterializationEntry& left, const MaterializationEntry& right) {
              if (left.feature != right.feature) return left.feature < right.feature;
              return IsNewerEntry(left, right);
            });
  return entries;
}

Result<std::optional<MaterializationEntry>> InMemoryCatalog::Info(
    const std::string& feature, const std::optional<std::string>& container) const {
  MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
  if (container) MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(*container));
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<MaterializationEntry> newest;
  for (auto it = entries_.lower_bound(Key{feature, "", "", ""});
       it != entries_.end() && it->second.feature == feature; ++it) {
    if (container && it->second.container != *container) continue;
    if (!newest || IsNewerEntry(it->second, *newest)) newest = it->second;
  }
  return newest;
}

Status InMemoryCatalog::Remove(const std::string& feature, const std::string& container) {
  MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
  MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(container));
  std::lock_guard<std::mutex> lock(mutex_);
  size_t removed = 0;
  for (auto it = entries_.lower_bound(Key{feature, "", "", ""});
       it != entries_.end() && it->second.feature == feature;) {
    if (it->second.container == container) {
      it = entries_.erase(it);
      removed++;
    } else {
      ++it;
    }
  }
  if (removed == 0) {
    return Status::NotFound("no materialization of feature " + feature + " in " + container);
  }
  return Status::Ok();
}

Status MaterializationCatalog::CheckReplacement(const std::string& feature, const std::string& container,
                                                const std::vector<MaterializationEntry>& entries) {
  MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
  MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(container));
  for (const MaterializationEntry& entry : entries) {
    MATERIA_RETURN_IF_ERROR(CheckMaterializationEntry(entry));
    if (entry.feature != feature || entry.container != container) {
      return Status::InvalidInput("an entry of " + entry.feature + " in " + entry.container +
                                  " cannot replace the entries of " + feature + " in " + container);
    }
  }
  return Status::Ok();
}

Status InMemoryCatalog::Replace(const std::string& feature, const std::string& container,
                                const std::vector<MaterializationEntry>& entries) {
  MATERIA_RETURN_IF_ERROR(CheckReplacement(feature, container, entries));
  std::lock_guard<std::mutex> lock(mutex_);
  size_t replaced = 0;
  for (auto it = entries_.lower_bound(Key{feature, "", "", ""});
       it != entries_.end() && it->second.feature == feature; ++it) {
    replaced += it->second.container == container;
  }
  if (entries_.size() - replaced + entries.size() > kCatalogEntriesMax) {
    return Status::InvalidInput("the materialization catalog is full (" +
                                std::to_string(kCatalogEntriesMax) + " entries)");
  }
  for (auto it = entries_.lower_bound(Key{feature, "", "", ""});
       it != entries_.end() && it->second.feature == feature;) {
    it = it->second.container == container ? entries_.erase(it) : std::next(it);
  }
  for (const MaterializationEntry& entry : entries) {
    entries_[Key{entry.feature, entry.feature_version, entry.container, entry.data_version}] = entry;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------
// VerifyCatalog

Result<std::vector<CatalogDrift>> VerifyCatalog(const MaterializationCatalog& catalog,
                                                const StoreSampleCounter& count_in_store) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<MaterializationEntry> entries, catalog.List());
  std::vector<CatalogDrift> drifts;
  for (MaterializationEntry& entry : entries) {
    Result<std::optional<int64_t>> counted = count_in_store(entry);
    if (!counted.ok()) return counted.status().WithPrefix("cannot verify " + Describe(entry));
    const std::optional<int64_t>& store_count = counted.value();
    if (!store_count) {
      CatalogDrift drift;
      drift.kind = CatalogDrift::Kind::kMissing;
      drift.line = "missing: " + Describe(entry) + ": the store no longer has it";
      drift.entry = std::move(entry);
      drifts.push_back(std::move(drift));
    } else if (*store_count != entry.sample_count) {
      CatalogDrift drift;
      drift.kind = CatalogDrift::Kind::kCountMismatch;
      drift.store_sample_count = store_count;
      drift.line = "count mismatch: " + Describe(entry) + ": the catalog has " +
                   std::to_string(entry.sample_count) + " samples, the store " +
                   std::to_string(*store_count);
      drift.entry = std::move(entry);
      drifts.push_back(std::move(drift));
    }
  }
  return drifts;
}

}  // namespace materia
