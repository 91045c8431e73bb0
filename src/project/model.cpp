#include "project/model.h"

namespace materia {

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  std::string position = std::to_string(line) + ":" + std::to_string(column);
  if (file.empty()) return position;
  return file + ":" + position;
}

const char* ModelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kView:
      return "VIEW";
    case ModelKind::kFull:
      return "FULL";
    case ModelKind::kSeed:
      return "SEED";
    case ModelKind::kIncrementalByTimeRange:
      return "INCREMENTAL_BY_TIME_RANGE";
  }
  return "UNKNOWN";
}

}  // namespace materia
