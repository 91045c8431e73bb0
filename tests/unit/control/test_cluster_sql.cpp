// The SQL the controller runs: names quoted so that any catalog name round-trips.

#include <gtest/gtest.h>

#include <string>

#include "control/cluster_sql.h"

namespace materia {
namespace {

struct QuoteCase {
  std::string text;
  std::string identifier;
  std::string literal;
};

TEST(ControlSql, QuotesIdentifiersAndLiterals) {
  const QuoteCase cases[] = {
      {"analytics", "\"analytics\"", "'analytics'"},
      {"Analytics", "\"Analytics\"", "'Analytics'"},  // quoting keeps case
      {"my cluster", "\"my cluster\"", "'my cluster'"},
      {"select", "\"select\"", "'select'"},
      {"a.b", "\"a.b\"", "'a.b'"},
      {"say \"hi\"", "\"say \"\"hi\"\"\"", "'say \"hi\"'"},
      {"it's", "\"it's\"", "'it''s'"},
      {"\"", "\"\"\"\"", "'\"'"},
      {"'", "\"'\"", "''''"},
      {"''", "\"''\"", "''''''"},
      {"back\\slash", "\"back\\slash\"", "'back\\slash'"},
      {"größe-ü", "\"größe-ü\"", "'größe-ü'"},
      {"", "\"\"", "''"},
      {"x\"; DROP CLUSTER y; --", "\"x\"\"; DROP CLUSTER y; --\"", "'x\"; DROP CLUSTER y; --'"},
      {"x'); DROP CLUSTER y; --", "\"x'); DROP CLUSTER y; --\"", "'x''); DROP CLUSTER y; --'"},
  };
  for (const QuoteCase& c : cases) {
    EXPECT_EQ(QuoteIdentifier(c.text), c.identifier) << c.text;
    EXPECT_EQ(QuoteLiteral(c.text), c.literal) << c.text;
  }
}

TEST(ControlSql, Statements) {
  EXPECT_EQ(CreateReplicaSql("analytics", "r1", "medium"),
            "CREATE CLUSTER REPLICA \"analytics\".\"r1\" (SIZE = 'medium')");
  EXPECT_EQ(CreateReplicaSql("My \"Big\" Cluster", "r'1", "200cc"),
            "CREATE CLUSTER REPLICA \"My \"\"Big\"\" Cluster\".\"r'1\" (SIZE = '200cc')");
  EXPECT_EQ(CreateReplicaSql("c", "r", "it's big"), "CREATE CLUSTER REPLICA \"c\".\"r\" (SIZE = 'it''s big')");
  EXPECT_EQ(DropReplicaSql("analytics", "burst_1"), "DROP CLUSTER REPLICA \"analytics\".\"burst_1\"");
  EXPECT_EQ(DropReplicaSql("a.b", "c\"d"), "DROP CLUSTER REPLICA \"a.b\".\"c\"\"d\"");
  EXPECT_EQ(SetReplicationFactorSql("analytics", 0), "ALTER CLUSTER \"analytics\" SET (REPLICATION FACTOR = 0)");
  EXPECT_EQ(SetReplicationFactorSql("Sales EU", 2), "ALTER CLUSTER \"Sales EU\" SET (REPLICATION FACTOR = 2)");
  EXPECT_EQ(SetSizeSql("analytics", "M.1-large"), "ALTER CLUSTER \"analytics\" SET (SIZE = 'M.1-large')");
  EXPECT_EQ(SetSizeSql("q\"", "x'"), "ALTER CLUSTER \"q\"\"\" SET (SIZE = 'x''')");
}

}  // namespace
}  // namespace materia
