// The HTML pages of `materia serve`: server-rendered, one layout, usable without
// JavaScript (tables and the catalog's DAG are plain HTML and inline SVG); charts are
// <canvas> elements with their data in a data-chart attribute for /static/app.js.
#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/time.h"
#include "web/web_app.h"

namespace materia {

namespace {

using nlohmann::json;

constexpr int kTopProducers = 10;
constexpr size_t kDefaultCountries = 5;
constexpr size_t kDagModelsMax = 400;

std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Layout(const std::string& title, const std::string& active, const std::string& body) {
  static const std::pair<const char*, const char*> kLinks[] = {
      {"/explorer", "Explorer"}, {"/pipelines", "Pipelines"}, {"/catalog", "Catalog"}, {"/workers", "Workers"}};
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      Escape(title) + " · Materia</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n<body>\n"
      "<header class=\"top\"><a class=\"brand\" href=\"/\">Materia</a>\n<nav>";
  for (const auto& [href, label] : kLinks) {
    html += std::string("<a href=\"") + href + "\"" + (active == label ? " class=\"active\" aria-current=\"page\"" : "") +
            ">" + label + "</a>";
  }
  html += "</nav></header>\n<main>\n<h1>" + Escape(title) + "</h1>\n" + body +
          "</main>\n<footer>Materia · <a href=\"/health\">health</a> · <a href=\"/metrics\">metrics</a> · "
          "<a href=\"/api/models\">API</a> · rendered " + Escape(FormatTimestamp(NowMs())) + " UTC</footer>\n"
          "<script src=\"/static/vendor/chart.umd.min.js\"></script><script src=\"/static/app.js\"></script>\n"
          "</body>\n</html>\n";
  return html;
}

WebReply Page(int status, const std::string& title, const std::string& active, const std::string& body) {
  return WebReply{status, "text/html; charset=utf-8", Layout(title, active, body)};
}

WebReply ErrorPage(int status, const std::string& title, const std::string& active, const std::string& message) {
  return Page(status, title, active, "<p class=\"error\">" + Escape(message) + "</p>\n");
}

std::string Cell(const std::optional<std::string>& value) { return value ? Escape(*value) : ""; }

std::string Chart(const std::string& title, const json& spec) {
  return "<figure class=\"chart-box\"><figcaption>" + Escape(title) + "</figcaption><canvas class=\"chart\" data-chart='" +
         Escape(spec.dump(-1, ' ', false, json::error_handler_t::replace)) + "'></canvas></figure>\n";
}

int Column(const QueryResult& result, const std::string& name) {
  for (size_t i = 0; i < result.column_names.size(); i++) {
    if (result.column_names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

json Number(const std::optional<std::string>& value) {
  if (!value) return nullptr;
  char* end = nullptr;
  double number = std::strtod(value->c_str(), &end);
  if (!end || *end != '\0' || !std::isfinite(number)) return nullptr;
  return number;
}

std::string FormatNumber(const std::optional<std::string>& value, int decimals) {
  json number = Number(value);
  if (number.is_null()) return "";
  char text[48];
  std::snprintf(text, sizeof(text), "%.*f", decimals, number.get<double>());
  return text;
}

std::string Table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::string html = "<table class=\"data\">\n<thead><tr>";
  for (const std::string& header : headers) html += "<th>" + Escape(header) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    html += "<tr>";
    for (const std::string& cell : row) html += "<td>" + cell + "</td>";  // cells are escaped HTML
    html += "</tr>\n";
  }
  if (rows.empty()) html += "<tr><td colspan=\"" + std::to_string(headers.size()) + "\">none</td></tr>\n";
  return html + "</tbody>\n</table>\n";
}

std::string Seconds(TimestampMs started_ms, TimestampMs finished_ms) {
  if (finished_ms <= 0 || finished_ms < started_ms) return "";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(finished_ms - started_ms) / 1000.0);
  return text;
}

std::string When(TimestampMs ms) { return ms > 0 ? Escape(FormatTimestamp(ms)) : ""; }

// The explorer's form: a commodity select and a multi-select of countries.
std::string ExplorerForm(const QueryResult& commodities, const QueryResult& countries, const std::string& commodity,
                         const std::vector<std::string>& selected) {
  std::string html = "<form class=\"picker\" method=\"get\" action=\"/explorer\">\n<label>Commodity "
                     "<select name=\"commodity\">";
  for (const auto& row : commodities.rows) {
    const std::string code = row[0].value_or("");
    html += "<option value=\"" + Escape(code) + "\"" + (code == commodity ? " selected" : "") + ">" + Cell(row[1]) +
            "</option>";
  }
  html += "</select></label>\n<label>Countries <select name=\"country\" multiple size=\"10\">";
  for (const auto& row : countries.rows) {
    const std::string code = row[0].value_or("");
    const bool chosen = std::find(selected.begin(), selected.end(), code) != selected.end();
    html += "<option value=\"" + Escape(code) + "\"" + (chosen ? " selected" : "") + ">" + Cell(row[1]) + "</option>";
  }
  return html + "</select></label>\n<button type=\"submit\">Show</button>\n</form>\n";
}

// One line chart per measure, by market year, one series per country.
std::string ExplorerCharts(const QueryResult& metrics, const std::string& unit) {
  static const std::pair<const char*, const char*> kMeasures[] = {
      {"production", "Production"}, {"consumption", "Consumption"}, {"imports", "Imports"},
      {"exports", "Exports"}, {"ending_stocks", "Ending stocks"}, {"stocks_to_use", "Stocks-to-use"}};
  const int year_column = Column(metrics, "market_year");
  const int country_column = Column(metrics, "country");
  std::set<std::string> years;
  std::vector<std::string> countries;
  for (const auto& row : metrics.rows) {
    years.insert(row[year_column].value_or(""));
    const std::string country = row[country_column].value_or("");
    if (std::find(countries.begin(), countries.end(), country) == countries.end()) countries.push_back(country);
  }
  std::vector<std::string> labels(years.begin(), years.end());
  std::string html = "<div class=\"charts\">\n";
  for (const auto& [column, title] : kMeasures) {
    const int measure = Column(metrics, column);
    json series = json::array();
    for (const std::string& country : countries) {
      json values = json::array();
      for (const std::string& year : labels) {
        json value = nullptr;
        for (const auto& row : metrics.rows) {
          if (row[country_column].value_or("") == country && row[year_column].value_or("") == year) {
            value = Number(row[measure]);
          }
        }
        values.push_back(value);
      }
      series.push_back({{"name", country}, {"values", values}});
    }
    const bool ratio = std::string(column) == "stocks_to_use";
    json spec = {{"type", "line"}, {"labels", labels}, {"series", series}, {"unit", ratio ? "(ratio)" : unit}};
    html += Chart(std::string(title) + (ratio ? "" : " " + unit), spec);
  }
  return html + "</div>\n";
}

std::string ExplorerTable(const QueryResult& metrics) {
  static const char* kColumns[] = {"country", "market_year", "production", "consumption", "imports",
                                   "exports", "ending_stocks", "stocks_to_use", "production_change_pct"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : metrics.rows) {
    std::vector<std::string> cells;
    for (const char* name : kColumns) {
      const int column = Column(metrics, name);
      const std::string key = name;
      if (key == "country" || key == "market_year") cells.push_back(Cell(row[column]));
      else if (key == "stocks_to_use" || key == "production_change_pct") cells.push_back(FormatNumber(row[column], 3));
      else cells.push_back(FormatNumber(row[column], 0));
    }
    rows.push_back(std::move(cells));
  }
  return Table({"Country", "Market year", "Production", "Consumption", "Imports", "Exports", "Ending stocks",
                "Stocks-to-use", "Production change"},
               rows);
}

std::string TopProducers(const QueryResult& top, const std::string& unit) {
  if (top.rows.empty()) return "";
  const std::string year = top.rows[0][2].value_or("");
  json labels = json::array();
  json values = json::array();
  std::vector<std::vector<std::string>> rows;
  int rank = 0;
  for (const auto& row : top.rows) {
    labels.push_back(row[1].value_or(""));
    values.push_back(Number(row[3]));
    rows.push_back({std::to_string(++rank), Cell(row[1]), FormatNumber(row[3], 0)});
  }
  json spec = {{"type", "bar"}, {"labels", labels}, {"series", json::array({{{"name", "Production"}, {"values", values}}})},
               {"unit", unit}};
  return "<section class=\"top-producers\">\n<h2>World top " + std::to_string(kTopProducers) + " producers, " +
         Escape(year) + "</h2>\n" + Chart("Production " + year + " " + unit, spec) +
         Table({"Rank", "Country", "Production " + unit}, rows) + "</section>\n";
}

// Columns (x) for layers in the order data flows, rows (y) within each layer.
std::string DagSvg(const Project& project) {
  constexpr int kNodeHeight = 28, kRowHeight = 40, kMargin = 16;
  // Boxes as wide as the longest name (about 7 px a character at 12 px), columns with
  // room for the edges between them.
  size_t longest = 0;
  for (const Model& model : project.models) longest = std::max(longest, model.name().size());
  const int kNodeWidth = std::clamp(static_cast<int>(16 + 7 * longest), 160, 420);
  const int kColumnWidth = kNodeWidth + 60;
  std::vector<std::string> layers;
  std::map<std::string, std::pair<int, int>> position;  // model -> (column, row)
  std::map<std::string, int> rows_in_layer;
  size_t drawn = 0;
  for (const Model& model : project.models) {  // topological order: parents first
    if (++drawn > kDagModelsMax) break;
    const std::string& layer = model.definition.schema;
    auto found = std::find(layers.begin(), layers.end(), layer);
    int column = static_cast<int>(found - layers.begin());
    if (found == layers.end()) layers.push_back(layer);
    position[model.name()] = {column, rows_in_layer[layer]++};
  }
  int rows_max = 1;
  for (const auto& [layer, rows] : rows_in_layer) rows_max = std::max(rows_max, rows);
  const int width = kMargin * 2 + static_cast<int>(std::max<size_t>(layers.size(), 1)) * kColumnWidth;
  const int height = kMargin * 2 + 24 + rows_max * kRowHeight;
  std::string svg = "<svg class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" role=\"img\" aria-label=\"Model dependency graph\">\n";
  auto x_of = [&](int column) { return kMargin + column * kColumnWidth; };
  auto y_of = [&](int row) { return kMargin + 24 + row * kRowHeight; };
  for (size_t i = 0; i < layers.size(); i++) {
    svg += "<text x=\"" + std::to_string(x_of(static_cast<int>(i))) + "\" y=\"" + std::to_string(kMargin + 12) +
           "\" font-weight=\"bold\" font-size=\"13\">" + Escape(layers[i]) + "</text>\n";
  }
  for (const Model& model : project.models) {
    auto child = position.find(model.name());
    if (child == position.end()) continue;
    for (const std::string& parent_name : model.parents) {
      auto parent = position.find(parent_name);
      if (parent == position.end()) continue;
      const int y1 = y_of(parent->second.second) + kNodeHeight / 2;
      const int y2 = y_of(child->second.second) + kNodeHeight / 2;
      if (parent->second.first == child->second.first) {
        // Within one layer: a curve on the boxes' right side instead of a line across them.
        const int x = x_of(child->second.first) + kNodeWidth;
        const int bulge = x + 18 + 4 * std::abs(child->second.second - parent->second.second);
        svg += "<path class=\"edge\" d=\"M" + std::to_string(x) + "," + std::to_string(y1) + " C" +
               std::to_string(bulge) + "," + std::to_string(y1) + " " + std::to_string(bulge) + "," +
               std::to_string(y2) + " " + std::to_string(x) + "," + std::to_string(y2) +
               "\" fill=\"none\" stroke=\"#8899aa\" stroke-width=\"1.5\"/>\n";
        continue;
      }
      svg += "<line class=\"edge\" x1=\"" + std::to_string(x_of(parent->second.first) + kNodeWidth) + "\" y1=\"" +
             std::to_string(y1) + "\" x2=\"" + std::to_string(x_of(child->second.first)) + "\" y2=\"" +
             std::to_string(y2) + "\" stroke=\"#8899aa\" stroke-width=\"1.5\"/>\n";
    }
  }
  for (const auto& [name, at] : position) {
    const int x = x_of(at.first), y = y_of(at.second);
    svg += "<a href=\"#" + Escape(name) + "\"><rect class=\"node\" x=\"" + std::to_string(x) + "\" y=\"" +
           std::to_string(y) + "\" width=\"" + std::to_string(kNodeWidth) + "\" height=\"" +
           std::to_string(kNodeHeight) + "\" rx=\"4\" fill=\"#eef3f8\" stroke=\"#335577\"/><text x=\"" +
           std::to_string(x + 8) + "\" y=\"" + std::to_string(y + 18) + "\" font-size=\"12\">" + Escape(name) +
           "</text></a>\n";
  }
  return svg + "</svg>\n";
}

std::string ModelLinks(const std::vector<std::string>& names) {
  std::string html;
  for (const std::string& name : names) {
    if (!html.empty()) html += ", ";
    html += "<a href=\"/catalog#" + Escape(name) + "\">" + Escape(name) + "</a>";
  }
  return html;
}

std::string Grains(const std::vector<std::vector<std::string>>& grains) {
  std::string text;
  for (const auto& grain : grains) {
    if (!text.empty()) text += "; ";
    for (size_t i = 0; i < grain.size(); i++) text += (i ? ", " : "") + grain[i];
  }
  return Escape(text);
}

std::string Join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return Escape(text);
}

}  // namespace

