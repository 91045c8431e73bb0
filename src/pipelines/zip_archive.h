// Zip archives through libarchive: streaming the one CSV file out of a downloaded zip
// (PSD Online publishes psd_alldata.csv inside psd_alldata_csv.zip), and writing a zip
// of one file in memory (for the local PSD server).
//
// Reading streams: memory stays bounded whatever the archive's size, and a limit on
// the uncompressed bytes stops zip bombs. Errors are kInvalidInput for archives that
// are not what is expected (not a zip, damaged, no or several CSV files, too large)
// and kIoError for files that cannot be read; messages are one line, without the
// archive's path (the caller names where it came from).
//
// Thread safety: the functions share no state; call them from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace materia {

struct ZipEntryInfo {
  std::string name;   // the entry's path inside the archive
  int64_t bytes = 0;  // uncompressed bytes passed to `consume`
};

// Streams the uncompressed content of the only `.csv` file in the zip at `zip_path`
// to `consume`, in chunks of up to 1 MiB, and returns its name and size. Directory
// entries and files of other types are skipped. A `consume` error stops the reading
// and is returned as is. Errors: "not a zip archive", "damaged zip archive: <why>",
// "the zip archive holds no CSV file", "the zip archive holds more than one CSV file
// (a.csv, b.csv)", "psd.csv is larger than the limit of N bytes".
Result<ZipEntryInfo> ReadSingleCsvFromZip(
    const std::string& zip_path, int64_t uncompressed_bytes_max,
    const std::function<Status(std::string_view chunk)>& consume);

// A zip archive (deflate) holding one file `entry_name` with `content`.
// Errors: kInternal when libarchive fails (out of memory).
Result<std::string> WriteSingleFileZip(const std::string& entry_name, std::string_view content);

}  // namespace materia
