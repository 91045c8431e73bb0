// `materia serve` against real parts: a serving.duckdb built with the PSD serving
// columns, a real SQLite state store, a small project, and the server on 127.0.0.1.
#include "web/web_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <set>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "db/duckdb.h"
#include "state/state_store.h"

namespace materia {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream stream(path, std::ios::binary);
  stream << content;
}

// Writes a serving file whose production values are all `marker` (so a reader can tell
// which file an answer came from): 3 commodities x 4 countries x 10 market years.
void WriteServingFile(const fs::path& path, int marker) {
  fs::remove(path);
  auto database = DuckDatabase::Open(path.string());
  ASSERT_TRUE(database.ok()) << database.status().message();
  auto connection = DuckConnection::Connect(*database);
  ASSERT_TRUE(connection.ok());
  const std::string m = std::to_string(marker);
  Status status = (*connection)->Execute(
      "CREATE SCHEMA serving;"
      "CREATE TABLE serving.serving.dim_commodity AS SELECT * FROM (VALUES "
      "('0410000', 'Wheat', 'Wheat', '(1000 MT)', 4, 2015, 2024),"
      "('0440000', 'Corn', 'Corn', '(1000 MT)', 4, 2015, 2024),"
      "('2631000', 'Oilseed, Soybean', 'Oilseed', '(1000 MT)', 4, 2015, 2024)) "
      "AS t(commodity_code, commodity_description, commodity_family, production_unit, countries, "
      "first_market_year, last_market_year);"
      "CREATE TABLE serving.serving.dim_country AS SELECT * FROM (VALUES "
      "('US', 'United States', 3, 2015, 2024), ('BR', 'Brazil', 3, 2015, 2024), "
      "('CH', 'China', 3, 2015, 2024), ('E4', 'European Union', 3, 2015, 2024)) "
      "AS t(country_code, country_name, commodities, first_market_year, last_market_year);"
      "CREATE TABLE serving.serving.obt_commodity_metrics AS SELECT c.commodity_code, c.commodity_description AS commodity, "
      "c.commodity_family, k.country_code, k.country_name AS country, y.market_year::INTEGER AS market_year, "
      "CAST(" + m + " AS DECIMAL(18,2)) AS production, 10.5::DECIMAL(18,2) AS consumption, "
      "1.0::DECIMAL(18,2) AS imports, 2.0::DECIMAL(18,2) AS exports, 3.0::DECIMAL(18,2) AS ending_stocks, "
      "0.25::DOUBLE AS stocks_to_use, NULL::DECIMAL(18,2) AS production_change, NULL::DOUBLE AS production_change_pct, "
      "'(1000 MT)' AS unit, DATE '2026-08-01' AS ingest_date "
      "FROM serving.serving.dim_commodity c, serving.serving.dim_country k, range(2015, 2025) y(market_year);"
      "CHECKPOINT;");
  ASSERT_TRUE(status.ok()) << status.message();
}

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    directory_ = fs::temp_directory_path() /
                 ("materia_web_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(directory_);
    WriteFile(directory_ / "config.yaml",
              "gateways:\n  local:\n    connection: {type: duckdb, database: warehouse.duckdb}\n");
    WriteFile(directory_ / "models" / "numbers.sql", "MODEL (name raw.numbers, kind FULL, tags (base));\nSELECT 1 AS n\n");
    WriteFile(directory_ / "models" / "evens.sql",
              "MODEL (name serving.evens, kind VIEW, grain n);\nSELECT n FROM raw.numbers WHERE n % 2 = 0\n");
    WriteFile(directory_ / "static" / "app.css", "body { margin: 0 }\n");
    WriteFile(directory_ / "secret.txt", "secret\n");
    fs::create_symlink(directory_ / "secret.txt", directory_ / "static" / "leak.txt");
    serving_path_ = directory_ / "serving.duckdb";
    WriteServingFile(serving_path_, 1);
    auto state = OpenSqliteStateStore((directory_ / ".materia" / "state.db").string());
    ASSERT_TRUE(state.ok()) << state.status().message();
    PipelineRunRecord run;
    run.run_id = "r1";
    run.pipeline = "transform";
    run.status = "success";
    run.started_ms = 1000000;
    run.finished_ms = 1042000;
    run.worker_size = "large";
    run.trigger = "supervisor";
    ASSERT_TRUE((*state)->PutPipelineRun(run).ok());
    run.run_id = "r2";
    run.pipeline = "extract";
    run.status = "failed";
    run.attempt = 2;
    run.worker_size = "small";
    run.error = "download failed: HTTP 500";
    ASSERT_TRUE((*state)->PutPipelineRun(run).ok());
    ASSERT_TRUE((*state)->PutValue("supervisor:state",
                                   R"({"pid":42,"cycle":3,"status":"sleeping","pipeline":"","next_check_ms":1700000000000})")
                    .ok());
  }

  void TearDown() override {
    server_.reset();
    fs::remove_all(directory_);
  }

  void Start(const std::string& token = "") {
    WebServerOptions options;
    options.port = 0;
    options.token = token;
    options.threads = 4;
    options.static_dir = (directory_ / "static").string();
    options.app.serving_path = serving_path_.string();
    options.app.state_path = (directory_ / ".materia" / "state.db").string();
    options.app.project_dir = directory_.string();
    auto server = WebServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(*server);
  }

  httplib::Result Get(const std::string& target, const httplib::Headers& headers = {}) {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(30, 0);
    return client.Get(target.c_str(), headers);
  }

  // The JSON error of a 400 answer to `target`.
  std::string BadRequest(const std::string& target) {
    auto response = Get(target);
    if (!response) return "<no response>";
    EXPECT_EQ(response->status, 400) << target;
    return json::parse(response->body).value("error", "");
  }

  fs::path directory_;
  fs::path serving_path_;
  std::unique_ptr<WebServer> server_;
};

