// WebApp: what the routes of `materia serve` read — the serving file (through a
// ServingReader), the state store (opened read-only, lazily, so the server starts
// before the first run), and the project's models — and the route handlers, as plain
// functions from request parameters to a WebReply, independent of the HTTP library.
//
// Nothing here writes to any database. A WebApp is safe for concurrent use from
// several threads: the reader and the state store are, and the project is immutable.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "project/project.h"
#include "state/state_store.h"
#include "web/metrics.h"
#include "web/serving_reader.h"

namespace materia {

// Query parameters, possibly repeated (as the HTTP library gives them).
using WebParams = std::multimap<std::string, std::string>;

struct WebReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

struct WebAppOptions {
  std::string serving_path;  // absolute path of serving.duckdb
  std::string state_path;    // the state store (SQLite)
  std::string project_dir;   // "" = no catalog
  ServingReaderOptions reader;
};

class WebApp {
 public:
  // Loads the project (an error is kept and shown on the catalog page, not fatal).
  explicit WebApp(WebAppOptions options);

  ServingReader& serving() { return serving_; }
  // The state store, opened read-only on first use; kNotFound while it does not exist.
  Result<StateStore*> State();
  // The project, or nullptr with project_error() saying why.
  const Project* project() const { return project_ ? &*project_ : nullptr; }
  const std::string& project_error() const { return project_error_; }
  const WebAppOptions& options() const { return options_; }
  HttpMetrics& http_metrics() { return http_metrics_; }

 private:
  WebAppOptions options_;
  ServingReader serving_;
  std::optional<Project> project_;
  std::string project_error_;
  std::mutex state_mutex_;  // guards state_
  std::unique_ptr<StateStore> state_;
  HttpMetrics http_metrics_;
};

// A JSON reply {"error": message} with `status`.
WebReply ErrorReply(int status, const std::string& message);

// Validated parameters of /api/metrics and /explorer. Each check's message is what a
// 400 reply says.
struct MetricsQuery {
  std::string commodity;               // commodity code; "" = none given
  std::vector<std::string> countries;  // country codes, in the order given, no duplicates
  std::optional<int> from_year;        // market years, both included
  std::optional<int> to_year;
};
inline constexpr size_t kParameterLengthMax = 64;
inline constexpr size_t kCountriesMax = 20;
inline constexpr int kYearMin = 1900;
inline constexpr int kYearMax = 2100;
inline constexpr int kRowsMax = 100000;  // rows of one /api/metrics answer
Result<MetricsQuery> ParseMetricsQuery(const WebParams& params);

// The model of prod that each answer is about, as a page or the API shows it.
struct ModelStatus {
  std::string name;
  std::string kind;  // "FULL", "VIEW", ... ("" when the snapshot is unknown)
  bool materialized = false;
  MaterializationRecord materialization;
  std::string last_action;  // "ran", "skipped", "failed", "" when unknown
  std::string last_reason;
  std::string last_run_id;
};
// The prod models' last materialization and last action (from the newest runs).
Result<std::vector<ModelStatus>> ProdModelStatuses(StateStore& state);

// Queries of the serving file, all with bound parameters. Tables are named
// serving.<table> (see serving_reader.h).
Result<QueryResult> QueryCommodities(ServingLease& lease);
Result<QueryResult> QueryCountries(ServingLease& lease, const std::string& commodity);
Result<QueryResult> QueryMetrics(ServingLease& lease, const MetricsQuery& query);
// The `limit` largest producers of `commodity` in its latest market year.
Result<QueryResult> QueryTopProducers(ServingLease& lease, const std::string& commodity, int limit);

// Routes. Each returns its reply; none throws.
WebReply HandleHealth(WebApp& app);
WebReply HandleCommodities(WebApp& app, const WebParams& params);
WebReply HandleCountries(WebApp& app, const WebParams& params);
WebReply HandleMetrics(WebApp& app, const WebParams& params);
WebReply HandleRuns(WebApp& app, const WebParams& params);
WebReply HandleModels(WebApp& app);
WebReply HandleModel(WebApp& app, const std::string& name);
WebReply HandlePrometheus(WebApp& app);

// Pages (text/html).
WebReply PageExplorer(WebApp& app, const WebParams& params);
WebReply PagePipelines(WebApp& app);
WebReply PageCatalog(WebApp& app, const std::string& focus_model);
WebReply PageWorkers(WebApp& app);
WebReply PageNotFound(const std::string& path);

}  // namespace materia
