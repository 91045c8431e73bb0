// materia dag [--format text|dot|mermaid|json] [--select EXPR...]: the model graph,
// or the part of it a selection picks (edges only between selected models).
#include <cstdio>
#include <map>
#include <set>

#include "base/json_writer.h"
#include "cli/commands.h"
#include "project/selector.h"

namespace materia::cli {

namespace {

struct DagOptions {
  std::string format = "text";
  std::vector<std::string> select;
};

// The selected models and, for each, its selected parents.
struct Graph {
  std::vector<const Model*> models;  // project order
  std::set<std::string> names;
  std::vector<std::string> ParentsOf(const Model& model) const {
    std::vector<std::string> parents;
    for (const std::string& parent : model.parents) {
      if (names.count(parent)) parents.push_back(parent);
    }
    return parents;
  }
};

std::string Join(const std::vector<std::string>& items) {
  std::string text;
  for (size_t i = 0; i < items.size(); i++) text += (i ? ", " : "") + items[i];
  return text;
}

void PrintText(const Graph& graph) {
  size_t width = 0;
  for (const Model* model : graph.models) width = std::max(width, model->name().size());
  for (const Model* model : graph.models) {
    std::vector<std::string> parents = graph.ParentsOf(*model);
    std::string line = model->name() + std::string(width + 2 - model->name().size(), ' ') +
                       ModelKindName(model->definition.kind);
    if (!parents.empty()) line += "  <- " + Join(parents);
    std::printf("%s\n", line.c_str());
  }
  std::printf("%zu model%s\n", graph.models.size(), graph.models.size() == 1 ? "" : "s");
}

// The inside of a DOT string literal.
std::string DotEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string DotQuote(const std::string& text) { return "\"" + DotEscape(text) + "\""; }

void PrintDot(const Graph& graph) {
  std::printf("digraph materia {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
  for (const Model* model : graph.models) {
    const char* style = model->definition.kind == ModelKind::kView ? ", style=dashed" : "";
    // A backslash and n inside a DOT string break the label's line.
    std::string label = "\"" + DotEscape(model->name()) + "\\n" +
                        ModelKindName(model->definition.kind) + "\"";
    std::printf("  %s [label=%s%s];\n", DotQuote(model->name()).c_str(), label.c_str(), style);
  }
  for (const Model* model : graph.models) {
    for (const std::string& parent : graph.ParentsOf(*model)) {
      std::printf("  %s -> %s;\n", DotQuote(parent).c_str(), DotQuote(model->name()).c_str());
    }
  }
  std::printf("}\n");
}

// Mermaid node ids must be plain words: the model's position in the selection.
void PrintMermaid(const Graph& graph) {
  std::map<std::string, std::string> ids;
  for (size_t i = 0; i < graph.models.size(); i++) {
    ids[graph.models[i]->name()] = "m" + std::to_string(i);
  }
  std::printf("graph LR\n");
  for (const Model* model : graph.models) {
    std::printf("  %s[\"%s<br/>%s\"]\n", ids[model->name()].c_str(), model->name().c_str(),
                ModelKindName(model->definition.kind));
  }
  for (const Model* model : graph.models) {
    for (const std::string& parent : graph.ParentsOf(*model)) {
      std::printf("  %s --> %s\n", ids[parent].c_str(), ids[model->name()].c_str());
    }
  }
}

void PrintJson(const Graph& graph) {
  JsonWriter json;
  json.BeginObject().Key("models").BeginArray();
  for (const Model* model : graph.models) {
    std::vector<std::string> children;
    for (const std::string& child : model->children) {
      if (graph.names.count(child)) children.push_back(child);
    }
    json.BeginObject();
    json.Key("name").String(model->name());
    json.Key("kind").String(ModelKindName(model->definition.kind));
    json.Key("path").String(model->definition.path);
    json.Key("tags").StringArray(model->definition.tags);
    json.Key("parents").StringArray(graph.ParentsOf(*model));
    json.Key("children").StringArray(children);
    json.EndObject();
  }
  json.EndArray().Key("edges").BeginArray();
  for (const Model* model : graph.models) {
    for (const std::string& parent : graph.ParentsOf(*model)) {
      json.BeginObject().Key("from").String(parent).Key("to").String(model->name()).EndObject();
    }
  }
  json.EndArray().EndObject();
  std::printf("%s\n", json.str().c_str());
}

int RunDag(const DagOptions& options) {
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  auto selected = SelectModels(*project, options.select);
  if (!selected.ok()) return ReportError(selected.status());
  Graph graph;
  for (const std::string& name : *selected) {
    graph.models.push_back(project->Find(name));
    graph.names.insert(name);
  }
  if (options.format == "dot") {
    PrintDot(graph);
  } else if (options.format == "mermaid") {
    PrintMermaid(graph);
  } else if (options.format == "json") {
    PrintJson(graph);
  } else {
    PrintText(graph);
  }
  return kExitOk;
}

}  // namespace

void RegisterDagCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<DagOptions>();
  CLI::App* dag = app.add_subcommand(
      "dag", "Show the model graph (or a selection of it) as text, Graphviz dot, Mermaid or JSON");
  AddFormatOption(dag, &options->format, {"text", "dot", "mermaid", "json"});
  dag->add_option("-s,--select", options->select,
                  "models to show: name, +name (with upstream), name+ (with downstream), "
                  "tag:x, raw.* (several are unioned; default: all)");
  SetProjectAction(dag, global, [options] { return RunDag(*options); });
}

}  // namespace materia::cli