WebReply PageExplorer(WebApp& app, const WebParams& params) {
  auto query = ParseMetricsQuery(params);
  if (!query.ok()) return ErrorPage(400, "Explorer", "Explorer", query.status().message());
  auto lease = app.serving().Acquire();
  if (!lease.ok()) {
    return ErrorPage(503, "Explorer", "Explorer",
                     "The serving file is not available: " + lease.status().message());
  }
  // The page depends only on the serving file's version and the query: cached with it.
  std::string cache_key = "page:explorer:" + query->commodity + ":" +
                          (query->from_year ? std::to_string(*query->from_year) : "") + ":" +
                          (query->to_year ? std::to_string(*query->to_year) : "");
  for (const std::string& country : query->countries) cache_key += ":" + country;
  if (auto cached = lease->Cached(cache_key)) return WebReply{200, "text/html; charset=utf-8", *cached};
  auto commodities = QueryCommodities(*lease);
  if (!commodities.ok()) return ErrorPage(500, "Explorer", "Explorer", commodities.status().message());
  if (commodities->rows.empty()) return ErrorPage(200, "Explorer", "Explorer", "The serving file has no commodities yet.");
  if (query->commodity.empty()) {
    query->commodity = commodities->rows[0][0].value_or("");
    for (const auto& row : commodities->rows) {
      if (row[1].value_or("").rfind("Wheat", 0) == 0) query->commodity = row[0].value_or("");
    }
  }
  std::string commodity_name, unit;
  for (const auto& row : commodities->rows) {
    if (row[0].value_or("") == query->commodity) {
      commodity_name = row[1].value_or("");
      unit = row[3].value_or("");
    }
  }
  if (commodity_name.empty()) return ErrorPage(404, "Explorer", "Explorer", "no commodity with code " + query->commodity);
  auto countries = QueryCountries(*lease, query->commodity);
  auto top = QueryTopProducers(*lease, query->commodity, kTopProducers);
  if (!countries.ok() || !top.ok()) {
    return ErrorPage(500, "Explorer", "Explorer", (!countries.ok() ? countries.status() : top.status()).message());
  }
  if (query->countries.empty()) {
    for (const auto& row : top->rows) {
      if (query->countries.size() < kDefaultCountries) query->countries.push_back(row[0].value_or(""));
    }
  }
  auto metrics = QueryMetrics(*lease, *query);
  if (!metrics.ok()) return ErrorPage(500, "Explorer", "Explorer", metrics.status().message());
  std::string body = ExplorerForm(*commodities, *countries, query->commodity, query->countries);
  body += "<h2>" + Escape(commodity_name) + " <small>" + Escape(unit) + "</small></h2>\n";
  body += ExplorerCharts(*metrics, unit);
  body += "<section class=\"metrics-table\">\n<h2>By country and market year</h2>\n" + ExplorerTable(*metrics) +
          "</section>\n";
  body += TopProducers(*top, unit);
  WebReply reply = Page(200, "Explorer", "Explorer", body);
  lease->Remember(cache_key, reply.body);
  return reply;
}

