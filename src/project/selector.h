// Model selection, as dbt and SQLMesh users write it: which models a command acts on.
//
//   serving.dim_country      the model (or a table name alone when it is unique: dim_country)
//   +serving.dim_country     the model and everything upstream of it
//   serving.dim_country+     the model and everything downstream of it
//   +serving.dim_country+    both
//   raw.*                    every model whose name matches the pattern (* and ? wildcards;
//                            a pattern without a dot matches table names: dim_*)
//   tag:serving              every model tagged `serving` (patterns allowed: tag:dim*)
//   +tag:serving             ... with their upstream (and tag:x+ downstream)
//
// Several selectors are unioned; an argument may hold several separated by spaces.
// No selector at all selects every model. A selector that selects nothing is an
// error, so a typo never passes silently. Pure functions of the project; thread-safe.
//
// Errors, kInvalidInput:
//   unknown model 'serving.dim_contry' in selector '+serving.dim_contry'
//       (did you mean serving.dim_country?)
//   model name 'dim' in selector 'dim' is ambiguous: a.dim, b.dim
//   selector 'raw.*x' matches no model
//   no model has tag 'nightly' (selector 'tag:nightly'; tags in the project: daily, serving)
//   empty selector '+'  /  empty tag in selector 'tag:'
//   selector 'a,b': separate selectors with spaces (they are unioned)
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "project/project.h"

namespace materia {

struct Selector {
  std::string text;      // as written, for messages
  bool upstream = false;     // leading '+'
  bool downstream = false;   // trailing '+'
  bool is_tag = false;       // tag:...
  std::string pattern;   // the model name, name pattern or tag (pattern) between the '+'s
};

// Parses one selector ("+raw.a+", "tag:x"). Errors as above.
Result<Selector> ParseSelector(const std::string& text);

// The models `expressions` select, unioned, in project order (parents first). Each
// expression may hold several selectors separated by white space. An empty list
// selects every model.
Result<std::vector<std::string>> SelectModels(const Project& project,
                                              const std::vector<std::string>& expressions);

// Resolves one model name as a user typed it: "schema.table", or a table name alone
// when exactly one model has it. Errors: "unknown model 'x' (did you mean a.x?)",
// "model name 'x' is ambiguous: a.x, b.x".
Result<std::string> ResolveModelName(const Project& project, const std::string& name);

// Everything upstream of `names` (their ancestors), names excluded, in project order.
std::vector<std::string> Upstream(const Project& project, const std::vector<std::string>& names);

}  // namespace materia
