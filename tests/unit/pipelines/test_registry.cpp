#include "pipelines/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace materia {
namespace {

namespace fs = std::filesystem;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    directory_ = fs::temp_directory_path() /
                 ("materia_registry_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    config_.project_dir = directory_.string();
  }
  void TearDown() override { fs::remove_all(directory_); }

  Result<PipelineSettings> Load(const std::string& yaml) {
    std::ofstream(directory_ / "config.yaml") << yaml;
    return LoadPipelineSettings(config_);
  }
  std::string ErrorOf(const std::string& yaml) {
    auto settings = Load(yaml);
    return settings.ok() ? "ok" : settings.status().message();
  }

  fs::path directory_;
  ProjectConfig config_;
};

TEST_F(RegistryTest, DefaultsRunExtractThenTransformThenExport) {
  auto settings = Load("gateways: {local: {connection: {type: duckdb}}}\n");
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  ASSERT_EQ(settings->pipelines.size(), 3u);
  EXPECT_EQ(settings->pipelines[0].name, "extract");
  EXPECT_EQ(settings->pipelines[1].name, "transform");
  EXPECT_EQ(settings->pipelines[2].name, "export_serving");
  EXPECT_EQ(settings->pipelines[1].timeout_ms, 2 * 3'600'000);
  EXPECT_EQ(settings->supervisor_interval_ms, 15 * 60'000);
  EXPECT_EQ(SizeForTags(*settings, {}).name, "medium");
}

TEST_F(RegistryTest, ReadsPipelinesWorkersAndSupervisor) {
  auto settings = Load(R"(pipelines:
  extract: {priority: 5, timeout: 90s, attempts: 4, backoff: 2s, backoff_max: 10s, tags: [light]}
  export_serving: {enabled: false}
workers:
  default: small
  sizes:
    huge: {threads: 16, memory_limit: 64GB}
  tags: {heavy: huge, light: small}
supervisor: {interval: 2m}
)");
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  // Priority 5 puts extract after transform (2) and export_serving (3).
  EXPECT_EQ(settings->pipelines[0].name, "transform");
  EXPECT_EQ(settings->pipelines[2].name, "extract");
  const PipelineDefinition& extract = settings->pipelines[2];
  EXPECT_EQ(extract.timeout_ms, 90'000);
  EXPECT_EQ(extract.retry.attempts_max, 4);
  EXPECT_EQ(extract.tags, std::vector<std::string>{"light"});
  EXPECT_FALSE(settings->pipelines[1].enabled);
  EXPECT_EQ(settings->supervisor_interval_ms, 120'000);
  // The union of tags takes the largest size any of them asks for.
  EXPECT_EQ(SizeForTags(*settings, {"light"}).name, "small");
  EXPECT_EQ(SizeForTags(*settings, {"light", "heavy"}).name, "huge");
  EXPECT_EQ(SizeForTags(*settings, {"heavy", "light"}).memory_limit, "64GB");
  EXPECT_EQ(SizeForTags(*settings, {"other"}).name, "small");  // the default
  // Back-off doubles up to its bound.
  EXPECT_EQ(BackoffMs(extract.retry, 1), 2'000);
  EXPECT_EQ(BackoffMs(extract.retry, 2), 4'000);
  EXPECT_EQ(BackoffMs(extract.retry, 3), 8'000);
  EXPECT_EQ(BackoffMs(extract.retry, 4), 10'000);
}

TEST_F(RegistryTest, FindPipelineNamesTheKnownOnes) {
  auto settings = Load("{}\n");
  ASSERT_TRUE(settings.ok());
  auto missing = FindPipeline(*settings, "load");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "unknown pipeline 'load' (known: extract, transform, export_serving)");
}

TEST_F(RegistryTest, MistakesAreOneLineWithPosition) {
  EXPECT_EQ(ErrorOf("pipelines:\n  transfrom: {priority: 1}\n"),
            "config.yaml:2:3: unknown pipeline 'transfrom' (known: extract, transform, export_serving)");
  EXPECT_EQ(ErrorOf("pipelines:\n  transform: {priorty: 1}\n"),
            "config.yaml:2:15: unknown key 'priorty' in pipeline transform (expected priority, timeout, "
            "attempts, backoff, backoff_max, tags or enabled)");
  EXPECT_EQ(ErrorOf("pipelines:\n  transform: {timeout: soon}\n"),
            "config.yaml:2:24: invalid timeout 'soon': expected a count and a unit, such as '30s', '15m', "
            "'2h' or '15 minutes'");
  EXPECT_EQ(ErrorOf("pipelines:\n  transform: {attempts: 0}\n"),
            "config.yaml:2:25: attempts must be a whole number from 1 to 20, got '0'");
  EXPECT_EQ(ErrorOf("workers:\n  tags: {heavy: giant}\n"),
            "config.yaml:2:17: unknown worker size 'giant' for tag heavy");
  EXPECT_EQ(ErrorOf("workers:\n  default: tiny\n"), "config.yaml:2:12: unknown worker size 'tiny'");
  EXPECT_EQ(ErrorOf("workers:\n  sizes: {xl: {threads: many}}\n"),
            "config.yaml:2:25: threads must be a whole number from 0 to 256, got 'many'");
  EXPECT_EQ(ErrorOf("supervisor: {interval: 1 month}\n"),
            "config.yaml:1:24: invalid interval '1 month': months and years have no fixed length; use days "
            "or weeks");
}

}  // namespace
}  // namespace materia
