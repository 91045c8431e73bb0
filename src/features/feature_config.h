// The `features:` section of config.yaml beyond version_length: the metadata stores,
// which one is written, and where the materialization catalog lives.
//
//   features:
//     version_length: 16
//     store: dev                        # the store written to (default: the first)
//     stores:
//       dev:  {type: duckdb, path: .materia/features-dev.duckdb, fallback: [prod]}
//       prod: {type: parquet, path: /data/features, partition_by: [source]}
//       team: {type: postgres, url: "postgresql://u@db/ml", schema: features}
//     catalog: {type: sqlite, path: .materia/features-catalog.sqlite}   # or postgres {url, schema}, or memory
//
// With no `stores`, one DuckDB store `local` at .materia/features.duckdb; with no
// `catalog`, SQLite at .materia/features-catalog.sqlite. Relative paths are relative
// to the project folder; `${VAR}` in a url is taken from the environment.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "features/metadata_store.h"

namespace materia {

struct CatalogConfig {
  std::string type = "sqlite";  // sqlite | postgres | memory
  std::string path;             // sqlite, absolute
  std::string url;              // postgres
  std::string schema = "materia_catalog";
};

struct FeatureConfig {
  std::vector<StoreConfig> stores;  // in the order written; names unique
  std::string store;                // the store written to
  CatalogConfig catalog;

  const StoreConfig* FindStore(const std::string& name) const;
};

// Reads `project_dir`/config.yaml. Errors: "config.yaml:7:14: store 'dev' falls back to
// unknown store 'prd'", a fallback cycle, unknown keys or types, a missing path or url.
Result<FeatureConfig> LoadFeatureConfig(const std::string& project_dir);

}  // namespace materia
