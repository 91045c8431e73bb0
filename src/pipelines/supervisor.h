// The supervisor: a long-running loop that keeps a project fresh. Each cycle it goes
// through the enabled pipelines in priority order (extract, then transform, then
// export_serving by default), asks each whether it has work (`materia pipeline check
// NAME`), and runs those that do (`materia pipeline run NAME`) one at a time, each as a
// child process bounded by the pipeline's timeout. A failed run is retried with
// exponential back-off and jitter up to the pipeline's attempts, then logged; the loop
// goes on with the next pipeline and the next cycle and never exits because a
// pipeline failed. Running a check before each pipeline lets a transform see the files
// an extract just landed in the same cycle.
//
// Only one supervisor runs per project: it holds an exclusive lock on
// .materia/supervisor.lock for its lifetime (the kernel releases it if the process
// dies, so a kill -9 never leaves a stale lock). SIGTERM or SIGINT stops it cleanly: a
// running child is asked to stop (SIGTERM, then SIGKILL after a grace period) and
// recorded as cancelled, and Supervise returns Ok.
//
// Each child's output goes to .materia/logs/<run_id>.log (the newest 200 are kept).
// The supervisor writes one log line per event on stderr, as text or JSON lines, and
// keeps its current state in the state store under "supervisor:state" (pid, cycle,
// current pipeline, next check) for the dashboard.
//
// Not thread-safe; one per process.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "pipelines/registry.h"
#include "state/state_store.h"

namespace materia {

struct SupervisorOptions {
  std::string materia_path;   // the executable to run for checks and runs
  std::string project_dir;    // absolute
  int64_t interval_ms = 0;    // between the starts of two cycles; 0 = the settings'
  int cycles_max = 0;         // stop after this many cycles; 0 = run until signalled
  bool json_logs = false;     // JSON lines instead of text
  int64_t kill_grace_ms = 10'000;  // between SIGTERM and SIGKILL of a child
};

// Runs the loop. Returns Ok after a signal or `cycles_max` cycles; kConflict when
// another supervisor holds the project's lock; kIoError when the lock or the log
// folder cannot be made.
Status Supervise(const PipelineSettings& settings, StateStore& state, const SupervisorOptions& options);

// The environment variable through which a supervisor tells its children its pid.
inline constexpr const char* kSupervisorPidVariable = "MATERIA_SUPERVISOR_PID";

// In a child the supervisor started (`pipeline check|run`): asks the kernel for SIGTERM
// when the supervisor dies. A supervisor killed with kill -9 otherwise leaves its child
// running, holding the warehouse's lock, and the next supervisor's attempts fail on it.
// Does nothing in a process the supervisor did not start.
void EndWithSupervisor();

}  // namespace materia
