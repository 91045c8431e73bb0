// Deciding whether a model needs work, and why: the rule that lets Materia skip a FULL
// model whose code and inputs did not change.
//
// A model needs work when its snapshot's table was never built, when a time-ranged
// model has due intervals that are missing, or when the data versions of its inputs
// differ from those recorded at its last materialization. For a time-ranged model,
// inputs whose files carry a date are versioned per interval (a late file re-runs
// its interval only); other inputs are versioned as a whole, and a change to them
// re-runs the last `lookback + 1` intervals.
//
// Used by `check` (nothing runs: a parent that needs work makes its children need work)
// and by the executor (parents have run, so their new data versions are known).
// A WorkDecider is not thread-safe; use one per thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/cron.h"
#include "base/interval.h"
#include "base/status.h"
#include "plan/source_version.h"
#include "project/project.h"
#include "state/state_store.h"

namespace materia {

struct ModelWork {
  std::string name;
  bool needs_work = false;
  std::vector<std::string> reasons;  // "not built yet", "source data changed: …", …
  IntervalSet intervals;             // time-ranged models: what to evaluate
  std::vector<Interval> batches;     // `intervals` cut by batch_size, oldest first
  // allow_partials: where the interval that has not ended yet starts (0 = none is run).
  // What is run from there is computed but not recorded as done.
  TimestampMs partial_start_ms = 0;
  // Current versions of the inputs, as they will be recorded: whole-model inputs.
  std::map<std::string, std::string> input_versions;
  bool inputs_known = true;  // false when a parent needs work itself (check)
  // For each batch, its per-interval input versions (time-ranged models).
  std::vector<std::map<std::string, std::string>> batch_input_versions;
};

// The time bounds of a model: its start and the end of its last complete interval.
struct ModelSchedule {
  Cron cron;
  TimestampMs start_ms = 0;  // aligned to the cron
  TimestampMs due_end_ms = 0;  // end of the last complete interval (exclusive)
};

Result<ModelSchedule> ScheduleOf(const Model& model, const ProjectConfig& config, TimestampMs now_ms);

class WorkDecider {
 public:
  // `snapshots` is the target of every model (versions decided).
  WorkDecider(const Project& project, const std::map<std::string, SnapshotRecord>& snapshots,
              StateStore& state, SourceScanner& scanner, TimestampMs now_ms)
      : project_(project), snapshots_(snapshots), state_(state), scanner_(scanner), now_ms_(now_ms) {}

  // Decides the work of `model` whose target snapshot is `snapshot`. `parent_versions`
  // holds the current data version of each parent; a parent missing from it needs
  // work itself (check), which makes this model need work too. `table_missing` tells
  // that the warehouse has lost the snapshot's table (the executor looks; check
  // cannot): whatever state says, it is then built again from scratch.
  Result<ModelWork> Decide(const Model& model, const SnapshotRecord& snapshot,
                           const std::map<std::string, std::string>& parent_versions,
                           bool table_missing = false);

  // The data version of a model whose work was decided (or done): for a FULL/SEED/
  // incremental model what its materialization records, for a VIEW computed from its
  // inputs. std::nullopt when it was never built.
  Result<std::optional<std::string>> CurrentDataVersion(const Model& model,
                                                        const SnapshotRecord& snapshot,
                                                        const ModelWork& work);

 private:
  Status WholeInputs(const Model& model, bool time_ranged,
                     const std::map<std::string, std::string>& parent_versions, ModelWork* work,
                     std::vector<std::string>* unknown_parents);
  Status DecideTimeRanged(const Model& model, const SnapshotRecord& snapshot, bool table_missing,
                          ModelWork* work);
  Result<std::map<std::string, std::string>> IntervalInputs(const Model& model, Interval interval);
  Result<const std::vector<IntervalVersionRecord>*> ParentIntervalVersions(const std::string& parent);
  bool IsTimeRanged(const std::string& model_name) const;

  const Project& project_;
  const std::map<std::string, SnapshotRecord>& snapshots_;
  std::map<std::string, std::vector<IntervalVersionRecord>> parent_interval_versions_;
  std::set<std::string> unknown_keys_;  // input keys of parents that need work (check)
  StateStore& state_;
  SourceScanner& scanner_;
  TimestampMs now_ms_;
};

// Data version of a materialization: hash of the snapshot's data identity and inputs.
std::string ComputeDataVersion(const std::string& data_identity,
                               const std::map<std::string, std::string>& inputs);

}  // namespace materia
