// Feature store metrics across processes: each `materia features ...` command adds what
// its engine did (StoreCounters per store, samples resolved per feature) to running
// totals in the project's state store, and `materia serve` renders the totals on
// /metrics:
//   materia_feature_store_operations_total{store, op="read"|"write"}
//   materia_feature_store_operation_seconds_total{store, op}
//   materia_feature_store_rows_written_total{store}
//   materia_feature_resolved_samples_total{feature, status="new"|"stale"|"orphaned"}
// Totals live under state keys "features:metrics:<store>" and "features:resolved:<feature>"
// as JSON. Two commands finishing at the same moment may each read the old totals
// and one addition is lost; the figures are for dashboards, not accounting.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "features/metadata_store.h"
#include "state/state_store.h"

namespace materia {

// Samples a resolve found, per status.
struct ResolvedCounts {
  int64_t new_count = 0;
  int64_t stale_count = 0;
  int64_t orphaned_count = 0;
};

// Adds `stores` (store name -> counters) and `resolved` (feature -> counts) to the totals.
Status AddFeatureMetrics(StateStore& state, const std::map<std::string, StoreCounters>& stores,
                         const std::map<std::string, ResolvedCounts>& resolved);

// The totals of `store_names` and `feature_keys` (missing ones are left out), rendered in
// the Prometheus text format with HELP and TYPE lines.
std::string RenderFeatureMetrics(StateStore& state, const std::vector<std::string>& store_names,
                                 const std::vector<std::string>& feature_keys);

}  // namespace materia
