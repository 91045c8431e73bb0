#include "project/project.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/cron.h"
#include "base/hash.h"
#include "project/analysis_cache.h"
#include "project/dag.h"
#include "project/model_parser.h"

namespace materia {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxModels = 1'000'000;  // a project larger than this is refused

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Lists models/**/*.sql, sorted, as paths relative to the project directory.
Result<std::vector<std::string>> ListModelFiles(const fs::path& project_dir) {
  std::vector<std::string> files;
  fs::path models_dir = project_dir / "models";
  std::error_code error;
  if (!fs::is_directory(models_dir, error)) return files;
  for (fs::recursive_directory_iterator it(models_dir, error), end; it != end && !error;
       it.increment(error)) {
    if (!it->is_regular_file() || it->path().extension() != ".sql") continue;
    files.push_back(fs::relative(it->path(), project_dir).generic_string());
    if (files.size() > kMaxModels) return Status::InvalidInput("too many model files");
  }
  if (error) return Status::IoError("cannot list " + models_dir.string() + ": " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

std::string VariablesKey(const ProjectConfig& config) {
  Hasher hasher;
  for (const auto& [name, value] : config.variables) hasher.Add(name).Add(value);
  hasher.Add(config.default_gateway);
  return hasher.Sha256();
}

// Parses, renders and analyzes one model file into `model`.
Status LoadModel(const ProjectConfig& config, const std::string& relative_path,
                 SqlAnalyzer& analyzer, AnalysisCache& cache, Model* model) {
  fs::path absolute = fs::path(config.project_dir) / relative_path;
  MATERIA_ASSIGN_OR_RETURN(std::string content, ReadFile(absolute));
  MATERIA_ASSIGN_OR_RETURN(model->definition, ParseModelFile(relative_path, content));
  ModelDefinition& definition = model->definition;
  if (!definition.cron.empty()) {
    auto cron = Cron::Parse(definition.cron);
    if (!cron.ok()) {
      return Status::InvalidInput(definition.header_location.ToString() + ": " +
                                  cron.status().message());
    }
  }
  if (definition.kind == ModelKind::kSeed) {
    fs::path seed = absolute.parent_path() / definition.seed_path;
    auto seed_content = ReadFile(seed);
    if (!seed_content.ok()) {
      return Status::InvalidInput(definition.header_location.ToString() + ": seed file " +
                                  fs::relative(seed, config.project_dir).lexically_normal().string() +
                                  " does not exist");
    }
    model->seed_content_hash = Sha256Hex(*seed_content);
    return Status::Ok();
  }
  MacroContext context = AnalysisMacroContext(config, definition.name);
  MATERIA_ASSIGN_OR_RETURN(model->rendered_query,
                           RenderMacros(definition.query, context, definition.query_location));
  model->uses_time_macros = UsesTimeMacros(definition.query);
  std::string key = Sha256Hex(model->rendered_query);
  std::optional<QueryAnalysis> analysis = cache.Find(key);
  if (!analysis) {
    SqlSyntaxError syntax_error;
    auto analyzed = analyzer.Analyze(model->rendered_query, &syntax_error);
    if (!analyzed.ok()) {
      SourceLocation where = definition.query_location;
      if (syntax_error.offset != std::string::npos) {
        where = LocationAt(definition.query_location, model->rendered_query, syntax_error.offset);
      }
      return Status::InvalidInput(where.ToString() + ": " + analyzed.status().message());
    }
    analysis = std::move(analyzed).value();
    cache.Insert(key, *analysis);
  }
  model->normalized_query = analysis->normalized_sql;
  model->select_names = analysis->select_names;
  model->sources = analysis->sources;
  model->external_tables = analysis->tables;  // split into parents in ResolveEdges
  return Status::Ok();
}

// Loads every file on `threads` threads, each with its own analyzer. Returns the first
// error in file order.
Status LoadModels(const ProjectConfig& config, const std::vector<std::string>& files,
                  int threads, AnalysisCache& cache, std::vector<Model>* models) {
  models->assign(files.size(), Model{});
  std::vector<Status> statuses(files.size());
  std::atomic<size_t> next{0};
  std::mutex create_mutex;
  Status create_status;
  auto work = [&]() {
    auto analyzer = SqlAnalyzer::Create();
    if (!analyzer.ok()) {
      std::lock_guard<std::mutex> lock(create_mutex);
      create_status = analyzer.status();
      return;
    }
    for (size_t i = next++; i < files.size(); i = next++) {
      statuses[i] = LoadModel(config, files[i], *analyzer, cache, &(*models)[i]);
    }
  };
  int count = std::max(1, std::min<int>(threads, static_cast<int>(files.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < count; t++) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  MATERIA_RETURN_IF_ERROR(create_status);
  for (const Status& status : statuses) MATERIA_RETURN_IF_ERROR(status);
  return Status::Ok();
}

}  // namespace

const Model* Project::Find(const std::string& name) const {
  auto found = index.find(name);
  return found == index.end() ? nullptr : &models[found->second];
}

MacroContext AnalysisMacroContext(const ProjectConfig& config, const std::string& this_model) {
  MacroContext context;
  context.start_ms = 0;
  context.end_ms = 86'400'000;
  context.execution_ms = 86'400'000;
  context.variables = config.variables;
  context.this_model = this_model;
  context.gateway = config.default_gateway;
  return context;
}

SourceLocation LocationAt(const SourceLocation& start, const std::string& text, size_t offset) {
  SourceLocation location = start;
  offset = std::min(offset, text.size());
  size_t last_newline = std::string::npos;
  for (size_t i = 0; i < offset; i++) {
    if (text[i] == '\n') {
      location.line++;
      last_newline = i;
    }
  }
  if (last_newline == std::string::npos) {
    location.column = start.column + static_cast<int>(offset);
  } else {
    location.column = static_cast<int>(offset - last_newline);
  }
  return location;
}

Result<Project> LoadProject(const std::string& project_dir, const LoadOptions& options) {
  Project project;
  MATERIA_ASSIGN_OR_RETURN(project.config, LoadConfig(project_dir));
  MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> files, ListModelFiles(project.config.project_dir));
  fs::path cache_path = fs::path(project.config.project_dir) / ".materia" / "cache" / "analysis";
  AnalysisCache cache(cache_path.string(), VariablesKey(project.config), options.use_cache);
  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<Model> models;
  MATERIA_RETURN_IF_ERROR(LoadModels(project.config, files, threads, cache, &models));
  cache.Save();  // best effort: a read-only project still loads
  MATERIA_RETURN_IF_ERROR(BuildDag(std::move(models), &project));
  return project;
}

}  // namespace materia
