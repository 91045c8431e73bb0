#include "plan/needs_work.h"

#include <algorithm>
#include <set>

#include "base/hash.h"

namespace materia {

namespace {

constexpr size_t kMaxBatches = 1'000'000;

std::string DescribeTime(TimestampMs ms) {
  return ms % kMsPerDay == 0 ? FormatDate(ms) : FormatTimestamp(ms);
}

std::string DescribeIntervals(const IntervalSet& set) {
  std::string text;
  size_t shown = 0;
  for (const Interval& range : set.ranges()) {
    if (shown++ == 3) {
      text += ", …";
      break;
    }
    text += (text.empty() ? "" : ", ") + std::string("[") + DescribeTime(range.start) + ", " +
            DescribeTime(range.end) + ")";
  }
  return text;
}

// Lists the inputs whose versions differ between `recorded` and `current`, one reason
// per kind of input: "upstream data changed: a, b", "source data changed: glob".
// Keys in `unknown` (parents that need work themselves, in check) are not compared.
std::vector<std::string> ChangedInputs(const std::map<std::string, std::string>& recorded,
                                       const std::map<std::string, std::string>& current,
                                       const std::set<std::string>& unknown) {
  std::set<std::string> keys;
  for (const auto& [key, value] : recorded) keys.insert(key);
  for (const auto& [key, value] : current) keys.insert(key);
  for (const std::string& key : unknown) keys.erase(key);
  std::map<std::string, std::string> by_label;  // label -> names
  for (const std::string& key : keys) {
    auto a = recorded.find(key);
    auto b = current.find(key);
    if (a != recorded.end() && b != current.end() && a->second == b->second) continue;
    std::string label = "input changed", name = key;
    if (key.rfind("model:", 0) == 0) {
      label = "upstream data changed";
      name = key.substr(6);
    } else if (key.rfind("source:", 0) == 0) {
      label = "source data changed";
      name = key.substr(key.find(':', 7) + 1);
    }
    std::string& names = by_label[label];
    names += (names.empty() ? "" : ", ") + name;
  }
  std::vector<std::string> changed;
  for (const char* label : {"source data changed", "upstream data changed", "input changed"}) {
    auto found = by_label.find(label);
    if (found != by_label.end()) changed.push_back(found->first + ": " + found->second);
  }
  return changed;
}

// Steps back `count` ticks from `ms`, not before `floor_ms`.
TimestampMs StepBack(const Cron& cron, TimestampMs ms, int count, TimestampMs floor_ms) {
  for (int i = 0; i < count && ms > floor_ms; i++) ms = cron.Floor(ms - 1);
  return std::max(ms, floor_ms);
}

std::vector<Interval> CutBatches(const Cron& cron, const IntervalSet& set, int batch_size) {
  std::vector<Interval> batches;
  for (const Interval& range : set.ranges()) {
    if (batch_size <= 0) {
      batches.push_back(range);
      continue;
    }
    TimestampMs start = range.start;
    while (start < range.end && batches.size() < kMaxBatches) {
      TimestampMs end = start;
      for (int i = 0; i < batch_size && end < range.end; i++) end = cron.Next(end);
      end = std::min(end, range.end);
      batches.push_back({start, end});
      start = end;
    }
  }
  return batches;
}

}  // namespace

std::string ComputeDataVersion(const std::string& data_identity,
                               const std::map<std::string, std::string>& inputs) {
  Hasher hasher;
  hasher.Add(data_identity);
  for (const auto& [key, value] : inputs) hasher.Add(key).Add(value);
  return hasher.Sha256().substr(0, 32);
}

Result<ModelSchedule> ScheduleOf(const Model& model, const ProjectConfig& config, TimestampMs now_ms) {
  const ModelDefinition& definition = model.definition;
  std::string cron_text = definition.cron.empty() ? config.default_cron : definition.cron;
  auto cron = Cron::Parse(cron_text);
  if (!cron.ok()) {
    return Status::InvalidInput(definition.header_location.ToString() + ": " + cron.status().message());
  }
  std::string start_text = !definition.start.empty() ? definition.start
                           : !config.default_start.empty() ? config.default_start
                                                           : "yesterday";
  auto start = ParseTimestamp(start_text, now_ms);
  if (!start.ok()) {
    return Status::InvalidInput(definition.header_location.ToString() + ": start: " +
                                start.status().message());
  }
  ModelSchedule schedule{*cron, cron->Floor(*start), cron->Floor(now_ms)};
  if (!definition.end.empty()) {
    auto end = ParseTimestamp(definition.end, now_ms);
    if (!end.ok()) {
      return Status::InvalidInput(definition.header_location.ToString() + ": end: " +
                                  end.status().message());
    }
    schedule.due_end_ms = std::min(schedule.due_end_ms, cron->Ceil(*end));
  }
  return schedule;
}

Status WorkDecider::WholeInputs(const Model& model, bool time_ranged,
                                const std::map<std::string, std::string>& parent_versions,
                                ModelWork* work, std::vector<std::string>* unknown_parents) {
  for (const SourceReference& source : model.sources) {
    MATERIA_ASSIGN_OR_RETURN(std::vector<SourceFile> files, scanner_.Files(source));
    if (time_ranged) {
      std::vector<SourceFile> undated;
      for (const SourceFile& file : files) {
        if (!file.date) undated.push_back(file);
      }
      files = std::move(undated);
    }
    work->input_versions[SourceKey(source)] = FileSetVersion(files);
  }
  for (const std::string& parent : model.parents) {
    auto found = parent_versions.find(parent);
    if (found == parent_versions.end()) {
      unknown_parents->push_back(parent);
    } else if (!(time_ranged && IsTimeRanged(parent))) {  // those are versioned per interval
      work->input_versions["model:" + parent] = found->second;
    }
  }
  if (model.uses_time_macros && !time_ranged) {
    // A FULL model that reads the clock through macros sees new values at each tick.
    MATERIA_ASSIGN_OR_RETURN(ModelSchedule schedule, ScheduleOf(model, project_.config, now_ms_));
    work->input_versions["schedule"] = FormatIso(schedule.due_end_ms);
  }
  for (const std::string& table : model.external_tables) {
    work->input_versions["table:" + table] = "external";
  }
  return Status::Ok();
}

Result<std::map<std::string, std::string>> WorkDecider::IntervalInputs(const Model& model,
                                                                        Interval interval) {
  std::map<std::string, std::string> inputs;
  for (const SourceReference& source : model.sources) {
    MATERIA_ASSIGN_OR_RETURN(std::vector<SourceFile> files, scanner_.Files(source));
    std::vector<SourceFile> inside;
    bool any_dated = false;
    for (const SourceFile& file : files) {
      any_dated |= file.date.has_value();
      if (file.date && *file.date >= interval.start && *file.date < interval.end) {
        inside.push_back(file);
      }
    }
    if (any_dated) inputs[SourceKey(source)] = FileSetVersion(inside);
  }
  for (const std::string& parent : model.parents) {
    if (!IsTimeRanged(parent)) continue;
    MATERIA_ASSIGN_OR_RETURN(const std::vector<IntervalVersionRecord>* records,
                             ParentIntervalVersions(parent));
    Hasher hasher;
    for (const IntervalVersionRecord& record : *records) {
      if (record.interval.end <= interval.start || record.interval.start >= interval.end) continue;
      hasher.Add(record.interval.start).Add(record.interval.end).Add(record.data_version);
    }
    inputs["model:" + parent] = hasher.Sha256().substr(0, 32);
  }
  return inputs;
}

bool WorkDecider::IsTimeRanged(const std::string& model_name) const {
  const Model* model = project_.Find(model_name);
  return model && model->definition.kind == ModelKind::kIncrementalByTimeRange;
}

Result<const std::vector<IntervalVersionRecord>*> WorkDecider::ParentIntervalVersions(
    const std::string& parent) {
  auto found = parent_interval_versions_.find(parent);
  if (found == parent_interval_versions_.end()) {
    const SnapshotRecord& snapshot = snapshots_.at(parent);
    MATERIA_ASSIGN_OR_RETURN(std::vector<IntervalVersionRecord> records,
                             state_.GetIntervalVersions(snapshot.name, snapshot.version));
    found = parent_interval_versions_.emplace(parent, std::move(records)).first;
  }
  return &found->second;
}

Status WorkDecider::DecideTimeRanged(const Model& model, const SnapshotRecord& snapshot,
                                     bool table_missing, ModelWork* work) {
  MATERIA_ASSIGN_OR_RETURN(ModelSchedule schedule, ScheduleOf(model, project_.config, now_ms_));
  MATERIA_ASSIGN_OR_RETURN(IntervalSet done, state_.GetIntervals(snapshot.name, snapshot.version));
  MATERIA_ASSIGN_OR_RETURN(std::optional<MaterializationRecord> materialization,
                           state_.GetMaterialization(snapshot.name, snapshot.version));
  if (table_missing) {
    if (!done.empty()) work->reasons.push_back("table missing from the warehouse");
    done = IntervalSet();
    materialization.reset();
  }
  IntervalSet due;
  if (schedule.start_ms < schedule.due_end_ms) due.Add({schedule.start_ms, schedule.due_end_ms});
  IntervalSet missing = due.Subtract(done);
  IntervalSet todo = missing;
  if (done.empty() && !missing.empty()) work->reasons.push_back("not built yet");
  if (!missing.empty()) {
    if (!done.empty()) work->reasons.push_back("intervals due: " + DescribeIntervals(missing));
    TimestampMs first = missing.ranges().front().start;
    todo.Add({StepBack(schedule.cron, first, model.definition.lookback, schedule.start_ms), first});
  }
  MATERIA_ASSIGN_OR_RETURN(std::vector<IntervalVersionRecord> recorded,
                           state_.GetIntervalVersions(snapshot.name, snapshot.version));
  if (table_missing) recorded.clear();
  IntervalSet stale;
  for (const IntervalVersionRecord& record : recorded) {
    MATERIA_ASSIGN_OR_RETURN(auto inputs, IntervalInputs(model, record.interval));
    if (ComputeDataVersion(snapshot.data_identity, inputs) != record.data_version) {
      stale.Add(record.interval);
    }
  }
  if (!stale.empty()) {
    work->reasons.push_back("source data changed in " + DescribeIntervals(stale));
    todo.Add(stale);
  }
  bool whole_changed = !work->reasons.empty() && work->reasons.front().rfind("upstream needs work", 0) == 0;
  if (materialization) {
    for (std::string& reason : ChangedInputs(materialization->input_versions, work->input_versions, unknown_keys_)) {
      work->reasons.push_back(std::move(reason));
      whole_changed = true;
    }
  }
  if (whole_changed && !done.empty()) {
    TimestampMs last_end = done.ranges().back().end;
    TimestampMs from = StepBack(schedule.cron, last_end, model.definition.lookback + 1, schedule.start_ms);
    todo.Add({from, last_end});
  }
  // allow_partials: a model that runs anyway also computes the interval that has not
  // ended yet; it stays unrecorded, so a later run computes it again, complete.
  if (model.definition.allow_partials && !todo.empty() && now_ms_ > schedule.due_end_ms &&
      schedule.start_ms <= schedule.due_end_ms) {
    Interval partial{schedule.due_end_ms, now_ms_};
    todo.Add(partial);
    work->partial_start_ms = schedule.due_end_ms;
    IntervalSet described;
    described.Add(partial);
    work->reasons.push_back("partial interval " + DescribeIntervals(described) + " (allow_partials)");
  }
  // A re-run replaces every recorded interval version it overlaps: widen it to cover
  // them whole, so that none is lost half-covered.
  for (int round = 0; round < 4; round++) {
    IntervalSet widened = todo;
    for (const IntervalVersionRecord& record : recorded) {
      if (todo.Overlaps(record.interval)) widened.Add(record.interval);
    }
    if (widened == todo) break;
    todo = widened;
  }
  work->intervals = todo;
  work->batches = CutBatches(schedule.cron, todo, model.definition.batch_size);
  if (!materialization && work->reasons.empty()) {
    work->reasons.push_back("not built yet (no interval is due: an empty table is created)");
  }
  for (const Interval& batch : work->batches) {
    MATERIA_ASSIGN_OR_RETURN(auto inputs, IntervalInputs(model, batch));
    work->batch_input_versions.push_back(std::move(inputs));
  }
  return Status::Ok();
}

Result<ModelWork> WorkDecider::Decide(const Model& model, const SnapshotRecord& snapshot,
                                      const std::map<std::string, std::string>& parent_versions,
                                      bool table_missing) {
  ModelWork work;
  work.name = model.name();
  bool time_ranged = IsIncrementalKind(model.definition.kind);
  std::vector<std::string> unknown_parents;
  MATERIA_RETURN_IF_ERROR(WholeInputs(model, time_ranged, parent_versions, &work, &unknown_parents));
  work.inputs_known = unknown_parents.empty();
  unknown_keys_.clear();
  for (const std::string& parent : unknown_parents) unknown_keys_.insert("model:" + parent);
  if (!unknown_parents.empty()) {
    std::string names;
    for (const std::string& parent : unknown_parents) names += (names.empty() ? "" : ", ") + parent;
    work.reasons.push_back("upstream needs work: " + names);
  }
  if (time_ranged) {
    MATERIA_RETURN_IF_ERROR(DecideTimeRanged(model, snapshot, table_missing, &work));
    work.needs_work = !work.reasons.empty();
    return work;
  }
  MATERIA_ASSIGN_OR_RETURN(std::optional<MaterializationRecord> materialization,
                           state_.GetMaterialization(snapshot.name, snapshot.version));
  if (materialization && table_missing) {
    work.reasons.push_back("table missing from the warehouse");
  } else if (!materialization) {
    work.reasons.push_back("not built yet");
  } else if (model.definition.kind != ModelKind::kSeed) {
    // A view reads live, but is re-created when its inputs change so that it binds
    // their current columns; that is cheap.
    for (std::string& reason : ChangedInputs(materialization->input_versions, work.input_versions, unknown_keys_)) {
      work.reasons.push_back(std::move(reason));
    }
  }
  if (model.definition.kind == ModelKind::kView && materialization && !table_missing) {
    // In check, a built view whose parent needs work needs none itself; its children
    // see it as unknown through `inputs_known`.
    std::erase_if(work.reasons, [](const std::string& reason) {
      return reason.rfind("upstream needs work", 0) == 0;
    });
  }
  work.needs_work = !work.reasons.empty();
  return work;
}

Result<std::optional<std::string>> WorkDecider::CurrentDataVersion(const Model& model,
                                                                   const SnapshotRecord& snapshot,
                                                                   const ModelWork& work) {
  MATERIA_ASSIGN_OR_RETURN(std::optional<MaterializationRecord> materialization,
                           state_.GetMaterialization(snapshot.name, snapshot.version));
  if (!materialization) return std::optional<std::string>();
  if (model.definition.kind == ModelKind::kView) {
    if (!work.inputs_known) return std::optional<std::string>();
    return std::optional<std::string>(ComputeDataVersion(snapshot.data_identity, work.input_versions));
  }
  return std::optional<std::string>(materialization->data_version);
}

}  // namespace materia
