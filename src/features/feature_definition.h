// Feature definitions: what features/*.yaml declare, as plain structs that remember
// where each part was written. A feature is a computation that is not SQL (transcribe
// a video, crop frames, embed text) whose results are kept per sample and per field;
// its definition names the samples' identity columns, the upstream features it reads
// and the fields it produces, each with a code version.
//
//   key: video/crop                       # lowercase letters, digits, _ - and /
//   description: frames cropped to faces  # optional
//   id_columns: [video_id]                # required, non-empty
//   deps:                                 # upstream features
//     - video/raw                         # just a key, or:
//     - feature: video/raw
//       rename: {path: raw_path}          # upstream column -> column seen here
//       select: [video_id, raw_path]      # only these upstream columns
//       filters: ["duration > 0"]         # SQL expressions on upstream rows
//   fields:                               # default: one field `default`, version "1"
//     - key: frames
//       code_version: "2"
//       deps: [{feature: video/raw, fields: [frames]}]
//     - audio                             # just a key: code_version "1"
//   lineage: {type: one_to_one}           # or {type: aggregation|expansion, by: [cols]}
//
// A file holds one feature (a mapping) or a list of them. The structs are values:
// copyable and safe to share between threads once built.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "project/model.h"  // SourceLocation

namespace materia {

// How the samples of a feature relate to the samples of its upstream features.
enum class LineageType {
  kOneToOne,     // one sample per upstream sample (the default)
  kAggregation,  // one sample per group of upstream samples, grouped by `by`
  kExpansion,    // several samples per upstream sample, told apart by `by`
};

// "one_to_one", "aggregation" or "expansion".
const char* LineageTypeName(LineageType type);

struct Lineage {
  LineageType type = LineageType::kOneToOne;
  std::vector<std::string> by;  // columns; empty for one_to_one
};

// A feature a feature reads, and how it reads it.
struct FeatureDependency {
  std::string feature;                                      // the upstream feature's key
  std::vector<std::pair<std::string, std::string>> rename;  // (upstream column, new name), as written
  std::vector<std::string> select;                          // empty: every column
  std::vector<std::string> filters;                         // SQL expressions, all must hold
  SourceLocation location;                                  // the dependency's entry
};

// One field of an upstream feature: (feature key, field key).
struct FieldReference {
  std::string feature;
  std::string field;
  bool operator==(const FieldReference&) const = default;
  auto operator<=>(const FieldReference&) const = default;
};

// A field's dependency on fields of one upstream feature, as written.
struct FieldDependency {
  std::string feature;              // an upstream feature, one of the feature's deps
  std::vector<std::string> fields;  // empty: the default (same name, else every field)
  SourceLocation location;
};

// One result a feature produces per sample, versioned on its own.
struct FieldDefinition {
  std::string key;                // e.g. "frames"; same characters as feature keys
  std::string code_version = "1";
  // Explicit dependencies. When `has_deps` is false the field depends, for each of its
  // feature's deps, on the upstream field of the same key, or else on all its fields.
  // `deps: []` (has_deps true, deps empty) depends on no upstream field.
  bool has_deps = false;
  std::vector<FieldDependency> deps;
  SourceLocation location;

  // Filled in by the feature graph: the upstream fields this field's version depends
  // on, sorted.
  std::vector<FieldReference> parents;
};

struct FeatureDefinition {
  std::string key;  // "video/crop"
  std::string description;
  std::vector<std::string> id_columns;   // non-empty
  std::vector<FeatureDependency> deps;   // in the order written; keys unique
  std::vector<FieldDefinition> fields;   // in the order written; keys unique, never empty
  Lineage lineage;
  SourceLocation location;  // the feature's mapping (its first key)

  // Returns the field named `key`, or nullptr.
  const FieldDefinition* FindField(const std::string& key) const;
};

// True when `key` is a valid feature or field key: non-empty segments of lowercase
// letters, digits, '_' and '-', separated by '/', at most 256 characters.
bool IsValidFeatureKey(const std::string& key);

}  // namespace materia
