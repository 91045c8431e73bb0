// Fuzz target: SQL text with @-macros (a model's query and statements), rendered by
// RenderMacros with a fixed interval, variables and model name, as a run renders it.
// Errors are expected; text without '@' must come back unchanged, and UsesTimeMacros
// must never see a time macro in such text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "project/macros.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace materia;
  const std::string sql = fuzz::InputText(data, size);

  MacroContext context;
  context.start_ms = 1709251200000;      // 2024-03-01
  context.end_ms = 1711929600000;        // 2024-04-01
  context.execution_ms = 1711933200123;  // 2024-04-01 01:00:00.123
  context.variables = {{"landing_dir", "'data/landing'"},
                       {"n", "3"},
                       {"flag", "true"},
                       {"names", "['a', 'b']"},
                       {"start_ds", "'shadowed'"}};
  context.this_model = "\"materia__s\".\"s__t__42\"";
  context.gateway = "local";

  Result<std::string> rendered = RenderMacros(sql, context, SourceLocation{"models/fuzz.sql", 1, 1});
  const bool uses_time = UsesTimeMacros(sql);
  if (sql.find('@') == std::string::npos) {
    fuzz::FuzzCheck(!uses_time, "text without '@' uses no time macro");
    if (rendered.ok()) fuzz::FuzzCheck(rendered.value() == sql, "text without '@' renders unchanged");
  }
  if (!rendered.ok()) {
    fuzz::FuzzCheck(!rendered.status().message().empty(), "an error has a message");
  }
  return 0;
}
