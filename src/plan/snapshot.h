// Snapshots: (model, fingerprint) pairs, each owning one physical table.
//
// A model's data hash covers what its own file determines about its data: the kind and
// its data-affecting properties, the query's parse tree (so formatting and comments
// change nothing), pre/post statements, the seed file's content. Its fingerprint adds
// its parents' fingerprints. Names of the physical objects and environment views are
// decided here and nowhere else.
#pragma once

#include <map>
#include <string>

#include "project/project.h"
#include "state/state_store.h"

namespace materia {

constexpr size_t kVersionLength = 12;  // hex characters of a version in table names

// Computes every model's SnapshotRecord (name, fingerprint, data hash, kind,
// query, parents, definition); version and category are left empty for
// the planner to decide.
std::map<std::string, SnapshotRecord> ComputeSnapshots(const Project& project);

// Sets `record`'s fingerprint (and parents_json) from its data hash and the fingerprints
// of `model`'s parents in `snapshots`.
void ChainFingerprint(const Model& model, const std::map<std::string, SnapshotRecord>& snapshots,
                      SnapshotRecord* record);

// The fingerprint a forward-only change gets outside prod, where it is computed on a
// table of its own: it differs from prod's, so that neither it nor its children share a
// table with prod.
std::string PreviewFingerprint(const std::string& fingerprint);

// "materia__raw"
std::string PhysicalSchema(const std::string& schema);
// "raw__psd_alldata__0123456789ab"
std::string PhysicalTableName(const std::string& schema, const std::string& table,
                              const std::string& version);
// "materia__raw"."raw__psd_alldata__0123456789ab", quoted for SQL.
std::string QualifiedPhysicalTable(const std::string& model_name, const std::string& version);
// The schema of an environment's views: "raw" for prod, "raw__dev" otherwise.
std::string EnvironmentSchema(const std::string& schema, const std::string& environment);

// Splits "schema.table".
std::pair<std::string, std::string> SplitModelName(const std::string& name);

// True when an environment name is usable: [a-z0-9_]+, at most 48 characters.
bool ValidEnvironmentName(const std::string& name);

}  // namespace materia
