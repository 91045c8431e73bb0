#include "synthetic_project.h"

#include <algorithm>
#include <cstdio>
#include <cassert>
#include <set>
#include <vector>

#include "bench_common.h"

namespace materia::bench {

namespace {

constexpr int kKeys = 100;            // rows of every model
constexpr int kMaxParents = 3;
constexpr int kMaxModels = 1'000'000;

// splitmix64: a small, well-mixed, reproducible generator.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [low, high] (both included).
  int Between(int low, int high) {
    assert(low <= high);
    return low + static_cast<int>(Next() % static_cast<uint64_t>(high - low + 1));
  }

 private:
  uint64_t state_;
};

std::string ModelName(int layer, int index, int width) {
  std::string number = std::to_string(index);
  if (static_cast<int>(number.size()) < width) number.insert(0, width - number.size(), '0');
  return "l" + std::to_string(layer) + ".m_" + number;
}

std::string WorkSubquery(int rows) {
  return "  SELECT i % " + std::to_string(kKeys) + " AS k, sum(i % 97)::DOUBLE AS x, count(*) AS n\n"
         "  FROM range(" + std::to_string(rows) + ") AS t(i)\n"
         "  GROUP BY 1\n";
}

std::string Header(const std::string& name, bool view, int layer) {
  return "-- Synthetic model of layer " + std::to_string(layer) + ".\n"
         "MODEL (\n"
         "  name " + name + ",\n"
         "  kind " + (view ? "VIEW" : "FULL") + ",\n"
         "  description 'synthetic benchmark model',\n"
         "  grain k,\n"
         "  tags (synthetic, layer" + std::to_string(layer) + ")\n"
         ");\n\n";
}

std::string SourceQuery(int work_rows) {
  return "SELECT\n"
         "  base.k,\n"
         "  base.w * work.x AS v,\n"
         "  work.n\n"
         "FROM read_csv('data/base.csv', header = true) AS base\n"
         "JOIN (\n" + WorkSubquery(work_rows) + ") AS work ON work.k = base.k\n";
}

// Joins the parents on k: the first as the driving table, the second directly, the
// third through an aggregate.
std::string DerivedQuery(const std::vector<std::string>& parents, int work_rows) {
  static const char* kAliases[kMaxParents] = {"a", "b", "c"};
  std::string value = "a.v";
  for (size_t i = 1; i < parents.size(); i++) {
    value += " + coalesce(" + std::string(kAliases[i]) + ".v, 0)";
  }
  std::string sql = "SELECT\n  a.k,\n  " + value + " + work.x AS v,\n  work.n\nFROM " +
                    parents[0] + " AS a\n";
  if (parents.size() > 1) sql += "LEFT JOIN " + parents[1] + " AS b ON b.k = a.k\n";
  if (parents.size() > 2) {
    sql += "LEFT JOIN (SELECT k, sum(v) AS v FROM " + parents[2] + " GROUP BY k) AS c ON c.k = a.k\n";
  }
  sql += "JOIN (\n" + WorkSubquery(work_rows) + ") AS work ON work.k = a.k\n";
  return sql;
}

// A unit test of a derived model: every parent holds one row (k = 1, v = 10), so the
// model's row is k = 1, v = 10 per parent + x(1), n = n(1) of its work subquery.
std::string UnitTestYaml(const std::string& name, const std::vector<std::string>& parents, int work_rows) {
  constexpr int kKey = 1;
  double x = 0;
  int n = 0;
  for (int i = kKey; i < work_rows; i += kKeys) {
    x += i % 97;
    n++;
  }
  double v = 10.0 * static_cast<double>(parents.size()) + x;
  std::string test_name = "test_" + name.substr(0, name.find('.')) + "_" + name.substr(name.find('.') + 1);
  std::string yaml = test_name + ":\n  model: " + name + "\n  inputs:\n";
  for (const std::string& parent : parents) {
    yaml += "    " + parent + ":\n      rows:\n        - {k: 1, v: 10.0, n: 1}\n";
  }
  char value[64];
  std::snprintf(value, sizeof(value), "%.1f", v);
  yaml += "  outputs:\n    query:\n      rows:\n        - {k: 1, v: " + std::string(value) +
          ", n: " + std::to_string(n) + "}\n";
  return yaml;
}

std::string BaseCsv() {
  std::string csv = "k,w\n";
  for (int k = 0; k < kKeys; k++) {
    csv += std::to_string(k) + "," + std::to_string((k * 37 % 101) / 10.0) + "\n";
  }
  return csv;
}

std::string Config() {
  return "gateways:\n"
         "  local:\n"
         "    connection: {type: duckdb, database: warehouse.duckdb}\n"
         "default_gateway: local\n"
         "model_defaults: {dialect: duckdb, start: '2024-01-01', cron: '@daily'}\n";
}

}  // namespace

void WriteSyntheticProject(const std::string& project_dir, const SyntheticOptions& options) {
  assert(options.layers >= 1 && options.models >= options.layers && options.models <= kMaxModels);
  assert(options.work_rows_min >= 1 && options.work_rows_min <= options.work_rows_max);
  WriteTextFile(project_dir + "/config.yaml", Config());
  WriteTextFile(project_dir + "/data/base.csv", BaseCsv());
  Random random(options.seed);
  std::vector<int> layer_sizes(options.layers, options.models / options.layers);
  for (int i = 0; i < options.models % options.layers; i++) layer_sizes[i]++;
  int width = static_cast<int>(std::to_string(*std::max_element(layer_sizes.begin(), layer_sizes.end())).size());
  for (int layer = 0; layer < options.layers; layer++) {
    std::string tests;
    for (int index = 0; index < layer_sizes[layer]; index++) {
      std::string name = ModelName(layer, index, width);
      bool view = options.view_every > 0 && index % options.view_every == options.view_every - 1;
      int work_rows = random.Between(options.work_rows_min, options.work_rows_max);
      std::string query;
      if (layer == 0) {
        query = SourceQuery(work_rows);
      } else {
        int count = std::min(random.Between(1, kMaxParents), layer_sizes[layer - 1]);
        std::set<int> chosen;
        std::vector<std::string> parents;
        while (static_cast<int>(parents.size()) < count) {
          int parent = random.Between(0, layer_sizes[layer - 1] - 1);
          if (chosen.insert(parent).second) parents.push_back(ModelName(layer - 1, parent, width));
        }
        query = DerivedQuery(parents, work_rows);
        if (options.tests_every > 0 && index % options.tests_every == 0) {
          tests += UnitTestYaml(name, parents, work_rows);
        }
      }
      std::string file = project_dir + "/models/l" + std::to_string(layer) + "/" +
                         name.substr(name.find('.') + 1) + ".sql";
      WriteTextFile(file, Header(name, view, layer) + query);
    }
    if (!tests.empty()) {
      WriteTextFile(project_dir + "/tests/test_l" + std::to_string(layer) + ".yaml", tests);
    }
  }
}

}  // namespace materia::bench
