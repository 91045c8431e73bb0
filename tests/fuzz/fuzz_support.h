// What the fuzz targets share: the input as text, and a scratch project folder for
// parsers that read their file from a project rather than from a string.
//
// Every target is built twice: with libFuzzer (tests/fuzz/CMakeLists.txt, `make fuzz`)
// and, with the ordinary compiler, together with replay_main.cpp into a program that
// runs it over the seed corpus and the regressions (CTest fuzz.replay.<target>). So
// nothing here depends on libFuzzer. A target reports a broken guarantee with
// FuzzCheck, which aborts: to both builds, that is a crash like any other.
//
// Not thread-safe: a fuzz target runs one input at a time.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace materia::fuzz {

// The input bytes as a string (may hold NULs and invalid UTF-8, as a file may).
inline std::string InputText(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Aborts with `what` on stderr when `condition` is false: a documented guarantee did
// not hold for this input.
inline void FuzzCheck(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

// A folder under $TMPDIR (else /tmp) made on first use and removed when the process
// exits normally. One per process, so parallel runs do not share files.
class ScratchProject {
 public:
  static ScratchProject& Get() {
    static ScratchProject project;
    return project;
  }

  const std::string& dir() const { return dir_; }

  // Writes `content` to `relative_path` under the folder, replacing the file; creates
  // the folders on the way. Aborts when the file cannot be written (the fuzz run itself
  // is broken then, not the code under test).
  void WriteFile(const std::string& relative_path, const std::string& content) const {
    std::filesystem::path path = std::filesystem::path(dir_) / relative_path;
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    FuzzCheck(static_cast<bool>(out), "writing a file of the scratch project");
  }

  ScratchProject(const ScratchProject&) = delete;
  ScratchProject& operator=(const ScratchProject&) = delete;

 private:
  ScratchProject() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") +
                          "/materia-fuzz-XXXXXX";
    FuzzCheck(mkdtemp(pattern.data()) != nullptr, "creating the scratch project folder");
    dir_ = pattern;
  }
  ~ScratchProject() {
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
  }

  std::string dir_;
};

}  // namespace materia::fuzz
