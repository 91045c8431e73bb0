// The JSON routes of `materia serve`, and what the pages share with them.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "base/text.h"
#include "base/time.h"
#include "features/feature_config.h"
#include "features/feature_graph.h"
#include "features/store_metrics.h"
#include "web/web_app.h"

namespace materia {

namespace {

using nlohmann::json;

constexpr int kRunsListedMax = 500;
constexpr int kRunsForReasonsMax = 20;
constexpr size_t kEchoLengthMax = 40;

std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

bool IsIntegerType(const std::string& type) {
  return type == "TINYINT" || type == "SMALLINT" || type == "INTEGER" || type == "BIGINT" ||
         type == "UTINYINT" || type == "USMALLINT" || type == "UINTEGER" || type == "UBIGINT";
}

bool IsFloatType(const std::string& type) {
  return type == "FLOAT" || type == "DOUBLE" || type.rfind("DECIMAL", 0) == 0 || type == "HUGEINT";
}

json CellJson(const std::string& type, const std::optional<std::string>& value) {
  if (!value) return nullptr;
  char* end = nullptr;
  if (IsIntegerType(type)) {
    long long number = std::strtoll(value->c_str(), &end, 10);
    if (end && *end == '\0') return number;
  } else if (IsFloatType(type)) {
    double number = std::strtod(value->c_str(), &end);
    if (end && *end == '\0' && std::isfinite(number)) return number;
    return nullptr;
  }
  return *value;
}

json RowsJson(const QueryResult& result) {
  json rows = json::array();
  for (const auto& row : result.rows) {
    json object = json::object();
    for (size_t i = 0; i < row.size() && i < result.column_names.size(); i++) {
      object[result.column_names[i]] = CellJson(result.column_types[i], row[i]);
    }
    rows.push_back(std::move(object));
  }
  return rows;
}

// `value` shortened for an error message.
std::string Echo(const std::string& value) {
  return value.size() <= kEchoLengthMax ? value : value.substr(0, kEchoLengthMax) + "...";
}

bool IsCode(const std::string& value, size_t length_max) {
  if (value.empty() || value.size() > length_max) return false;
  return std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isalnum(c); });
}

Result<std::optional<int>> ParseYear(const WebParams& params, const std::string& name) {
  auto [first, last] = params.equal_range(name);
  if (first == last) return std::optional<int>();
  if (std::next(first) != last) return Status::InvalidInput(name + " is given more than once");
  const std::string& text = first->second;
  bool digits = !text.empty() && text.size() <= 4 &&
                std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
  int year = digits ? std::atoi(text.c_str()) : 0;
  if (!digits || year < kYearMin || year > kYearMax) {
    return Status::InvalidInput(name + " must be a market year from " + std::to_string(kYearMin) + " to " +
                                std::to_string(kYearMax) + ", got '" + Echo(text) + "'");
  }
  return std::optional<int>(year);
}

// Serves a cached JSON answer of the current serving file, or computes and caches it.
template <typename Compute>
WebReply CachedJson(WebApp& app, const std::string& key, Compute compute) {
  auto lease = app.serving().Acquire();
  if (!lease.ok()) {
    return ErrorReply(lease.status().code() == StatusCode::kNotFound ? 503 : 500, lease.status().message());
  }
  if (auto cached = lease->Cached(key)) return WebReply{200, "application/json", *cached};
  Result<json> answer = compute(*lease);
  if (!answer.ok()) return ErrorReply(500, answer.status().message());
  std::string body = Dump(*answer);
  lease->Remember(key, body);
  return WebReply{200, "application/json", std::move(body)};
}

Result<int> ParseLimit(const WebParams& params, int default_limit) {
  auto found = params.find("limit");
  if (found == params.end()) return default_limit;
  const std::string& text = found->second;
  bool digits = !text.empty() && text.size() <= 4 &&
                std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
  int limit = digits ? std::atoi(text.c_str()) : 0;
  if (!digits || limit < 1 || limit > kRunsListedMax) {
    return Status::InvalidInput("limit must be from 1 to " + std::to_string(kRunsListedMax) + ", got '" +
                                Echo(text) + "'");
  }
  return limit;
}

