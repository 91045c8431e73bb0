#include "control/cluster_sql.h"

#include <cassert>

namespace materia {

namespace {

std::string Quote(std::string_view text, char quote) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.push_back(quote);
  for (char c : text) {
    if (c == quote) quoted.push_back(quote);
    quoted.push_back(c);
  }
  quoted.push_back(quote);
  return quoted;
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) { return Quote(name, '"'); }

std::string QuoteLiteral(std::string_view text) { return Quote(text, '\''); }

std::string CreateReplicaSql(std::string_view cluster, std::string_view replica, std::string_view size) {
  return "CREATE CLUSTER REPLICA " + QuoteIdentifier(cluster) + "." + QuoteIdentifier(replica) +
         " (SIZE = " + QuoteLiteral(size) + ")";
}

std::string DropReplicaSql(std::string_view cluster, std::string_view replica) {
  return "DROP CLUSTER REPLICA " + QuoteIdentifier(cluster) + "." + QuoteIdentifier(replica);
}

std::string SetReplicationFactorSql(std::string_view cluster, int replication_factor) {
  assert(replication_factor >= 0);
  return "ALTER CLUSTER " + QuoteIdentifier(cluster) + " SET (REPLICATION FACTOR = " +
         std::to_string(replication_factor) + ")";
}

std::string SetSizeSql(std::string_view cluster, std::string_view size) {
  return "ALTER CLUSTER " + QuoteIdentifier(cluster) + " SET (SIZE = " + QuoteLiteral(size) + ")";
}

}  // namespace materia
