// A transform figure and its reference, measured in the same run: `materia apply` of
// prod on a fresh warehouse against raw DuckDB running the same rendered SQL serially
// on one connection.
#pragma once

#include <string>

namespace materia::bench {

struct Comparison {
  double materia_ms = 0;    // median
  double reference_ms = 0;  // median
  double ratio() const { return reference_ms > 0 ? materia_ms / reference_ms : 0; }
};

// In the current directory (a project): one untimed apply to warm the caches (the
// analysis cache, the page cache, DuckDB's code paths) and to render the reference's
// SQL, then `repetitions` rounds of (reference, apply), each on fresh databases.
// Prints both medians, materia's breakdown and the ratio against `goal_ratio`. The
// project is left applied.
Comparison CompareWithReference(int repetitions, int threads, double goal_ratio);

}  // namespace materia::bench
