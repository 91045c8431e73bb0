#include "features/feature_graph.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <queue>
#include <set>
#include <sstream>

#include "base/hash.h"
#include "features/feature_parser.h"

namespace materia {

namespace {

namespace fs = std::filesystem;

constexpr size_t kConfigBytesMax = 4 * 1024 * 1024;

Status ErrorAt(const SourceLocation& where, const std::string& message) {
  return Status::InvalidInput((where.line > 0 ? where.ToString() : where.file) + ": " + message);
}

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); i++) text += (i ? separator : "") + items[i];
  return text;
}

std::vector<std::string> FieldKeys(const FeatureDefinition& feature) {
  std::vector<std::string> keys;
  for (const FieldDefinition& field : feature.fields) keys.push_back(field.key);
  return keys;
}

// The default parents of `field` in `upstream`: the field of the same key, else all.
void AddDefaultParents(const FieldDefinition& field, const FeatureDefinition& upstream,
                       std::vector<FieldReference>* parents) {
  if (upstream.FindField(field.key) != nullptr) {
    parents->push_back({upstream.key, field.key});
    return;
  }
  for (const FieldDefinition& upstream_field : upstream.fields) {
    parents->push_back({upstream.key, upstream_field.key});
  }
}

Result<std::string> ReadFileText(const fs::path& path, const std::string& shown, size_t limit) {
  std::error_code error;
  uintmax_t size = fs::file_size(path, error);
  if (error) return Status::IoError("cannot read " + shown + ": " + error.message());
  if (size > limit) {
    return Status::InvalidInput(shown + ": the file is " + std::to_string(size) +
                                " bytes, more than the limit of " + std::to_string(limit));
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return Status::IoError("cannot read " + shown + ": " + std::strerror(errno));
  std::ostringstream content;
  content << stream.rdbuf();
  if (stream.bad()) return Status::IoError("cannot read " + shown);
  return content.str();
}

// config.yaml's features.version_length, or the default.
Result<int> ReadVersionLength(const fs::path& project) {
  const fs::path path = project / "config.yaml";
  std::error_code error;
  if (!fs::exists(path, error)) return kFeatureVersionLengthDefault;
  MATERIA_ASSIGN_OR_RETURN(std::string content, ReadFileText(path, "config.yaml", kConfigBytesMax));
  auto error_at = [](const YAML::Mark& mark, const std::string& message) {
    if (mark.is_null()) return Status::InvalidInput("config.yaml: " + message);
    return Status::InvalidInput("config.yaml:" + std::to_string(mark.line + 1) + ":" +
                                std::to_string(mark.column + 1) + ": " + message);
  };
  YAML::Node root;
  try {
    root = YAML::Load(content);
  } catch (const YAML::Exception& exception) {
    return error_at(exception.mark, exception.msg);
  }
  if (!root.IsMap()) return kFeatureVersionLengthDefault;
  const YAML::Node section = root["features"];
  if (!section || section.IsNull()) return kFeatureVersionLengthDefault;
  if (!section.IsMap()) {
    return error_at(section.Mark(), "features must be a mapping such as {version_length: 16}");
  }
  const YAML::Node length = section["version_length"];
  if (!length || length.IsNull()) return kFeatureVersionLengthDefault;
  const std::string message = "features.version_length must be a whole number from " +
                              std::to_string(kFeatureVersionLengthMin) + " to " +
                              std::to_string(kFeatureVersionLengthMax);
  if (!length.IsScalar()) return error_at(length.Mark(), message);
  const std::string& text = length.Scalar();
  if (text.empty() || text.size() > 2 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return error_at(length.Mark(), message);
  }
  int value = std::stoi(text);
  if (value < kFeatureVersionLengthMin || value > kFeatureVersionLengthMax) {
    return error_at(length.Mark(), message);
  }
  return value;
}

}  // namespace

