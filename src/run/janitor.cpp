#include "run/janitor.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "base/text.h"
#include "plan/snapshot.h"

namespace materia {

namespace {

constexpr const char* kPhysicalSchemaPrefix = "materia__";
constexpr const char* kProduction = "prod";

// DuckDB's identifiers are case-insensitive: objects are compared by their lower-case
// "schema\nname" (no identifier Materia creates holds a line break).
std::string Key(const std::string& schema, const std::string& name) {
  return ToLower(schema) + "\n" + ToLower(name);
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

struct CatalogEntry {
  std::string schema;
  std::string name;
  std::string kind;  // "table", "view", "sequence", "macro", "type"
};

// The warehouse's own schemas and what is in them, read once.
struct Catalog {
  std::map<std::string, std::string> schemas;  // lower-case name -> name as created
  std::map<std::string, std::vector<CatalogEntry>> entries;  // lower-case schema -> entries
  std::map<std::string, CatalogEntry> relations;  // Key -> table or view
};

Result<Catalog> ReadCatalog(DuckConnection& warehouse) {
  Catalog catalog;
  MATERIA_ASSIGN_OR_RETURN(
      QueryResult schemas,
      warehouse.Query("SELECT schema_name FROM duckdb_schemas() "
                      "WHERE database_name = current_database() AND NOT internal"));
  for (const auto& row : schemas.rows) {
    if (row[0]) catalog.schemas[ToLower(*row[0])] = *row[0];
  }
  // Every kind of entry that keeps DROP SCHEMA from succeeding.
  MATERIA_ASSIGN_OR_RETURN(
      QueryResult entries,
      warehouse.Query(
          "SELECT schema_name, table_name, 'table' FROM duckdb_tables() "
          "WHERE database_name = current_database() AND NOT internal AND NOT temporary "
          "UNION ALL SELECT schema_name, view_name, 'view' FROM duckdb_views() "
          "WHERE database_name = current_database() AND NOT internal AND NOT temporary "
          "UNION ALL SELECT schema_name, sequence_name, 'sequence' FROM duckdb_sequences() "
          "WHERE database_name = current_database() AND NOT temporary "
          "UNION ALL SELECT schema_name, function_name, 'macro' FROM duckdb_functions() "
          "WHERE database_name = current_database() AND NOT internal "
          "AND function_type IN ('macro', 'table_macro') "
          "UNION ALL SELECT schema_name, type_name, 'type' FROM duckdb_types() "
          "WHERE database_name = current_database() AND NOT internal"));
  for (const auto& row : entries.rows) {
    if (!row[0] || !row[1] || !row[2]) continue;
    CatalogEntry entry{*row[0], *row[1], *row[2]};
    if (entry.kind == "table" || entry.kind == "view") {
      catalog.relations[Key(entry.schema, entry.name)] = entry;
    }
    catalog.entries[ToLower(entry.schema)].push_back(std::move(entry));
  }
  return catalog;
}

Result<std::vector<EnvironmentRecord>> ReadEnvironments(StateStore& state) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> names, state.ListEnvironments());
  std::vector<EnvironmentRecord> environments;
  for (const std::string& name : names) {
    MATERIA_ASSIGN_OR_RETURN(std::optional<EnvironmentRecord> environment,
                             state.GetEnvironment(name));
    if (environment) environments.push_back(std::move(*environment));
  }
  return environments;
}

// What the environments that stay use: their views, the schemas of those views, their
// snapshots and the physical tables (model, version) of those snapshots.
struct InUse {
  std::set<std::string> views;    // Key
  std::set<std::string> view_schemas;  // lower-case
  std::set<std::pair<std::string, std::string>> snapshots;  // (name, fingerprint)
  std::set<std::pair<std::string, std::string>> versions;   // (name, version)