TEST_F(WebServerTest, HealthNamesTheServingTablesAndIs503WithoutTheFile) {
  Start();
  auto response = Get("/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  json health = json::parse(response->body);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["serving"]["path"], serving_path_.string());
  EXPECT_EQ(health["serving"]["tables"],
            json::array({"serving.dim_commodity", "serving.dim_country", "serving.obt_commodity_metrics"}));
  EXPECT_TRUE(health["state"]["ok"].get<bool>());
  server_.reset();
  fs::remove(serving_path_);
  Start();
  response = Get("/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(json::parse(response->body)["status"], "unavailable");
  EXPECT_EQ(Get("/api/commodities")->status, 503);
}

TEST_F(WebServerTest, ApiAnswersCommoditiesCountriesAndMetrics) {
  Start();
  auto response = Get("/api/commodities");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  json commodities = json::parse(response->body)["commodities"];
  ASSERT_EQ(commodities.size(), 3u);
  EXPECT_EQ(commodities[0]["commodity_description"], "Corn");
  EXPECT_EQ(commodities[0]["countries"], 4);
  json countries = json::parse(Get("/api/countries")->body)["countries"];
  EXPECT_EQ(countries.size(), 4u);
  response = Get("/api/metrics?commodity=0410000&country=US,BR&country=CH&from=2020&to=2022");
  ASSERT_EQ(response->status, 200);
  json metrics = json::parse(response->body);
  EXPECT_EQ(metrics["rows"], 9);  // 3 countries x 3 years
  EXPECT_EQ(metrics["metrics"][0]["country"], "Brazil");
  EXPECT_EQ(metrics["metrics"][0]["market_year"], 2020);
  EXPECT_EQ(metrics["metrics"][0]["production"], 1.0);
  EXPECT_EQ(metrics["metrics"][0]["stocks_to_use"], 0.25);
  EXPECT_TRUE(metrics["metrics"][0]["production_change"].is_null());
  // The same question again comes from the cache, with the same answer.
  EXPECT_EQ(Get("/api/metrics?commodity=0410000&country=US,BR&country=CH&from=2020&to=2022")->body, response->body);
  // A quote in a value cannot change the query: it is refused before, and bound anyway.
  EXPECT_EQ(json::parse(Get("/api/metrics?commodity=0410000&country=US")->body)["rows"], 10);
}

TEST_F(WebServerTest, BadParametersAre400WithAClearMessage) {
  Start();
  EXPECT_EQ(BadRequest("/api/metrics"), "commodity is required");
  EXPECT_EQ(BadRequest("/api/metrics?commodity=04%27;DROP"),
            "commodity must be a commodity code of 1 to 16 letters or digits, got '04';DROP'");
  EXPECT_EQ(BadRequest("/api/metrics?commodity=1&commodity=2"), "commodity is given more than once");
  EXPECT_EQ(BadRequest("/api/metrics?commodity=0410000&country=U-S"),
            "country must be a country code of 1 to 8 letters or digits, got 'U-S'");
  EXPECT_EQ(BadRequest("/api/metrics?commodity=0410000&country=A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,S,T,U"),
            "at most 20 countries may be given");
  EXPECT_EQ(BadRequest("/api/metrics?commodity=0410000&from=20x0"),
            "from must be a market year from 1900 to 2100, got '20x0'");
  EXPECT_EQ(BadRequest("/api/metrics?commodity=0410000&to=1800"),
            "to must be a market year from 1900 to 2100, got '1800'");
  EXPECT_EQ(BadRequest("/api/metrics?commodity=0410000&from=2022&to=2020"), "from (2022) is after to (2020)");
  EXPECT_EQ(BadRequest("/api/metrics?commodity=0410000&from=2020&from=2021"), "from is given more than once");
  EXPECT_EQ(BadRequest("/api/countries?commodity=a%20b"),
            "commodity must be a commodity code of 1 to 16 letters or digits, got 'a b'");
  EXPECT_EQ(BadRequest("/api/runs?limit=0"), "limit must be from 1 to 500, got '0'");
  EXPECT_EQ(BadRequest("/api/models/a%3Bb"), "model name must be 1 to 128 letters, digits, '_' or '.', got 'a;b'");
  EXPECT_EQ(Get("/explorer?from=abc")->status, 400);  // a page: HTML, still a 400
  EXPECT_EQ(Get("/api/models/raw.nothing")->status, 404);
}

TEST_F(WebServerTest, RunsAndModelsComeFromStateAndTheProject) {
  Start();
  json runs = json::parse(Get("/api/runs")->body);
  ASSERT_EQ(runs["pipeline_runs"].size(), 2u);
  EXPECT_EQ(runs["pipeline_runs"][0]["run_id"], "r2");
  EXPECT_EQ(runs["pipeline_runs"][0]["error"], "download failed: HTTP 500");
  EXPECT_EQ(runs["pipeline_runs"][1]["seconds"], 42.0);
  json models = json::parse(Get("/api/models")->body)["models"];
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0]["name"], "raw.numbers");
  EXPECT_EQ(models[0]["children"], json::array({"serving.evens"}));
  json model = json::parse(Get("/api/models/serving.evens")->body);
  EXPECT_EQ(model["layer"], "serving");
  EXPECT_EQ(model["kind"], "VIEW");
  EXPECT_EQ(model["parents"], json::array({"raw.numbers"}));
}

