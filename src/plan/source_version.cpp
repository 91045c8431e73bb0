#include "plan/source_version.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "base/glob.h"
#include "base/hash.h"

namespace materia {

namespace {

constexpr size_t kMaxFilesPerSource = 10'000'000;

bool AllDigits(const std::string& text, size_t start, size_t count) {
  if (start + count > text.size()) return false;
  for (size_t i = start; i < start + count; i++) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

int Number(const std::string& text, size_t start, size_t count) {
  return std::stoi(text.substr(start, count));
}

bool ValidDate(int year, int month, int day) {
  return year >= 1900 && year <= 2999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

}  // namespace

std::string SourceKey(const SourceReference& source) {
  std::string key = "source:" + source.function + ":";
  for (size_t i = 0; i < source.globs.size(); i++) key += (i ? "|" : "") + source.globs[i];
  return key;
}

std::optional<TimestampMs> DateFromPath(const std::string& path) {
  std::optional<TimestampMs> found;
  for (size_t i = 0; i + 7 <= path.size(); i++) {
    // "/YYYY/MM" optionally followed by "/DD", each part a whole path component.
    if (path[i] == '/' && AllDigits(path, i + 1, 4) && i + 8 <= path.size() &&
        path[i + 5] == '/' && AllDigits(path, i + 6, 2) &&
        (i + 8 == path.size() || path[i + 8] == '/')) {
      int year = Number(path, i + 1, 4), month = Number(path, i + 6, 2), day = 1;
      if (i + 11 <= path.size() && path[i + 8] == '/' && AllDigits(path, i + 9, 2) &&
          (i + 11 == path.size() || path[i + 11] == '/')) {
        day = Number(path, i + 9, 2);
      }
      if (ValidDate(year, month, day)) found = FromCivil({year, month, day});
      continue;
    }
    // "YYYY-MM-DD" not surrounded by digits.
    if (AllDigits(path, i, 4) && i + 10 <= path.size() && path[i + 4] == '-' &&
        AllDigits(path, i + 5, 2) && path[i + 7] == '-' && AllDigits(path, i + 8, 2) &&
        (i == 0 || !std::isdigit(static_cast<unsigned char>(path[i - 1]))) &&
        (i + 10 == path.size() || !std::isdigit(static_cast<unsigned char>(path[i + 10])))) {
      int year = Number(path, i, 4), month = Number(path, i + 5, 2), day = Number(path, i + 8, 2);
      if (ValidDate(year, month, day)) found = FromCivil({year, month, day});
    }
  }
  return found;
}

std::string FileSetVersion(const std::vector<SourceFile>& files) {
  if (files.empty()) return "empty";
  Hasher hasher;
  for (const SourceFile& file : files) hasher.Add(file.path).Add(file.size).Add(file.mtime_ns);
  return hasher.Sha256().substr(0, 32);
}

Result<std::vector<SourceFile>> SourceScanner::Files(const SourceReference& source) {
  std::string key = SourceKey(source);
  auto memo = memo_.find(key);
  if (memo != memo_.end()) return memo->second;
  if (source.globs.empty()) {
    return Status::InvalidInput(source.function +
                                " has no constant path: its data version cannot be known");
  }
  std::vector<SourceFile> files;
  for (const std::string& glob : source.globs) {
    MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> paths, ExpandGlob(glob));
    for (const std::string& path : paths) {
      SourceFile file;
      file.path = path;
      struct stat info;
      if (::stat(file.path.c_str(), &info) != 0) continue;  // vanished since the glob
      file.size = static_cast<int64_t>(info.st_size);
      file.mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                      info.st_mtim.tv_nsec;
      // A date in the part the glob matched wins over one in the fixed directories
      // above it (an absolute path that happens to hold a date).
      size_t fixed = glob.find_first_of("*?[{");
      fixed = glob.rfind('/', fixed == std::string::npos ? glob.size() : fixed);
      fixed = fixed == std::string::npos ? 0 : fixed;
      if (file.path.compare(0, fixed, glob, 0, fixed) == 0) file.date = DateFromPath(file.path.substr(fixed));
      if (!file.date) file.date = DateFromPath(file.path);
      files.push_back(std::move(file));
      if (files.size() > kMaxFilesPerSource) {
        return Status::InvalidInput("source " + key + " matches too many files");
      }
    }
  }
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  files.erase(std::unique(files.begin(), files.end(),
                          [](const SourceFile& a, const SourceFile& b) { return a.path == b.path; }),
              files.end());
  memo_[key] = files;
  return files;
}

Result<std::string> SourceScanner::Version(const SourceReference& source) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<SourceFile> files, Files(source));
  return FileSetVersion(files);
}

Result<std::string> SourceScanner::VersionIn(const SourceReference& source, Interval interval) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<SourceFile> files, Files(source));
  std::vector<SourceFile> inside;
  for (const SourceFile& file : files) {
    if (!file.date || (*file.date >= interval.start && *file.date < interval.end)) {
      inside.push_back(file);
    }
  }
  return FileSetVersion(inside);
}

}  // namespace materia
