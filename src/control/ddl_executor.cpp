#include "control/ddl_executor.h"

namespace materia {

Status ConnectionDdlExecutor::Execute(const ClusterSnapshot& cluster, const ClusterAction& action) {
  (void)cluster;
  return connection_->Execute(action.sql);
}

}  // namespace materia
