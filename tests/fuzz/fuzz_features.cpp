// Fuzz target: a feature file (features/**/*.yaml), parsed by ParseFeatureFile; the
// features it defines are then checked as a project by FeatureGraph::Build (unknown
// upstreams, cycles, versions). Errors are expected; a parsed feature has id columns
// and fields, and a graph that builds orders every feature after the features it
// depends on and gives each a version.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "features/feature_graph.h"
#include "features/feature_parser.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace materia;
  Result<std::vector<FeatureDefinition>> features =
      ParseFeatureFile("features/fuzz.yaml", fuzz::InputText(data, size));
  if (!features.ok()) {
    fuzz::FuzzCheck(!features.status().message().empty(), "an error has a message");
    return 0;
  }
  for (const FeatureDefinition& feature : features.value()) {
    fuzz::FuzzCheck(!feature.id_columns.empty(), "a parsed feature has id columns");
    fuzz::FuzzCheck(!feature.fields.empty(), "a parsed feature has fields");
  }
  Result<FeatureGraph> graph = FeatureGraph::Build(std::move(features.value()), kFeatureVersionLengthDefault);
  if (!graph.ok()) return 0;
  std::set<std::string> seen;
  for (const FeatureDefinition* feature : graph->TopologicalOrder()) {
    for (const std::string& upstream : graph->Upstream(feature->key)) {
      fuzz::FuzzCheck(seen.count(upstream) == 1,
                      "a feature comes after the features it depends on");
    }
    seen.insert(feature->key);
    fuzz::FuzzCheck(graph->FeatureVersion(feature->key).size() ==
                        static_cast<size_t>(kFeatureVersionLengthDefault),
                    "every feature has a version of the configured length");
  }
  fuzz::FuzzCheck(seen.size() == graph->features().size(), "the order holds every feature");
  return 0;
}