json ModelJson(const Model& model, const ModelStatus* status) {
  const ModelDefinition& definition = model.definition;
  json object = {{"name", model.name()},
                 {"layer", definition.schema},
                 {"kind", ModelKindName(definition.kind)},
                 {"description", definition.description},
                 {"owner", definition.owner},
                 {"tags", definition.tags},
                 {"grains", definition.grains},
                 {"parents", model.parents},
                 {"children", model.children},
                 {"columns", definition.column_descriptions}};
  if (status && status->materialized) {
    object["materialization"] = {{"rows", status->materialization.rows},
                                 {"data_version", status->materialization.data_version},
                                 {"finished", FormatIso(status->materialization.finished_ms)},
                                 {"run_id", status->materialization.run_id}};
  } else {
    object["materialization"] = nullptr;
  }
  if (status && !status->last_action.empty()) {
    object["last_run"] = {{"action", status->last_action}, {"reason", status->last_reason},
                          {"run_id", status->last_run_id}};
  }
  return object;
}

json PipelineRunJson(const PipelineRunRecord& run) {
  json summary = json::parse(run.summary_json.empty() ? "{}" : run.summary_json, nullptr, false);
  if (summary.is_discarded()) summary = nullptr;
  return {{"run_id", run.run_id},
          {"pipeline", run.pipeline},
          {"status", run.status},
          {"attempt", run.attempt},
          {"started", FormatIso(run.started_ms)},
          {"finished", run.finished_ms > 0 ? json(FormatIso(run.finished_ms)) : json(nullptr)},
          {"seconds", run.finished_ms > 0 ? json((run.finished_ms - run.started_ms) / 1000.0) : json(nullptr)},
          {"worker_size", run.worker_size},
          {"trigger", run.trigger},
          {"summary", summary},
          {"error", run.error}};
}

}  // namespace

WebApp::WebApp(WebAppOptions options)
    : options_(std::move(options)), serving_(options_.serving_path, options_.reader) {
  if (options_.project_dir.empty()) {
    project_error_ = "no project";
    return;
  }
  auto project = LoadProject(options_.project_dir);
  if (project.ok()) {
    project_ = std::move(*project);
  } else {
    project_error_ = project.status().message();
  }
}

Result<StateStore*> WebApp::State() {
  std::lock_guard<std::mutex> lock(state_mutex_);
  if (!state_) {
    MATERIA_ASSIGN_OR_RETURN(state_, OpenSqliteStateStore(options_.state_path, /*read_only=*/true));
  }
  return state_.get();
}

WebReply ErrorReply(int status, const std::string& message) {
  return WebReply{status, "application/json", Dump(json{{"error", message}})};
}

Result<MetricsQuery> ParseMetricsQuery(const WebParams& params) {
  MetricsQuery query;
  auto [first, last] = params.equal_range("commodity");
  if (first != last && std::next(first) != last) return Status::InvalidInput("commodity is given more than once");
  if (first != last) {
    if (!IsCode(first->second, 16)) {
      return Status::InvalidInput("commodity must be a commodity code of 1 to 16 letters or digits, got '" +
                                  Echo(first->second) + "'");
    }
    query.commodity = first->second;
  }
  size_t values = 0;
  for (auto [it, end] = params.equal_range("country"); it != end; ++it) {
    if (++values > kCountriesMax) break;
    size_t start = 0;
    const std::string& text = it->second;
    if (text.size() > kParameterLengthMax * 4) {
      return Status::InvalidInput("country is too long (" + std::to_string(text.size()) + " characters)");
    }
    while (start <= text.size()) {
      size_t comma = std::min(text.find(',', start), text.size());
      std::string code = text.substr(start, comma - start);
      start = comma + 1;
      if (code.empty()) continue;
      if (!IsCode(code, 8)) {
        return Status::InvalidInput("country must be a country code of 1 to 8 letters or digits, got '" +
                                    Echo(code) + "'");
      }
      if (std::find(query.countries.begin(), query.countries.end(), code) != query.countries.end()) continue;
      query.countries.push_back(code);
      if (query.countries.size() > kCountriesMax) {
        return Status::InvalidInput("at most " + std::to_string(kCountriesMax) + " countries may be given");
      }
    }
  }
  if (values > kCountriesMax) {
    return Status::InvalidInput("at most " + std::to_string(kCountriesMax) + " countries may be given");
  }
  MATERIA_ASSIGN_OR_RETURN(query.from_year, ParseYear(params, "from"));
  MATERIA_ASSIGN_OR_RETURN(query.to_year, ParseYear(params, "to"));
  if (query.from_year && query.to_year && *query.from_year > *query.to_year) {
    return Status::InvalidInput("from (" + std::to_string(*query.from_year) + ") is after to (" +
                                std::to_string(*query.to_year) + ")");
  }
  return query;
}

