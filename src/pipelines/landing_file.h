// LandingFile: writes one CSV into the landing directory gzip-compressed, so that it
// appears whole or not at all: the bytes go to a temporary file in the target's own
// directory (".extract-<pid>-<n>.csv.gz.tmp", which no *.csv.gz glob matches), which
// Commit checks, syncs to disk and renames into place, then syncs the directory.
// A LandingFile destroyed before Commit succeeded removes its temporary file.
//
// While writing it checks the CSV's header against an expected one (column names in
// order; surrounding quotes, a UTF-8 byte order mark and a trailing \r are ignored),
// counts data rows (lines after the header; a missing final newline still ends a row)
// and, when asked, hashes the uncompressed content with SHA-256.
//
// Thread safety: one LandingFile belongs to one thread; temporary names are unique
// across threads and processes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace materia {

class LandingFile {
 public:
  // Creates `directory` (with its parents) and a temporary file in it. Errors: kIoError.
  static Result<std::unique_ptr<LandingFile>> Create(const std::string& directory,
                                                     const std::string& expected_header,
                                                     bool hash_content);
  ~LandingFile();
  LandingFile(const LandingFile&) = delete;
  LandingFile& operator=(const LandingFile&) = delete;

  // Appends the next bytes of the CSV. Errors: kInvalidInput when the header differs
  // ("unexpected CSV header: column 12 is 'Amount', expected 'Value'"), kIoError when
  // the disk write fails.
  Status Write(std::string_view chunk);

  // Ends the CSV (an empty one is an error: "the CSV file is empty") and returns the
  // hex SHA-256 of the content ("" unless hash_content was set), before Commit.
  Result<std::string> Finish();

  // Renames the finished file to `file_name` in the directory (replacing a file of
  // that name) and returns its path. Errors: kIoError.
  Result<std::string> Commit(const std::string& file_name);

  int64_t rows() const { return rows_; }
  int64_t bytes() const { return bytes_; }  // uncompressed bytes written

 private:
  struct Compressor;
  LandingFile() = default;
  Status CheckHeader(std::string_view line) const;
  Status Deflate(std::string_view data, bool finish);

  std::string directory_;
  std::string temporary_path_;
  std::string expected_header_;
  std::unique_ptr<Compressor> compressor_;
  std::string header_;  // the first line, until it is complete
  bool header_checked_ = false;
  bool finished_ = false;
  bool committed_ = false;
  char last_byte_ = '\n';
  int64_t newlines_ = 0;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace materia
