#include "features/store_metrics.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace materia {

namespace {

std::string Number(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

std::string Label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

nlohmann::json Load(StateStore& state, const std::string& key) {
  auto value = state.GetValue(key);
  if (!value.ok() || !value->has_value()) return nlohmann::json::object();
  auto json = nlohmann::json::parse(**value, nullptr, false);
  return json.is_object() ? json : nlohmann::json::object();
}

void Add(nlohmann::json& totals, const char* name, double value) {
  totals[name] = totals.value(name, 0.0) + value;
}

void Header(const std::string& name, const std::string& type, const std::string& help, std::string* out) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Status AddFeatureMetrics(StateStore& state, const std::map<std::string, StoreCounters>& stores,
                         const std::map<std::string, ResolvedCounts>& resolved) {
  for (const auto& [name, counters] : stores) {
    if (counters.reads == 0 && counters.writes == 0) continue;
    const std::string key = "features:metrics:" + name;
    nlohmann::json totals = Load(state, key);
    Add(totals, "reads", static_cast<double>(counters.reads));
    Add(totals, "writes", static_cast<double>(counters.writes));
    Add(totals, "rows_written", static_cast<double>(counters.rows_written));
    Add(totals, "read_seconds", counters.read_seconds);
    Add(totals, "write_seconds", counters.write_seconds);
    MATERIA_RETURN_IF_ERROR(state.PutValue(key, totals.dump()));
  }
  for (const auto& [feature, counts] : resolved) {
    const std::string key = "features:resolved:" + feature;
    nlohmann::json totals = Load(state, key);
    Add(totals, "new", static_cast<double>(counts.new_count));
    Add(totals, "stale", static_cast<double>(counts.stale_count));
    Add(totals, "orphaned", static_cast<double>(counts.orphaned_count));
    MATERIA_RETURN_IF_ERROR(state.PutValue(key, totals.dump()));
  }
  return Status::Ok();
}

std::string RenderFeatureMetrics(StateStore& state, const std::vector<std::string>& store_names,
                                 const std::vector<std::string>& feature_keys) {
  std::map<std::string, nlohmann::json> stores;
  for (const std::string& name : store_names) {
    nlohmann::json totals = Load(state, "features:metrics:" + name);
    if (!totals.empty()) stores[name] = totals;
  }
  std::map<std::string, nlohmann::json> features;
  for (const std::string& key : feature_keys) {
    nlohmann::json totals = Load(state, "features:resolved:" + key);
    if (!totals.empty()) features[key] = totals;
  }
  std::string out;
  if (!stores.empty()) {
    Header("materia_feature_store_operations_total", "counter",
           "Reads and writes of feature metadata stores by materia features commands.", &out);
    for (const auto& [name, totals] : stores) {
      for (const char* op : {"read", "write"}) {
        out += "materia_feature_store_operations_total{store=\"" + Label(name) + "\",op=\"" + op + "\"} " +
               Number(totals.value(std::string(op) + "s", 0.0)) + "\n";
      }
    }
    Header("materia_feature_store_operation_seconds_total", "counter", "Time spent in feature store reads and writes.",
           &out);
    for (const auto& [name, totals] : stores) {
      for (const char* op : {"read", "write"}) {
        out += "materia_feature_store_operation_seconds_total{store=\"" + Label(name) + "\",op=\"" + op + "\"} " +
               Number(totals.value(std::string(op) + "_seconds", 0.0)) + "\n";
      }
    }
    Header("materia_feature_store_rows_written_total", "counter",
           "Rows appended to feature stores (tombstones included).", &out);
    for (const auto& [name, totals] : stores) {
      out += "materia_feature_store_rows_written_total{store=\"" + Label(name) + "\"} " +
             Number(totals.value("rows_written", 0.0)) + "\n";
    }
  }
  if (!features.empty()) {
    Header("materia_feature_resolved_samples_total", "counter", "Samples resolve found to need work, by status.", &out);
    for (const auto& [key, totals] : features) {
      for (const char* status : {"new", "stale", "orphaned"}) {
        out += "materia_feature_resolved_samples_total{feature=\"" + Label(key) + "\",status=\"" + status + "\"} " +
               Number(totals.value(status, 0.0)) + "\n";
      }
    }
  }
  return out;
}

}  // namespace materia
