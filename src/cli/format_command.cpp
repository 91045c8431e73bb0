// materia format [--check] [FILES...]: rewrites model files in the canonical layout
// (project/model_format.h) without changing any model's fingerprint. --check changes
// nothing and exits 1 when a file would change.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/text.h"
#include "cli/commands.h"
#include "project/model_format.h"

namespace materia::cli {

namespace {

namespace fs = std::filesystem;

constexpr uintmax_t kFileBytesMax = 16 * 1024 * 1024;  // the model parser's own limit

struct FormatOptions {
  bool check = false;
  std::vector<std::string> files;
};

// How a file is named in output: relative to the project when inside it.
std::string DisplayName(const fs::path& absolute, const fs::path& project_dir) {
  fs::path relative = absolute.lexically_relative(project_dir);
  if (!relative.empty() && *relative.begin() != "..") return relative.generic_string();
  return absolute.string();
}

// The .sql files under `directory`, sorted.
Result<std::vector<fs::path>> ListSqlFiles(const fs::path& directory) {
  std::vector<fs::path> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(directory, error), end; it != end && !error;
       it.increment(error)) {
    std::error_code type_error;
    if (it->path().extension() == ".sql" && it->is_regular_file(type_error)) {
      files.push_back(it->path());
    }
  }
  if (error) return Status::IoError("cannot list " + directory.string() + ": " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

// The files to format: those named (directories searched for .sql files), else
// every model file. Names are absolute.
Result<std::vector<fs::path>> FilesToFormat(const std::vector<fs::path>& named,
                                             const fs::path& project_dir) {
  if (named.empty()) {
    std::error_code error;
    if (!fs::is_directory(project_dir / "models", error)) return std::vector<fs::path>();
    return ListSqlFiles(project_dir / "models");
  }
  std::vector<fs::path> files;
  for (const fs::path& path : named) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      MATERIA_ASSIGN_OR_RETURN(std::vector<fs::path> found, ListSqlFiles(path));
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

Result<std::string> ReadWholeFile(const fs::path& path, const std::string& name) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return Status::NotFound(name + " does not exist");
  uintmax_t size = fs::file_size(path, error);
  if (error) return Status::IoError("cannot read " + name + ": " + error.message());
  if (size > kFileBytesMax) {
    return Status::InvalidInput(name + ": model file is " + std::to_string(size) +
                                " bytes, more than the limit of " + std::to_string(kFileBytesMax));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::IoError("cannot read " + name);
  return content.str();
}

// Replaces `path` by `content` atomically: a temporary file next to it, renamed over it.
Status WriteAtomically(const fs::path& path, const std::string& content, const std::string& name) {
  std::string temporary_name =
      "." + path.filename().string() + ".materia-format-" + std::to_string(::getpid());
  fs::path temporary = path.parent_path() / temporary_name;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out.good()) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return Status::IoError("cannot write " + name);
    }
  }
  std::error_code error;
  fs::permissions(temporary, fs::status(path, error).permissions(), error);
  fs::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return Status::IoError("cannot replace " + name + ": " + error.message());
  }
  return Status::Ok();
}

int RunFormat(const FormatOptions& options, const std::vector<fs::path>& named) {
  std::error_code error;
  fs::path project_dir = fs::current_path(error);
  if (error) {
    return ReportError(Status::IoError("cannot read the current directory: " + error.message()));
  }
  auto config = LoadConfig(project_dir.string());
  if (!config.ok()) return ReportError(config.status());
  auto files = FilesToFormat(named, project_dir);
  if (!files.ok()) return ReportError(files.status());
  auto analyzer = SqlAnalyzer::Create();
  if (!analyzer.ok()) return ReportError(analyzer.status());
  size_t changed = 0;
  size_t unchanged = 0;
  size_t failed = 0;
  for (const fs::path& path : *files) {
    std::string name = DisplayName(path, project_dir);
    auto content = ReadWholeFile(path, name);
    auto formatted = content.ok() ? FormatModelFile(name, *content, *config, *analyzer)
                                  : Result<std::string>(content.status());
    Status written = formatted.ok() && *formatted != *content && !options.check
                         ? WriteAtomically(path, *formatted, name)
                         : Status::Ok();
    if (!formatted.ok() || !written.ok()) {
      ReportError(formatted.ok() ? written : formatted.status());
      failed++;
    } else if (*formatted == *content) {
      unchanged++;
    } else {
      changed++;
      std::printf("%s %s\n", options.check ? "would reformat" : "formatted", name.c_str());
    }
  }
  auto files_text = [](size_t count) {
    return std::to_string(count) + (count == 1 ? " file" : " files");
  };
  std::string summary = options.check ? files_text(changed) + " would be reformatted"
                                      : files_text(changed) + " formatted";
  summary += ", " + std::to_string(unchanged) + " already formatted";
  if (failed > 0) summary += ", " + std::to_string(failed) + " could not be formatted";
  std::printf("%s.\n", summary.c_str());
  if (failed > 0) return kExitError;
  return options.check && changed > 0 ? kExitFailed : kExitOk;
}

}  // namespace

void RegisterFormatCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<FormatOptions>();
  CLI::App* format = app.add_subcommand(
      "format", "Rewrite model files in the canonical layout without changing what they mean "
                "(their fingerprints stay the same)");
  format->add_flag("--check", options->check,
                   "change nothing; list the files that would change and exit 1 if any");
  format->add_option("files", options->files, "files or folders to format (default: models/)");
  // Named files are relative to where the user is, not to the project.
  format->callback([&global, options] {
    std::vector<fs::path> named;
    std::error_code error;
    for (const std::string& file : options->files) {
      named.push_back(fs::absolute(file, error).lexically_normal());
    }
    auto entered = EnterProject(global.project_dir);
    global.exit_code = entered.ok() ? RunFormat(*options, named) : ReportError(entered.status());
  });
}

}  // namespace materia::cli
