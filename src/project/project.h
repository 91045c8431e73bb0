// A loaded project: its config and every model, analyzed and ordered.
//
// Loading reads config.yaml and models/**/*.sql, parses each MODEL header, renders the
// query's macros with a fixed analysis context (so that versions do not depend on the
// clock), asks DuckDB's parser what each query reads, and builds the DAG: references
// to other models are edges, anything else is an external table, file-reading table
// functions are sources. A cycle is an error naming it. Analyses are cached by file
// content hash in `.materia/cache/analysis/` so a warm load parses nothing twice.
//
// A Project is an immutable value once loaded: safe to share between threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "project/audits.h"
#include "project/config.h"
#include "project/macros.h"
#include "project/model.h"
#include "project/sql_analysis.h"

namespace materia {

struct Model {
  ModelDefinition definition;
  std::string rendered_query;   // rendered with the analysis context
  std::string query_hash;       // hash of rendered_query's parse tree (see sql_analysis.h)
  std::vector<std::string> select_names;
  std::vector<std::string> parents;          // model names, sorted
  std::vector<std::string> children;         // model names, sorted
  std::vector<std::string> external_tables;  // tables that are not models
  std::vector<SourceReference> sources;
  std::string seed_content_hash;  // SEED: SHA-256 of the CSV file
  bool uses_time_macros = false;
  bool reads_itself = false;  // the query reads its own table (@this_model)
  std::vector<ResolvedAudit> audits;  // its audit calls and grain audits, resolved

  const std::string& name() const { return definition.name; }
};

struct Project {
  ProjectConfig config;
  std::vector<Model> models;            // topological order: parents first
  std::map<std::string, AuditDefinition> audits;  // custom audits from audits/*.sql, by name
  std::map<std::string, size_t> index;  // name -> position in models

  const Model* Find(const std::string& name) const;
};

struct LoadOptions {
  bool use_cache = true;
  int threads = 0;  // 0 = hardware concurrency
};

// Loads the project at `project_dir`. Errors are one line naming the file and
// line:column: "models/a.sql:3:7: unknown kind 'FUL'", "models/b.sql:5:1: syntax
// error at or near \"FORM\"", "cycle: a.x -> a.y -> a.x".
Result<Project> LoadProject(const std::string& project_dir, const LoadOptions& options = {});

// The fixed macro context used for analysis and fingerprints.
MacroContext AnalysisMacroContext(const ProjectConfig& config, const std::string& this_model);

// Maps a 0-based offset within `text` that starts at `start` to a file location.
SourceLocation LocationAt(const SourceLocation& start, const std::string& text, size_t offset);

}  // namespace materia