TEST_F(WebServerTest, PagesFollowTheLayoutContract) {
  Start();
  for (const std::string page : {"/", "/explorer?commodity=0440000&country=US&country=BR", "/pipelines", "/catalog",
                                 "/catalog/serving.evens", "/workers"}) {
    auto response = Get(page);
    ASSERT_TRUE(response) << page;
    EXPECT_EQ(response->status, 200) << page;
    const std::string& html = response->body;
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u) << page;
    EXPECT_NE(html.find("<link rel=\"stylesheet\" href=\"/static/app.css\">"), std::string::npos) << page;
    EXPECT_NE(html.find("<header class=\"top\">"), std::string::npos) << page;
    EXPECT_NE(html.find("<nav><a href=\"/explorer\""), std::string::npos) << page;
    EXPECT_NE(html.find("<main>"), std::string::npos) << page;
    EXPECT_NE(html.find("<footer>"), std::string::npos) << page;
    EXPECT_NE(html.find("<script src=\"/static/vendor/chart.umd.min.js\"></script><script src=\"/static/app.js\"></script>\n</body>"),
              std::string::npos) << page;
    EXPECT_NE(html.find("<table class=\"data\">"), std::string::npos) << page;
  }
  const std::string explorer = Get("/explorer?commodity=0440000&country=US&country=BR")->body;
  EXPECT_NE(explorer.find("<option value=\"0440000\" selected>Corn</option>"), std::string::npos);
  EXPECT_NE(explorer.find("<option value=\"US\" selected>United States</option>"), std::string::npos);
  EXPECT_NE(explorer.find("<figure class=\"chart-box\"><figcaption>Production (1000 MT)</figcaption>"
                          "<canvas class=\"chart\" data-chart='{&quot;labels&quot;:[&quot;2015&quot;"),
            std::string::npos);
  EXPECT_NE(explorer.find("&quot;series&quot;:[{&quot;name&quot;:&quot;Brazil&quot;,&quot;values&quot;:[1.0,"),
            std::string::npos);
  EXPECT_NE(explorer.find("World top 10 producers, 2024"), std::string::npos);
  // Cached per serving-file version and query: the same page again, render time included.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(Get("/explorer?commodity=0440000&country=US&country=BR")->body, explorer);
  EXPECT_NE(Get("/explorer?commodity=0440000&country=US")->body, explorer);
  const std::string catalog = Get("/catalog")->body;
  EXPECT_NE(catalog.find("<svg class=\"dag\""), std::string::npos);
  EXPECT_NE(catalog.find("<line class=\"edge\""), std::string::npos);
  EXPECT_NE(catalog.find("<a id=\"serving.evens\" href=\"/catalog/serving.evens\">"), std::string::npos);
  EXPECT_NE(catalog.find("<a href=\"/catalog#raw.numbers\">raw.numbers</a>"), std::string::npos);
  const std::string pipelines = Get("/pipelines")->body;
  EXPECT_NE(pipelines.find("sleeping"), std::string::npos);
  EXPECT_NE(pipelines.find("download failed: HTTP 500"), std::string::npos);
  const std::string workers = Get("/workers")->body;
  EXPECT_NE(workers.find("<td>large</td><td>1</td><td>transform</td><td>42.0 s</td>"), std::string::npos);
  EXPECT_EQ(Get("/nothing")->status, 404);
  EXPECT_EQ(Get("/catalog/raw.none")->status, 404);
}

