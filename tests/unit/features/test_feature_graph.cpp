#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/hash.h"
#include "features/feature_graph.h"
#include "features/feature_parser.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

// A three-step video pipeline: raw -> crop -> embed, with field-level dependencies.
//   crop.frames    <- raw.frames              (default: same name)
//   crop.audio     <- raw.audio               (default: same name)
//   crop.thumbnail <- raw.frames              (explicit)
//   embed.embedding <- crop.frames, crop.audio, crop.thumbnail  (default: no same name, so all)
//   embed.transcript <- crop.audio            (explicit)
//   embed.title    <- nothing                 (deps: [])
struct Pipeline {
  std::string raw_frames = "1", raw_audio = "1", crop_frames = "1", embed_title = "1";
  std::string raw_description = "raw videos";

  std::map<std::string, std::string> Files() const {
    return {
        {"features/raw.yaml", "key: video/raw\n"
                              "description: " + raw_description + "\n"
                              "id_columns: [video_id]\n"
                              "fields:\n"
                              "  - {key: frames, code_version: \"" + raw_frames + "\"}\n"
                              "  - {key: audio, code_version: \"" + raw_audio + "\"}\n"},
        {"features/crop.yaml", "key: video/crop\n"
                               "id_columns: [video_id]\n"
                               "deps: [video/raw]\n"
                               "fields:\n"
                               "  - {key: frames, code_version: \"" + crop_frames + "\"}\n"
                               "  - audio\n"
                               "  - key: thumbnail\n"
                               "    deps: [{feature: video/raw, fields: [frames]}]\n"},
        {"features/embed.yaml", "key: video/embed\n"
                                "id_columns: [video_id]\n"
                                "deps:\n"
                                "  - feature: video/crop\n"
                                "    rename: {frames: crop_frames}\n"
                                "    select: [video_id, crop_frames]\n"
                                "    filters: [\"duration > 0\"]\n"
                                "fields:\n"
                                "  - embedding\n"
                                "  - key: transcript\n"
                                "    deps: [{feature: video/crop, fields: [audio]}]\n"
                                "  - {key: title, code_version: \"" + embed_title + "\", deps: []}\n"},
    };
  }
};

Result<FeatureGraph> BuildGraph(const std::map<std::string, std::string>& files, int version_length = 16) {
  std::vector<FeatureDefinition> features;
  for (const auto& [path, content] : files) {
    MATERIA_ASSIGN_OR_RETURN(std::vector<FeatureDefinition> parsed, ParseFeatureFile(path, content));
    for (FeatureDefinition& feature : parsed) features.push_back(std::move(feature));
  }
  return FeatureGraph::Build(std::move(features), version_length);
}

FeatureGraph MustBuild(const std::map<std::string, std::string>& files, int version_length = 16) {
  Result<FeatureGraph> graph = BuildGraph(files, version_length);
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  return graph.ok() ? std::move(graph).value() : FeatureGraph();
}

std::string ErrorOf(const std::map<std::string, std::string>& files) {
  Result<FeatureGraph> graph = BuildGraph(files);
  if (graph.ok()) return "ok";
  EXPECT_EQ(graph.status().code(), StatusCode::kInvalidInput);
  return graph.status().message();
}

std::string ErrorOf(const std::string& content) { return ErrorOf({{"features/a.yaml", content}}); }

// Every version in the graph: "project", "feature:KEY", "field:KEY.FIELD".
std::map<std::string, std::string> Versions(const FeatureGraph& graph) {
  std::map<std::string, std::string> versions;
  versions["project"] = graph.ProjectVersion();
  for (const FeatureDefinition& feature : graph.features()) {
    versions["feature:" + feature.key] = graph.FeatureVersion(feature.key);
    for (const FieldDefinition& field : feature.fields) {
      versions["field:" + feature.key + "." + field.key] = graph.FieldVersion(feature.key, field.key);
    }
  }
  return versions;
}

// The names of the versions that differ between two graphs of the same shape.
std::vector<std::string> Changed(const Pipeline& before, const Pipeline& after) {
  std::map<std::string, std::string> old_versions = Versions(MustBuild(before.Files()));
  std::map<std::string, std::string> new_versions = Versions(MustBuild(after.Files()));
  std::vector<std::string> changed;
  for (const auto& [name, version] : old_versions) {
    if (new_versions[name] != version) changed.push_back(name);
  }
  return changed;
}

