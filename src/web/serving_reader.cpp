#include "web/serving_reader.h"

#include <sys/stat.h>

#include <atomic>

namespace materia {

namespace {

constexpr size_t kConnectionsPerGenerationMax = 256;
std::atomic<int64_t> generations_alive{0};

}  // namespace

struct ServingGeneration {
  uint64_t id = 0;
  dev_t device = 0;
  ino_t inode = 0;
  TimestampMs modified_ms = 0;
  std::shared_ptr<DuckDatabase> database;

  std::mutex mutex;  // guards the members below
  // Connections die before the database (declared after it, destroyed first).
  std::map<std::thread::id, std::unique_ptr<DuckConnection>> connections;
  // Cache: key -> value, with recency order (front = most recent).
  std::list<std::string> recency;
  std::map<std::string, std::pair<std::string, std::list<std::string>::iterator>> cache;
  size_t cache_bytes = 0;
  size_t cache_entries_max = 0;
  size_t cache_bytes_max = 0;

  ServingGeneration() { generations_alive++; }
  ~ServingGeneration() {
    connections.clear();
    database.reset();
    generations_alive--;
  }

  // This thread's connection, created on first use.
  Result<DuckConnection*> ConnectionOfThisThread() {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = connections.find(std::this_thread::get_id());
    if (found != connections.end()) return found->second.get();
    if (connections.size() >= kConnectionsPerGenerationMax) {
      return Status::Internal("too many threads read the serving file");
    }
    MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection,
                             DuckConnection::Connect(database));
    MATERIA_RETURN_IF_ERROR(connection->Execute("USE served"));
    DuckConnection* raw = connection.get();
    connections[std::this_thread::get_id()] = std::move(connection);
    return raw;
  }
};

ServingLease::ServingLease(std::shared_ptr<ServingGeneration> generation, DuckConnection* connection)
    : generation_(std::move(generation)), connection_(connection) {}

Result<QueryResult> ServingLease::Query(const std::string& sql,
                                        const std::vector<std::optional<std::string>>& params) {
  if (params.empty()) return connection_->Query(sql);
  return connection_->QueryParams(sql, params);
}

std::optional<std::string> ServingLease::Cached(const std::string& key) {
  std::lock_guard<std::mutex> lock(generation_->mutex);
  auto found = generation_->cache.find(key);
  if (found == generation_->cache.end()) return std::nullopt;
  generation_->recency.splice(generation_->recency.begin(), generation_->recency, found->second.second);
  return found->second.first;
}

void ServingLease::Remember(const std::string& key, const std::string& value) {
  ServingGeneration& g = *generation_;
  if (value.size() + key.size() > g.cache_bytes_max) return;
  std::lock_guard<std::mutex> lock(g.mutex);
  if (g.cache.count(key)) return;
  g.recency.push_front(key);
  g.cache[key] = {value, g.recency.begin()};
  g.cache_bytes += key.size() + value.size();
  while (!g.recency.empty() && (g.cache.size() > g.cache_entries_max || g.cache_bytes > g.cache_bytes_max)) {
    const std::string& oldest = g.recency.back();
    auto found = g.cache.find(oldest);
    g.cache_bytes -= oldest.size() + found->second.first.size();
    g.cache.erase(found);
    g.recency.pop_back();
  }
}

uint64_t ServingLease::generation_id() const { return generation_->id; }
ino_t ServingLease::inode() const { return generation_->inode; }
TimestampMs ServingLease::modified_ms() const { return generation_->modified_ms; }

ServingReader::ServingReader(std::string path, ServingReaderOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

ServingReader::~ServingReader() = default;

uint64_t ServingReader::generations_opened() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generations_opened_;
}

int64_t ServingReader::GenerationsAlive() { return generations_alive.load(); }

Result<ServingLease> ServingReader::Acquire() {
  MATERIA_ASSIGN_OR_RETURN(std::shared_ptr<ServingGeneration> generation, Current());
  MATERIA_ASSIGN_OR_RETURN(DuckConnection * connection, generation->ConnectionOfThisThread());
  return ServingLease(std::move(generation), connection);
}

Result<std::shared_ptr<ServingGeneration>> ServingReader::Current() {
  struct stat info;
  const bool exists = ::stat(path_.c_str(), &info) == 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (current_ && (!exists || (current_->device == info.st_dev && current_->inode == info.st_ino))) {
      return current_;  // unchanged, or gone: keep serving what is open
    }
  }
  if (!exists) return Status::NotFound("serving file " + path_ + " does not exist (run `materia export-serving`)");
  std::lock_guard<std::mutex> opening(open_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);  // another thread may have opened it meanwhile
    if (current_ && current_->device == info.st_dev && current_->inode == info.st_ino) return current_;
  }
  const TimestampMs modified_ms =
      static_cast<TimestampMs>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
  auto opened = OpenGeneration(info.st_dev, info.st_ino, modified_ms);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!opened.ok()) {
    if (current_) return current_;  // e.g. replaced again while opening: the old one still answers
    return opened.status();
  }
  current_ = *opened;
  return current_;
}

Result<std::shared_ptr<ServingGeneration>> ServingReader::OpenGeneration(dev_t device, ino_t inode,
                                                                         TimestampMs modified_ms) {
  DuckOptions duck;
  duck.threads = options_.duckdb_threads;
  duck.memory_limit = options_.memory_limit;
  MATERIA_ASSIGN_OR_RETURN(std::shared_ptr<DuckDatabase> database, DuckDatabase::Open(":memory:", duck));
  auto generation = std::make_shared<ServingGeneration>();
  generation->database = database;
  generation->device = device;
  generation->inode = inode;
  generation->modified_ms = modified_ms;
  generation->cache_entries_max = options_.cache_entries_max;
  generation->cache_bytes_max = options_.cache_bytes_max;
  {
    MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection, DuckConnection::Connect(database));
    Status attached = connection->Execute("ATTACH " + QuoteLiteral(path_) + " AS served (READ_ONLY)");
    if (!attached.ok()) return attached.WithPrefix("cannot open serving file " + path_);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  generation->id = ++generations_opened_;
  return generation;
}

}  // namespace materia