Result<FeatureGraph> FeatureGraph::Build(std::vector<FeatureDefinition> features, int version_length) {
  if (version_length < kFeatureVersionLengthMin || version_length > kFeatureVersionLengthMax) {
    return Status::InvalidInput("the version length must be from " + std::to_string(kFeatureVersionLengthMin) +
                                " to " + std::to_string(kFeatureVersionLengthMax));
  }
  if (features.size() > kFeaturesMax) {
    return Status::InvalidInput("more than " + std::to_string(kFeaturesMax) + " features");
  }
  FeatureGraph graph;
  graph.version_length_ = version_length;

  // Duplicate keys, reported where the second definition is.
  std::map<std::string, SourceLocation> first_seen;
  for (const FeatureDefinition& feature : features) {
    auto [it, inserted] = first_seen.emplace(feature.key, feature.location);
    if (!inserted) {
      return ErrorAt(feature.location, "feature '" + feature.key + "' is also defined in " +
                                           it->second.ToString());
    }
  }
  std::sort(features.begin(), features.end(),
            [](const FeatureDefinition& a, const FeatureDefinition& b) { return a.key < b.key; });
  graph.features_ = std::move(features);
  for (size_t i = 0; i < graph.features_.size(); i++) graph.index_[graph.features_[i].key] = i;

  // Unknown upstream features.
  for (const FeatureDefinition& feature : graph.features_) {
    for (const FeatureDependency& dependency : feature.deps) {
      if (graph.index_.count(dependency.feature) == 0) {
        return ErrorAt(dependency.location, "feature '" + feature.key + "' depends on unknown feature '" +
                                                dependency.feature + "'");
      }
      graph.downstream_[dependency.feature].push_back(feature.key);
    }
  }
  for (auto& [key, children] : graph.downstream_) std::sort(children.begin(), children.end());

  // Topological order (Kahn's algorithm; the smallest ready key goes first).
  const size_t count = graph.features_.size();
  std::vector<size_t> waiting(count, 0);  // upstream features not yet placed
  for (size_t i = 0; i < count; i++) waiting[i] = graph.features_[i].deps.size();
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < count; i++) {
    if (waiting[i] == 0) ready.push(i);
  }
  while (!ready.empty()) {
    size_t position = ready.top();
    ready.pop();
    graph.order_.push_back(position);
    for (const std::string& child : graph.downstream_[graph.features_[position].key]) {
      size_t child_position = graph.index_[child];
      if (--waiting[child_position] == 0) ready.push(child_position);
    }
  }
  if (graph.order_.size() < count) {
    // Every feature left waits on another one left: walking upstream from any of them
    // must come back to a feature already visited, which closes a cycle.
    std::vector<size_t> path;
    std::map<size_t, size_t> visited;  // position -> index in path
    size_t current = 0;
    while (waiting[current] == 0) current++;
    while (visited.count(current) == 0) {
      visited[current] = path.size();
      path.push_back(current);
      size_t next = count;
      for (const FeatureDependency& dependency : graph.features_[current].deps) {
        size_t upstream = graph.index_[dependency.feature];
        if (waiting[upstream] > 0) next = std::min(next, upstream);
      }
      current = next;
    }
    // path[visited[current]..] walks upstream; reversed, it walks the way data flows.
    std::vector<size_t> cycle(path.begin() + static_cast<std::ptrdiff_t>(visited[current]), path.end());
    std::reverse(cycle.begin(), cycle.end());
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    std::vector<std::string> keys;
    for (size_t position : cycle) keys.push_back(graph.features_[position].key);
    keys.push_back(keys.front());
    // Reported where the first feature of the cycle names the last one.
    const FeatureDefinition& first = graph.features_[cycle.front()];
    const std::string& last = graph.features_[cycle.back()].key;
    SourceLocation where = first.location;
    for (const FeatureDependency& dependency : first.deps) {
      if (dependency.feature == last) where = dependency.location;
    }
    return ErrorAt(where, "cycle in the feature graph: " + Join(keys, " -> "));
  }

  // Each field's parent fields.
  for (FeatureDefinition& feature : graph.features_) {
    for (FieldDefinition& field : feature.fields) {
      std::vector<FieldReference> parents;
      if (!field.has_deps) {
        for (const FeatureDependency& dependency : feature.deps) {
          AddDefaultParents(field, graph.features_[graph.index_[dependency.feature]], &parents);
        }
      }
      for (const FieldDependency& dependency : field.deps) {
        auto found = graph.index_.find(dependency.feature);
        if (found == graph.index_.end()) {
          return ErrorAt(dependency.location, "field '" + field.key + "' of feature '" + feature.key +
                                                  "' depends on unknown feature '" + dependency.feature + "'");
        }
        const FeatureDefinition& upstream = graph.features_[found->second];
        if (dependency.fields.empty()) AddDefaultParents(field, upstream, &parents);
        for (const std::string& name : dependency.fields) {
          if (upstream.FindField(name) == nullptr) {
            return ErrorAt(dependency.location,
                           "field '" + field.key + "' of feature '" + feature.key + "' depends on unknown field '" +
                               name + "' of feature '" + upstream.key + "' (its fields: " +
                               Join(FieldKeys(upstream), ", ") + ")");
          }
          parents.push_back({upstream.key, name});
        }
      }
      std::sort(parents.begin(), parents.end());
      parents.erase(std::unique(parents.begin(), parents.end()), parents.end());
      field.parents = std::move(parents);
    }
  }

  // Versions, upstream first so that every parent's version is known.
  for (size_t position : graph.order_) {
    const FeatureDefinition& feature = graph.features_[position];
    Hasher feature_hasher;
    for (const FieldDefinition& field : feature.fields) {
      std::vector<std::string> parent_versions;
      for (const FieldReference& parent : field.parents) {
        parent_versions.push_back(graph.field_versions_.at(parent));
      }
      std::sort(parent_versions.begin(), parent_versions.end());
      Hasher field_hasher;
      field_hasher.Add(field.key).Add(field.code_version).Add(static_cast<int64_t>(parent_versions.size()));
      for (const std::string& version : parent_versions) field_hasher.Add(version);
      std::string version = field_hasher.Sha256();
      feature_hasher.Add(field.key).Add(version);
      graph.field_versions_[{feature.key, field.key}] = std::move(version);
    }
    graph.feature_versions_[feature.key] = feature_hasher.Sha256();
  }
  Hasher project_hasher;
  for (const FeatureDefinition& feature : graph.features_) {
    project_hasher.Add(feature.key).Add(graph.feature_versions_[feature.key]);
  }
  graph.project_version_ = project_hasher.Sha256();
  return graph;
}

