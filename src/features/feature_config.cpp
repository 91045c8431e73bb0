#include "features/feature_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace materia {

namespace {

namespace fs = std::filesystem;

constexpr const char* kStoreKeys[] = {"type", "path", "url", "schema", "partition_by", "fallback"};
constexpr const char* kCatalogKeys[] = {"type", "path", "url", "schema"};
constexpr const char* kFeaturesKeys[] = {"version_length", "store", "stores", "catalog"};

Status ErrorAt(const YAML::Mark& mark, const std::string& message) {
  if (mark.is_null()) return Status::InvalidInput("config.yaml: " + message);
  return Status::InvalidInput("config.yaml:" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) +
                              ": " + message);
}

template <size_t N>
bool Known(const char* const (&keys)[N], const std::string& key) {
  return std::find_if(std::begin(keys), std::end(keys), [&](const char* k) { return key == k; }) != std::end(keys);
}

template <size_t N>
std::string KnownList(const char* const (&keys)[N]) {
  std::string text;
  for (size_t i = 0; i < N; i++) text += (i ? ", " : "") + std::string(keys[i]);
  return text;
}

Result<std::string> Scalar(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar() || node.Scalar().empty()) return ErrorAt(node.Mark(), what + " must be a non-empty text");
  return node.Scalar();
}

Result<std::vector<std::string>> List(const YAML::Node& node, const std::string& what) {
  std::vector<std::string> items;
  if (node.IsScalar()) {
    items.push_back(node.Scalar());
    return items;
  }
  if (!node.IsSequence()) return ErrorAt(node.Mark(), what + " must be a list");
  for (const YAML::Node& item : node) {
    MATERIA_ASSIGN_OR_RETURN(std::string text, Scalar(item, what + " entries"));
    items.push_back(text);
  }
  return items;
}

