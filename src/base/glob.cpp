#include "base/glob.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

namespace materia {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxDepth = 64;  // `**` descends at most this deep

bool HasWildcard(const std::string& component) {
  return component.find_first_of("*?[") != std::string::npos;
}

std::string Join(const std::string& base, const std::string& name) {
  if (base.empty()) return name;
  if (base == "/") return "/" + name;
  return base + "/" + name;
}

std::string ListPath(const std::string& base) { return base.empty() ? "." : base; }

// Appends `base` and every directory below it (for `**`).
void AddDirectoriesBelow(const std::string& base, int depth, std::vector<std::string>* out,
                         size_t limit) {
  out->push_back(base);
  if (depth >= kMaxDepth || out->size() > limit) return;
  std::error_code error;
  for (fs::directory_iterator it(ListPath(base), error), end; it != end && !error; it.increment(error)) {
    std::error_code type_error;
    if (it->is_directory(type_error) && !it->is_symlink(type_error)) {
      AddDirectoriesBelow(Join(base, it->path().filename().string()), depth + 1, out, limit);
    }
  }
}

std::vector<std::string> MatchComponent(const std::vector<std::string>& bases,
                                        const std::string& component, size_t limit) {
  std::vector<std::string> next;
  for (const std::string& base : bases) {
    if (component == "**") {
      AddDirectoriesBelow(base, 0, &next, limit);
      continue;
    }
    if (!HasWildcard(component)) {
      next.push_back(Join(base, component));
      continue;
    }
    std::error_code error;
    for (fs::directory_iterator it(ListPath(base), error), end; it != end && !error; it.increment(error)) {
      std::string name = it->path().filename().string();
      if (::fnmatch(component.c_str(), name.c_str(), 0) == 0) next.push_back(Join(base, name));
      if (next.size() > limit) return next;
    }
  }
  return next;
}

}  // namespace

Result<std::vector<std::string>> ExpandGlob(const std::string& pattern, size_t max_files) {
  if (pattern.find("://") != std::string::npos) {
    return Status::InvalidInput("cannot list " + pattern + ": only local files can be versioned");
  }
  std::vector<std::string> components;
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string::npos) slash = pattern.size();
    std::string component = pattern.substr(start, slash - start);
    if (!component.empty() && component != ".") components.push_back(component);
    start = slash + 1;
  }
  std::vector<std::string> paths = {pattern.rfind('/', 0) == 0 ? "/" : ""};
  for (const std::string& component : components) {
    paths = MatchComponent(paths, component, max_files);
    if (paths.size() > max_files) {
      return Status::InvalidInput(pattern + " matches more than " + std::to_string(max_files) + " paths");
    }
  }
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    struct stat info;
    if (!path.empty() && ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

}  // namespace materia
