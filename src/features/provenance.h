// Sample-level provenance: the DuckDB SQL that says, for every sample of a feature and
// every field, which upstream data it was (or would be) computed from, and which
// stored samples are new, stale or orphaned. Everything here builds SQL text; the
// feature engine (features/feature_engine.h) runs it on one DuckDB connection.
//
// Per sample and field (md5 is DuckDB's built-in, hex):
//   field provenance  = md5("field|<field key>|<code_version>|<parent>=<data version>|...")
//                       one "<feature>/<field>=<data version>" per parent field, in the
//                       field's sorted parent order; a root feature's fields read
//                       "sample=<materia_sample_version>" (the samples' own version,
//                       e.g. a content hash; empty when the samples carry none)
//   sample provenance = md5("<field>=<field provenance>|..."), fields in definition order
//   data version      = the provenance, unless the writer supplies its own
//                       (materia_data_version__<field>, or materia_data_version for
//                       every field); the sample's data version hashes the fields' ones
//                       the same way.
// Lineage:
//   one_to_one   upstream features are joined on the feature's id columns.
//   aggregation  upstream rows are grouped by `by` (= the feature's id columns); a
//                parent's data version is md5 over the group's "<ids>=<version>" in order.
//   expansion    one upstream sample gives several samples, told apart by `by`; the
//                feature's other id columns are the parent's. Provenance is per parent,
//                and resolve compares it with every stored child of that parent.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "features/feature_definition.h"

namespace materia {

// The system columns of a feature's metadata rows. Everything else is the user's.
inline constexpr const char* kProvenanceColumn = "materia_provenance";
inline constexpr const char* kDataVersionColumn = "materia_data_version";
inline constexpr const char* kFeatureVersionColumn = "materia_feature_version";
inline constexpr const char* kCreatedAtColumn = "materia_created_at";
inline constexpr const char* kDeletedColumn = "materia_deleted";
inline constexpr const char* kSampleVersionColumn = "materia_sample_version";
inline constexpr const char* kStatusColumn = "materia_status";
inline constexpr const char* kStaleFieldsColumn = "materia_stale_fields";
// "materia_provenance__<field>" and "materia_data_version__<field>".
std::string FieldProvenanceColumn(const std::string& field);
std::string FieldDataVersionColumn(const std::string& field);
// Whether a column name belongs to Materia (starts with "materia_").
bool IsSystemColumn(const std::string& column);

// One relation a feature's expected samples are computed from: an upstream feature's
// latest rows, or (for a root feature) the sample list.
struct ProvenanceInput {
  std::string feature;               // the upstream key; "" for a root's samples
  std::string relation;              // SQL usable after FROM, e.g. a table or "(SELECT ...)"
  std::vector<std::string> columns;  // the relation's columns, in order
  std::vector<std::string> id_columns;  // the upstream feature's id columns (aggregation order)
  std::string source;                // names it in messages: "video/raw in store dev", "samples.csv"
};

// The expected samples of a feature: one row per sample (per parent sample for an
// expansion) with its key columns, the user columns carried from upstream, and the
// provenance of each field and of the sample.
struct ExpectedSamples {
  std::string sql;                        // a SELECT
  std::string fields_sql;                 // the same without the sample provenance column
  std::vector<std::string> key_columns;   // what a stored sample is matched on
  std::vector<std::string> user_columns;  // carried from upstream (after rename/select)
};

// The key columns of `feature`: its id columns, except for an expansion, whose keys
// are the id columns that are not in `by`.
std::vector<std::string> KeyColumns(const FeatureDefinition& feature);

// Builds the expected samples. `inputs` holds one entry per dependency of `feature`
// in the order of its deps, or exactly one entry with feature "" for a root feature.
// Errors (kInvalidInput, one line): a missing id column, a rename or select naming no
// column, a user column that two dependencies both bring, lineage `by` columns that do
// not fit the id columns.
Result<ExpectedSamples> BuildExpectedSamples(const FeatureDefinition& feature,
                                             const std::vector<ProvenanceInput>& inputs);

// The one resolve query: its rows are the samples that need work,
//   materia_status ('new' | 'stale' | 'orphaned'), the key columns, the user columns
//   and field provenance columns (NULL for orphaned), materia_provenance, and
//   materia_stale_fields (the comma-separated fields whose provenance changed; NULL
//   unless stale).
// `stored` is the feature's latest stored rows (with `stored_columns`), or "" when the
// store holds none, in which case every expected sample is new.
std::string BuildResolveQuery(const FeatureDefinition& feature, const ExpectedSamples& expected,
                              const std::string& stored,
                              const std::vector<std::string>& stored_columns);

// The SQL of the sample provenance (or data version) over per-field columns:
// md5 over "<field>=" || column for each field. `field_columns` pairs field keys with
// SQL expressions.
std::string SampleHashSql(const std::vector<std::pair<std::string, std::string>>& field_columns);

}  // namespace materia
