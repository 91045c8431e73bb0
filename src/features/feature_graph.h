// The feature graph: a project's features (features/**/*.yaml), checked as a whole,
// in topological order, with a version for every field, every feature and the project.
//
// Versions say when results go stale. They are SHA-256 hex, shown truncated to
// `version_length` characters (config.yaml `features: {version_length: 16}`, 8 to 64):
//   field version   = hash(field key, code_version, sorted full versions of its parent fields)
//   feature version = hash((field key, field version) for each field, in field order)
//   project version = hash((feature key, feature version) for each feature, by key)
// So bumping a field's code_version changes that field, its feature, every field
// downstream whose parents reach it, their features and the project, and nothing else.
// Versions do not depend on descriptions, id columns, renames, filters or lineage.
//
// A FeatureGraph is immutable once built: safe to share between threads.
//
// Errors (kInvalidInput, "file:line:col: message"):
//   features/b.yaml:1:1: feature 'video/crop' is also defined in features/a.yaml:1:1
//   features/a.yaml:4:5: feature 'video/crop' depends on unknown feature 'video/rw'
//   features/a.yaml:9:11: field 'frames' of feature 'video/crop' depends on unknown field 'pixels' of feature 'video/raw' (its fields: frames, audio)
//   features/a.yaml:3:5: cycle in the feature graph: video/crop -> video/embed -> video/crop
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "features/feature_definition.h"

namespace materia {

constexpr int kFeatureVersionLengthDefault = 16;
constexpr int kFeatureVersionLengthMin = 8;
constexpr int kFeatureVersionLengthMax = 64;

class FeatureGraph {
 public:
  FeatureGraph() = default;  // no features

  // Checks `features` as a whole (duplicate keys, unknown upstream features and
  // fields, cycles), resolves each field's parent fields and computes the versions.
  // `version_length` must be within [kFeatureVersionLengthMin, kFeatureVersionLengthMax].
  static Result<FeatureGraph> Build(std::vector<FeatureDefinition> features, int version_length);

  // Every feature, sorted by key.
  const std::vector<FeatureDefinition>& features() const { return features_; }
  bool empty() const { return features_.empty(); }
  int version_length() const { return version_length_; }

  // Every feature, upstream before downstream; ties broken by key, so the order is
  // deterministic.
  std::vector<const FeatureDefinition*> TopologicalOrder() const;

  // The feature with `key`, or nullptr.
  const FeatureDefinition* Find(const std::string& key) const;

  // The keys of the features `key` reads directly, in the order of its deps; empty
  // for an unknown key.
  std::vector<std::string> Upstream(const std::string& key) const;

  // The keys of the features that read `key` directly, sorted; empty for an unknown key.
  std::vector<std::string> Downstream(const std::string& key) const;

  // The truncated versions; "" when the feature (or field) does not exist.
  std::string FieldVersion(const std::string& feature, const std::string& field) const;
  std::string FeatureVersion(const std::string& feature) const;
  std::string ProjectVersion() const;

 private:
  std::string Truncate(const std::string& version) const;

  std::vector<FeatureDefinition> features_;        // by key
  std::map<std::string, size_t> index_;            // key -> position in features_
  std::vector<size_t> order_;                      // topological, positions in features_
  std::map<std::string, std::vector<std::string>> downstream_;
  std::map<FieldReference, std::string> field_versions_;  // full 64-character hex
  std::map<std::string, std::string> feature_versions_;   // full
  std::string project_version_;                           // full
  int version_length_ = kFeatureVersionLengthDefault;
};

// Reads `project_dir`/features/**/*.yaml (and .yml; files in sorted path order) and
// the `features.version_length` setting of `project_dir`/config.yaml (other keys of
// that file are not looked at), and builds the graph. No features/ folder is an empty
// graph. Errors: kInvalidInput for bad files (see above and features/feature_parser.h),
// "config.yaml:4:19: features.version_length must be a whole number from 8 to 64";
// kIoError when a file cannot be read.
Result<FeatureGraph> LoadFeatureGraph(const std::string& project_dir);

}  // namespace materia
