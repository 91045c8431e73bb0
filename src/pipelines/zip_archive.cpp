#include "pipelines/zip_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "base/text.h"

namespace materia {

namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;
constexpr size_t kReadBlockBytes = size_t{1} << 16;
constexpr int kEntriesMax = 10000;  // entries looked at, whatever their kind
// Entries get a fixed time so that the same content always makes the same bytes.
constexpr time_t kEntryTimeSeconds = 1577836800;  // 2020-01-01T00:00:00Z

struct ReaderDeleter {
  void operator()(archive* reader) const { archive_read_free(reader); }
};
struct WriterDeleter {
  void operator()(archive* writer) const { archive_write_free(writer); }
};
using Reader = std::unique_ptr<archive, ReaderDeleter>;
using Writer = std::unique_ptr<archive, WriterDeleter>;

std::string ArchiveError(archive* handle) {
  const char* text = archive_error_string(handle);
  return OneLine(text != nullptr ? text : "unknown error");
}

bool IsCsvFile(archive_entry* entry) {
  if (archive_entry_filetype(entry) != AE_IFREG) return false;
  const char* name = archive_entry_pathname(entry);
  if (name == nullptr) return false;
  std::string lower = ToLower(name);
  return lower.size() > 4 && lower.compare(lower.size() - 4, 4, ".csv") == 0;
}

Result<int64_t> StreamEntry(archive* reader, const std::string& name, int64_t bytes_max,
                            const std::function<Status(std::string_view)>& consume) {
  std::vector<char> buffer(kChunkBytes);
  int64_t bytes = 0;
  for (;;) {
    la_ssize_t read = archive_read_data(reader, buffer.data(), buffer.size());
    if (read == 0) return bytes;
    if (read < 0) return Status::InvalidInput("damaged zip archive: " + ArchiveError(reader));
    bytes += read;
    if (bytes > bytes_max) {
      return Status::InvalidInput(name + " is larger than the limit of " +
                                  std::to_string(bytes_max) + " bytes");
    }
    MATERIA_RETURN_IF_ERROR(consume(std::string_view(buffer.data(), static_cast<size_t>(read))));
  }
}

la_ssize_t AppendToString(archive*, void* user, const void* data, size_t length) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(data), length);
  return static_cast<la_ssize_t>(length);
}

}  // namespace

Result<ZipEntryInfo> ReadSingleCsvFromZip(const std::string& zip_path, int64_t uncompressed_bytes_max,
                                          const std::function<Status(std::string_view)>& consume) {
  Reader reader(archive_read_new());
  if (!reader) return Status::Internal("libarchive: out of memory");
  archive_read_support_format_zip(reader.get());
  if (archive_read_open_filename(reader.get(), zip_path.c_str(), kReadBlockBytes) != ARCHIVE_OK) {
    const int code = archive_errno(reader.get());
    if (code == ENOENT || code == EACCES || code == EISDIR) {
      return Status::IoError("cannot read " + zip_path + ": " + std::strerror(code));
    }
    return Status::InvalidInput("not a zip archive");
  }
  ZipEntryInfo info;
  for (int entries = 0; entries < kEntriesMax; entries++) {
    archive_entry* entry = nullptr;
    const int result = archive_read_next_header(reader.get(), &entry);
    if (result == ARCHIVE_EOF) break;
    if (result != ARCHIVE_OK && result != ARCHIVE_WARN) {
      // A file that is no zip at all fails here, at its first header.
      if (entries == 0 && archive_format(reader.get()) == 0) {
        return Status::InvalidInput("not a zip archive");
      }
      return Status::InvalidInput("damaged zip archive: " + ArchiveError(reader.get()));
    }
    if (!IsCsvFile(entry)) continue;
    const std::string name = archive_entry_pathname(entry);
    if (!info.name.empty()) {
      return Status::InvalidInput("the zip archive holds more than one CSV file (" + info.name +
                                  ", " + name + ")");
    }
    info.name = name;
    MATERIA_ASSIGN_OR_RETURN(info.bytes,
                             StreamEntry(reader.get(), name, uncompressed_bytes_max, consume));
  }
  if (info.name.empty()) return Status::InvalidInput("the zip archive holds no CSV file");
  return info;
}

Result<std::string> WriteSingleFileZip(const std::string& entry_name, std::string_view content) {
  Writer writer(archive_write_new());
  if (!writer) return Status::Internal("libarchive: out of memory");
  std::string out;
  archive* handle = writer.get();
  bool ok = archive_write_set_format_zip(handle) == ARCHIVE_OK &&
            archive_write_zip_set_compression_deflate(handle) == ARCHIVE_OK &&
            archive_write_set_bytes_per_block(handle, 0) == ARCHIVE_OK &&
            archive_write_open(handle, &out, nullptr, AppendToString, nullptr) == ARCHIVE_OK;
  if (!ok) return Status::Internal("libarchive: " + ArchiveError(handle));
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                 archive_entry_free);
  archive_entry_set_pathname(entry.get(), entry_name.c_str());
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_mtime(entry.get(), kEntryTimeSeconds, 0);
  if (archive_write_header(handle, entry.get()) != ARCHIVE_OK) {
    return Status::Internal("libarchive: " + ArchiveError(handle));
  }
  size_t offset = 0;
  while (offset < content.size()) {
    const size_t length = std::min(kChunkBytes, content.size() - offset);
    la_ssize_t written = archive_write_data(handle, content.data() + offset, length);
    if (written <= 0) return Status::Internal("libarchive: " + ArchiveError(handle));
    offset += static_cast<size_t>(written);
  }
  if (archive_write_close(handle) != ARCHIVE_OK) {
    return Status::Internal("libarchive: " + ArchiveError(handle));
  }
  return out;
}

}  // namespace materia
