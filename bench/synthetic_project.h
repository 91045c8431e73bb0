// A synthetic project for the scale benchmarks: a layered DAG of FULL and VIEW models.
//
// Layer 0 reads a small generated CSV file (`data/base.csv`, 100 rows) through
// read_csv; each model of layer n > 0 joins 1 to 3 models of layer n - 1 (one of them
// through an aggregate). Every model also aggregates a range of `work_rows_min` to
// `work_rows_max` rows, so that evaluating it does some real work. Every model has
// 100 rows (k = 0..99), whatever the layer. The same options always write the same
// files.
#pragma once

#include <cstdint>
#include <string>

namespace materia::bench {

struct SyntheticOptions {
  int models = 1000;         // in all; spread evenly over the layers
  int layers = 10;
  int view_every = 4;        // every view_every-th model of a layer is a VIEW
  int work_rows_min = 10'000;
  int work_rows_max = 50'000;
  uint64_t seed = 7;
  // Every tests_every-th model of layers 1 and up gets a unit test in
  // tests/test_l<layer>.yaml whose expected rows are computed here (0 = no tests).
  int tests_every = 0;
};

// Writes config.yaml, models/l<layer>/m_<index>.sql and data/base.csv under
// `project_dir` (created if needed). Dies on an I/O error.
void WriteSyntheticProject(const std::string& project_dir, const SyntheticOptions& options);

}  // namespace materia::bench
