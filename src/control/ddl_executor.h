// What runs the cluster controller's DDL (cluster_sql.h): an interface, so that `apply`
// runs the statements on Materialize in production, and tests, where no Materialize
// can run, substitute a stand-in that applies them to fixture relations instead.
//
// The real executor runs each statement on the connection in autocommit, one at a
// time: Materialize runs no cluster DDL inside a transaction block.
#pragma once

#include "base/status.h"
#include "control/cluster_snapshot.h"
#include "control/differ.h"
#include "db/postgres.h"

namespace materia {

class DdlExecutor {
 public:
  virtual ~DdlExecutor() = default;
  // Runs `action.sql` against `cluster`'s Materialize. Returns ok once it is done, or
  // the one-line error ("unknown cluster replica size 'xl' (SQLSTATE XX000)").
  virtual Status Execute(const ClusterSnapshot& cluster, const ClusterAction& action) = 0;
};

// Runs each statement on one connection (borrowed; it must outlive this executor).
// Thread-safety as the connection's: one thread at a time.
class ConnectionDdlExecutor final : public DdlExecutor {
 public:
  explicit ConnectionDdlExecutor(PgConnection* connection) : connection_(connection) {}
  Status Execute(const ClusterSnapshot& cluster, const ClusterAction& action) override;

 private:
  PgConnection* connection_;
};

}  // namespace materia
