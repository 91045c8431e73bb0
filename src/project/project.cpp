#include "project/project.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
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
#include "base/parallel.h"
#include "base/text.h"
#include "project/analysis_cache.h"
#include "project/dag.h"
#include "project/model_parser.h"

namespace materia {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxModels = 1'000'000;  // a project larger than this is refused

constexpr size_t kMaxFileBytes = 64 << 20;  // a model or seed file larger than this is refused

// Reads a whole file with plain system calls (streams cost more than the read itself
// when a project has thousands of small files).
// `name` is how messages call the file (default: its path).
Result<std::string> ReadFile(const fs::path& path, const std::string& name = "") {
  const std::string shown = name.empty() ? path.string() : name;
  int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) return Status::IoError("cannot read " + shown + ": " + std::strerror(errno));
  std::string content;
  char buffer[64 * 1024];
  while (true) {
    ssize_t count = ::read(descriptor, buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      int error = errno;
      ::close(descriptor);
      if (count < 0) return Status::IoError("cannot read " + shown + ": " + std::strerror(error));
      return content;
    }
    content.append(buffer, static_cast<size_t>(count));
    if (content.size() > kMaxFileBytes) {
      ::close(descriptor);
      return Status::InvalidInput(shown + " is larger than " + std::to_string(kMaxFileBytes) +
                                  " bytes, the limit for a model or seed file");
    }
  }
}

