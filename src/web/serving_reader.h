// ServingReader: read-only access to the serving file (serving.duckdb) that survives
// `export-serving` renaming a new file over it while requests run.
//
// The file is attached to a private in-memory DuckDB instance as catalog `served`
// (`ATTACH '<file>' AS served (READ_ONLY)`), and every connection starts with
// `USE served`, so queries name tables `serving.obt_commodity_metrics`: opened directly
// the file's own catalog would be called `serving` too and `serving.x` ambiguous.
//
// Each call of Acquire() stats the path (one system call). When the inode differs
// from the open one, a new generation (instance, attached file, caches) is opened and
// becomes current; the old one is closed when the last ServingLease holding it ends.
// A request takes one lease and runs all its queries through it, so it sees one file
// entirely, never a mix of old and new. Each thread gets its own connection per
// generation (at most kConnectionsPerGenerationMax).
//
// A ServingReader is safe for concurrent use from any number of threads; a
// ServingLease is used by the thread that acquired it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "db/duckdb.h"

namespace materia {

// One opened version of the serving file. Internal to ServingReader and its leases.
struct ServingGeneration;

// What one request holds: the generation it reads, and its thread's connection to it.
class ServingLease {
 public:
  ServingLease(std::shared_ptr<ServingGeneration> generation, DuckConnection* connection);

  // Runs `sql` with `params` bound as a prepared statement (see DuckConnection).
  Result<QueryResult> Query(const std::string& sql,
                            const std::vector<std::optional<std::string>>& params = {});

  // A cached answer of this generation for `key`, if any; Remember stores one (the
  // cache is bounded: the least recently used entries are dropped beyond its limits).
  std::optional<std::string> Cached(const std::string& key);
  void Remember(const std::string& key, const std::string& value);

  uint64_t generation_id() const;
  ino_t inode() const;
  TimestampMs modified_ms() const;  // the file's mtime when it was opened

 private:
  std::shared_ptr<ServingGeneration> generation_;
  DuckConnection* connection_;  // owned by the generation
};

struct ServingReaderOptions {
  int duckdb_threads = 2;           // per generation
  std::string memory_limit = "1GB";  // per generation
  size_t cache_entries_max = 512;    // per generation
  size_t cache_bytes_max = 32u << 20;
};

class ServingReader {
 public:
  ServingReader(std::string path, ServingReaderOptions options = {});
  ~ServingReader();

  // A lease on the current generation, opening the file first when it is new or has
  // changed. kNotFound when the file does not exist (and nothing was ever opened);
  // kDatabaseError when it cannot be opened. When the file is gone or unreadable after
  // a generation was opened, that generation keeps serving.
  Result<ServingLease> Acquire();

  const std::string& path() const { return path_; }
  // Generations opened so far (1 after the first Acquire), for tests and metrics.
  uint64_t generations_opened() const;
  // Generations not yet closed (current and those in use by leases).
  static int64_t GenerationsAlive();

 private:
  Result<std::shared_ptr<ServingGeneration>> Current();
  Result<std::shared_ptr<ServingGeneration>> OpenGeneration(dev_t device, ino_t inode,
                                                            TimestampMs modified_ms);

  const std::string path_;
  const ServingReaderOptions options_;
  mutable std::mutex mutex_;  // guards the members below
  std::shared_ptr<ServingGeneration> current_;
  uint64_t generations_opened_ = 0;
  std::mutex open_mutex_;  // one generation is opened at a time
};

}  // namespace materia
