#include "plan/source_version.h"

#include <gtest/gtest.h>

namespace materia {
namespace {

TEST(DateFromPath, LandingLayoutYearMonth) {
  auto date = DateFromPath("data/landing/psd/2024/03/abc123.csv.gz");
  ASSERT_TRUE(date.has_value());
  EXPECT_EQ(FormatDate(*date), "2024-03-01");
}

TEST(DateFromPath, YearMonthDayDirectories) {
  auto date = DateFromPath("events/2023/12/31/part-0.parquet");
  ASSERT_TRUE(date.has_value());
  EXPECT_EQ(FormatDate(*date), "2023-12-31");
}

TEST(DateFromPath, IsoDateInFileName) {
  auto date = DateFromPath("exports/orders_2022-02-28.csv");
  ASSERT_TRUE(date.has_value());
  EXPECT_EQ(FormatDate(*date), "2022-02-28");
}

TEST(DateFromPath, NoDateOrInvalidDate) {
  EXPECT_FALSE(DateFromPath("data/a/part1.csv").has_value());
  EXPECT_FALSE(DateFromPath("data/2024/13/x.csv").has_value());
  EXPECT_FALSE(DateFromPath("data/2023-02-30.csv").has_value());
  EXPECT_FALSE(DateFromPath("data/12024/01/x.csv").has_value());
}

TEST(FileSetVersion, ChangesWithAnyFileAttribute) {
  std::vector<SourceFile> files = {{"a.csv", 10, 1000, {}}, {"b.csv", 20, 2000, {}}};
  std::string base = FileSetVersion(files);
  auto touched = files;
  touched[1].mtime_ns++;
  auto grown = files;
  grown[0].size++;
  auto fewer = files;
  fewer.pop_back();
  EXPECT_NE(base, FileSetVersion(touched));
  EXPECT_NE(base, FileSetVersion(grown));
  EXPECT_NE(base, FileSetVersion(fewer));
  EXPECT_EQ(base, FileSetVersion(files));
  EXPECT_EQ(FileSetVersion({}), "empty");
}

}  // namespace
}  // namespace materia