TEST(FeatureGraphTest, ReadsThePipeline) {
  FeatureGraph graph = MustBuild(Pipeline().Files());
  std::vector<std::string> order;
  for (const FeatureDefinition* feature : graph.TopologicalOrder()) order.push_back(feature->key);
  EXPECT_EQ(order, (std::vector<std::string>{"video/raw", "video/crop", "video/embed"}));
  EXPECT_EQ(graph.Upstream("video/embed"), std::vector<std::string>{"video/crop"});
  EXPECT_EQ(graph.Downstream("video/raw"), std::vector<std::string>{"video/crop"});
  EXPECT_TRUE(graph.Downstream("video/embed").empty());
  EXPECT_TRUE(graph.Upstream("video/nothing").empty());
  EXPECT_EQ(graph.Find("video/nothing"), nullptr);

  const FeatureDefinition* embed = graph.Find("video/embed");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->id_columns, std::vector<std::string>{"video_id"});
  ASSERT_EQ(embed->deps.size(), 1u);
  EXPECT_EQ(embed->deps[0].feature, "video/crop");
  EXPECT_EQ(embed->deps[0].rename, (std::vector<std::pair<std::string, std::string>>{{"frames", "crop_frames"}}));
  EXPECT_EQ(embed->deps[0].select, (std::vector<std::string>{"video_id", "crop_frames"}));
  EXPECT_EQ(embed->deps[0].filters, std::vector<std::string>{"duration > 0"});
  EXPECT_EQ(embed->deps[0].location.ToString(), "features/embed.yaml:4:5");
  EXPECT_EQ(embed->lineage.type, LineageType::kOneToOne);

  using Parents = std::vector<FieldReference>;
  EXPECT_EQ(embed->FindField("embedding")->parents,
            (Parents{{"video/crop", "audio"}, {"video/crop", "frames"}, {"video/crop", "thumbnail"}}));
  EXPECT_EQ(embed->FindField("transcript")->parents, (Parents{{"video/crop", "audio"}}));
  EXPECT_TRUE(embed->FindField("title")->parents.empty());
  const FeatureDefinition* crop = graph.Find("video/crop");
  EXPECT_EQ(crop->FindField("frames")->parents, (Parents{{"video/raw", "frames"}}));
  EXPECT_EQ(crop->FindField("audio")->parents, (Parents{{"video/raw", "audio"}}));
  EXPECT_EQ(crop->FindField("thumbnail")->parents, (Parents{{"video/raw", "frames"}}));
  EXPECT_EQ(crop->FindField("audio")->code_version, "1");
}

TEST(FeatureGraphTest, VersionsFollowTheDocumentedFormula) {
  FeatureGraph graph = MustBuild(Pipeline().Files(), 64);
  std::string frames = Hasher().Add("frames").Add("1").Add(int64_t{0}).Sha256();
  std::string audio = Hasher().Add("audio").Add("1").Add(int64_t{0}).Sha256();
  EXPECT_EQ(graph.FieldVersion("video/raw", "frames"), frames);
  EXPECT_EQ(graph.FeatureVersion("video/raw"),
            Hasher().Add("frames").Add(frames).Add("audio").Add(audio).Sha256());
  std::string crop_frames = Hasher().Add("frames").Add("1").Add(int64_t{1}).Add(frames).Sha256();
  EXPECT_EQ(graph.FieldVersion("video/crop", "frames"), crop_frames);
  EXPECT_EQ(graph.FieldVersion("video/raw", "nothing"), "");
  EXPECT_EQ(graph.FeatureVersion("video/nothing"), "");
}

TEST(FeatureGraphTest, VersionLengthTruncates) {
  FeatureGraph full = MustBuild(Pipeline().Files(), 64);
  FeatureGraph short_graph = MustBuild(Pipeline().Files(), 8);
  FeatureGraph usual = MustBuild(Pipeline().Files(), 16);
  EXPECT_EQ(full.ProjectVersion().size(), 64u);
  EXPECT_EQ(usual.FeatureVersion("video/crop").size(), 16u);
  EXPECT_EQ(short_graph.FieldVersion("video/crop", "frames"), full.FieldVersion("video/crop", "frames").substr(0, 8));
  EXPECT_EQ(ErrorOf(std::map<std::string, std::string>()), "ok");
  EXPECT_EQ(FeatureGraph::Build({}, 7).status().message(), "the version length must be from 8 to 64");
  EXPECT_EQ(FeatureGraph::Build({}, 65).status().message(), "the version length must be from 8 to 64");
}