  void Add(const EnvironmentRecord& environment) {
    for (const auto& [model, reference] : environment.snapshots) {
      auto [schema, table] = SplitModelName(model);
      std::string view_schema = EnvironmentSchema(schema, environment.name);
      views.insert(Key(view_schema, table));
      view_schemas.insert(ToLower(view_schema));
      snapshots.emplace(model, reference.fingerprint);
      versions.emplace(model, reference.version);
    }
  }
};

// True when everything in `schema` is in `dropped` (keys of relations about to go).
bool EmptiedBy(const Catalog& catalog, const std::string& schema,
               const std::set<std::string>& dropped) {
  auto found = catalog.entries.find(ToLower(schema));
  if (found == catalog.entries.end()) return true;
  for (const CatalogEntry& entry : found->second) {
    bool relation = entry.kind == "table" || entry.kind == "view";
    if (!relation || !dropped.count(Key(entry.schema, entry.name))) return false;
  }
  return true;
}

ExpiredEnvironment PlanExpiredEnvironment(const EnvironmentRecord& environment,
                                          const Catalog& catalog, const InUse& in_use,
                                          std::set<std::string>* dropped) {
  ExpiredEnvironment expired{environment.name, environment.promoted_ms, {}, {}};
  std::set<std::string> schemas;
  for (const auto& [model, reference] : environment.snapshots) {
    auto [schema, table] = SplitModelName(model);
    std::string view_schema = EnvironmentSchema(schema, environment.name);
    schemas.insert(view_schema);
    std::string key = Key(view_schema, table);
    // A view another environment also has (only possible when names collide, such as
    // a schema literally called "raw__dev") stays.
    if (in_use.views.count(key)) continue;
    auto found = catalog.relations.find(key);
    if (found == catalog.relations.end() || found->second.kind != "view") continue;
    expired.views.push_back({found->second.schema, found->second.name, true, "expired"});
    dropped->insert(key);
  }
  for (const std::string& schema : schemas) {
    auto found = catalog.schemas.find(ToLower(schema));
    if (found == catalog.schemas.end() || in_use.view_schemas.count(ToLower(schema))) continue;
    if (EmptiedBy(catalog, schema, *dropped)) expired.schemas.push_back(found->second);
  }
  return expired;
}

// True for "materia__raw"."raw__orders__0123456789ab": the only objects the janitor
// removes without a snapshot naming them.
bool LooksPhysical(const std::string& schema, const std::string& name) {
  std::string lower_schema = ToLower(schema);
  if (!StartsWith(lower_schema, kPhysicalSchemaPrefix)) return false;
  std::string model_schema = lower_schema.substr(std::string(kPhysicalSchemaPrefix).size());
  std::string lower = ToLower(name);
  size_t suffix = 2 + kVersionLength;  // "__" + version
  if (!StartsWith(lower, model_schema + "__") || lower.size() <= model_schema.size() + 2 + suffix) {
    return false;
  }
  std::string version = lower.substr(lower.size() - kVersionLength);
  bool hex = std::all_of(version.begin(), version.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  return hex && lower.compare(lower.size() - suffix, 2, "__") == 0;
}

// Snapshots no remaining environment uses, created before the cutoff; then the
// physical objects that go: those of removed snapshots whose version nothing keeps,
// and those state knows of nothing.
void PlanSnapshotsAndObjects(const std::vector<SnapshotRecord>& snapshots, const Catalog& catalog,
                             const InUse& in_use, TimestampMs cutoff_ms, JanitorPlan* plan,
                             std::set<std::string>* dropped) {
  std::set<std::pair<std::string, std::string>> kept_versions = in_use.versions;
  for (const SnapshotRecord& snapshot : snapshots) {
    bool orphaned = !in_use.snapshots.count({snapshot.name, snapshot.fingerprint}) &&
                    snapshot.created_ms < cutoff_ms;
    if (orphaned) {
      plan->snapshots.push_back(
          {snapshot.name, snapshot.fingerprint, snapshot.version, snapshot.created_ms});
    } else {
      kept_versions.emplace(snapshot.name, snapshot.version);
    }
  }
  std::set<std::string> known;  // Key of every physical object a kept version names
  for (const auto& [name, version] : kept_versions) {
    auto [schema, table] = SplitModelName(name);
    known.insert(Key(PhysicalSchema(schema), PhysicalTableName(schema, table, version)));
  }
  std::map<std::string, WarehouseObject> objects;  // Key -> object, sorted and unique
  for (const OrphanedSnapshot& snapshot : plan->snapshots) {
    auto [schema, table] = SplitModelName(snapshot.name);
    std::string key =
        Key(PhysicalSchema(schema), PhysicalTableName(schema, table, snapshot.version));
    auto found = catalog.relations.find(key);
    if (known.count(key) || found == catalog.relations.end()) continue;
    objects[key] = {found->second.schema, found->second.name, found->second.kind == "view",
                    "snapshot of " + snapshot.name + " no longer used"};
  }
  for (const auto& [key, entry] : catalog.relations) {
    if (snapshots.empty() || known.count(key) || objects.count(key) || dropped->count(key) ||
        in_use.views.count(key) || !LooksPhysical(entry.schema, entry.name)) {
      continue;
    }
    objects[key] = {entry.schema, entry.name, entry.kind == "view", "unknown to state"};
  }
  for (auto& [key, object] : objects) {
    dropped->insert(key);
    plan->objects.push_back(std::move(object));
  }
}

void PlanEmptySchemas(const Catalog& catalog, const InUse& in_use,
                      const std::set<std::string>& dropped, JanitorPlan* plan) {
  std::set<std::string> planned;
  for (const ExpiredEnvironment& environment : plan->environments) {
    for (const std::string& schema : environment.schemas) planned.insert(ToLower(schema));
  }
  for (const auto& [lower, schema] : catalog.schemas) {
    if (!StartsWith(lower, kPhysicalSchemaPrefix) || planned.count(lower) ||
        in_use.view_schemas.count(lower)) {
      continue;
    }
    if (EmptiedBy(catalog, schema, dropped)) plan->schemas.push_back(schema);
  }
}

std::string DropStatement(const WarehouseObject& object) {
  return std::string(object.is_view ? "DROP VIEW IF EXISTS " : "DROP TABLE IF EXISTS ") +
         QuoteIdentifier(object.schema) + "." + QuoteIdentifier(object.name);
}

// Drops the objects, then the schemas, in one warehouse transaction.
Status Drop(DuckConnection& warehouse, const std::vector<WarehouseObject>& objects,
            const std::vector<std::string>& schemas) {
  if (objects.empty() && schemas.empty()) return Status::Ok();
  std::vector<std::string> statements;
  for (const WarehouseObject& object : objects) statements.push_back(DropStatement(object));
  for (const std::string& schema : schemas) {
    statements.push_back("DROP SCHEMA IF EXISTS " + QuoteIdentifier(schema));
  }
  MATERIA_RETURN_IF_ERROR(warehouse.Execute("BEGIN TRANSACTION"));
  for (const std::string& statement : statements) {
    Status status = warehouse.Execute(statement);
    if (!status.ok()) {
      (void)warehouse.Execute("ROLLBACK");
      return status;
    }
  }
  return warehouse.Execute("COMMIT");
}

}  // namespace

Result<JanitorPlan> PlanJanitor(StateStore& state, DuckConnection& warehouse,
                                const JanitorOptions& options) {
  MATERIA_ASSIGN_OR_RETURN(Catalog catalog, ReadCatalog(warehouse));
  MATERIA_ASSIGN_OR_RETURN(std::vector<EnvironmentRecord> environments, ReadEnvironments(state));
  MATERIA_ASSIGN_OR_RETURN(std::vector<SnapshotRecord> snapshots, state.ListSnapshots());

  const TimestampMs environment_cutoff_ms =
      SubtractDuration(options.now_ms, options.environment_ttl);
  std::vector<const EnvironmentRecord*> expired;
  InUse in_use;
  for (const EnvironmentRecord& environment : environments) {
    if (environment.name != kProduction && environment.promoted_ms < environment_cutoff_ms) {
      expired.push_back(&environment);
    } else {
      in_use.Add(environment);
    }
  }
  JanitorPlan plan;
  std::set<std::string> dropped;  // Key of every relation the plan drops
  for (const EnvironmentRecord* environment : expired) {
    plan.environments.push_back(PlanExpiredEnvironment(*environment, catalog, in_use, &dropped));
  }
  PlanSnapshotsAndObjects(snapshots, catalog, in_use,
                          SubtractDuration(options.now_ms, options.snapshot_ttl), &plan, &dropped);
  PlanEmptySchemas(catalog, in_use, dropped, &plan);
  return plan;
}

Status ExecuteJanitor(const JanitorPlan& plan, StateStore& state, DuckConnection& warehouse) {
  for (const ExpiredEnvironment& environment : plan.environments) {
    MATERIA_RETURN_IF_ERROR(Drop(warehouse, environment.views, environment.schemas)
                                .WithPrefix("cannot drop the views of environment '" +
                                            environment.name + "'"));
    MATERIA_RETURN_IF_ERROR(state.DeleteEnvironment(environment.name));
  }
  MATERIA_RETURN_IF_ERROR(
      Drop(warehouse, plan.objects, {}).WithPrefix("cannot drop unused physical tables"));
  for (const OrphanedSnapshot& snapshot : plan.snapshots) {
    MATERIA_RETURN_IF_ERROR(state.DeleteSnapshot(snapshot.name, snapshot.fingerprint));
  }
  return Drop(warehouse, {}, plan.schemas).WithPrefix("cannot drop empty schemas");
}

}  // namespace materia
