// A cache of query analyses keyed by the XXH3-128 hash of the rendered query, kept in one
// file (`.materia/cache/analysis`: a header line naming the format and the salt, then
// length-prefixed binary records) so that a warm load of a large project asks
// DuckDB's parser nothing. Entries not used by a load are dropped
// when it saves, so the file tracks the project.
//
// Find and Insert are thread-safe; Save is called once, after the loading threads
// joined.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "project/sql_analysis.h"

namespace materia {

class AnalysisCache {
 public:
  // Reads `path` when `enabled`; a missing or corrupt file is an empty cache.
  AnalysisCache(std::string path, std::string salt, bool enabled);

  std::optional<QueryAnalysis> Find(const std::string& key);
  void Insert(const std::string& key, const QueryAnalysis& analysis);

  // Writes the entries used since construction (temp file + rename), if any changed.
  // Failures are ignored: the cache is an optimization only.
  void Save();

 private:
  std::string path_;
  std::string salt_;
  bool enabled_;
  bool changed_ = false;
  std::mutex mutex_;
  std::unordered_map<std::string, QueryAnalysis> stored_;    // read from the file
  std::unordered_set<std::string> used_;                      // keys of stored_ found
  std::unordered_map<std::string, QueryAnalysis> inserted_;  // analyzed by this load
};

}  // namespace materia
