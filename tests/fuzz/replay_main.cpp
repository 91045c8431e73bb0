// Runs a fuzz target over saved inputs, without libFuzzer: the seed corpus and the
// regressions (inputs that once crashed it) of tests/fuzz/. Built with the ordinary
// compiler next to each target, so `make test` replays them wherever it runs.
//
//   fuzz_replay_<target> DIR_OR_FILE ...
//
// Each argument is a file or a folder whose files (recursively, sorted by path; names
// starting with '.', such as .gitkeep, left out) are each passed to
// LLVMFuzzerTestOneInput once. A crash or a failed check aborts the
// program with the input's path printed just before. Exit codes: 0 when every input
// ran (at least one), 2 for a missing argument or an unreadable file, or when there
// was nothing to run.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// The files named by `argument`: itself, or every regular file under it. Empty with
// an error printed when it does not exist.
bool CollectInputs(const std::string& argument, std::vector<fs::path>* inputs) {
  std::error_code error;
  if (fs::is_regular_file(argument, error)) {
    inputs->push_back(argument);
    return true;
  }
  if (!fs::is_directory(argument, error)) {
    std::fprintf(stderr, "replay: %s is neither a file nor a folder\n", argument.c_str());
    return false;
  }
  std::vector<fs::path> found;
  for (fs::recursive_directory_iterator it(argument, error), end; it != end && !error; it.increment(error)) {
    bool hidden = it->path().filename().string().starts_with(".");
    if (!hidden && it->is_regular_file(error)) found.push_back(it->path());
  }
  if (error) {
    std::fprintf(stderr, "replay: cannot list %s: %s\n", argument.c_str(), error.message().c_str());
    return false;
  }
  std::sort(found.begin(), found.end());
  inputs->insert(inputs->end(), found.begin(), found.end());
  return true;
}

bool ReadInput(const fs::path& path, std::string* content) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return false;
  content->assign(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  return !stream.bad();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE ...\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; i++) {
    if (!CollectInputs(argv[i], &inputs)) return 2;
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs under the given paths\n");
    return 2;
  }
  for (const fs::path& path : inputs) {
    std::string content;
    if (!ReadInput(path, &content)) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 2;
    }
    // Printed before running, so a crash's output ends with the input that caused it.
    std::fprintf(stderr, "replay: %s\n", path.c_str());
    std::fflush(stderr);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(content.data()), content.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