Result<QueryResult> QueryCommodities(ServingLease& lease) {
  return lease.Query(
      "SELECT commodity_code, commodity_description, commodity_family, production_unit, countries, "
      "first_market_year, last_market_year FROM serving.dim_commodity ORDER BY commodity_description "
      "LIMIT 10000");
}

Result<QueryResult> QueryCountries(ServingLease& lease, const std::string& commodity) {
  if (commodity.empty()) {
    return lease.Query(
        "SELECT country_code, country_name, commodities, first_market_year, last_market_year "
        "FROM serving.dim_country ORDER BY country_name LIMIT 10000");
  }
  return lease.Query(
      "SELECT country_code, max(country) AS country_name, min(market_year) AS first_market_year, "
      "max(market_year) AS last_market_year FROM serving.obt_commodity_metrics WHERE commodity_code = ? "
      "GROUP BY country_code ORDER BY country_name LIMIT 10000",
      {commodity});
}

Result<QueryResult> QueryMetrics(ServingLease& lease, const MetricsQuery& query) {
  std::string sql =
      "SELECT commodity_code, commodity, country_code, country, market_year, production, consumption, "
      "imports, exports, ending_stocks, stocks_to_use, production_change, production_change_pct, unit "
      "FROM serving.obt_commodity_metrics WHERE commodity_code = ?";
  std::vector<std::optional<std::string>> params = {query.commodity};
  if (!query.countries.empty()) {
    sql += " AND country_code IN (";
    for (size_t i = 0; i < query.countries.size(); i++) {
      sql += i ? ", ?" : "?";
      params.push_back(query.countries[i]);
    }
    sql += ")";
  }
  if (query.from_year) {
    sql += " AND market_year >= CAST(? AS INTEGER)";
    params.push_back(std::to_string(*query.from_year));
  }
  if (query.to_year) {
    sql += " AND market_year <= CAST(? AS INTEGER)";
    params.push_back(std::to_string(*query.to_year));
  }
  sql += " ORDER BY country, market_year LIMIT " + std::to_string(kRowsMax);
  return lease.Query(sql, params);
}

Result<QueryResult> QueryTopProducers(ServingLease& lease, const std::string& commodity, int limit) {
  return lease.Query(
      "SELECT country_code, country, market_year, production, unit FROM serving.obt_commodity_metrics "
      "WHERE commodity_code = ? AND market_year = (SELECT max(market_year) FROM "
      "serving.obt_commodity_metrics WHERE commodity_code = ?) AND production IS NOT NULL "
      "ORDER BY production DESC, country LIMIT " + std::to_string(std::clamp(limit, 1, 100)),
      {commodity, commodity});
}

Result<std::vector<ModelStatus>> ProdModelStatuses(StateStore& state) {
  std::vector<ModelStatus> statuses;
  MATERIA_ASSIGN_OR_RETURN(std::optional<EnvironmentRecord> prod, state.GetEnvironment("prod"));
  if (!prod) return statuses;
  std::map<std::string, size_t> index;
  for (const auto& [name, snapshot] : prod->snapshots) {
    ModelStatus status;
    status.name = name;
    MATERIA_ASSIGN_OR_RETURN(std::optional<SnapshotRecord> definition, state.GetSnapshot(name, snapshot.fingerprint));
    if (definition) status.kind = definition->kind;
    MATERIA_ASSIGN_OR_RETURN(std::optional<MaterializationRecord> record,
                             state.GetMaterialization(name, snapshot.version));
    if (record) {
      status.materialized = true;
      status.materialization = *record;
    }
    index[name] = statuses.size();
    statuses.push_back(std::move(status));
  }
  MATERIA_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, state.ListRuns(kRunsForReasonsMax));
  for (const RunRecord& run : runs) {  // newest first: the first action seen is the last one
    if (run.environment != "prod") continue;
    MATERIA_ASSIGN_OR_RETURN(std::vector<RunModelRecord> models, state.ListRunModels(run.run_id));
    for (const RunModelRecord& model : models) {
      auto found = index.find(model.model);
      if (found == index.end() || !statuses[found->second].last_action.empty()) continue;
      ModelStatus& status = statuses[found->second];
      status.last_action = model.action;
      status.last_reason = model.error.empty() ? model.reason : model.reason + ": " + model.error;
      status.last_run_id = run.run_id;
    }
  }
  return statuses;
}

