#include "project/analysis_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>

namespace materia {

namespace fs = std::filesystem;

namespace {

constexpr int kFormatVersion = 4;
constexpr size_t kMaxCacheBytes = size_t{1} << 31;  // a larger file is ignored

std::string Header(const std::string& salt) {
  return "materia-analysis-cache " + std::to_string(kFormatVersion) + " " + salt + "\n";
}

// The record layout: every string is a 4-byte little-endian length and its bytes,
// every list a 4-byte count and its items. A record is key, tables, sources (each
// function and globs), tree hash, select names.
void PutLength(std::string& out, size_t length) {
  uint32_t value = static_cast<uint32_t>(length);
  char bytes[4];
  for (int i = 0; i < 4; i++) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  out.append(bytes, 4);
}

void PutString(std::string& out, const std::string& text) {
  PutLength(out, text.size());
  out += text;
}

void PutStrings(std::string& out, const std::vector<std::string>& texts) {
  PutLength(out, texts.size());
  for (const std::string& text : texts) PutString(out, text);
}

void PutRecord(std::string& out, const std::string& key, const QueryAnalysis& analysis) {
  PutString(out, key);
  PutStrings(out, analysis.tables);
  PutLength(out, analysis.sources.size());
  for (const SourceReference& source : analysis.sources) {
    PutString(out, source.function);
    PutStrings(out, source.globs);
  }
  PutString(out, analysis.tree_hash);
  PutStrings(out, analysis.select_names);
}

// Reads records from a buffer; any inconsistency (a truncated or corrupt file) makes
// a read fail, and what was read before it stays usable.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool AtEnd() const { return position_ == data_.size(); }

  bool Length(size_t* length) {
    if (data_.size() - position_ < 4) return false;
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
      value |= static_cast<uint32_t>(static_cast<unsigned char>(data_[position_ + i])) << (8 * i);
    }
    position_ += 4;
    *length = value;
    return true;
  }
  bool String(std::string* text) {
    size_t length = 0;
    if (!Length(&length) || data_.size() - position_ < length) return false;
    text->assign(data_.substr(position_, length));
    position_ += length;
    return true;
  }
  bool Strings(std::vector<std::string>* texts) {
    size_t count = 0;
    if (!Length(&count) || count > data_.size() - position_) return false;
    texts->resize(count);
    for (std::string& text : *texts) {
      if (!String(&text)) return false;
    }
    return true;
  }
  bool Record(std::string* key, QueryAnalysis* analysis) {
    size_t sources = 0;
    if (!String(key) || !Strings(&analysis->tables) || !Length(&sources) ||
        sources > data_.size() - position_) {
      return false;
    }
    analysis->sources.resize(sources);
    for (SourceReference& source : analysis->sources) {
      if (!String(&source.function) || !Strings(&source.globs)) return false;
    }
    return String(&analysis->tree_hash) && Strings(&analysis->select_names);
  }

 private:
  std::string_view data_;
  size_t position_ = 0;
};

bool ReadWholeFile(const std::string& path, std::string* content) {
  int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) return false;
  char buffer[1 << 16];
  while (true) {
    ssize_t count = ::read(descriptor, buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0 || content->size() > kMaxCacheBytes) {
      ::close(descriptor);
      return count == 0;
    }
    content->append(buffer, static_cast<size_t>(count));
  }
}

bool WriteWholeFile(const std::string& path, const std::string& content) {
  int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) return false;
  size_t written = 0;
  while (written < content.size()) {
    ssize_t count = ::write(descriptor, content.data() + written, content.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) break;
    written += static_cast<size_t>(count);
  }
  return ::close(descriptor) == 0 && written == content.size();
}

}  // namespace

AnalysisCache::AnalysisCache(std::string path, std::string salt, bool enabled)
    : path_(std::move(path)), salt_(std::move(salt)), enabled_(enabled) {
  if (!enabled_) return;
  std::string content;
  const std::string header = Header(salt_);
  if (!ReadWholeFile(path_, &content) || content.compare(0, header.size(), header) != 0) return;
  Reader reader(std::string_view(content).substr(header.size()));
  while (!reader.AtEnd()) {
    std::string key;
    QueryAnalysis analysis;
    if (!reader.Record(&key, &analysis)) break;
    stored_.emplace(std::move(key), std::move(analysis));
  }
}

std::optional<QueryAnalysis> AnalysisCache::Find(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = stored_.find(key);
  if (found == stored_.end()) return std::nullopt;
  used_.insert(key);
  return found->second;
}

void AnalysisCache::Insert(const std::string& key, const QueryAnalysis& analysis) {
  std::lock_guard<std::mutex> lock(mutex_);
  inserted_[key] = analysis;
}

void AnalysisCache::Save() {
  if (!enabled_) return;
  if (inserted_.empty() && used_.size() == stored_.size()) return;  // the file is current
  std::string content = Header(salt_);
  for (const std::string& key : used_) {
    if (!inserted_.count(key)) PutRecord(content, key, stored_.at(key));
  }
  for (const auto& [key, analysis] : inserted_) PutRecord(content, key, analysis);
  std::error_code error;
  fs::create_directories(fs::path(path_).parent_path(), error);
  if (error) return;
  std::string temporary = path_ + ".tmp." + std::to_string(::getpid());
  if (!WriteWholeFile(temporary, content)) {
    fs::remove(temporary, error);
    return;
  }
  fs::rename(temporary, path_, error);
  if (error) fs::remove(temporary, error);
}

}  // namespace materia
