#include "project/dag.h"

#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "project/project.h"

namespace materia {

namespace {

// Splits each model's referenced tables into parents (models) and external tables.
Status ResolveEdges(std::vector<Model>& models, const std::map<std::string, size_t>& index) {
  for (Model& model : models) {
    std::set<std::string> parents;
    std::vector<std::string> external;
    for (const std::string& table : model.external_tables) {
      if (table == model.name()) {  // @this_model in an incremental query
        const ModelKind kind = model.definition.kind;
        if (kind == ModelKind::kFull || kind == ModelKind::kView) {
          // Rebuilt whole (or a view over itself): there is no earlier table to read.
          return Status::InvalidInput(model.definition.query_location.ToString() + ": a " +
                                      ModelKindName(kind) + " model cannot read its own table " + table +
                                      " (only incremental models can, e.g. through @this_model)");
        }
        model.reads_itself = true;
        continue;
      }
      if (index.count(table)) {
        parents.insert(table);
      } else {
        external.push_back(table);
      }
    }
    for (const std::string& name : model.definition.depends_on) {
      if (!index.count(name)) {
        return Status::InvalidInput(model.definition.header_location.ToString() +
                                    ": depends_on names unknown model '" + name + "'");
      }
      if (name != model.name()) parents.insert(name);
    }
    model.parents.assign(parents.begin(), parents.end());
    model.external_tables = std::move(external);
  }
  return Status::Ok();
}

// Finds one cycle among `remaining` models (those Kahn's algorithm could not order).
// Returns it in data-flow order (each model feeds the next), starting at the model
// that comes first in file order.
std::vector<size_t> FindCycle(const std::vector<Model>& models,
                              const std::map<std::string, size_t>& index,
                              const std::set<size_t>& remaining) {
  size_t current = *remaining.begin();
  std::vector<size_t> path;
  std::map<size_t, size_t> position;
  for (size_t steps = 0; steps <= remaining.size() && !position.count(current); steps++) {
    position[current] = path.size();
    path.push_back(current);
    for (const std::string& parent : models[current].parents) {
      size_t p = index.at(parent);
      if (remaining.count(p)) {
        current = p;
        break;
      }
    }
  }
  // path[position[current]..] is the cycle walked child -> parent; reverse it.
  std::vector<size_t> cycle(path.rbegin(), path.rend() - static_cast<long>(position[current]));
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  return cycle;
}

}  // namespace

Status BuildDag(std::vector<Model> models, Project* project) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < models.size(); i++) {
    auto [it, inserted] = index.emplace(models[i].name(), i);
    if (!inserted) {
      return Status::InvalidInput(models[i].definition.header_location.ToString() + ": model " +
                                  models[i].name() + " is also defined in " +
                                  models[it->second].definition.path);
    }
  }
  MATERIA_RETURN_IF_ERROR(ResolveEdges(models, index));

  std::vector<size_t> pending(models.size());
  std::vector<std::vector<size_t>> children(models.size());
  for (size_t i = 0; i < models.size(); i++) {
    pending[i] = models[i].parents.size();
    for (const std::string& parent : models[i].parents) children[index[parent]].push_back(i);
  }
  // Ready models leave in name order: `index` is sorted by name, so its positions
  // rank the models.
  std::vector<size_t> by_rank;
  std::vector<size_t> rank(models.size());
  by_rank.reserve(models.size());
  for (const auto& [name, i] : index) {
    rank[i] = by_rank.size();
    by_rank.push_back(i);
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;  // ranks
  for (size_t i = 0; i < models.size(); i++) {
    if (pending[i] == 0) ready.push(rank[i]);
  }
  std::vector<size_t> order;
  order.reserve(models.size());
  while (!ready.empty()) {
    size_t i = by_rank[ready.top()];
    ready.pop();
    order.push_back(i);
    for (size_t child : children[i]) {
      if (--pending[child] == 0) ready.push(rank[child]);
    }
  }
  if (order.size() != models.size()) {
    std::set<size_t> remaining;
    for (size_t i = 0; i < models.size(); i++) {
      if (pending[i] > 0) remaining.insert(i);
    }
    std::vector<size_t> cycle = FindCycle(models, index, remaining);
    std::string text;
    for (size_t i : cycle) text += models[i].name() + " -> ";
    text += models[cycle.front()].name();
    return Status::InvalidInput(models[cycle.front()].definition.header_location.ToString() +
                                ": cycle: " + text);
  }
  project->models.clear();
  project->models.reserve(models.size());
  for (size_t i : order) {
    for (size_t child : children[i]) models[i].children.push_back(models[child].name());
    std::sort(models[i].children.begin(), models[i].children.end());
    project->models.push_back(std::move(models[i]));
  }
  std::vector<size_t> position(models.size());
  for (size_t p = 0; p < order.size(); p++) position[order[p]] = p;
  project->index.clear();
  for (const auto& [name, i] : index) project->index.emplace_hint(project->index.end(), name, position[i]);
  return Status::Ok();
}

std::vector<std::string> Downstream(const Project& project, const std::vector<std::string>& roots) {
  std::set<std::string> selected(roots.begin(), roots.end());
  std::vector<std::string> out;
  for (const Model& model : project.models) {
    bool include = selected.count(model.name()) > 0;
    for (const std::string& parent : model.parents) include = include || selected.count(parent);
    if (include) {
      selected.insert(model.name());
      out.push_back(model.name());
    }
  }
  return out;
}

}  // namespace materia