TEST(FeatureGraphTest, ARawFieldBumpChangesExactlyWhatReadsIt) {
  Pipeline before, after;
  after.raw_audio = "2";
  EXPECT_EQ(Changed(before, after),
            (std::vector<std::string>{"feature:video/crop", "feature:video/embed", "feature:video/raw",
                                      "field:video/crop.audio", "field:video/embed.embedding",
                                      "field:video/embed.transcript", "field:video/raw.audio", "project"}));
  after = before;
  after.raw_frames = "2";
  EXPECT_EQ(Changed(before, after),
            (std::vector<std::string>{"feature:video/crop", "feature:video/embed", "feature:video/raw",
                                      "field:video/crop.frames", "field:video/crop.thumbnail",
                                      "field:video/embed.embedding", "field:video/raw.frames", "project"}));
}

TEST(FeatureGraphTest, AMiddleFieldBumpLeavesUpstreamAndSiblingsAlone) {
  Pipeline before, after;
  after.crop_frames = "2";
  // transcript reads only crop.audio, title nothing: neither changes.
  EXPECT_EQ(Changed(before, after),
            (std::vector<std::string>{"feature:video/crop", "feature:video/embed", "field:video/crop.frames",
                                      "field:video/embed.embedding", "project"}));
}

TEST(FeatureGraphTest, ALeafFieldBumpChangesOnlyItsFeature) {
  Pipeline before, after;
  after.embed_title = "7";
  EXPECT_EQ(Changed(before, after),
            (std::vector<std::string>{"feature:video/embed", "field:video/embed.title", "project"}));
}

TEST(FeatureGraphTest, WhatDoesNotAffectDataKeepsEveryVersion) {
  Pipeline before, after;
  after.raw_description = "videos as uploaded";
  EXPECT_TRUE(Changed(before, after).empty());
  // The order files are read in does not matter either.
  std::map<std::string, std::string> renamed;
  for (const auto& [path, content] : before.Files()) renamed["features/z/" + path.substr(9)] = content;
  EXPECT_EQ(Versions(MustBuild(renamed)), Versions(MustBuild(before.Files())));
}

TEST(FeatureGraphTest, DefaultsOneFieldAndOneToOne) {
  FeatureGraph graph = MustBuild({{"features/a.yaml", "- {key: a, id_columns: [id]}\n"
                                                      "- key: b\n"
                                                      "  id_columns: [id, frame]\n"
                                                      "  deps: [a]\n"
                                                      "  lineage: {type: expansion, by: [frame]}\n"}});
  const FeatureDefinition* b = graph.Find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->fields.size(), 1u);
  EXPECT_EQ(b->fields[0].key, "default");
  EXPECT_EQ(b->fields[0].code_version, "1");
  EXPECT_EQ(b->fields[0].parents, (std::vector<FieldReference>{{"a", "default"}}));
  EXPECT_EQ(b->lineage.type, LineageType::kExpansion);
  EXPECT_EQ(b->lineage.by, std::vector<std::string>{"frame"});
  EXPECT_EQ(graph.Find("a")->lineage.type, LineageType::kOneToOne);
  EXPECT_STREQ(LineageTypeName(LineageType::kAggregation), "aggregation");
}

TEST(FeatureGraphTest, FieldDependencyWithoutFieldsUsesTheDefault) {
  FeatureGraph graph = MustBuild({{"features/a.yaml", "- {key: a, id_columns: [id], fields: [x, y]}\n"
                                                      "- {key: b, id_columns: [id], fields: [x, y]}\n"
                                                      "- key: c\n"
                                                      "  id_columns: [id]\n"
                                                      "  deps: [a, b]\n"
                                                      "  lineage: {type: aggregation, by: [id]}\n"
                                                      "  fields:\n"
                                                      "    - {key: x, deps: [a]}\n"
                                                      "    - {key: z, deps: [b]}\n"},
                                  {"features/empty.yaml", "# nothing yet\n"}});
  const FeatureDefinition* c = graph.Find("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->FindField("x")->parents, (std::vector<FieldReference>{{"a", "x"}}));
  EXPECT_EQ(c->FindField("z")->parents, (std::vector<FieldReference>{{"b", "x"}, {"b", "y"}}));
  EXPECT_EQ(c->lineage.type, LineageType::kAggregation);
  EXPECT_EQ(graph.features().size(), 3u);
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nfields: []\n"),
            "features/a.yaml:1:1: feature 'a' has an empty list of fields");
}

