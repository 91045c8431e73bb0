// A deterministic generator of USDA PSD Online data ("psd_alldata.csv") in exactly the
// real file's format: the header, quoting, zero padding, real commodity, country,
// attribute and unit codes (from the reference code lists compiled into the binary),
// plausible values that satisfy the supply/demand identities, and Calendar_Year/Month
// revision vintages. The same options always produce the same bytes.
//
// A release holds, for each of the 63 commodities, a subset of the countries, each
// over consecutive market years up to the release's latest market year, with every
// attribute of the commodity in every year. Rows grow about linearly with `scale`:
// 1.0 gives about 2.1 million rows (the real file's size), 0.01 about 21,000. A
// release revises only the latest three market years, and only those it revises get
// its year and month as Calendar_Year/Month, so consecutive releases differ in a few
// percent of their rows; older records carry the release that last revised them
// (2006/06 or 2006/07 for the oldest, 00 months for old coffee records).
//
// Magnitudes are those of the real world: each commodity's main producers, consumers
// and traders at about their recent production, use and yields (the United States,
// China and Brazil lead corn; China imports most soybeans), growing into today from a
// fraction of it in 1960, with occasional bad harvests; other countries are small. A
// release always holds at least a commodity's three largest countries (up to eight as
// the scale allows), so its series are shorter at small scales, and there a larger
// share of rows changes between releases (about 10% at scale 0.02, 4% from 0.1 on).
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
  std::string etag;  // hex digest of the uncompressed content: the first 16 hex digits
                     // of its SHA-256
  int64_t rows = 0;
};

// Writes one gzip-compressed CSV per monthly release, each into a temporary file
// renamed into place when complete. Returns the files written, oldest first, or
// kIoError / kInvalidInput (bad options) naming the fault. Options are bad when
// out_dir is empty, months is not in 1..240, scale not in (0, 10], end_month not in
// 1..12 or end_year not in 1990..2100.
Result<std::vector<PsdGeneratedFile>> GeneratePsd(const PsdGeneratorOptions& options);

// Appends the uncompressed CSV text of one release, header included, to `out` (used by
// GeneratePsd and by tests and the extract test server). Uses options.scale and
// options.seed only. Returns the number of data rows, or kInvalidInput when scale is
// not in (0, 10], year not in 1970..2100 or month not in 1..12.
Result<int64_t> WritePsdRelease(const PsdGeneratorOptions& options, int year, int month,
                                std::string* out);

// The latest market year in the release of (release_year, release_month): the release
// year from May on (when the new crop year is first projected), the year before until
// April. Only the latest market year and the two before it are revised by a release.
int PsdLatestMarketYear(int release_year, int release_month);

}  // namespace materia