WebReply PagePipelines(WebApp& app) {
  auto state = app.State();
  if (!state.ok()) return ErrorPage(503, "Pipelines", "Pipelines", "The state store is not available: " + state.status().message());
  std::string body = "<section class=\"supervisor\">\n<h2>Supervisor</h2>\n";
  auto supervisor = (*state)->GetValue("supervisor:state");
  json value = supervisor.ok() && *supervisor ? json::parse(**supervisor, nullptr, false) : json();
  if (value.is_object()) {
    auto text = [&](const char* key) { return value.contains(key) ? Escape(value[key].dump()) : std::string(); };
    auto str = [&](const char* key) {
      return value.contains(key) && value[key].is_string() ? Escape(value[key].get<std::string>()) : std::string();
    };
    auto time = [&](const char* key) {
      return value.contains(key) && value[key].is_number_integer() ? When(value[key].get<int64_t>()) : std::string();
    };
    body += Table({"Status", "Pipeline", "Cycle", "PID", "Next check", "Updated"},
                  {{str("status"), str("pipeline"), text("cycle"), text("pid"), time("next_check_ms"), time("updated_ms")}});
  } else {
    body += "<p>No supervisor has run in this project.</p>\n";
  }
  body += "</section>\n<section class=\"pipeline-runs\">\n<h2>Recent pipeline runs</h2>\n";
  auto runs = (*state)->ListPipelineRuns("", 50);
  if (!runs.ok()) return ErrorPage(500, "Pipelines", "Pipelines", runs.status().message());
  std::vector<std::vector<std::string>> rows;
  for (const PipelineRunRecord& run : *runs) {
    rows.push_back({Escape(run.pipeline), "<span class=\"status status-" + Escape(run.status) + "\">" +
                                              Escape(run.status) + "</span>",
                    When(run.started_ms), Seconds(run.started_ms, run.finished_ms), std::to_string(run.attempt),
                    Escape(run.worker_size), Escape(run.trigger), Escape(run.error)});
  }
  body += Table({"Pipeline", "Status", "Started", "Duration", "Attempt", "Worker", "Trigger", "Error"}, rows);
  body += "</section>\n<section class=\"models\">\n<h2>Models of prod</h2>\n";
  auto statuses = ProdModelStatuses(**state);
  if (!statuses.ok()) return ErrorPage(500, "Pipelines", "Pipelines", statuses.status().message());
  rows.clear();
  for (const ModelStatus& status : *statuses) {
    rows.push_back({"<a href=\"/catalog#" + Escape(status.name) + "\">" + Escape(status.name) + "</a>",
                    status.kind == "VIEW"  ? "view"
                    : status.materialized ? std::to_string(status.materialization.rows)
                                          : "",
                    status.materialized ? "<code>" + Escape(status.materialization.data_version.substr(0, 12)) + "</code>" : "",
                    status.materialized ? When(status.materialization.finished_ms) : "", Escape(status.last_action),
                    Escape(status.last_reason)});
  }
  body += Table({"Model", "Rows", "Data version", "Finished", "Last action", "Why"}, rows) + "</section>\n";
  return Page(200, "Pipelines", "Pipelines", body);
}