TEST(FeatureGraphTest, ValidatesKeys) {
  EXPECT_TRUE(IsValidFeatureKey("video/crop"));
  EXPECT_TRUE(IsValidFeatureKey("a_b-c/9"));
  EXPECT_FALSE(IsValidFeatureKey(""));
  EXPECT_FALSE(IsValidFeatureKey("Video"));
  EXPECT_FALSE(IsValidFeatureKey("a//b"));
  EXPECT_FALSE(IsValidFeatureKey("/a"));
  EXPECT_FALSE(IsValidFeatureKey("a/"));
  EXPECT_FALSE(IsValidFeatureKey("a.b"));
  EXPECT_FALSE(IsValidFeatureKey(std::string(257, 'a')));
}

TEST(FeatureGraphTest, FileErrors) {
  EXPECT_EQ(ErrorOf("key: a\nidcolumns: [id]\n"),
            "features/a.yaml:2:1: unknown key 'idcolumns' in a feature (known keys: key, description, "
            "id_columns, deps, fields, lineage)");
  EXPECT_EQ(ErrorOf("key: Video/Crop\nid_columns: [id]\n"),
            "features/a.yaml:1:6: invalid feature key 'Video/Crop': use lowercase letters, digits, '_', '-' "
            "and '/' between non-empty segments");
  EXPECT_EQ(ErrorOf("key: a//b\nid_columns: [id]\n"),
            "features/a.yaml:1:6: invalid feature key 'a//b': use lowercase letters, digits, '_', '-' "
            "and '/' between non-empty segments");
  EXPECT_EQ(ErrorOf("key: a\n"), "features/a.yaml:1:1: feature 'a' has no id_columns");
  EXPECT_EQ(ErrorOf("id_columns: [id]\n"), "features/a.yaml:1:1: a feature has no key");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: []\n"), "features/a.yaml:2:13: id_columns must not be empty");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id, id]\n"), "features/a.yaml:2:18: 'id' appears twice in id_columns");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nfields: [x, y, x]\n"),
            "features/a.yaml:3:16: field 'x' appears twice in feature 'a'");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nfields: [{key: x, version: 2}]\n"),
            "features/a.yaml:3:19: unknown key 'version' in a field (known keys: key, code_version, deps)");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\ndeps: [{feature: b, where: x}]\n"),
            "features/a.yaml:3:21: unknown key 'where' in a dependency (known keys: feature, rename, select, "
            "filters)");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nfields: [{key: x, deps: [{feature: b, field: [y]}]}]\n"),
            "features/a.yaml:3:39: unknown key 'field' in a field dependency (known keys: feature, fields)");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nfields: [{key: x, deps: [b]}]\n"),
            "features/a.yaml:3:26: field 'x' of feature 'a' depends on feature 'b', which is not in the deps "
            "of 'a'");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nlineage: {type: many}\n"),
            "features/a.yaml:3:17: unknown lineage type 'many' (use one_to_one, aggregation or expansion)");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nlineage: {type: aggregation}\n"),
            "features/a.yaml:3:17: lineage aggregation needs 'by' columns");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nlineage: {type: one_to_one, by: [x]}\n"),
            "features/a.yaml:3:29: lineage one_to_one takes no 'by'");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\nlineage: {kind: one_to_one}\n"),
            "features/a.yaml:3:11: unknown key 'kind' in lineage (known keys: type, by)");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\ndeps: [b, b]\n"),
            "features/a.yaml:3:11: dependency 'b' appears twice");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\ndeps: [{feature: b, rename: {x: y, z: y}}]\n"),
            "features/a.yaml:3:39: two columns are renamed to 'y'");
  EXPECT_EQ(ErrorOf("key: a\nkey: b\n"), "features/a.yaml:2:1: key 'key' appears twice");
  EXPECT_EQ(ErrorOf("just text\n"),
            "features/a.yaml:1:1: expected a feature (a mapping with key, id_columns, deps, fields) or a list "
            "of them");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id\n"), "features/a.yaml:3:1: end of sequence flow not found");
}

TEST(FeatureGraphTest, GraphErrors) {
  const std::string raw = "key: video/raw\nid_columns: [id]\nfields: [frames, audio]\n";
  EXPECT_EQ(ErrorOf({{"features/a.yaml", raw}, {"features/b.yaml", "\n" + raw}}),
            "features/b.yaml:2:1: feature 'video/raw' is also defined in features/a.yaml:1:1");
  EXPECT_EQ(ErrorOf({{"features/a.yaml", raw},
                     {"features/b.yaml", "key: video/crop\nid_columns: [id]\ndeps:\n  - video/rw\n"}}),
            "features/b.yaml:4:5: feature 'video/crop' depends on unknown feature 'video/rw'");
  EXPECT_EQ(ErrorOf({{"features/a.yaml", raw},
                     {"features/b.yaml", "key: video/crop\nid_columns: [id]\ndeps: [video/raw]\n"
                                         "fields:\n  - key: frames\n    deps: [{feature: video/raw, fields: [pixels]}]\n"}}),
            "features/b.yaml:6:12: field 'frames' of feature 'video/crop' depends on unknown field 'pixels' of "
            "feature 'video/raw' (its fields: frames, audio)");
}

