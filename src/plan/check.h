// check: does an environment have work, and why. Reads the project, the state store and
// the source files only — never the warehouse — so it answers while another process
// holds the warehouse's write lock.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "plan/needs_work.h"
#include "project/project.h"
#include "project/sql_analysis.h"
#include "state/state_store.h"

namespace materia {

struct CheckModel {
  std::string name;
  std::vector<std::string> reasons;
  std::vector<std::string> tags;
  std::vector<Interval> intervals;  // time-ranged models: what would run
};

struct CheckReport {
  std::string environment;
  bool has_work = false;
  std::vector<CheckModel> models;  // those needing work, project order
  std::vector<std::string> tags;   // union of their tags, sorted
  size_t up_to_date = 0;
};

// `state` may be null: no state store yet, so every model is new.
Result<CheckReport> CheckEnvironment(const Project& project, StateStore* state,
                                     const std::string& environment, SqlAnalyzer& analyzer,
                                     TimestampMs now_ms);

// The report as JSON: {has_work, environment, models:[{name, reasons, tags,
// intervals:[{start, end}]}], tags}.
std::string CheckReportJson(const CheckReport& report);

}  // namespace materia