WebReply HandleHealth(WebApp& app) {
  const std::string& path = app.serving().path();
  json serving = {{"path", path}};
  bool healthy = true;
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    healthy = false;
    serving["error"] = "serving file does not exist";
  } else {
    const TimestampMs modified_ms = static_cast<TimestampMs>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
    serving["age_seconds"] = std::max<double>(0, static_cast<double>(NowMs() - modified_ms) / 1000.0);
    auto lease = app.serving().Acquire();
    if (!lease.ok()) {
      healthy = false;
      serving["error"] = lease.status().message();
    } else {
      auto tables = lease->Query(
          "SELECT table_schema || '.' || table_name FROM information_schema.tables "
          "WHERE table_catalog = 'served' ORDER BY 1 LIMIT 1000");
      json names = json::array();
      if (tables.ok()) {
        for (const auto& row : tables->rows) names.push_back(row[0].value_or(""));
      } else {
        healthy = false;
        serving["error"] = tables.status().message();
      }
      serving["tables"] = names;
    }
  }
  json state = {{"path", app.options().state_path}};
  auto store = app.State();
  state["ok"] = store.ok() && (*store)->SchemaVersion().ok();
  if (!store.ok()) state["error"] = store.status().message();
  json body = {{"status", healthy ? "ok" : "unavailable"}, {"serving", serving}, {"state", state}};
  return WebReply{healthy ? 200 : 503, "application/json", Dump(body)};
}

WebReply HandleCommodities(WebApp& app, const WebParams& params) {
  return CachedJson(app, "commodities", [](ServingLease& lease) -> Result<json> {
    MATERIA_ASSIGN_OR_RETURN(QueryResult result, QueryCommodities(lease));
    return json{{"commodities", RowsJson(result)}};
  });
}

WebReply HandleCountries(WebApp& app, const WebParams& params) {
  std::string commodity;
  auto found = params.find("commodity");
  if (found != params.end()) {
    if (!IsCode(found->second, 16)) {
      return ErrorReply(400, "commodity must be a commodity code of 1 to 16 letters or digits, got '" +
                                 Echo(found->second) + "'");
    }
    commodity = found->second;
  }
  return CachedJson(app, "countries:" + commodity, [&commodity](ServingLease& lease) -> Result<json> {
    MATERIA_ASSIGN_OR_RETURN(QueryResult result, QueryCountries(lease, commodity));
    return json{{"countries", RowsJson(result)}};
  });
}

WebReply HandleMetrics(WebApp& app, const WebParams& params) {
  auto query = ParseMetricsQuery(params);
  if (!query.ok()) return ErrorReply(400, query.status().message());
  if (query->commodity.empty()) return ErrorReply(400, "commodity is required");
  std::string key = "metrics:" + query->commodity + ":";
  for (const std::string& country : query->countries) key += country + ",";
  key += ":" + std::to_string(query->from_year.value_or(0)) + ":" + std::to_string(query->to_year.value_or(0));
  const MetricsQuery& metrics = *query;
  return CachedJson(app, key, [&metrics](ServingLease& lease) -> Result<json> {
    MATERIA_ASSIGN_OR_RETURN(QueryResult result, QueryMetrics(lease, metrics));
    return json{{"metrics", RowsJson(result)}, {"rows", result.rows.size()},
                {"truncated", result.rows.size() >= static_cast<size_t>(kRowsMax)}};
  });
}