WebReply PageCatalog(WebApp& app, const std::string& focus_model) {
  const Project* project = app.project();
  if (!project) return ErrorPage(503, "Catalog", "Catalog", "The project could not be loaded: " + app.project_error());
  if (!focus_model.empty() && !project->Find(focus_model)) {
    return ErrorPage(404, "Catalog", "Catalog", "no model named " + focus_model);
  }
  std::string body = "<section class=\"dag-box\">\n<h2>Dependency graph</h2>\n" + DagSvg(*project) + "</section>\n";
  std::vector<std::vector<std::string>> rows;
  for (const Model& model : project->models) {
    if (!focus_model.empty() && model.name() != focus_model) continue;
    const ModelDefinition& definition = model.definition;
    rows.push_back({"<a id=\"" + Escape(model.name()) + "\" href=\"/catalog/" + Escape(model.name()) + "\">" +
                        Escape(model.name()) + "</a>",
                    Escape(definition.schema), Escape(ModelKindName(definition.kind)), Join(definition.tags),
                    Grains(definition.grains), ModelLinks(model.parents), ModelLinks(model.children),
                    Escape(definition.description)});
  }
  body += "<section class=\"model-list\">\n<h2>Models</h2>\n" +
          Table({"Model", "Layer", "Kind", "Tags", "Grain", "Upstream", "Downstream", "Description"}, rows) +
          "</section>\n";
  return Page(200, focus_model.empty() ? "Catalog" : "Catalog: " + focus_model, "Catalog", body);
}

