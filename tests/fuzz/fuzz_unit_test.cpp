// Fuzz target: a unit-test file (tests/test*.yaml, SQLMesh's format), parsed by
// ParseTestFile in a scratch project that holds a CSV and a YAML fixture the input may
// name with `path:` (tests/data/orders.csv, tests/data/orders.yaml). Errors are
// expected; a parsed file's tests each have a model and outputs.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "project/test_file.h"

namespace {

const materia::fuzz::ScratchProject& ProjectWithFixtures() {
  const materia::fuzz::ScratchProject& project = materia::fuzz::ScratchProject::Get();
  static const bool written = [&project] {
    project.WriteFile("tests/data/orders.csv", "id,item_id,ds\n1,1,2024-01-01\n2,,2024-01-02\n");
    project.WriteFile("tests/data/orders.yaml", "rows:\n  - {id: 1, item_id: 1}\n  - {id: 2}\n");
    return true;
  }();
  (void)written;
  return project;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace materia;
  const fuzz::ScratchProject& project = ProjectWithFixtures();
  Result<TestFile> file = ParseTestFile("tests/test_fuzz.yaml", fuzz::InputText(data, size), project.dir());
  if (!file.ok()) {
    fuzz::FuzzCheck(!file.status().message().empty(), "an error has a message");
    return 0;
  }
  for (const UnitTestDefinition& test : file->tests) {
    fuzz::FuzzCheck(!test.model.empty(), "a parsed test names its model");
    fuzz::FuzzCheck(test.query_output.has_value() || !test.cte_outputs.empty(),
                    "a parsed test has outputs");
    for (const TestInput& input : test.inputs) {
      for (const TestRow& row : input.data.rows) {
        for (const TestCell& cell : row.cells) (void)TestValueLiteral(cell.value);
      }
    }
  }
  return 0;
}
