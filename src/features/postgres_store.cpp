#include "features/metadata_store.h"
#include "features/materialization_catalog.h"

namespace materia {

Result<std::unique_ptr<MetadataStore>> OpenPostgresStore(const StoreConfig& config) {
  return Status::Internal("store " + config.name + ": postgres stores are not built yet");
}

}  // namespace materia
#include "features/feature_config.h"
namespace materia {
Result<std::unique_ptr<MaterializationCatalog>> OpenPostgresCatalogFromConfig(const CatalogConfig& config, bool) {
  return Status::Internal("postgres catalogs are not built yet");
}
}  // namespace materia