// `${NAME}` replaced by the environment's value (empty when unset).
std::string ExpandEnvironment(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t end = text.find('}', i + 2);
      if (end != std::string::npos) {
        const char* value = std::getenv(text.substr(i + 2, end - i - 2).c_str());
        out += value ? value : "";
        i = end;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string Absolute(const fs::path& project, const std::string& path) {
  fs::path p(path);
  return (p.is_absolute() ? p : fs::absolute(project / p)).lexically_normal().string();
}

}  // namespace

const StoreConfig* FeatureConfig::FindStore(const std::string& name) const {
  for (const StoreConfig& store : stores) {
    if (store.name == name) return &store;
  }
  return nullptr;
}

Result<FeatureConfig> LoadFeatureConfig(const std::string& project_dir) {
  const fs::path project(project_dir);
  FeatureConfig config;
  config.catalog.path = Absolute(project, ".materia/features-catalog.sqlite");
  YAML::Node section;
  const fs::path path = project / "config.yaml";
  std::error_code error;
  if (fs::exists(path, error)) {
    std::ifstream stream(path);
    std::ostringstream content;
    content << stream.rdbuf();
    YAML::Node root;
    try {
      root = YAML::Load(content.str());
    } catch (const YAML::Exception& exception) {
      return ErrorAt(exception.mark, exception.msg);
    }
    if (root.IsMap()) section = root["features"];
  }
  YAML::Mark store_mark;
  if (section && section.IsMap()) {
    for (auto entry = section.begin(); entry != section.end(); ++entry) {
      const std::string key = entry->first.Scalar();
      if (!Known(kFeaturesKeys, key)) {
        return ErrorAt(entry->first.Mark(),
                       "unknown key '" + key + "' in features (known keys: " + KnownList(kFeaturesKeys) + ")");
      }
    }
    const YAML::Node stores = section["stores"];
    if (stores && !stores.IsNull()) {
      if (!stores.IsMap()) return ErrorAt(stores.Mark(), "features.stores must be a mapping of store names");
      for (auto entry = stores.begin(); entry != stores.end(); ++entry) {
        StoreConfig store;
        store.name = entry->first.Scalar();
        const YAML::Node body = entry->second;  // a copy: `->` yields a temporary
        if (!body.IsMap()) {
          return ErrorAt(body.Mark(), "store '" + store.name + "' must be a mapping such as {type: duckdb, path: f.duckdb}");
        }
        for (auto item = body.begin(); item != body.end(); ++item) {
          const std::string key = item->first.Scalar();
          const YAML::Node value = item->second;
          if (!Known(kStoreKeys, key)) {
            return ErrorAt(item->first.Mark(), "unknown key '" + key + "' in store '" + store.name +
                                                   "' (known keys: " + KnownList(kStoreKeys) + ")");
          }
          if (key == "type") {
            MATERIA_ASSIGN_OR_RETURN(store.type, Scalar(value, "type"));
            if (store.type != "duckdb" && store.type != "parquet" && store.type != "postgres") {
              return ErrorAt(value.Mark(), "store '" + store.name + "' has unknown type '" + store.type +
                                               "' (use duckdb, parquet or postgres)");
            }
          } else if (key == "path") {
            MATERIA_ASSIGN_OR_RETURN(std::string text, Scalar(value, "path"));
            store.path = Absolute(project, text);
          } else if (key == "url") {
            MATERIA_ASSIGN_OR_RETURN(std::string text, Scalar(value, "url"));
            store.url = ExpandEnvironment(text);
          } else if (key == "schema") {
            MATERIA_ASSIGN_OR_RETURN(store.schema, Scalar(value, "schema"));
          } else if (key == "partition_by") {
            MATERIA_ASSIGN_OR_RETURN(store.partition_by, List(value, "partition_by"));
          } else {
            MATERIA_ASSIGN_OR_RETURN(store.fallback, List(value, "fallback"));
          }
        }
        if ((store.type == "duckdb" || store.type == "parquet") && store.path.empty()) {
          return ErrorAt(body.Mark(), "store '" + store.name + "' (" + store.type + ") needs a path");
        }
        if (store.type == "postgres" && store.url.empty()) {
          return ErrorAt(body.Mark(), "store '" + store.name + "' (postgres) needs a url");
        }
        if (config.FindStore(store.name)) {
          return ErrorAt(entry->first.Mark(), "store '" + store.name + "' is defined twice");
        }
        config.stores.push_back(std::move(store));
      }
      // Fallbacks name known stores and never lead back to where they started.
      for (auto entry = stores.begin(); entry != stores.end(); ++entry) {
        const StoreConfig& store = *config.FindStore(entry->first.Scalar());
        YAML::Mark mark = entry->second["fallback"] ? entry->second["fallback"].Mark() : entry->first.Mark();
        for (const std::string& target : store.fallback) {
          if (!config.FindStore(target)) {
            return ErrorAt(mark, "store '" + store.name + "' falls back to unknown store '" + target + "'");
          }
        }
        std::vector<std::string> path = {store.name};
        std::function<Status(const std::string&)> walk = [&](const std::string& name) -> Status {
          for (const std::string& next : config.FindStore(name)->fallback) {
            if (std::find(path.begin(), path.end(), next) != path.end()) {
              std::string chain;
              for (const std::string& step : path) chain += step + " -> ";
              return ErrorAt(mark, "store fallbacks form a cycle: " + chain + next);
            }
            path.push_back(next);
            MATERIA_RETURN_IF_ERROR(walk(next));
            path.pop_back();
          }
          return Status::Ok();
        };
        MATERIA_RETURN_IF_ERROR(walk(store.name));
      }
    }
    const YAML::Node store = section["store"];
    if (store && !store.IsNull()) {
      MATERIA_ASSIGN_OR_RETURN(config.store, Scalar(store, "features.store"));
      store_mark = store.Mark();
    }
    const YAML::Node catalog = section["catalog"];
    if (catalog && !catalog.IsNull()) {
      if (!catalog.IsMap()) return ErrorAt(catalog.Mark(), "features.catalog must be a mapping such as {type: sqlite}");
      for (auto item = catalog.begin(); item != catalog.end(); ++item) {
        const std::string key = item->first.Scalar();
        const YAML::Node value = item->second;  // a copy: `->` yields a temporary
        if (!Known(kCatalogKeys, key)) {
          return ErrorAt(item->first.Mark(),
                         "unknown key '" + key + "' in features.catalog (known keys: " + KnownList(kCatalogKeys) + ")");
        }
        MATERIA_ASSIGN_OR_RETURN(std::string text, Scalar(value, "catalog " + key));
        if (key == "type") {
          if (text != "sqlite" && text != "postgres" && text != "memory") {
            return ErrorAt(value.Mark(), "unknown catalog type '" + text + "' (use sqlite, postgres or memory)");
          }
          config.catalog.type = text;
        } else if (key == "path") {
          config.catalog.path = Absolute(project, text);
        } else if (key == "url") {
          config.catalog.url = ExpandEnvironment(text);
        } else {
          config.catalog.schema = text;
        }
      }
      if (config.catalog.type == "postgres" && config.catalog.url.empty()) {
        return ErrorAt(catalog.Mark(), "a postgres catalog needs a url");
      }
    }
  }
  if (config.stores.empty()) {
    StoreConfig local;
    local.name = "local";
    local.type = "duckdb";
    local.path = Absolute(project, ".materia/features.duckdb");
    config.stores.push_back(local);
  }
  if (config.store.empty()) {
    config.store = config.stores.front().name;
  } else if (!config.FindStore(config.store)) {
    return ErrorAt(store_mark, "features.store names unknown store '" + config.store + "'");
  }
  return config;
}

}  // namespace materia