WebReply PageWorkers(WebApp& app) {
  auto state = app.State();
  if (!state.ok()) return ErrorPage(503, "Workers", "Workers", "The state store is not available: " + state.status().message());
  auto runs = (*state)->ListPipelineRuns("", 200);
  if (!runs.ok()) return ErrorPage(500, "Workers", "Workers", runs.status().message());
  struct Usage {
    int runs = 0;
    int finished = 0;
    double seconds_total = 0;
    double seconds_max = 0;
    std::set<std::string> pipelines;
  };
  std::map<std::string, Usage> sizes;
  std::vector<std::vector<std::string>> recent;
  for (const PipelineRunRecord& run : *runs) {
    Usage& usage = sizes[run.worker_size.empty() ? "(none)" : run.worker_size];
    usage.runs++;
    usage.pipelines.insert(run.pipeline);
    if (run.finished_ms > 0 && run.finished_ms >= run.started_ms) {
      const double seconds = static_cast<double>(run.finished_ms - run.started_ms) / 1000.0;
      usage.finished++;
      usage.seconds_total += seconds;
      usage.seconds_max = std::max(usage.seconds_max, seconds);
    }
    if (recent.size() < 50) {
      recent.push_back({Escape(run.worker_size), Escape(run.pipeline), Escape(run.status), When(run.started_ms),
                        Seconds(run.started_ms, run.finished_ms)});
    }
  }
  std::vector<std::vector<std::string>> rows;
  json labels = json::array(), mean = json::array();
  for (const auto& [size, usage] : sizes) {
    char average[32], longest[32];
    const double mean_seconds = usage.finished ? usage.seconds_total / usage.finished : 0;
    std::snprintf(average, sizeof(average), "%.1f s", mean_seconds);
    std::snprintf(longest, sizeof(longest), "%.1f s", usage.seconds_max);
    rows.push_back({Escape(size), std::to_string(usage.runs), Join({usage.pipelines.begin(), usage.pipelines.end()}),
                    usage.finished ? average : "", usage.finished ? longest : ""});
    labels.push_back(size);
    mean.push_back(mean_seconds);
  }
  std::string body;
  if (!sizes.empty()) {
    json spec = {{"type", "bar"}, {"labels", labels},
                 {"series", json::array({{{"name", "Mean duration"}, {"values", mean}}})}, {"unit", "(seconds)"}};
    body += Chart("Mean pipeline duration by worker size", spec);
  }
  body += "<section class=\"worker-sizes\">\n<h2>Worker sizes</h2>\n" +
          Table({"Worker size", "Runs", "Pipelines", "Mean duration", "Longest"}, rows) + "</section>\n";
  body += "<section class=\"worker-runs\">\n<h2>Recent runs</h2>\n" +
          Table({"Worker size", "Pipeline", "Status", "Started", "Duration"}, recent) + "</section>\n";
  return Page(200, "Workers", "Workers", body);
}

WebReply PageNotFound(const std::string& path) {
  return ErrorPage(404, "Not found", "", "Nothing here: " + path);
}

}  // namespace materia
