// Fuzz target: a project's config.yaml, written into a scratch project and read by
// the readers of that file that stand on their own: LoadConfig (gateways,
// model_defaults, variables, TTLs), the features section and the extract section.
// Errors are expected; a config that loads has its default gateway among its gateways,
// and a features section that loads writes to one of its stores.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "features/feature_config.h"
#include "fuzz_support.h"
#include "pipelines/extract_config.h"
#include "project/config.h"

namespace {

// The variables that override config.yaml's paths are cleared, so an input reads the
// same wherever it runs.
bool ClearEnvironmentOverrides() {
  unsetenv("DUCKDB_PATH");
  unsetenv("LANDING_DIR");
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace materia;
  static const bool cleared = ClearEnvironmentOverrides();
  (void)cleared;
  const std::string content = fuzz::InputText(data, size);
  const fuzz::ScratchProject& project = fuzz::ScratchProject::Get();
  project.WriteFile("config.yaml", content);

  Result<ProjectConfig> config = LoadConfig(project.dir());
  if (config.ok()) {
    fuzz::FuzzCheck(config->gateways.count(config->default_gateway) == 1,
                    "the default gateway is one of the gateways");
  } else {
    fuzz::FuzzCheck(!config.status().message().empty(), "an error has a message");
  }
  Result<FeatureConfig> features = LoadFeatureConfig(project.dir());
  if (features.ok()) {
    fuzz::FuzzCheck(features->FindStore(features->store) != nullptr,
                    "the store written to is one of the stores");
  }
  Result<ExtractConfig> extract = ParseExtractConfig(content, "config.yaml");
  (void)extract;
  return 0;
}