// Lists <folder>/**/*.sql, sorted, as paths relative to the project directory.
Result<std::vector<std::string>> ListSqlFiles(const fs::path& project_dir, const char* folder) {
  std::vector<std::string> files;
  fs::path models_dir = project_dir / folder;
  std::error_code error;
  if (!fs::is_directory(models_dir, error)) return files;
  const std::string prefix = project_dir.generic_string() + "/";
  for (fs::recursive_directory_iterator it(models_dir, error), end; it != end && !error;
       it.increment(error)) {
    if (it->path().extension() != ".sql") continue;
    std::error_code file_error;
    bool regular = it->is_regular_file(file_error);
    if (file_error) {
      return Status::IoError("cannot read " + it->path().string() + ": " + file_error.message());
    }
    if (!regular) continue;
    // Paths under models_dir start with project_dir: strip it (fs::relative would
    // resolve symlinks, a system call per file).
    std::string path = it->path().generic_string();
    files.push_back(path.rfind(prefix, 0) == 0 ? path.substr(prefix.size())
                                               : it->path().lexically_relative(project_dir).generic_string());
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

// Reads, parses and renders one model file into `model`; analysis comes later, batched.
Status ReadModel(const ProjectConfig& config, const std::string& relative_path, Model* model) {
  fs::path absolute = fs::path(config.project_dir) / relative_path;
  MATERIA_ASSIGN_OR_RETURN(std::string content, ReadFile(absolute, relative_path));
  if (std::optional<size_t> bad = FindInvalidUtf8(content)) {
    SourceLocation where = LocationAt({relative_path, 1, 1}, content, *bad);
    char byte[8];
    std::snprintf(byte, sizeof(byte), "0x%02x", static_cast<unsigned char>(content[*bad]));
    return Status::InvalidInput(where.ToString() + ": the file is not valid UTF-8 (byte " +
                                byte + "); save it as UTF-8");
  }
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
    std::string seed_name = seed.lexically_normal().lexically_relative(config.project_dir).string();
    std::error_code error;
    if (!fs::is_regular_file(seed, error)) {
      return Status::InvalidInput(definition.header_location.ToString() + ": seed file " +
                                  seed_name + " does not exist");
    }
    auto seed_content = ReadFile(seed, seed_name);
    if (!seed_content.ok()) {
      return Status::InvalidInput(definition.header_location.ToString() + ": " +
                                  seed_content.status().message());
    }
    model->seed_content_hash = Sha256Hex(*seed_content);
    return Status::Ok();
  }
  if (definition.query.find('@') == std::string::npos) {
    // No macro (they all start with '@'), and the parser tokenized the file already:
    // the query renders as itself.
    model->rendered_query = definition.query;
    return Status::Ok();
  }
  MacroContext context = AnalysisMacroContext(config, definition.name);
  MATERIA_ASSIGN_OR_RETURN(model->rendered_query,
                           RenderMacros(definition.query, context, definition.query_location));
  model->uses_time_macros = UsesTimeMacros(definition.query);
  return Status::Ok();
}

void ApplyAnalysis(const QueryAnalysis& analysis, Model* model) {
  model->query_hash = analysis.tree_hash;
  model->select_names = analysis.select_names;
  model->sources = analysis.sources;
  model->external_tables = analysis.tables;  // split into parents in BuildDag
}

// The user's message for a query DuckDB's parser refused, at the fault's file position.
Status AnalysisError(const Model& model, const Status& status, const SqlSyntaxError& syntax_error) {
  SourceLocation where = model.definition.query_location;
  if (syntax_error.offset != std::string::npos) {
    where = LocationAt(where, model.rendered_query, syntax_error.offset);
  }
  return Status::InvalidInput(where.ToString() + ": " + status.message());
}

constexpr size_t kAnalysisBatchSize = 256;

// Analyzes the models at `pending` (indices into `models`) in batches on `threads`
// threads, each with its own analyzer; fills the cache and `statuses`.
void AnalyzePending(const std::vector<size_t>& pending, int threads, AnalysisCache& cache,
                    std::vector<Model>& models, std::vector<Status>& statuses) {
  size_t batches = (pending.size() + kAnalysisBatchSize - 1) / kAnalysisBatchSize;
  std::mutex analyzers_mutex;
  std::vector<SqlAnalyzer> analyzers;  // reused across batches, one in use per thread
  ParallelFor(batches, threads, [&](size_t batch) {
    std::optional<SqlAnalyzer> analyzer;
    {
      std::lock_guard<std::mutex> lock(analyzers_mutex);
      if (!analyzers.empty()) {
        analyzer.emplace(std::move(analyzers.back()));
        analyzers.pop_back();
      }
    }
    size_t begin = batch * kAnalysisBatchSize;
    size_t end = std::min(pending.size(), begin + kAnalysisBatchSize);
    if (!analyzer) {
      auto created = SqlAnalyzer::Create();
      if (!created.ok()) {
        for (size_t i = begin; i < end; i++) statuses[pending[i]] = created.status();
        return;
      }
      analyzer.emplace(std::move(created).value());
    }
    std::vector<std::string> queries;
    for (size_t i = begin; i < end; i++) queries.push_back(models[pending[i]].rendered_query);
    std::vector<SqlSyntaxError> errors;
    std::vector<Result<QueryAnalysis>> results = analyzer->AnalyzeBatch(queries, &errors);
    for (size_t i = begin; i < end; i++) {
      Model& model = models[pending[i]];
      const Result<QueryAnalysis>& result = results[i - begin];
      if (!result.ok()) {
        statuses[pending[i]] = AnalysisError(model, result.status(), errors[i - begin]);
        continue;
      }
      ApplyAnalysis(*result, &model);
      cache.Insert(Xxh128Hex(model.rendered_query), *result);
    }
    std::lock_guard<std::mutex> lock(analyzers_mutex);
    analyzers.push_back(std::move(*analyzer));
  }, /*serial_below=*/2);
}

// Loads every file: reads and renders in parallel, takes analyses from the cache, and
// analyzes the rest in batches. Returns the first error in file order.
Status LoadModels(const ProjectConfig& config, const std::vector<std::string>& files,
                  int threads, AnalysisCache& cache, std::vector<Model>* models) {
  models->assign(files.size(), Model{});
  std::vector<Status> statuses(files.size());
  ParallelFor(files.size(), threads,
              [&](size_t i) { statuses[i] = ReadModel(config, files[i], &(*models)[i]); });
  std::vector<char> found(files.size(), 0);
  ParallelFor(files.size(), threads, [&](size_t i) {
    Model& model = (*models)[i];
    if (!statuses[i].ok() || model.definition.kind == ModelKind::kSeed) {
      found[i] = 1;
      return;
    }
    if (std::optional<QueryAnalysis> cached = cache.Find(Xxh128Hex(model.rendered_query))) {
      ApplyAnalysis(*cached, &model);
      found[i] = 1;
    }
  });
  std::vector<size_t> pending;
  for (size_t i = 0; i < files.size(); i++) {
    if (!found[i]) pending.push_back(i);
  }
  AnalyzePending(pending, threads, cache, *models, statuses);
  for (const Status& status : statuses) MATERIA_RETURN_IF_ERROR(status);
  return Status::Ok();
}

// Reads audits/**/*.sql; an audit name defined twice is an error at the second.
Status LoadAudits(const ProjectConfig& config, std::map<std::string, AuditDefinition>* audits) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> files, ListSqlFiles(config.project_dir, "audits"));
  for (const std::string& file : files) {
    MATERIA_ASSIGN_OR_RETURN(std::string content, ReadFile(fs::path(config.project_dir) / file, file));
    MATERIA_ASSIGN_OR_RETURN(std::vector<AuditDefinition> parsed, ParseAuditFile(file, content));
    for (AuditDefinition& audit : parsed) {
      auto existing = audits->find(audit.name);
      if (existing != audits->end()) {
        return Status::InvalidInput(audit.header_location.ToString() + ": audit " + audit.name +
                                    " is also defined in " + existing->second.path);
      }
      std::string name = audit.name;
      audits->emplace(std::move(name), std::move(audit));
    }
  }
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

