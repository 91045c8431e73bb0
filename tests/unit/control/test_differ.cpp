// The differ: the ordered actions from what a cluster runs to the desired replicas,
// for unmanaged clusters (replica by replica, never dropping the last serving replica
// before its replacement serves) and managed ones (ALTER CLUSTER).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/differ.h"
#include "control_fixtures.h"

namespace materia {
namespace {

using namespace control_test;

DesiredState Desired(std::vector<ReplicaSpec> specs) {
  DesiredState desired;
  for (ReplicaSpec& spec : specs) desired.replicas.push_back({std::move(spec), "wanted"});
  return desired;
}

// Each action as "SQL | expected change".
std::vector<std::string> Actions(const ClusterDiff& diff) {
  std::vector<std::string> actions;
  for (const ClusterAction& action : diff.actions) actions.push_back(action.sql + " | " + action.expected_change);
  return actions;
}

struct DiffCase {
  std::string name;
  ClusterSnapshot current;
  std::vector<ReplicaSpec> desired;
  std::vector<std::string> actions;
  std::vector<std::string> waiting;
};

void ExpectDiffs(const std::vector<DiffCase>& cases) {
  for (const DiffCase& c : cases) {
    Result<ClusterDiff> diff = DiffCluster(c.current, Desired(c.desired));
    ASSERT_TRUE(diff.ok()) << c.name << ": " << diff.status().message();
    EXPECT_EQ(Actions(*diff), c.actions) << c.name;
    EXPECT_EQ(diff->waiting, c.waiting) << c.name;
  }
}

TEST(ControlDiffer, Unmanaged) {
  ExpectDiffs({
      {"nothing to do", Unmanaged({Hydrated("r1", "m")}), {{"r1", "m"}}, {}, {}},
      {"a replica of the size under another name meets the desired one", Unmanaged({Hydrated("main", "m")}),
       {{"r1", "m"}}, {}, {}},
      {"create on an empty cluster", Unmanaged({}), {{"r1", "m"}},
       {"CREATE CLUSTER REPLICA \"analytics\".\"r1\" (SIZE = 'm') | replicas: none -> r1 (m)"}, {}},
      {"drop a burst replica once the steady one serves", Unmanaged({Hydrated("r1", "m"), Hydrated("burst_1", "xl")}),
       {{"r1", "m"}},
       {"DROP CLUSTER REPLICA \"analytics\".\"burst_1\" | replicas: r1 (m), burst_1 (xl) -> r1 (m)"}, {}},
      {"suspend drops every replica, serving or not",
       Unmanaged({Hydrated("r1", "m"), Hydrating("burst_1", "xl")}), {},
       {"DROP CLUSTER REPLICA \"analytics\".\"r1\" | replicas: r1 (m), burst_1 (xl) -> burst_1 (xl)",
        "DROP CLUSTER REPLICA \"analytics\".\"burst_1\" | replicas: burst_1 (xl) -> none"},
       {}},
      {"resize: the new replica first, the old one kept while it is the only one serving",
       Unmanaged({Hydrated("r1", "small")}), {{"r1", "medium"}},
       {"CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium') | replicas: r1 (small) -> r1 (small), r1_2 (medium)"},
       {"r1 (small) is kept until a replacement is hydrated (r1_2 not yet)"}},
      {"resize, waiting: nothing to run", Unmanaged({Hydrated("r1", "small"), Hydrating("r1_2", "medium")}),
       {{"r1", "medium"}}, {}, {"r1 (small) is kept until a replacement is hydrated (r1_2 not yet)"}},
      {"resize, the new replica serves: the old one goes",
       Unmanaged({Hydrated("r1", "small"), Hydrated("r1_2", "medium")}), {{"r1", "medium"}},
       {"DROP CLUSTER REPLICA \"analytics\".\"r1\" | replicas: r1 (small), r1_2 (medium) -> r1_2 (medium)"}, {}},
      {"a replica that does not serve is dropped at once", Unmanaged({Hydrating("r1", "small")}), {{"r1", "medium"}},
       {"CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium') | replicas: r1 (small) -> r1 (small), r1_2 (medium)",
        "DROP CLUSTER REPLICA \"analytics\".\"r1\" | replicas: r1 (small), r1_2 (medium) -> r1_2 (medium)"},
       {}},
      {"hydrated but offline does not serve", Unmanaged({Offline("r1", "small")}), {{"r1", "medium"}},
       {"CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium') | replicas: r1 (small) -> r1 (small), r1_2 (medium)",
        "DROP CLUSTER REPLICA \"analytics\".\"r1\" | replicas: r1 (small), r1_2 (medium) -> r1_2 (medium)"},
       {}},
      {"resize of several replicas waits for one new replica to serve",
       Unmanaged({Hydrated("a", "s"), Hydrated("b", "s"), Hydrating("a_2", "m")}), {{"a", "m"}, {"b", "m"}},
       {"CREATE CLUSTER REPLICA \"analytics\".\"b_2\" (SIZE = 'm') | replicas: a (s), b (s), a_2 (m) -> a (s), b (s), a_2 (m), b_2 (m)"},
       {"a (s) is kept until a replacement is hydrated (a_2, b_2 not yet)",
        "b (s) is kept until a replacement is hydrated (a_2, b_2 not yet)"}},
      {"a serving replica that stays lets the others go",
       Unmanaged({Hydrated("a", "s"), Hydrated("b", "s"), Hydrated("a_2", "m"), Hydrating("b_2", "m")}),
       {{"a", "m"}, {"b", "m"}},
       {"DROP CLUSTER REPLICA \"analytics\".\"a\" | replicas: a (s), b (s), a_2 (m), b_2 (m) -> b (s), a_2 (m), b_2 (m)",
        "DROP CLUSTER REPLICA \"analytics\".\"b\" | replicas: b (s), a_2 (m), b_2 (m) -> a_2 (m), b_2 (m)"},
       {}},
      {"a new burst size takes the next free burst name",
       Unmanaged({Hydrated("r1", "m"), Hydrated("burst_1", "xl")}), {{"r1", "m"}, {"burst_1", "xxl"}},
       {"CREATE CLUSTER REPLICA \"analytics\".\"burst_2\" (SIZE = 'xxl') | replicas: r1 (m), burst_1 (xl) -> r1 (m), burst_1 (xl), burst_2 (xxl)",
        "DROP CLUSTER REPLICA \"analytics\".\"burst_1\" | replicas: r1 (m), burst_1 (xl), burst_2 (xxl) -> r1 (m), burst_2 (xxl)"},
       {}},
      {"a fresh name avoids the desired names", Unmanaged({Hydrated("r1", "s")}), {{"r1", "m"}, {"r1_2", "m"}},
       {"CREATE CLUSTER REPLICA \"analytics\".\"r1_3\" (SIZE = 'm') | replicas: r1 (s) -> r1 (s), r1_3 (m)",
        "CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'm') | replicas: r1 (s), r1_3 (m) -> r1 (s), r1_3 (m), r1_2 (m)"},
       {"r1 (s) is kept until a replacement is hydrated (r1_3, r1_2 not yet)"}},
      {"the serving one of two same-size replicas is kept",
       Unmanaged({Hydrating("x", "m"), Hydrated("y", "m")}), {{"r1", "m"}},
       {"DROP CLUSTER REPLICA \"analytics\".\"x\" | replicas: x (m), y (m) -> y (m)"}, {}},
  });
}

TEST(ControlDiffer, ReasonsAndKinds) {
  DesiredState desired = Desired({{"r1", "medium"}});
  desired.replicas[0].why = "target_size: one replica r1 of size 'medium'";
  Result<ClusterDiff> diff = DiffCluster(Unmanaged({Hydrating("r1", "small")}), desired);
  ASSERT_TRUE(diff.ok());
  ASSERT_EQ(diff->actions.size(), 2u);
  EXPECT_EQ(diff->actions[0].kind, ActionKind::kCreateReplica);
  EXPECT_EQ(diff->actions[0].reason, "target_size: one replica r1 of size 'medium'");
  EXPECT_EQ(diff->actions[1].kind, ActionKind::kDropReplica);
  EXPECT_EQ(diff->actions[1].reason, "not among the desired replicas (r1 (medium))");
  EXPECT_EQ(ActionKindName(ActionKind::kCreateReplica), "create_replica");
  EXPECT_EQ(ActionKindName(ActionKind::kDropReplica), "drop_replica");
  EXPECT_EQ(ActionKindName(ActionKind::kSetSize), "set_size");
  EXPECT_EQ(ActionKindName(ActionKind::kSetReplicationFactor), "set_replication_factor");

  Result<ClusterDiff> suspend = DiffCluster(Unmanaged({Hydrated("r1", "small")}), Desired({}));
  ASSERT_TRUE(suspend.ok());
  EXPECT_EQ(suspend->actions.at(0).reason, "not among the desired replicas (none)");
}

TEST(ControlDiffer, Managed) {
  ExpectDiffs({
      {"nothing to do", Managed("m", 2), {{"r1", "m"}, {"r2", "m"}}, {}, {}},
      {"more replicas", Managed("m", 1), {{"r1", "m"}, {"r1_2", "m"}},
       {"ALTER CLUSTER \"analytics\" SET (REPLICATION FACTOR = 2) | replication factor: 1 -> 2"}, {}},
      {"suspend keeps the size", Managed("m", 2), {},
       {"ALTER CLUSTER \"analytics\" SET (REPLICATION FACTOR = 0) | replication factor: 2 -> 0"}, {}},
      {"resume at a new size: size first", Managed("small", 0), {{"r1", "medium"}},
       {"ALTER CLUSTER \"analytics\" SET (SIZE = 'medium') | size: 'small' -> 'medium'",
        "ALTER CLUSTER \"analytics\" SET (REPLICATION FACTOR = 1) | replication factor: 0 -> 1"},
       {}},
      {"fewer replicas at a new size: factor first", Managed("small", 3), {{"r1", "medium"}},
       {"ALTER CLUSTER \"analytics\" SET (REPLICATION FACTOR = 1) | replication factor: 3 -> 1",
        "ALTER CLUSTER \"analytics\" SET (SIZE = 'medium') | size: 'small' -> 'medium'"},
       {}},
      {"resize alone", Managed("small", 1), {{"r1", "medium"}},
       {"ALTER CLUSTER \"analytics\" SET (SIZE = 'medium') | size: 'small' -> 'medium'"}, {}},
  });
}

TEST(ControlDiffer, OddIdentifiersAreQuoted) {
  ClusterSnapshot current = Unmanaged({Hydrated("it's \"old\"", "25cc"), Hydrated("burst_1", "it's")});
  current.name = "Sales \"EU\"";
  Result<ClusterDiff> diff = DiffCluster(current, Desired({{"it's \"old\"", "25cc"}, {"Ünïcode r", "o'clock"}}));
  ASSERT_TRUE(diff.ok()) << diff.status().message();
  EXPECT_EQ(Actions(*diff),
            (std::vector<std::string>{
                "CREATE CLUSTER REPLICA \"Sales \"\"EU\"\"\".\"Ünïcode r\" (SIZE = 'o''clock') | replicas: it's \"old\" "
                "(25cc), burst_1 (it's) -> it's \"old\" (25cc), burst_1 (it's), Ünïcode r (o'clock)",
                "DROP CLUSTER REPLICA \"Sales \"\"EU\"\"\".\"burst_1\" | replicas: it's \"old\" (25cc), burst_1 (it's), "
                "Ünïcode r (o'clock) -> it's \"old\" (25cc), Ünïcode r (o'clock)"}));

  ClusterSnapshot managed = Managed("x", 1);
  managed.name = "a\"b";
  Result<ClusterDiff> resize = DiffCluster(managed, Desired({{"r1", "it's"}}));
  ASSERT_TRUE(resize.ok());
  EXPECT_EQ(resize->actions.at(0).sql, "ALTER CLUSTER \"a\"\"b\" SET (SIZE = 'it''s')");
}

TEST(ControlDiffer, ErrorMessages) {
  Result<ClusterDiff> mixed = DiffCluster(Managed("m", 1), Desired({{"r1", "m"}, {"burst_1", "xl"}}));
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().message(),
            "cluster 'analytics' is managed, so its replicas share one size, but 'm' and 'xl' are desired");

  Result<ClusterDiff> twice_current = DiffCluster(Unmanaged({Hydrated("r1", "m"), Hydrated("r1", "l")}), Desired({}));
  ASSERT_FALSE(twice_current.ok());
  EXPECT_EQ(twice_current.status().message(), "cluster 'analytics' lists replica 'r1' twice");

  Result<ClusterDiff> twice_desired = DiffCluster(Unmanaged({}), Desired({{"r1", "m"}, {"r1", "l"}}));
  ASSERT_FALSE(twice_desired.ok());
  EXPECT_EQ(twice_desired.status().message(), "cluster 'analytics' has replica 'r1' desired twice");
}

}  // namespace
}  // namespace materia
