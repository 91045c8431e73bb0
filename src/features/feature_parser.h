// Reads feature files (features/**/*.yaml) into FeatureDefinitions; the format is
// described in features/feature_definition.h. Parsing checks each file on its own
// (keys, types, names, duplicates within a feature); what needs the whole project
// (unknown upstream features and fields, cycles, duplicate feature keys) is checked
// by the feature graph. Pure functions of their input; thread-safe.
//
// Errors are one line, "file:line:col: message", kInvalidInput (1-based positions):
//   features/a.yaml:2:1: unknown key 'idcolumns' in a feature (known keys: key, description, id_columns, deps, fields, lineage)
//   features/a.yaml:1:1: invalid feature key 'Video/Crop': use lowercase letters, digits, '_', '-' and '/' between non-empty segments
//   features/a.yaml:1:1: feature 'video/crop' has no id_columns
//   features/a.yaml:7:7: field 'frames' appears twice in feature 'video/crop'
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "features/feature_definition.h"

namespace materia {

// Limits on what one project may declare.
constexpr size_t kFeatureFileBytesMax = 4 * 1024 * 1024;
constexpr size_t kFeatureFilesMax = 10'000;
constexpr size_t kFeaturesMax = 10'000;         // per project
constexpr size_t kFeatureFieldsMax = 1'000;     // per feature
constexpr size_t kFeatureDepsMax = 1'000;       // per feature, and per field
constexpr size_t kFeatureListItemsMax = 1'000;  // id_columns, select, filters, rename, by
constexpr size_t kFeatureTextBytesMax = 64 * 1024;  // a description, a filter, a column name

// Parses the text of one feature file; `path` is how errors name it ("features/a.yaml").
// Returns the features in the order written (none for an empty file).
Result<std::vector<FeatureDefinition>> ParseFeatureFile(const std::string& path,
                                                        const std::string& content);

}  // namespace materia
