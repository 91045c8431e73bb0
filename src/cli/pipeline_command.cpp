// materia pipeline list | check NAME | run NAME: the operations under the names the
// supervisor uses. The transform pipeline is `check prod` and `plan prod --auto-apply`.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace materia::cli {

namespace {

struct PipelineInfo {
  const char* name;
  const char* description;
};

constexpr PipelineInfo kPipelines[] = {
    {"transform", "plan and run the prod environment of the project's models"},
};

Status CheckPipelineName(const std::string& name) {
  for (const PipelineInfo& pipeline : kPipelines) {
    if (name == pipeline.name) return Status::Ok();
  }
  return Status::NotFound("unknown pipeline '" + name + "' (known: transform)");
}

}  // namespace

void RegisterPipelineCommand(CLI::App& app, GlobalOptions& global) {
  struct Options {
    std::string name;
    std::string format = "text";
    int threads = 4;
  };
  auto options = std::make_shared<Options>();
  CLI::App* pipeline = app.add_subcommand("pipeline", "List, check and run pipelines");
  pipeline->require_subcommand(1);

  CLI::App* list = pipeline->add_subcommand("list", "List the pipelines");
  AddFormatOption(list, &options->format, {"text", "json"});
  list->callback([&global, options] {
    if (options->format == "json") {
      nlohmann::json json = nlohmann::json::array();
      for (const PipelineInfo& p : kPipelines) json.push_back({{"name", p.name}, {"description", p.description}});
      std::printf("%s\n", json.dump(2).c_str());
    } else {
      for (const PipelineInfo& p : kPipelines) std::printf("%-12s %s\n", p.name, p.description);
    }
    global.exit_code = kExitOk;
  });

  CLI::App* check = pipeline->add_subcommand("check", "Tell whether a pipeline has work (exit 0: work, 1: none, 2+: error)");
  check->add_option("name", options->name, "pipeline name")->required();
  AddFormatOption(check, &options->format, {"text", "json"});
  SetProjectAction(check, global, [options] {
    Status known = CheckPipelineName(options->name);
    return known.ok() ? RunCheck("prod", options->format) : ReportError(known);
  });

  CLI::App* run = pipeline->add_subcommand("run", "Run a pipeline");
  run->add_option("name", options->name, "pipeline name")->required();
  AddThreadsOption(run, &options->threads);
  AddFormatOption(run, &options->format, {"text", "json"});
  SetProjectAction(run, global, [options] {
    Status known = CheckPipelineName(options->name);
    if (!known.ok()) return ReportError(known);
    PlanOptions plan;
    plan.auto_apply = true;
    plan.threads = options->threads;
    plan.format = options->format;
    return RunPlan("prod", plan);
  });
}

}  // namespace materia::cli
