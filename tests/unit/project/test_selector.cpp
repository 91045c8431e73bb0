#include "project/selector.h"

#include <gtest/gtest.h>

#include "project/dag.h"

namespace materia {
namespace {

using Names = std::vector<std::string>;

// raw.a -> stg.b -> serving.c
//       \-> stg.d (tag nightly) -> serving.e (tags nightly, serving)
//   raw.x (alone), other.c (a second table called c)
class SelectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Model> models;
    Add(models, "raw.a", {}, {"raw"});
    Add(models, "stg.b", {"raw.a"}, {});
    Add(models, "serving.c", {"stg.b"}, {"serving"});
    Add(models, "stg.d", {"raw.a"}, {"nightly"});
    Add(models, "serving.e", {"stg.d"}, {"Nightly", "serving"});
    Add(models, "raw.x", {}, {});
    Add(models, "other.c", {}, {});
    Status built = BuildDag(std::move(models), &project_);
    ASSERT_TRUE(built.ok()) << built.message();
  }

  static void Add(std::vector<Model>& models, const std::string& name, const Names& reads,
                  const Names& tags) {
    Model model;
    model.definition.name = name;
    model.definition.schema = name.substr(0, name.find('.'));
    model.definition.table = name.substr(name.find('.') + 1);
    model.definition.tags = tags;
    model.external_tables = reads;  // BuildDag turns the ones that are models into parents
    models.push_back(std::move(model));
  }

  Names Select(const Names& expressions) {
    auto selected = SelectModels(project_, expressions);
    EXPECT_TRUE(selected.ok()) << selected.status().message();
    return selected.ok() ? *selected : Names{};
  }

  std::string Error(const Names& expressions) {
    auto selected = SelectModels(project_, expressions);
    EXPECT_FALSE(selected.ok());
    return selected.ok() ? "" : selected.status().message();
  }

  Project project_;
};

TEST_F(SelectorTest, NoSelectorSelectsEverythingInProjectOrder) {
  Names all = Select({});
  EXPECT_EQ(all.size(), 7u);
  EXPECT_LT(std::find(all.begin(), all.end(), "raw.a"), std::find(all.begin(), all.end(), "stg.b"));
}

TEST_F(SelectorTest, ModelAlone) {
  EXPECT_EQ(Select({"stg.b"}), (Names{"stg.b"}));
  EXPECT_EQ(Select({"STG.B"}), (Names{"stg.b"}));
}

TEST_F(SelectorTest, UpstreamDownstreamAndBoth) {
  EXPECT_EQ(Select({"+serving.c"}), (Names{"raw.a", "stg.b", "serving.c"}));
  EXPECT_EQ(Select({"stg.d+"}), (Names{"stg.d", "serving.e"}));
  EXPECT_EQ(Select({"+stg.b+"}), (Names{"raw.a", "stg.b", "serving.c"}));
  Names downstream_of_root = Select({"raw.a+"});
  EXPECT_EQ(downstream_of_root.size(), 5u);
}

TEST_F(SelectorTest, TagsAreCaseInsensitiveAndExpand) {
  EXPECT_EQ(Select({"tag:nightly"}), (Names{"stg.d", "serving.e"}));
  EXPECT_EQ(Select({"+tag:serving"}), (Names{"raw.a", "stg.b", "serving.c", "stg.d", "serving.e"}));
  EXPECT_EQ(Select({"tag:night*"}), (Names{"stg.d", "serving.e"}));
}

TEST_F(SelectorTest, SeveralSelectorsAreUnionedWhetherInOneArgumentOrMany) {
  Names expected = {"raw.x", "stg.b"};  // project order: raw.x is ready first
  EXPECT_EQ(Select({"raw.x", "stg.b"}), expected);
  EXPECT_EQ(Select({"raw.x  stg.b"}), expected);
  EXPECT_EQ(Select({"stg.b", "stg.b"}), (Names{"stg.b"}));
}

TEST_F(SelectorTest, PatternsMatchNamesOrTables) {
  EXPECT_EQ(Select({"raw.*"}), (Names{"raw.a", "raw.x"}));
  EXPECT_EQ(Select({"serving.?"}), (Names{"serving.c", "serving.e"}));
}

TEST_F(SelectorTest, ATableNameAloneWorksWhenUnique) {
  EXPECT_EQ(Select({"+e"}), (Names{"raw.a", "stg.d", "serving.e"}));
  EXPECT_EQ(Error({"c"}), "model name 'c' is ambiguous: other.c, serving.c");
}

TEST_F(SelectorTest, MistakesAreClearErrors) {
  EXPECT_EQ(Error({"+stg.bb"}), "unknown model 'stg.bb' in selector '+stg.bb' (did you mean stg.b?)");
  EXPECT_EQ(Error({"nothing.like_it_at_all"}), "unknown model 'nothing.like_it_at_all'");
  EXPECT_EQ(Error({"tag:weekly"}),
            "no model has tag 'weekly' (selector 'tag:weekly'; tags in the project: Nightly, "
            "nightly, raw, serving)");
  EXPECT_EQ(Error({"stg.z*"}), "selector 'stg.z*' matches no model");
  EXPECT_EQ(Error({"+"}), "empty selector '+'");
  EXPECT_EQ(Error({"tag:"}), "empty tag in selector 'tag:'");
  EXPECT_EQ(Error({"raw.a,stg.b"}), "selector 'raw.a,stg.b': separate selectors with spaces (they are unioned)");
}

TEST_F(SelectorTest, UpstreamExcludesTheModelsThemselves) {
  EXPECT_EQ(Upstream(project_, {"serving.e"}), (Names{"raw.a", "stg.d"}));
  EXPECT_TRUE(Upstream(project_, {"raw.a"}).empty());
}

}  // namespace
}  // namespace materia
