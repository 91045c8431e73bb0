// A deterministic generator of USDA PSD Online data ("psd_alldata.csv") in exactly the
// real file's format: the header, quoting, zero padding, real commodity, country,
// attribute and unit codes (from the reference code lists compiled into the binary),
// plausible values that satisfy the supply/demand identities, and Calendar_Year/Month
// revision vintages. The same options always produce the same bytes.
//
// Thread-safe: no shared mutable state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace materia {

struct PsdGeneratorOptions {
  std::string out_dir;   // the landing directory; files go to {out_dir}/psd/{YYYY}/{MM}/
  int months = 3;        // number of monthly releases to write, ending at (end_year, end_month)
  int end_year = 2026;
  int end_month = 8;
  double scale = 0.01;   // 1.0 ~ 2.1 million rows per release
  uint64_t seed = 42;
  // Called after each file is written, for progress: (index, total, path, rows).
  std::function<void(int, int, const std::string&, int64_t)> on_file;
};

struct PsdGeneratedFile {
  std::string path;  // {out_dir}/psd/{YYYY}/{MM}/{etag}.csv.gz
  int year = 0;
  int month = 0;
  std::string etag;  // hex digest of the uncompressed content
  int64_t rows = 0;
};

// Writes one gzip-compressed CSV per monthly release, each into a temporary file
// renamed into place when complete. Returns the files written, oldest first, or
// kIoError / kInvalidInput (bad options) naming the fault.
Result<std::vector<PsdGeneratedFile>> GeneratePsd(const PsdGeneratorOptions& options);

// Writes the uncompressed CSV text of one release to `out` (used by GeneratePsd and by
// tests and the extract test server).
Result<int64_t> WritePsdRelease(const PsdGeneratorOptions& options, int year, int month,
                                std::string* out);

}  // namespace materia
