#include "pipelines/landing_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "base/text.h"

namespace materia {

namespace fs = std::filesystem;

namespace {

constexpr size_t kHeaderBytesMax = 64 * 1024;
constexpr size_t kOutputBufferBytes = size_t{1} << 20;
constexpr size_t kDeflateChunkBytes = size_t{1} << 30;  // what one avail_in can hold

std::atomic<uint64_t> temporary_counter{0};

// Splits a header line into its column names, without surrounding quotes.
std::vector<std::string> HeaderColumns(std::string_view line) {
  std::vector<std::string> columns;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    std::string name = Trim(line.substr(start, comma == std::string_view::npos ? line.npos : comma - start));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    columns.push_back(std::move(name));
    if (comma == std::string_view::npos) return columns;
    start = comma + 1;
  }
}

Status SyncDirectory(const std::string& directory) {
  const int descriptor = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (descriptor < 0) return Status::IoError("cannot open " + directory + ": " + std::strerror(errno));
  const bool ok = ::fsync(descriptor) == 0;
  const int saved = errno;
  ::close(descriptor);
  if (!ok) return Status::IoError("cannot sync " + directory + ": " + std::strerror(saved));
  return Status::Ok();
}

}  // namespace

struct LandingFile::Compressor {
  std::FILE* file = nullptr;
  z_stream stream{};
  bool stream_open = false;
  EVP_MD_CTX* hash = nullptr;
  std::vector<unsigned char> buffer = std::vector<unsigned char>(kOutputBufferBytes);

  ~Compressor() {
    if (stream_open) deflateEnd(&stream);
    if (file != nullptr) std::fclose(file);
    if (hash != nullptr) EVP_MD_CTX_free(hash);
  }
};

Result<std::unique_ptr<LandingFile>> LandingFile::Create(const std::string& directory,
                                                         const std::string& expected_header,
                                                         bool hash_content) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return Status::IoError("cannot create " + directory + ": " + error.message());
  std::unique_ptr<LandingFile> landing(new LandingFile());
  landing->directory_ = directory;
  landing->expected_header_ = expected_header;
  landing->temporary_path_ = (fs::path(directory) / (".extract-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(temporary_counter++) +
                                                     ".csv.gz.tmp")).string();
  landing->compressor_ = std::make_unique<Compressor>();
  Compressor& compressor = *landing->compressor_;
  compressor.file = std::fopen(landing->temporary_path_.c_str(), "wbx");
  if (compressor.file == nullptr) {
    return Status::IoError("cannot create " + landing->temporary_path_ + ": " + std::strerror(errno));
  }
  if (deflateInit2(&compressor.stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("zlib: cannot start a gzip stream");
  }
  compressor.stream_open = true;
  if (hash_content) {
    compressor.hash = EVP_MD_CTX_new();
    if (compressor.hash == nullptr || EVP_DigestInit_ex(compressor.hash, EVP_sha256(), nullptr) != 1) {
      return Status::Internal("openssl: cannot start a SHA-256 digest");
    }
  }
  return landing;
}

LandingFile::~LandingFile() {
  compressor_.reset();  // closes the file first
  if (!committed_ && !temporary_path_.empty()) {
    std::error_code error;
    fs::remove(temporary_path_, error);
  }
}

Status LandingFile::CheckHeader(std::string_view line) const {
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::vector<std::string> found = HeaderColumns(line);
  const std::vector<std::string> expected = HeaderColumns(expected_header_);
  const size_t common = std::min(found.size(), expected.size());
  for (size_t i = 0; i < common; i++) {
    if (found[i] != expected[i]) {
      return Status::InvalidInput("unexpected CSV header: column " + std::to_string(i + 1) + " is '" +
                                  OneLine(found[i], 80) + "', expected '" + expected[i] + "'");
    }
  }
  if (found.size() != expected.size()) {
    return Status::InvalidInput("unexpected CSV header: " + std::to_string(found.size()) +
                                " columns, expected " + std::to_string(expected.size()));
  }
  return Status::Ok();
}

Status LandingFile::Deflate(std::string_view data, bool finish) {
  Compressor& compressor = *compressor_;
  size_t offset = 0;
  int result = Z_OK;
  do {
    const size_t length = std::min(kDeflateChunkBytes, data.size() - offset);
    compressor.stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + offset));
    compressor.stream.avail_in = static_cast<uInt>(length);
    offset += length;
    const int flush = finish && offset == data.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      compressor.stream.next_out = compressor.buffer.data();
      compressor.stream.avail_out = static_cast<uInt>(compressor.buffer.size());
      result = deflate(&compressor.stream, flush);
      if (result == Z_STREAM_ERROR) return Status::Internal("zlib: deflate failed");
      const size_t produced = compressor.buffer.size() - compressor.stream.avail_out;
      if (std::fwrite(compressor.buffer.data(), 1, produced, compressor.file) != produced) {
        return Status::IoError("cannot write " + temporary_path_ + ": " + std::strerror(errno));
      }
    } while (compressor.stream.avail_out == 0);
  } while (offset < data.size());
  return Status::Ok();
}

Status LandingFile::Write(std::string_view chunk) {
  assert(!finished_);
  if (chunk.empty()) return Status::Ok();
  if (!header_checked_) {
    const size_t newline = chunk.find('\n');
    header_.append(chunk.substr(0, newline));
    if (newline != std::string_view::npos) {
      MATERIA_RETURN_IF_ERROR(CheckHeader(header_));
      header_checked_ = true;
    } else if (header_.size() > kHeaderBytesMax) {
      return Status::InvalidInput("unexpected CSV header: the first line is longer than " +
                                  std::to_string(kHeaderBytesMax) + " bytes");
    }
  }
  newlines_ += std::count(chunk.begin(), chunk.end(), '\n');
  last_byte_ = chunk.back();
  bytes_ += static_cast<int64_t>(chunk.size());
  if (compressor_->hash != nullptr) EVP_DigestUpdate(compressor_->hash, chunk.data(), chunk.size());
  return Deflate(chunk, false);
}

Result<std::string> LandingFile::Finish() {
  assert(!finished_);
  if (bytes_ == 0) return Status::InvalidInput("the CSV file is empty");
  if (!header_checked_) {
    MATERIA_RETURN_IF_ERROR(CheckHeader(header_));
    header_checked_ = true;
  }
  const int64_t lines = newlines_ + (last_byte_ == '\n' ? 0 : 1);
  rows_ = lines - 1;
  MATERIA_RETURN_IF_ERROR(Deflate(std::string_view(), true));
  Compressor& compressor = *compressor_;
  if (std::fflush(compressor.file) != 0 || ::fsync(::fileno(compressor.file)) != 0) {
    return Status::IoError("cannot write " + temporary_path_ + ": " + std::strerror(errno));
  }
  const int closed = std::fclose(compressor.file);
  compressor.file = nullptr;
  if (closed != 0) return Status::IoError("cannot write " + temporary_path_ + ": " + std::strerror(errno));
  finished_ = true;
  if (compressor.hash == nullptr) return std::string();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(compressor.hash, digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; i++) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

Result<std::string> LandingFile::Commit(const std::string& file_name) {
  assert(finished_ && !committed_);
  const std::string path = (fs::path(directory_) / file_name).string();
  std::error_code error;
  fs::rename(temporary_path_, path, error);
  if (error) return Status::IoError("cannot rename " + temporary_path_ + " to " + path + ": " + error.message());
  committed_ = true;
  MATERIA_RETURN_IF_ERROR(SyncDirectory(directory_));
  return path;
}

}  // namespace materia
