// What mz-schedctl prints on stdout: the report of `plan` and `apply`
// (controller.h) and of `wipe-state`, as text for people or as one JSON document for
// scripts.
//
// Text, one line per action with its SQL and its reason, grouped by cluster:
//
//   analytics (u1, unmanaged): 1 action
//     CREATE CLUSTER REPLICA "analytics"."r1_2" (SIZE = 'medium');  -- target_size: one replica r1 of size 'medium'
//     waiting: r1 (small) is kept until a replacement is hydrated (r1_2 not yet)
//   reporting (u2, managed): nothing to do
//   plan: 1 action on 2 clusters; mz-schedctl apply executes it
//
// apply puts the outcome and the action id in front of each action.
//
// JSON: {"command", "run_id", "decided_at", "clusters": [{"cluster_id", "cluster",
// "snapshot": ClusterSnapshotJson, "decisions", "desired", "reasons", "waiting",
// "actions": [{"action_id" (apply), "kind", "sql", "reason", "expected_change",
// "strategy", "outcome", "error"}], "state_saved" (apply)}], "warnings",
// "summary": {"clusters", "actions", "executed", "failed", "not_executed"},
// "failure": null or the one-line error}.
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "control/controller.h"

namespace materia {

std::string FormatReportText(const ControllerReport& report);
std::string FormatReportJson(const ControllerReport& report);

std::string FormatWipeText(const WipeReport& report);
std::string FormatWipeJson(const WipeReport& report);

}  // namespace materia