TEST_F(WebServerTest, TokenIsRequiredEverywhereButHealth) {
  Start("s3cret");
  EXPECT_EQ(Get("/health")->status, 200);
  EXPECT_EQ(Get("/api/commodities")->status, 401);
  EXPECT_EQ(json::parse(Get("/api/commodities")->body)["error"], "a valid token is required");
  EXPECT_EQ(Get("/pipelines")->status, 401);
  EXPECT_EQ(Get("/metrics")->status, 401);
  EXPECT_EQ(Get("/static/app.css")->status, 401);
  EXPECT_EQ(Get("/api/commodities", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(Get("/api/commodities", {{"Authorization", "Bearer s3cret"}})->status, 200);
  EXPECT_EQ(Get("/api/commodities?token=s3cret")->status, 200);
  EXPECT_EQ(Get("/api/commodities?token=s3cre")->status, 401);
}

TEST_F(WebServerTest, OptionsAreValidated) {
  WebServerOptions options;
  options.bind_address = "0.0.0.0";
  EXPECT_EQ(ValidateWebServerOptions(options).message(),
            "binding 0.0.0.0 requires a token (--token or MATERIA_SERVE_TOKEN)");
  options.token = "t";
  EXPECT_TRUE(ValidateWebServerOptions(options).ok());
  options.port = 70000;
  EXPECT_EQ(ValidateWebServerOptions(options).message(), "--port must be from 0 to 65535, got 70000");
  options.port = 0;
  options.threads = 0;
  EXPECT_EQ(ValidateWebServerOptions(options).message(), "--threads must be from 1 to 64, got 0");
  options.threads = 4;
  options.static_dir = "/nonexistent/static";
  EXPECT_EQ(ValidateWebServerOptions(options).message(), "--static-dir /nonexistent/static is not a directory");
}

TEST_F(WebServerTest, StaticFilesNeverEscapeTheirFolder) {
  Start();
  auto response = Get("/static/app.css");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "body { margin: 0 }\n");
  EXPECT_EQ(response->get_header_value("Content-Type"), "text/css; charset=utf-8");
  for (const std::string target : {"/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/%2E%2E%2Fsecret.txt",
                                   "/static/..%2fsecret.txt", "/static/leak.txt", "/static/a/../../secret.txt",
                                   "/static//etc/passwd", "/static/missing.js"}) {
    auto answer = Get(target);
    ASSERT_TRUE(answer) << target;
    EXPECT_TRUE(answer->status == 400 || answer->status == 404) << target << " " << answer->status;
    EXPECT_EQ(answer->body.find("secret"), std::string::npos) << target;
  }
}

TEST_F(WebServerTest, MetricsUseRoutePatterns) {
  Start();
  Get("/api/models/serving.evens");
  Get("/api/models/raw.numbers");
  Get("/api/commodities");
  // A request is counted once its answer is written, which may be just after the
  // client has read it: wait (bounded) until the last one is in.
  std::string metrics;
  for (int attempt = 0; attempt < 100; attempt++) {
    metrics = Get("/metrics")->body;
    if (metrics.find("materia_http_request_duration_seconds_count{route=\"/api/commodities\"} 1\n") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(metrics.find("# TYPE materia_pipeline_runs_total counter\n"), std::string::npos);
  EXPECT_NE(metrics.find("materia_pipeline_runs_total{pipeline=\"extract\",status=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("materia_pipeline_duration_seconds_bucket{pipeline=\"transform\",le=\"60\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("materia_pipeline_duration_seconds_bucket{pipeline=\"transform\",le=\"30\"} 0\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("materia_serving_age_seconds "), std::string::npos);
  EXPECT_NE(metrics.find("materia_http_requests_total{route=\"/api/models/{name}\",code=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("materia_http_request_duration_seconds_count{route=\"/api/commodities\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(metrics.find("raw.numbers\""), std::string::npos);  // no raw paths as labels
  EXPECT_EQ(RoutePattern("/api/models/x"), "/api/models/{name}");
  EXPECT_EQ(RoutePattern("/wp-admin"), "other");
}

// Readers in threads while export-serving's rename replaces the file again and again:
// every request succeeds, and each answer is entirely from one file.
TEST_F(WebServerTest, ServingFileSwapsUnderLoadNeverFailOrMix) {
  const fs::path second = directory_ / "second" / "serving.duckdb";  // named so: its catalog is `serving`
  fs::create_directories(second.parent_path());
  const fs::path first_copy = directory_ / "first.duckdb";
  fs::copy_file(serving_path_, first_copy);
  WriteServingFile(second, 2);
  Start();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, mixed{0}, answers{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; t++) {
    readers.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", server_->port());
      client.set_read_timeout(30, 0);
      for (int i = 0; !stop && i < 100000; i++) {
        const std::string target = "/api/metrics?commodity=0410000&from=" + std::to_string(2015 + (i + t) % 10);
        auto response = client.Get(target.c_str());
        if (!response || response->status != 200) {
          failures++;
          continue;
        }
        json rows = json::parse(response->body)["metrics"];
        std::set<double> markers;
        for (const json& row : rows) markers.insert(row["production"].get<double>());
        if (markers.size() != 1) mixed++;
        answers++;
      }
    });
  }
  const fs::path temporary = directory_ / "serving_new.duckdb";
  // At least 30 swaps, and on a slow machine (or a sanitized build) as many more as it
  // takes for the readers to see 60 answers across them (at most about a minute); an
  // even number of swaps, so that the first file is served at the end.
  for (int swap = 0; swap < 30 || swap % 2 == 1 || (answers.load() < 60 && swap < 3000); swap++) {
    fs::copy_file(swap % 2 == 0 ? second : first_copy, temporary, fs::copy_options::overwrite_existing);
    fs::rename(temporary, serving_path_);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(answers.load(), 30);
  EXPECT_GE(server_->app().serving().generations_opened(), 2u);
  // The last file (first_copy) is served now, and old generations were closed.
  json rows = json::parse(Get("/api/metrics?commodity=0440000")->body)["metrics"];
  EXPECT_EQ(rows[0]["production"], 1.0);
  EXPECT_LE(ServingReader::GenerationsAlive(), 2);
}

}  // namespace
}  // namespace materia
