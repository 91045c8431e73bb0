// materia features [list|describe KEY|graph]: the project's feature definitions
// (features/**/*.yaml), their fields and versions, and the feature graph.
//   features list [--format text|json]            every feature, upstream first
//   features describe KEY [--format text|json]   one feature in full
//   features graph [--format mermaid|dot|json]   the graph, for a diagram or a program
// `features` alone lists. A project without features says so and exits 0.
#include <cstdio>
#include <map>
#include <memory>

#include "base/json_writer.h"
#include "cli/commands.h"
#include "features/feature_graph.h"

namespace materia::cli {

namespace {

constexpr const char* kNoFeatures = "No features in features/.";

struct FeaturesOptions {
  std::string list_format = "text";
  std::string describe_format = "text";
  std::string graph_format = "mermaid";
  std::string key;
};

std::string Join(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string text;
  for (size_t i = 0; i < items.size(); i++) text += (i ? separator : "") + items[i];
  return text;
}

std::vector<std::string> FieldKeys(const FeatureDefinition& feature) {
  std::vector<std::string> keys;
  for (const FieldDefinition& field : feature.fields) keys.push_back(field.key);
  return keys;
}

std::string ParentName(const FieldReference& parent) { return parent.feature + "." + parent.field; }

std::vector<std::string> ParentNames(const FieldDefinition& field) {
  std::vector<std::string> names;
  for (const FieldReference& parent : field.parents) names.push_back(ParentName(parent));
  return names;
}

std::string LineageText(const Lineage& lineage) {
  std::string text = LineageTypeName(lineage.type);
  if (!lineage.by.empty()) text += " by " + Join(lineage.by);
  return text;
}

Result<FeatureGraph> LoadGraph() { return LoadFeatureGraph("."); }

void PrintListText(const FeatureGraph& graph) {
  std::vector<std::vector<std::string>> rows = {{"KEY", "VERSION", "FIELDS", "UPSTREAM"}};
  for (const FeatureDefinition* feature : graph.TopologicalOrder()) {
    std::vector<std::string> upstream = graph.Upstream(feature->key);
    rows.push_back({feature->key, graph.FeatureVersion(feature->key), Join(FieldKeys(*feature)),
                    upstream.empty() ? "-" : Join(upstream)});
  }
  PrintAlignedRows(rows);
  size_t count = graph.features().size();
  std::printf("%zu feature%s, project version %s\n", count, count == 1 ? "" : "s",
              graph.ProjectVersion().c_str());
}

void WriteFieldsJson(const FeatureGraph& graph, const FeatureDefinition& feature, JsonWriter* json) {
  json->Key("fields").BeginArray();
  for (const FieldDefinition& field : feature.fields) {
    json->BeginObject();
    json->Key("key").String(field.key);
    json->Key("code_version").String(field.code_version);
    json->Key("version").String(graph.FieldVersion(feature.key, field.key));
    json->Key("parents").BeginArray();
    for (const FieldReference& parent : field.parents) {
      json->BeginObject().Key("feature").String(parent.feature).Key("field").String(parent.field).EndObject();
    }
    json->EndArray();
    json->EndObject();
  }
  json->EndArray();
}

void PrintListJson(const FeatureGraph& graph) {
  JsonWriter json;
  json.BeginObject().Key("project_version").String(graph.ProjectVersion());
  json.Key("features").BeginArray();
  for (const FeatureDefinition* feature : graph.TopologicalOrder()) {
    json.BeginObject();
    json.Key("key").String(feature->key);
    json.Key("version").String(graph.FeatureVersion(feature->key));
    json.Key("fields").StringArray(FieldKeys(*feature));
    json.Key("upstream").StringArray(graph.Upstream(feature->key));
    json.EndObject();
  }
  json.EndArray().EndObject();
  std::printf("%s\n", json.str().c_str());
}

int RunList(const std::string& format) {
  auto graph = LoadGraph();
  if (!graph.ok()) return ReportError(graph.status());
  if (format == "json") {
    PrintListJson(*graph);
  } else if (graph->empty()) {
    std::printf("%s\n", kNoFeatures);
  } else {
    PrintListText(*graph);
  }
  return kExitOk;
}

void PrintDescribeText(const FeatureGraph& graph, const FeatureDefinition& feature) {
  std::printf("feature %s\n", feature.key.c_str());
  if (!feature.description.empty()) std::printf("  description: %s\n", feature.description.c_str());
  std::printf("  version: %s\n", graph.FeatureVersion(feature.key).c_str());
  std::printf("  defined at: %s\n", feature.location.ToString().c_str());
  std::printf("  id columns: %s\n", Join(feature.id_columns).c_str());
  std::printf("  lineage: %s\n", LineageText(feature.lineage).c_str());
  std::vector<std::string> downstream = graph.Downstream(feature.key);
  std::printf("  downstream: %s\n", downstream.empty() ? "-" : Join(downstream).c_str());
  if (feature.deps.empty()) {
    std::printf("  deps: -\n");
  } else {
    std::printf("  deps:\n");
    for (const FeatureDependency& dependency : feature.deps) {
      std::printf("    %s\n", dependency.feature.c_str());
      if (!dependency.rename.empty()) {
        std::vector<std::string> renames;
        for (const auto& [from, to] : dependency.rename) renames.push_back(from + " -> " + to);
        std::printf("      rename: %s\n", Join(renames).c_str());
      }
      if (!dependency.select.empty()) std::printf("      select: %s\n", Join(dependency.select).c_str());
      for (const std::string& filter : dependency.filters) std::printf("      filter: %s\n", filter.c_str());
    }
  }
  std::printf("  fields:\n");
  size_t width = 0;
  for (const FieldDefinition& field : feature.fields) width = std::max(width, field.key.size());
  for (const FieldDefinition& field : feature.fields) {
    std::vector<std::string> parents = ParentNames(field);
    std::string line = "    " + field.key + std::string(width + 2 - field.key.size(), ' ') +
                       "code_version " + field.code_version + "  version " +
                       graph.FieldVersion(feature.key, field.key);
    if (!parents.empty()) line += "  <- " + Join(parents);
    std::printf("%s\n", line.c_str());
  }
}

void PrintDescribeJson(const FeatureGraph& graph, const FeatureDefinition& feature) {
  JsonWriter json;
  json.BeginObject();
  json.Key("key").String(feature.key);
  json.Key("description").String(feature.description);
  json.Key("version").String(graph.FeatureVersion(feature.key));
  json.Key("location").String(feature.location.ToString());
  json.Key("id_columns").StringArray(feature.id_columns);
  json.Key("lineage").BeginObject().Key("type").String(LineageTypeName(feature.lineage.type));
  json.Key("by").StringArray(feature.lineage.by).EndObject();
  json.Key("upstream").StringArray(graph.Upstream(feature.key));
  json.Key("downstream").StringArray(graph.Downstream(feature.key));
  json.Key("deps").BeginArray();
  for (const FeatureDependency& dependency : feature.deps) {
    json.BeginObject().Key("feature").String(dependency.feature);
    json.Key("rename").BeginObject();
    for (const auto& [from, to] : dependency.rename) json.Key(from).String(to);
    json.EndObject();
    json.Key("select").StringArray(dependency.select);
    json.Key("filters").StringArray(dependency.filters);
    json.EndObject();
  }
  json.EndArray();
  WriteFieldsJson(graph, feature, &json);
  json.EndObject();
  std::printf("%s\n", json.str().c_str());
}

int RunDescribe(const std::string& key, const std::string& format) {
  auto graph = LoadGraph();
  if (!graph.ok()) return ReportError(graph.status());
  const FeatureDefinition* feature = graph->Find(key);
  if (feature == nullptr) {
    if (graph->empty()) return ReportError(Status::NotFound("no feature '" + key + "': " + kNoFeatures));
    return ReportError(Status::NotFound("no feature '" + key + "' in features/ (see materia features list)"));
  }
  if (format == "json") {
    PrintDescribeJson(*graph, *feature);
  } else {
    PrintDescribeText(*graph, *feature);
  }
  return kExitOk;
}

// The inside of a DOT or Mermaid string literal.
std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void PrintMermaid(const FeatureGraph& graph) {
  std::map<std::string, std::string> ids;  // Mermaid ids must be plain words
  std::vector<const FeatureDefinition*> order = graph.TopologicalOrder();
  for (size_t i = 0; i < order.size(); i++) ids[order[i]->key] = "f" + std::to_string(i);
  std::printf("graph LR\n");
  for (const FeatureDefinition* feature : order) {
    std::printf("  %s[\"%s<br/>%s\"]\n", ids[feature->key].c_str(), feature->key.c_str(),
                graph.FeatureVersion(feature->key).c_str());
  }
  for (const FeatureDefinition* feature : order) {
    for (const std::string& upstream : graph.Upstream(feature->key)) {
      std::printf("  %s --> %s\n", ids[upstream].c_str(), ids[feature->key].c_str());
    }
  }
}

void PrintDot(const FeatureGraph& graph) {
  std::printf("digraph features {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
  std::vector<const FeatureDefinition*> order = graph.TopologicalOrder();
  for (const FeatureDefinition* feature : order) {
    std::printf("  \"%s\" [label=\"%s\\n%s\"];\n", Escape(feature->key).c_str(), Escape(feature->key).c_str(),
                graph.FeatureVersion(feature->key).c_str());
  }
  for (const FeatureDefinition* feature : order) {
    for (const std::string& upstream : graph.Upstream(feature->key)) {
      std::printf("  \"%s\" -> \"%s\";\n", Escape(upstream).c_str(), Escape(feature->key).c_str());
    }
  }
  std::printf("}\n");
}

void PrintGraphJson(const FeatureGraph& graph) {
  JsonWriter json;
  json.BeginObject().Key("project_version").String(graph.ProjectVersion());
  json.Key("features").BeginArray();
  for (const FeatureDefinition* feature : graph.TopologicalOrder()) {
    json.BeginObject();
    json.Key("key").String(feature->key);
    json.Key("version").String(graph.FeatureVersion(feature->key));
    json.Key("upstream").StringArray(graph.Upstream(feature->key));
    json.Key("downstream").StringArray(graph.Downstream(feature->key));
    WriteFieldsJson(graph, *feature, &json);
    json.EndObject();
  }
  json.EndArray().Key("edges").BeginArray();
  for (const FeatureDefinition* feature : graph.TopologicalOrder()) {
    for (const std::string& upstream : graph.Upstream(feature->key)) {
      json.BeginObject().Key("from").String(upstream).Key("to").String(feature->key).EndObject();
    }
  }
  json.EndArray().EndObject();
  std::printf("%s\n", json.str().c_str());
}

int RunGraph(const std::string& format) {
  auto graph = LoadGraph();
  if (!graph.ok()) return ReportError(graph.status());
  if (format == "json") {
    PrintGraphJson(*graph);
  } else if (graph->empty()) {
    std::printf("%s\n", kNoFeatures);
  } else if (format == "dot") {
    PrintDot(*graph);
  } else {
    PrintMermaid(*graph);
  }
  return kExitOk;
}

}  // namespace

void RegisterFeaturesCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<FeaturesOptions>();
  CLI::App* features = app.add_subcommand(
      "features", "Feature definitions and their sample-level metadata: list, status, resolve, write, catalog");
  features->require_subcommand(0, 1);