std::vector<const FeatureDefinition*> FeatureGraph::TopologicalOrder() const {
  std::vector<const FeatureDefinition*> order;
  for (size_t position : order_) order.push_back(&features_[position]);
  return order;
}

const FeatureDefinition* FeatureGraph::Find(const std::string& key) const {
  auto found = index_.find(key);
  return found == index_.end() ? nullptr : &features_[found->second];
}

std::vector<std::string> FeatureGraph::Upstream(const std::string& key) const {
  std::vector<std::string> keys;
  const FeatureDefinition* feature = Find(key);
  if (feature == nullptr) return keys;
  for (const FeatureDependency& dependency : feature->deps) keys.push_back(dependency.feature);
  return keys;
}

std::vector<std::string> FeatureGraph::Downstream(const std::string& key) const {
  auto found = downstream_.find(key);
  return found == downstream_.end() ? std::vector<std::string>() : found->second;
}

std::string FeatureGraph::Truncate(const std::string& version) const {
  return version.substr(0, static_cast<size_t>(version_length_));
}

std::string FeatureGraph::FieldVersion(const std::string& feature, const std::string& field) const {
  auto found = field_versions_.find(FieldReference{feature, field});
  return found == field_versions_.end() ? std::string() : Truncate(found->second);
}

std::string FeatureGraph::FeatureVersion(const std::string& feature) const {
  auto found = feature_versions_.find(feature);
  return found == feature_versions_.end() ? std::string() : Truncate(found->second);
}

std::string FeatureGraph::ProjectVersion() const { return Truncate(project_version_); }

Result<FeatureGraph> LoadFeatureGraph(const std::string& project_dir) {
  const fs::path project(project_dir);
  MATERIA_ASSIGN_OR_RETURN(int version_length, ReadVersionLength(project));
  const fs::path directory = project / "features";
  std::error_code error;
  std::vector<fs::path> files;
  if (fs::is_directory(directory, error)) {
    fs::recursive_directory_iterator it(directory, fs::directory_options::skip_permission_denied, error);
    for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      const fs::path& path = it->path();
      std::string extension = path.extension().string();
      if ((extension == ".yaml" || extension == ".yml") && it->is_regular_file(error)) {
        if (files.size() >= kFeatureFilesMax) {
          return Status::InvalidInput("features/ holds more than " + std::to_string(kFeatureFilesMax) +
                                      " feature files");
        }
        files.push_back(path);
      }
    }
    if (error) return Status::IoError("cannot list features/: " + error.message());
  }
  std::vector<std::string> shown;
  for (const fs::path& path : files) shown.push_back(path.lexically_relative(project).generic_string());
  std::vector<size_t> positions(files.size());
  for (size_t i = 0; i < positions.size(); i++) positions[i] = i;
  std::sort(positions.begin(), positions.end(), [&](size_t a, size_t b) { return shown[a] < shown[b]; });

  std::vector<FeatureDefinition> features;
  for (size_t position : positions) {
    MATERIA_ASSIGN_OR_RETURN(std::string content,
                             ReadFileText(files[position], shown[position], kFeatureFileBytesMax));
    MATERIA_ASSIGN_OR_RETURN(std::vector<FeatureDefinition> parsed, ParseFeatureFile(shown[position], content));
    for (FeatureDefinition& feature : parsed) {
      if (features.size() >= kFeaturesMax) {
        return ErrorAt(feature.location, "more than " + std::to_string(kFeaturesMax) + " features");
      }
      features.push_back(std::move(feature));
    }
  }
  return FeatureGraph::Build(std::move(features), version_length);
}

}  // namespace materia
