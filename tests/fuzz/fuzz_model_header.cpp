// Fuzz target: a model file (models/**/*.sql), read by ParseModelFile as `materia plan`
// reads it, then its query rendered as a run renders it. Errors are expected; a
// parsed model must have what the parser promises: a schema.table name and, unless it
// is a SEED, a query.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "project/macros.h"
#include "project/model_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace materia;
  const std::string content = fuzz::InputText(data, size);
  Result<ModelDefinition> model = ParseModelFile("models/fuzz.sql", content);
  if (!model.ok()) {
    fuzz::FuzzCheck(!model.status().message().empty(), "an error has a message");
    return 0;
  }
  const ModelDefinition& definition = model.value();
  fuzz::FuzzCheck(!definition.schema.empty() && !definition.table.empty(),
                  "a parsed model has a schema and a table");
  fuzz::FuzzCheck(definition.name == definition.schema + "." + definition.table,
                  "a model's name is schema.table");
  if (definition.kind != ModelKind::kSeed) {
    fuzz::FuzzCheck(!definition.query.empty(), "a model other than a SEED has a query");
  }

  MacroContext context;
  context.start_ms = 1704067200000;      // 2024-01-01
  context.end_ms = 1704153600000;        // 2024-01-02
  context.execution_ms = 1704157200000;  // 2024-01-02 01:00
  context.variables = {{"landing_dir", "'data/landing'"}, {"n", "3"}};
  context.this_model = "\"materia__s\".\"s__t__1\"";
  context.gateway = "local";
  Result<std::string> rendered = RenderMacros(definition.query, context, definition.query_location);
  (void)rendered;
  return 0;
}