  CLI::App* list = features->add_subcommand("list", "List every feature with its fields, version and upstream");
  AddFormatOption(list, &options->list_format, {"text", "json"});
  SetProjectAction(list, global, [options] { return RunList(options->list_format); });

  CLI::App* describe = features->add_subcommand(
      "describe", "Show one feature: id columns, deps, lineage, and each field's code version, version and parents");
  describe->add_option("key", options->key, "the feature's key, e.g. video/crop")->required();
  AddFormatOption(describe, &options->describe_format, {"text", "json"});
  SetProjectAction(describe, global, [options] { return RunDescribe(options->key, options->describe_format); });

  CLI::App* graph = features->add_subcommand("graph", "Show the feature graph as Mermaid, Graphviz dot or JSON");
  graph->add_option("-f,--format", options->graph_format, "mermaid (default), dot or json")
      ->check(CLI::IsMember({"mermaid", "dot", "json"}));
  SetProjectAction(graph, global, [options] { return RunGraph(options->graph_format); });

  RegisterFeatureStoreCommands(features, global);

  // `features` alone lists.
  features->callback([features, options, &global] {
    if (!features->get_subcommands().empty()) return;
    auto entered = EnterProject(global.project_dir);
    global.exit_code = entered.ok() ? RunList(options->list_format) : ReportError(entered.status());
  });
}

}  // namespace materia::cli
