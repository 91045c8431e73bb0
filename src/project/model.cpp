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
    case ModelKind::kIncrementalByUniqueKey:
      return "INCREMENTAL_BY_UNIQUE_KEY";
    case ModelKind::kScdType2ByTime:
      return "SCD_TYPE_2_BY_TIME";
    case ModelKind::kScdType2ByColumn:
      return "SCD_TYPE_2_BY_COLUMN";
  }
  return "UNKNOWN";
}

bool IsIncrementalKind(ModelKind kind) {
  return kind == ModelKind::kIncrementalByTimeRange || kind == ModelKind::kIncrementalByUniqueKey ||
         IsScdKind(kind);
}

bool IsScdKind(ModelKind kind) {
  return kind == ModelKind::kScdType2ByTime || kind == ModelKind::kScdType2ByColumn;
}

}  // namespace materia
