// The MaterializationCatalog in a SQLite file of its own (WAL mode, 10 s busy
// timeout). The file carries its own schema version table, `catalog_schema_version`,
// and is brought up to date by numbered migrations when opened for writing.
//
// A catalog object is safe for concurrent use from several threads (one mutex guards
// its connection). Several processes may open the same file at once: each method is
// one transaction, writes take the write lock up front (BEGIN IMMEDIATE), and SQLite's
// locks with the busy timeout serialize them, so concurrent writers lose nothing.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "features/materialization_catalog.h"

namespace materia {

// The schema version this binary writes and expects.
int LatestCatalogSchemaVersion();

// Opens the catalog at `path`. Writable: creates the file and its parent folder when
// missing, and applies any pending migrations. `read_only`: never creates or
// migrates; Register and Remove then return kInvalidInput. Returns kInvalidInput
// for an empty path or a file whose schema is newer than this binary (or, read-only,
// older), kNotFound for a missing file opened read-only, kIoError when the folder
// cannot be made, kDatabaseError for anything SQLite refuses.
Result<std::unique_ptr<MaterializationCatalog>> OpenSqliteCatalog(const std::string& path,
                                                                  bool read_only = false);

}  // namespace materia
