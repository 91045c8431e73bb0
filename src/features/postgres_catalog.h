// The MaterializationCatalog in a Postgres schema of its own (default "materia"), for
// several machines that share one catalog. The schema carries its own version table,
// `catalog_schema_version` (one row per applied migration), and is brought up to date
// by numbered migrations when opened for writing, so a newer materia upgrades a
// catalog in place instead of starting over.
//
// A catalog object is safe for concurrent use from several threads (one mutex guards
// its connection). Any number of processes on any number of machines may open the
// same schema at once: every write is one transaction, Register is an INSERT ... ON
// CONFLICT DO UPDATE, and migrations take a transaction-scoped advisory lock, so
// concurrent writers lose nothing and a migration runs once. Text is compared in
// byte order (COLLATE "C"), so results come in the same order as from every other
// implementation. After a lost session (a server restart, say) a call reconnects once
// and, unless it is a Remove, runs again; Remove then reports the loss instead.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "features/materialization_catalog.h"

namespace materia {

// The schema version this binary writes and expects in a Postgres catalog.
int LatestPostgresCatalogSchemaVersion();

// Opens the catalog in `schema` of the Postgres database `conninfo` names (a URL or
// key=value pairs; empty means libpq's environment: PGHOST, PGPORT, PGUSER, ...).
// Writable: creates the schema and its tables when missing and applies any pending
// migrations. `read_only`: never creates or migrates, and the session is read-only;
// Register and Remove then return kInvalidInput. `schema` is 1 to 63 characters of
// [a-z0-9_], not starting with a digit. Returns kInvalidInput for a bad schema name
// or connection string, or a schema newer than this binary (or, read-only, older),
// kNotFound for a missing schema opened read-only, kDatabaseError (one line naming
// host and port) when the server cannot be reached or refuses.
Result<std::unique_ptr<MaterializationCatalog>> OpenPostgresCatalog(
    const std::string& conninfo, const std::string& schema = "materia", bool read_only = false);

}  // namespace materia