namespace {

// A grain or a built-in audit naming a column the query does not output would fail
// only when the audit runs, after the model was built: said now, at the name. Checked
// when every output column is known by name (no *, no unnamed expression, no UNION);
// quoted names and expressions in the arguments are left to the audit.
Status CheckAuditedColumns(const Model& model) {
  const std::vector<std::string>& outputs = model.select_names;
  // SCD type 2 tables add their validity columns to the query's.
  if (outputs.empty() || IsScdKind(model.definition.kind)) return Status::Ok();
  for (const std::string& name : outputs) {
    if (name.empty() || name == "*") return Status::Ok();
  }
  auto plain = [](const std::string& text) {
    if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '_'; });
  };
  for (const ResolvedAudit& audit : model.audits) {
    if (!audit.builtin) continue;
    for (const char* key : {"column", "columns"}) {
      auto argument = audit.arguments.find(key);
      if (argument == audit.arguments.end()) continue;
      for (const std::string& item : argument->second.items) {
        if (!plain(item)) continue;
        if (std::find(outputs.begin(), outputs.end(), ToLower(item)) != outputs.end()) continue;
        const bool grain = audit.display.rfind("unique grain", 0) == 0;
        return Status::InvalidInput(argument->second.location.ToString() + ": " +
                                    (grain ? "grain" : "audit " + audit.name) + " column '" + item +
                                    "' is not a column of " + model.definition.name + "'s query (" +
                                    JoinText(outputs, ", ") + ")");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Project> LoadProject(const std::string& project_dir, const LoadOptions& options) {
  Project project;
  MATERIA_ASSIGN_OR_RETURN(project.config, LoadConfig(project_dir));
  MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> files, ListSqlFiles(project.config.project_dir, "models"));
  fs::path cache_path = fs::path(project.config.project_dir) / ".materia" / "cache" / "analysis";
  AnalysisCache cache(cache_path.string(), VariablesKey(project.config), options.use_cache);
  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<Model> models;
  MATERIA_RETURN_IF_ERROR(LoadModels(project.config, files, threads, cache, &models));
  // Disabled models were read and checked; the project leaves them out, as if their
  // files were not there (a model reading one reads an external table).
  std::erase_if(models, [](const Model& model) { return !model.definition.enabled; });
  MATERIA_RETURN_IF_ERROR(LoadAudits(project.config, &project.audits));
  const std::vector<AuditCall>& defaults = project.config.default_audits;
  for (Model& model : models) {
    // model_defaults' audits apply to every model, before its own.
    model.definition.audits.insert(model.definition.audits.begin(), defaults.begin(), defaults.end());
    MATERIA_ASSIGN_OR_RETURN(model.audits, ResolveAudits(model.definition, project.audits));
    MATERIA_RETURN_IF_ERROR(CheckAuditedColumns(model));
  }
  // Writing the cache overlaps ordering the DAG. Best effort: a read-only project
  // still loads.
  std::thread save([&cache] { cache.Save(); });
  Status dag = BuildDag(std::move(models), &project);
  save.join();
  MATERIA_RETURN_IF_ERROR(dag);
  return project;
}

}  // namespace materia