TEST(FeatureGraphTest, CyclesAreNamed) {
  EXPECT_EQ(ErrorOf({{"features/a.yaml", "key: video/crop\nid_columns: [id]\ndeps:\n  - video/embed\n"},
                     {"features/b.yaml", "key: video/embed\nid_columns: [id]\ndeps: [video/crop]\n"}}),
            "features/a.yaml:4:5: cycle in the feature graph: video/crop -> video/embed -> video/crop");
  // Data flows a -> b -> c -> a: b reads a, c reads b, a reads c; d hangs below the cycle.
  EXPECT_EQ(ErrorOf({{"features/a.yaml", "- {key: a, id_columns: [id], deps: [c]}\n"
                                         "- {key: b, id_columns: [id], deps: [a]}\n"
                                         "- {key: c, id_columns: [id], deps: [b]}\n"
                                         "- {key: d, id_columns: [id], deps: [c]}\n"}}),
            "features/a.yaml:1:37: cycle in the feature graph: a -> b -> c -> a");
  EXPECT_EQ(ErrorOf("key: a\nid_columns: [id]\ndeps: [a]\n"),
            "features/a.yaml:3:8: cycle in the feature graph: a -> a");
}

// LoadFeatureGraph reads features/ recursively and config.yaml's version length.
class LoadFeatureGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    directory_ = fs::temp_directory_path() /
                 ("materia_features_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  void Write(const std::string& name, const std::string& content) {
    fs::create_directories((directory_ / name).parent_path());
    std::ofstream(directory_ / name) << content;
  }

  fs::path directory_;
};

TEST_F(LoadFeatureGraphTest, NoFeaturesFolderIsEmpty) {
  Result<FeatureGraph> graph = LoadFeatureGraph(directory_.string());
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_TRUE(graph->empty());
  EXPECT_EQ(graph->version_length(), 16);
}

TEST_F(LoadFeatureGraphTest, ReadsFoldersAndTheVersionLength) {
  Write("config.yaml", "gateways: {}\nfeatures: {version_length: 12, store: later}\n");
  Write("features/video/raw.yaml", "key: video/raw\nid_columns: [id]\n");
  Write("features/video/crop.yml", "key: video/crop\nid_columns: [id]\ndeps: [video/raw]\n");
  Write("features/notes.txt", "not a feature");
  Result<FeatureGraph> graph = LoadFeatureGraph(directory_.string());
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_EQ(graph->features().size(), 2u);
  EXPECT_EQ(graph->version_length(), 12);
  EXPECT_EQ(graph->FeatureVersion("video/crop").size(), 12u);
  EXPECT_EQ(graph->Find("video/crop")->location.ToString(), "features/video/crop.yml:1:1");
}

TEST_F(LoadFeatureGraphTest, ConfigErrors) {
  Write("config.yaml", "features:\n  version_length: 4\n");
  EXPECT_EQ(LoadFeatureGraph(directory_.string()).status().message(),
            "config.yaml:2:19: features.version_length must be a whole number from 8 to 64");
  Write("config.yaml", "features:\n  version_length: sixteen\n");
  EXPECT_EQ(LoadFeatureGraph(directory_.string()).status().message(),
            "config.yaml:2:19: features.version_length must be a whole number from 8 to 64");
  Write("config.yaml", "features: [16]\n");
  EXPECT_EQ(LoadFeatureGraph(directory_.string()).status().message(),
            "config.yaml:1:11: features must be a mapping such as {version_length: 16}");
}

TEST_F(LoadFeatureGraphTest, ErrorsNameTheFileInsideTheProject) {
  Write("features/sub/a.yaml", "key: a\nid_columns: [id]\ndeps: [missing]\n");
  EXPECT_EQ(LoadFeatureGraph(directory_.string()).status().message(),
            "features/sub/a.yaml:3:8: feature 'a' depends on unknown feature 'missing'");
}

}  // namespace
}  // namespace materia