WebReply HandleRuns(WebApp& app, const WebParams& params) {
  auto limit = ParseLimit(params, 50);
  if (!limit.ok()) return ErrorReply(400, limit.status().message());
  auto state = app.State();
  if (!state.ok()) return ErrorReply(503, state.status().message());
  auto pipeline_runs = (*state)->ListPipelineRuns("", *limit);
  if (!pipeline_runs.ok()) return ErrorReply(500, pipeline_runs.status().message());
  auto runs = (*state)->ListRuns(std::min(*limit, kRunsForReasonsMax));
  if (!runs.ok()) return ErrorReply(500, runs.status().message());
  json body = {{"pipeline_runs", json::array()}, {"runs", json::array()}};
  for (const PipelineRunRecord& run : *pipeline_runs) body["pipeline_runs"].push_back(PipelineRunJson(run));
  for (const RunRecord& run : *runs) {
    auto models = (*state)->ListRunModels(run.run_id);
    if (!models.ok()) return ErrorReply(500, models.status().message());
    json model_list = json::array();
    for (const RunModelRecord& model : *models) {
      model_list.push_back({{"model", model.model}, {"action", model.action}, {"reason", model.reason},
                            {"intervals", model.intervals}, {"rows", model.rows},
                            {"seconds", model.seconds}, {"error", model.error}});
    }
    body["runs"].push_back({{"run_id", run.run_id}, {"command", run.command},
                            {"environment", run.environment}, {"status", run.status},
                            {"started", FormatIso(run.started_ms)},
                            {"finished", run.finished_ms > 0 ? json(FormatIso(run.finished_ms)) : json(nullptr)},
                            {"error", run.error}, {"models", model_list}});
  }
  return WebReply{200, "application/json", Dump(body)};
}

WebReply HandleModels(WebApp& app) {
  const Project* project = app.project();
  if (!project) return ErrorReply(503, "the project could not be loaded: " + app.project_error());
  std::map<std::string, ModelStatus> statuses;
  if (auto state = app.State(); state.ok()) {
    if (auto list = ProdModelStatuses(**state); list.ok()) {
      for (ModelStatus& status : *list) statuses[status.name] = std::move(status);
    }
  }
  json models = json::array();
  for (const Model& model : project->models) {
    auto found = statuses.find(model.name());
    models.push_back(ModelJson(model, found == statuses.end() ? nullptr : &found->second));
  }
  return WebReply{200, "application/json", Dump(json{{"models", models}})};
}

WebReply HandleModel(WebApp& app, const std::string& name) {
  const bool valid = !name.empty() && name.size() <= 128 &&
                     std::all_of(name.begin(), name.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '_' || c == '.';
                     });
  if (!valid) return ErrorReply(400, "model name must be 1 to 128 letters, digits, '_' or '.', got '" + Echo(name) + "'");
  const Project* project = app.project();
  if (!project) return ErrorReply(503, "the project could not be loaded: " + app.project_error());
  const Model* model = project->Find(ToLower(name));
  if (!model) return ErrorReply(404, "no model named " + name);
  std::optional<ModelStatus> status;
  if (auto state = app.State(); state.ok()) {
    if (auto list = ProdModelStatuses(**state); list.ok()) {
      for (ModelStatus& item : *list) {
        if (item.name == model->name()) status = std::move(item);
      }
    }
  }
  return WebReply{200, "application/json", Dump(ModelJson(*model, status ? &*status : nullptr))};
}

// The feature store totals of the project in the current folder (see
// features/store_metrics.h); "" when it has no features or its files do not load.
std::string FeatureMetrics(StateStore& state) {
  auto config = LoadFeatureConfig(".");
  auto graph = LoadFeatureGraph(".");
  if (!config.ok() || !graph.ok() || graph->empty()) return "";
  std::vector<std::string> stores;
  for (const StoreConfig& store : config->stores) stores.push_back(store.name);
  std::vector<std::string> features;
  for (const FeatureDefinition& feature : graph->features()) features.push_back(feature.key);
  return RenderFeatureMetrics(state, stores, features);
}

WebReply HandlePrometheus(WebApp& app) {
  std::vector<PipelineRunRecord> runs;
  std::vector<ModelRows> rows;
  if (auto state = app.State(); state.ok()) {
    if (auto list = (*state)->ListPipelineRuns("", 10000); list.ok()) runs = std::move(*list);
    if (auto statuses = ProdModelStatuses(**state); statuses.ok()) {
      for (const ModelStatus& status : *statuses) {
        if (status.materialized) rows.push_back({status.name, status.materialization.rows});
      }
    }
  }
  double age_seconds = -1;
  struct stat info;
  if (::stat(app.serving().path().c_str(), &info) == 0) {
    age_seconds = std::max<double>(0, static_cast<double>(NowMs()) / 1000.0 - static_cast<double>(info.st_mtim.tv_sec));
  }
  std::string body = RenderStateMetrics(runs, rows, age_seconds);
  if (auto state = app.State(); state.ok()) body += FeatureMetrics(**state);
  body += app.http_metrics().Render();
  return WebReply{200, "text/plain; version=0.0.4; charset=utf-8", std::move(body)};
}

}  // namespace materia
