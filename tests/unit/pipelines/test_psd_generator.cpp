// Tests of the PSD Online data generator: the exact format of the real file, the
// supply/demand identities, determinism, scaling, revisions between releases, the
// files it writes and its errors, and that its magnitudes look like the real world's
// (leaders, trade directions, yields, growth).

#include "pipelines/psd_generator.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "base/hash.h"
#include "pipelines/psd_reference_data.h"

namespace materia {
namespace {

constexpr char kHeader[] =
    "Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,"
    "Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value";

struct Row {
  std::string commodity_code;
  std::string commodity;
  std::string country_code;
  std::string country;
  int market_year = 0;
  int calendar_year = 0;
  int month = 0;
  int attribute_id = 0;
  std::string attribute;
  int unit_id = 0;
  std::string unit;
  double value = 0;
  std::string line;
};

// Splits one CSV line; fields in double quotes may hold commas.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  return fields;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

std::vector<Row> ParseRows(const std::string& text) {
  std::vector<Row> rows;
  std::vector<std::string> lines = Lines(text);
  for (size_t i = 1; i < lines.size(); i++) {
    std::vector<std::string> f = SplitCsv(lines[i]);
    if (f.size() != 12) {
      ADD_FAILURE() << "line " << i + 1 << " has " << f.size() << " fields: " << lines[i];
      continue;
    }
    rows.push_back({f[0], f[1], f[2], f[3], std::stoi(f[4]), std::stoi(f[5]), std::stoi(f[6]),
                    std::stoi(f[7]), f[8], std::stoi(f[9]), f[10], std::stod(f[11]), lines[i]});
  }
  return rows;
}

std::string Release(double scale, int year, int month, uint64_t seed = 42) {
  PsdGeneratorOptions options;
  options.scale = scale;
  options.seed = seed;
  std::string out;
  Result<int64_t> rows = WritePsdRelease(options, year, month, &out);
  EXPECT_TRUE(rows.ok()) << rows.status().message();
  return out;
}

// One release at the default scale, shared by the tests that only read it.
const std::string& SmallRelease() {
  static const std::string text = Release(0.01, 2026, 8);
  return text;
}

const std::vector<Row>& SmallRows() {
  static const std::vector<Row> rows = ParseRows(SmallRelease());
  return rows;
}

// A release ten times larger, where series are long and more countries report.
const std::string& MediumRelease() {
  static const std::string text = Release(0.1, 2026, 8);
  return text;
}

using YearKey = std::tuple<std::string, std::string, int>;  // commodity, country, year

std::map<YearKey, std::map<int, double>> ByYear(const std::vector<Row>& rows) {
  std::map<YearKey, std::map<int, double>> years;
  for (const Row& row : rows) {
    years[{row.commodity_code, row.country_code, row.market_year}][row.attribute_id] = row.value;
  }
  return years;
}

double Get(const std::map<int, double>& values, int attribute_id) {
  auto found = values.find(attribute_id);
  return found == values.end() ? 0 : found->second;
}

// The use side of a balance sheet: Domestic Consumption, or sugar's Total
// Disappearance, or the use lines of cotton, animal numbers and fluid milk.
double Use(const std::map<int, double>& values) {
  if (values.count(125)) return values.at(125);
  if (values.count(126)) return values.at(126);
  double use = 0;
  for (int id : {142, 150, 117, 172, 131, 147, 158}) use += Get(values, id);
  return use;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::filesystem::path TemporaryDirectory(const std::string& name) {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("materia_psd_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(path);
  return path;
}

std::string Gunzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  EXPECT_NE(file, nullptr) << path;
  std::string text;
  char buffer[1 << 16];
  for (int read = 0; file != nullptr && (read = gzread(file, buffer, sizeof(buffer))) > 0;) {
    text.append(buffer, static_cast<size_t>(read));
  }
  if (file != nullptr) gzclose(file);
  return text;
}

TEST(PsdGenerator, HeaderIsExactlyTheRealOne) {
  EXPECT_EQ(Lines(SmallRelease()).front(), kHeader);
}

TEST(PsdGenerator, RowsAreQuotedAndZeroPaddedAsInTheRealFile) {
  const std::regex format(
      R"re(\d{7},"[^"]+",[A-Z0-9]{2},"[^"]+",\d{4},\d{4},\d{2},)re"
      R"re(\d{3},"[^"]+",\d{2},"[^"]+",\d+\.\d{4})re");
  std::vector<std::string> lines = Lines(SmallRelease());
  ASSERT_GT(lines.size(), 1000u);
  for (size_t i = 1; i < lines.size(); i += 7) {
    ASSERT_TRUE(std::regex_match(lines[i], format)) << "line " << i + 1 << ": " << lines[i];
  }
}

TEST(PsdGenerator, CoffeeRowsLookLikeTheRawCoffeeLines) {
  const std::regex coffee(
      R"re(0711100,"Coffee, Green",[A-Z0-9]{2},"[^"]+",\d{4},\d{4},\d{2},)re"
      R"re(029,"Arabica Production",02,"\(1000 60 KG BAGS\)",\d+\.\d{4})re");
  int seen = 0;
  for (const Row& row : SmallRows()) {
    if (row.attribute_id != 29) continue;
    EXPECT_TRUE(std::regex_match(row.line, coffee)) << row.line;
    seen++;
  }
  EXPECT_GT(seen, 0);
}

TEST(PsdGenerator, UsesTheRealCodesNamesAndUnits) {
  std::map<std::string, std::string> countries;
  for (const PsdCountry& country : PsdCountries()) {
    countries[std::string(country.code)] = std::string(country.name);
  }
  std::map<std::string, const PsdCommodity*> commodities;
  for (const PsdCommodity& commodity : PsdCommodities()) {
    commodities[std::string(commodity.code)] = &commodity;
  }
  std::set<std::string> seen;
  for (const Row& row : SmallRows()) {
    ASSERT_EQ(countries.count(row.country_code), 1u) << row.line;
    EXPECT_EQ(countries[row.country_code], row.country) << row.line;
    ASSERT_EQ(commodities.count(row.commodity_code), 1u) << row.line;
    const PsdCommodity& commodity = *commodities[row.commodity_code];
    EXPECT_EQ(commodity.description, row.commodity) << row.line;
    for (const PsdCommodityAttribute& attribute : commodity.attributes) {
      if (attribute.attribute_id != row.attribute_id) continue;
      EXPECT_EQ(attribute.attribute_description, row.attribute) << row.line;
      EXPECT_EQ(attribute.unit_id, row.unit_id) << row.line;
      EXPECT_EQ(attribute.unit_description, row.unit) << row.line;
    }
    seen.insert(row.commodity_code);
  }
  EXPECT_EQ(seen.size(), PsdCommodities().size()) << "every commodity has a country";
}

TEST(PsdGenerator, CommoditiesWithoutAttributeListsGetTheBalanceSheetLines) {
  std::map<std::string, std::set<int>> attributes;
  for (const Row& row : SmallRows()) {
    if (row.commodity == "Apples, Fresh" || row.commodity == "Meat, Beef and Veal") {
      attributes[row.commodity].insert(row.attribute_id);
      if (row.commodity == "Apples, Fresh") {
        EXPECT_EQ(row.unit, "(MT)");
      }
      if (row.commodity == "Meat, Beef and Veal") {
        EXPECT_EQ(row.unit, "(1000 MT CWE)");
      }
    }
  }
  const std::set<int> expected = {20, 28, 57, 86, 88, 125, 176, 178};
  EXPECT_EQ(attributes["Apples, Fresh"], expected);
  EXPECT_EQ(attributes["Meat, Beef and Veal"], expected);
}

TEST(PsdGenerator, RowsAreInTheRealFilesOrder) {
  const std::vector<Row>& rows = SmallRows();
  auto key = [](const Row& row) {
    return std::make_tuple(Lower(row.commodity), Lower(row.country), row.market_year,
                           Lower(row.attribute));
  };
  for (size_t i = 1; i < rows.size(); i++) {
    ASSERT_LT(key(rows[i - 1]), key(rows[i])) << rows[i - 1].line << "\n" << rows[i].line;
  }
}

TEST(PsdGenerator, EveryAttributeIsPresentInEveryYearOfASeries) {
  std::map<std::string, std::set<int>> sheet;
  for (const Row& row : SmallRows()) sheet[row.commodity_code].insert(row.attribute_id);
  for (const auto& [key, values] : ByYear(SmallRows())) {
    EXPECT_EQ(values.size(), sheet[std::get<0>(key)].size())
        << std::get<0>(key) << " " << std::get<1>(key) << " " << std::get<2>(key);
  }
}

TEST(PsdGenerator, SeriesRunOverConsecutiveYearsToTheLatestMarketYear) {
  std::map<std::pair<std::string, std::string>, std::vector<int>> years;
  for (const auto& [key, values] : ByYear(SmallRows())) {
    years[{std::get<0>(key), std::get<1>(key)}].push_back(std::get<2>(key));
  }
  int current = 0;
  for (const auto& [series, list] : years) {
    for (size_t i = 1; i < list.size(); i++) EXPECT_EQ(list[i], list[i - 1] + 1);
    EXPECT_LE(list.back(), 2026);
    if (list.back() == 2026) current++;
  }
  EXPECT_GT(current, static_cast<int>(years.size()) / 2);
}

TEST(PsdGenerator, SupplyAndDemandIdentitiesHold) {
  const auto years = ByYear(SmallRows());
  int checked = 0;
  for (const auto& [key, v] : years) {
    const std::string where = std::get<0>(key) + " " + std::get<1>(key) + " " +
                              std::to_string(std::get<2>(key));
    const double supply = Get(v, 20) + Get(v, 28) + Get(v, 57);
    ASSERT_EQ(Get(v, 86), supply) << where;
    ASSERT_EQ(Get(v, 178), Get(v, 86)) << where;
    ASSERT_EQ(Get(v, 178), Use(v) + Get(v, 88) + Get(v, 176)) << where;
    auto next = years.find({std::get<0>(key), std::get<1>(key), std::get<2>(key) + 1});
    if (next != years.end()) {
      ASSERT_EQ(Get(next->second, 20), Get(v, 176)) << where;
    }
    checked++;
  }
  EXPECT_GT(checked, 1000);
}

TEST(PsdGenerator, PartsAddUpToTheirTotals) {
  for (const auto& [key, v] : ByYear(SmallRows())) {
    const std::string& code = std::get<0>(key);
    if (code == "0440000") {
      EXPECT_EQ(Get(v, 130) + Get(v, 192), Get(v, 125));
    }
    if (code == "0711100") {
      EXPECT_EQ(Get(v, 29) + Get(v, 53) + Get(v, 56), Get(v, 28));
      EXPECT_EQ(Get(v, 58) + Get(v, 75) + Get(v, 82), Get(v, 57));
      EXPECT_EQ(Get(v, 90) + Get(v, 107) + Get(v, 114), Get(v, 88));
    }
    if (code == "0612000") {
      EXPECT_EQ(Get(v, 30) + Get(v, 43), Get(v, 28));
    }
  }
}

TEST(PsdGenerator, ValuesArePlausible) {
  for (const Row& row : SmallRows()) {
    ASSERT_GE(row.value, 0) << row.line;
    const bool fractional = row.unit_id == 26 || row.unit_id == 23;
    if (!fractional) {
      ASSERT_EQ(row.line.substr(row.line.size() - 5), ".0000") << row.line;
    }
    if (row.unit_id == 26) {
      ASSERT_EQ(row.line.substr(row.line.size() - 2), "00") << row.line;
      ASSERT_LT(row.value, 40) << row.line;
    }
    if (row.attribute_id == 182) {
      ASSERT_TRUE(row.value == 0 || (row.value > 6000 && row.value < 7200));
    }
  }
}

TEST(PsdGenerator, YieldIsProductionOverArea) {
  for (const auto& [key, v] : ByYear(SmallRows())) {
    if (std::get<0>(key) != "0440000" || Get(v, 4) == 0) continue;
    EXPECT_NEAR(Get(v, 184), Get(v, 28) / Get(v, 4), 0.006);
  }
}

TEST(PsdGenerator, VintagesFollowTheRealFile) {
  for (const Row& row : SmallRows()) {
    if (row.commodity_code == "0711100" && row.month == 0) {
      EXPECT_EQ(row.calendar_year, row.market_year) << row.line;
      EXPECT_LE(row.market_year, 2001) << row.line;
    } else if (row.market_year <= 2002) {
      EXPECT_EQ(row.calendar_year, 2006) << row.line;
      EXPECT_TRUE(row.month == 6 || row.month == 7) << row.line;
    } else {
      EXPECT_GE(row.calendar_year, row.market_year) << row.line;
      EXPECT_LE(row.calendar_year * 12 + row.month, 2026 * 12 + 8) << row.line;
    }
    if (row.market_year == 2026) {
      EXPECT_EQ(row.calendar_year * 100 + row.month, 202608);
    }
  }
}

TEST(PsdGenerator, SameOptionsGiveTheSameBytes) {
  EXPECT_EQ(Release(0.01, 2026, 8), SmallRelease());
  EXPECT_NE(Release(0.01, 2026, 8, 7), SmallRelease());
}

TEST(PsdGenerator, RowsGrowAboutLinearlyWithScale) {
  const double small = static_cast<double>(SmallRows().size());
  EXPECT_GT(small, 15000);
  EXPECT_LT(small, 30000);
  const double larger = static_cast<double>(Lines(MediumRelease()).size() - 1);
  EXPECT_GT(larger / small, 8.0);
  EXPECT_LT(larger / small, 12.0);
}

// ---------------------------------------------------------------- magnitudes

constexpr char kCorn[] = "0440000";
constexpr char kWheat[] = "0410000";
constexpr char kSoybeans[] = "2222000";

// The rows of a release for the balance lines the magnitude tests read; the other
// lines are not parsed.
std::vector<Row> BalanceRows(const std::string& text) {
  static const char* const kKept[] = {",\"Production\",", ",\"Area Harvested\",",
                                      ",\"Yield\",", ",\"Imports\",", ",\"Exports\","};
  std::string kept = std::string(kHeader) + "\n";
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    for (const char* part : kKept) {
      if (line.find(part) == std::string::npos) continue;
      kept += line + "\n";
      break;
    }
  }
  return ParseRows(kept);
}

// Values of one attribute of one commodity in one market year, by country code.
std::map<std::string, double> ByCountry(const std::vector<Row>& rows, const std::string& code,
                                        int attribute_id, int market_year) {
  std::map<std::string, double> values;
  for (const Row& row : rows) {
    if (row.commodity_code == code && row.attribute_id == attribute_id &&
        row.market_year == market_year) {
      values[row.country_code] = row.value;
    }
  }
  return values;
}

// The `count` largest producers of a commodity in a market year.
std::set<std::string> TopProducers(const std::vector<Row>& rows, const std::string& code,
                                   int market_year, size_t count) {
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [country, value] : ByCountry(rows, code, 28, market_year)) {
    ranked.push_back({value, country});
  }
  std::sort(ranked.rbegin(), ranked.rend());
  std::set<std::string> top;
  for (size_t i = 0; i < count && i < ranked.size(); i++) top.insert(ranked[i].second);
  return top;
}

bool Includes(const std::set<std::string>& set, const std::set<std::string>& subset) {
  return std::includes(set.begin(), set.end(), subset.begin(), subset.end());
}

std::string Joined(const std::set<std::string>& set) {
  std::string text;
  for (const std::string& item : set) text += item + " ";
  return text;
}

// The real world's three largest producers (around 2024): corn the United States,
// China and Brazil; wheat China, the EU and India; soybeans Brazil, the United States
// and Argentina. The demo's release (seed 42) has exactly them on top; with other seeds
// a bad harvest may push one of them down a place.
TEST(PsdGenerator, TheLargestProducersAreTheRealOnes) {
  const std::vector<std::pair<std::string, std::set<std::string>>> leaders = {
      {kCorn, {"BR", "CH", "US"}}, {kWheat, {"CH", "E4", "IN"}}, {kSoybeans, {"AR", "BR", "US"}}};
  for (uint64_t seed : {42, 7, 2024}) {
    const std::vector<Row> rows = BalanceRows(Release(0.02, 2026, 8, seed));
    for (const auto& [code, real] : leaders) {
      const std::set<std::string> top = TopProducers(rows, code, 2026, seed == 42 ? 3 : 4);
      EXPECT_TRUE(Includes(top, real))
          << code << " seed " << seed << ": top producers " << Joined(top);
    }
  }
}

// Approximate production of the real world leader of each major commodity, in its
// sheet's unit: corn (United States), wheat (China), rice (India), soybeans (Brazil),
// soybean meal and oil (China), palm oil (Indonesia), barley (EU), sorghum (United
// States), cotton (China, 1000 480 lb bales), sugar (Brazil), coffee (Brazil, 1000 60
// KG bags), beef (United States), pork (China), chicken (United States), fluid milk
// (India).
const std::map<std::string, double>& LeaderLevels() {
  static const std::map<std::string, double> levels = {
      {kCorn, 380000},     {kWheat, 140000},    {"0422110", 150000}, {kSoybeans, 169000},
      {"0813100", 78000},  {"4232000", 18000},  {"4243000", 47000},  {"0430000", 50000},
      {"0459200", 8700},   {"2631000", 28000},  {"0612000", 44000},  {"0711100", 65000},
      {"0111000", 12300},  {"0113000", 57000},  {"0115000", 21500},  {"0223000", 215000}};
  return levels;
}

TEST(PsdGenerator, NoCountryProducesFarMoreThanTheRealLeader) {
  // At 0.2 countries the generator's facts do not list report too.
  const std::vector<Row> rows = BalanceRows(Release(0.2, 2026, 8));
  std::map<std::string, double> largest;
  std::map<std::string, double> largest_latest;
  for (const Row& row : rows) {
    auto level = LeaderLevels().find(row.commodity_code);
    if (row.attribute_id != 28 || level == LeaderLevels().end()) continue;
    EXPECT_LE(row.value, 1.25 * level->second) << row.line;
    largest[row.commodity_code] = std::max(largest[row.commodity_code], row.value);
    if (row.market_year == 2026) {
      largest_latest[row.commodity_code] = std::max(largest_latest[row.commodity_code], row.value);
    }
  }
  for (const auto& [code, level] : LeaderLevels()) {
    EXPECT_GE(largest_latest[code], 0.6 * level) << code << ": the leader is too small";
  }
}

TEST(PsdGenerator, TradeFlowsFromTheRealExportersToTheRealImporters) {
  const std::vector<Row> rows = BalanceRows(Release(0.02, 2026, 8));
  auto exports = [&](const std::string& code) { return ByCountry(rows, code, 88, 2026); };
  auto imports = [&](const std::string& code) { return ByCountry(rows, code, 57, 2026); };
  for (const std::string country : {"US", "BR", "AR"}) {
    EXPECT_GT(exports(kCorn)[country], 15000) << "corn " << country;
    EXPECT_GT(exports(kCorn)[country], 10 * imports(kCorn)[country]) << "corn " << country;
  }
  EXPECT_GT(imports(kCorn)["MX"], 10000);
  EXPECT_GT(imports(kSoybeans)["CH"], 70000);
  EXPECT_GT(exports(kSoybeans)["BR"], 50000);
  EXPECT_GT(exports(kSoybeans)["US"], 25000);
  for (const std::string country : {"RS", "CA", "AS"}) {
    EXPECT_GT(exports(kWheat)[country], 10000) << "wheat " << country;
  }
}

// Yields in MT/HA: the United States grows about 11 tons of corn a hectare, the world
// about 3.5 of wheat and 2.8 of soybeans; no country is far above the best growers.
TEST(PsdGenerator, YieldsArePlausibleAndProductionIsAreaTimesYield) {
  const std::vector<Row> rows = BalanceRows(MediumRelease());
  const std::vector<std::tuple<std::string, double, double, double>> crops = {
      // code, highest yield, world average low and high
      {kCorn, 13.5, 4.5, 7.5}, {kWheat, 10, 2.8, 4.5}, {kSoybeans, 4.5, 2.2, 3.6}};
  for (const auto& [code, highest, average_low, average_high] : crops) {
    double production = 0;
    double area = 0;
    for (const auto& [country, yield] : ByCountry(rows, code, 184, 2026)) {
      EXPECT_LE(yield, highest) << code << " " << country;
      const double country_area = ByCountry(rows, code, 4, 2026)[country];
      const double country_production = ByCountry(rows, code, 28, 2026)[country];
      if (country_area > 0) {
        EXPECT_NEAR(yield, country_production / country_area, 0.006) << code << " " << country;
      }
      production += country_production;
      area += country_area;
    }
    ASSERT_GT(area, 0) << code;
    EXPECT_GE(production / area, average_low) << code;
    EXPECT_LE(production / area, average_high) << code;
  }
  const double us_corn = ByCountry(rows, kCorn, 184, 2026)["US"];
  EXPECT_GE(us_corn, 8.5);
  EXPECT_LE(us_corn, 12.5);
  for (const Row& row : rows) {
    if (row.attribute_id == 184 && row.unit_id == 26) {
      ASSERT_LE(row.value, 13.5) << row.line;
    }
  }
}

// Production grows towards today's level: well below it decades ago, with an
// occasional bad harvest in between.
TEST(PsdGenerator, HistoryGrowsTowardsTodaysLevelWithSomeBadYears) {
  const std::vector<Row> rows = BalanceRows(MediumRelease());
  const std::vector<std::pair<std::string, std::string>> series = {
      {kCorn, "US"}, {kCorn, "BR"}, {kWheat, "IN"}, {kSoybeans, "BR"}, {kSoybeans, "AR"}};
  for (const auto& [code, country] : series) {
    std::map<int, double> production;
    for (const Row& row : rows) {
      if (row.commodity_code == code && row.country_code == country && row.attribute_id == 28) {
        production[row.market_year] = row.value;
      }
    }
    ASSERT_FALSE(production.empty()) << code << " " << country;
    EXPECT_LE(production.begin()->first, 1995) << code << " " << country;
    EXPECT_LT(production.begin()->second, 0.7 * production.rbegin()->second)
        << code << " " << country;
  }
  int years = 0;
  int bad_years = 0;
  const auto all = ByYear(rows);
  for (const auto& [key, values] : all) {
    if (std::get<0>(key) != kCorn && std::get<0>(key) != kWheat) continue;
    auto previous = all.find({std::get<0>(key), std::get<1>(key), std::get<2>(key) - 1});
    const double yield = Get(values, 184);
    if (previous == all.end() || Get(previous->second, 184) <= 0 || yield <= 0) continue;
    years++;
    if (yield < 0.85 * Get(previous->second, 184)) bad_years++;
  }
  ASSERT_GT(years, 500);
  EXPECT_GT(bad_years, 0);
  EXPECT_LT(bad_years, years / 10);
}

using RowKey = std::tuple<std::string, std::string, int, int>;

std::map<RowKey, std::string> Keyed(const std::vector<Row>& rows) {
  std::map<RowKey, std::string> keyed;
  for (const Row& row : rows) {
    keyed[{row.commodity_code, row.country_code, row.market_year, row.attribute_id}] = row.line;
  }
  return keyed;
}

TEST(PsdGenerator, ConsecutiveReleasesDifferOnlyInRecentRevisedYears) {
  const std::map<RowKey, std::string> july = Keyed(ParseRows(Release(0.01, 2026, 7)));
  const std::vector<Row> august = SmallRows();
  ASSERT_EQ(july.size(), august.size());
  size_t changed = 0;
  for (const Row& row : august) {
    auto before = july.find({row.commodity_code, row.country_code, row.market_year,
                             row.attribute_id});
    ASSERT_NE(before, july.end()) << row.line;
    if (before->second == row.line) continue;
    changed++;
    EXPECT_GE(row.market_year, 2024) << row.line;
    EXPECT_EQ(row.calendar_year * 100 + row.month, 202608) << row.line;
  }
  EXPECT_GT(changed, 0u);
  // A small release always holds each commodity's leaders, so its series are short and
  // a larger share of its rows is recent.
  EXPECT_LT(changed, august.size() / 4);
}

// Like the real file, releases whose series are long differ in a few percent of rows.
TEST(PsdGenerator, LargerReleasesDifferInAFewPercentOfTheirRows) {
  const std::vector<std::string> july = Lines(Release(0.1, 2026, 7));
  const std::vector<std::string> august = Lines(MediumRelease());
  ASSERT_EQ(july.size(), august.size());
  const std::set<std::string> before(july.begin(), july.end());
  size_t changed = 0;
  for (const std::string& line : august) changed += before.count(line) == 0 ? 1 : 0;
  EXPECT_GT(changed, 0u);
  EXPECT_LT(changed, august.size() / 15);
}

TEST(PsdGenerator, MayReleaseAddsTheNewMarketYear) {
  const std::map<RowKey, std::string> april = Keyed(ParseRows(Release(0.01, 2026, 4)));
  const std::vector<Row> may = ParseRows(Release(0.01, 2026, 5));
  std::map<std::string, int> last_year;  // fruit sheets end a year before the others
  for (const Row& row : may) {
    last_year[row.commodity_code] = std::max(last_year[row.commodity_code], row.market_year);
  }
  int added = 0;
  for (const Row& row : may) {
    auto before = april.find({row.commodity_code, row.country_code, row.market_year,
                              row.attribute_id});
    if (before == april.end()) {
      EXPECT_EQ(row.market_year, last_year[row.commodity_code]) << row.line;
      EXPECT_GE(row.market_year, 2025) << row.line;
      added++;
    } else if (before->second != row.line) {
      EXPECT_GE(row.market_year, 2024) << row.line;
    }
  }
  EXPECT_GT(added, 0);
  EXPECT_EQ(PsdLatestMarketYear(2026, 4), 2025);
  EXPECT_EQ(PsdLatestMarketYear(2026, 5), 2026);
}

TEST(PsdGenerator, WritesGzipFilesNamedByContent) {
  const std::filesystem::path directory = TemporaryDirectory("files");
  PsdGeneratorOptions options;
  options.out_dir = directory.string();
  options.months = 3;
  options.end_year = 2026;
  options.end_month = 1;
  std::vector<std::string> reported;
  options.on_file = [&](int index, int total, const std::string& path, int64_t rows) {
    EXPECT_EQ(total, 3);
    EXPECT_EQ(index, static_cast<int>(reported.size()));
    EXPECT_GT(rows, 0);
    reported.push_back(path);
  };
  Result<std::vector<PsdGeneratedFile>> files = GeneratePsd(options);
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_EQ(files->size(), 3u);
  const std::vector<std::pair<int, int>> months = {{2025, 11}, {2025, 12}, {2026, 1}};
  for (size_t i = 0; i < files->size(); i++) {
    const PsdGeneratedFile& file = (*files)[i];
    EXPECT_EQ(file.year, months[i].first);
    EXPECT_EQ(file.month, months[i].second);
    EXPECT_EQ(file.path, reported[i]);
    char expected[64];
    std::snprintf(expected, sizeof(expected), "/psd/%d/%02d/", file.year, file.month);
    EXPECT_EQ(file.path, directory.string() + expected + file.etag + ".csv.gz");
    const std::string text = Gunzip(file.path);
    EXPECT_EQ(file.etag, Sha256Hex(text).substr(0, 16));
    EXPECT_EQ(static_cast<int64_t>(Lines(text).size()) - 1, file.rows);
    EXPECT_EQ(text, Release(0.01, file.year, file.month));
  }
  int entries = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file()) {
      entries++;
      EXPECT_EQ(entry.path().extension(), ".gz") << entry.path();
    }
  }
  EXPECT_EQ(entries, 3);
  std::filesystem::remove_all(directory);
}

TEST(PsdGenerator, RejectsInvalidOptionsWithAClearMessage) {
  auto message = [](auto change) {
    PsdGeneratorOptions options;
    options.out_dir = "/nonexistent/landing";
    change(options);
    Result<std::vector<PsdGeneratedFile>> files = GeneratePsd(options);
    EXPECT_FALSE(files.ok());
    EXPECT_EQ(files.status().code(), StatusCode::kInvalidInput);
    return files.ok() ? std::string() : files.status().message();
  };
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.months = 0; }),
            "psd generator: months must be between 1 and 240, got 0");
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.months = 241; }),
            "psd generator: months must be between 1 and 240, got 241");
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.scale = 0; }),
            "psd generator: scale must be greater than 0 and at most 10, got 0");
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.scale = -1.5; }),
            "psd generator: scale must be greater than 0 and at most 10, got -1.5");
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.scale = 10.5; }),
            "psd generator: scale must be greater than 0 and at most 10, got 10.5");
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.end_month = 0; }),
            "psd generator: end_month must be between 1 and 12, got 0");
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.end_month = 13; }),
            "psd generator: end_month must be between 1 and 12, got 13");
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.end_year = 1800; }),
            "psd generator: end_year must be between 1990 and 2100, got 1800");
  EXPECT_EQ(message([](PsdGeneratorOptions& o) { o.out_dir.clear(); }),
            "psd generator: out_dir is empty; give the landing directory");
}

TEST(PsdGenerator, ReportsADirectoryThatCannotBeCreated) {
  const std::filesystem::path directory = TemporaryDirectory("blocked");
  std::filesystem::create_directories(directory);
  { std::FILE* file = std::fopen((directory / "psd").c_str(), "w"); std::fclose(file); }
  PsdGeneratorOptions options;
  options.out_dir = directory.string();
  options.months = 1;
  Result<std::vector<PsdGeneratedFile>> files = GeneratePsd(options);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), StatusCode::kIoError);
  EXPECT_NE(files.status().message().find((directory / "psd").string()), std::string::npos)
      << files.status().message();
  std::filesystem::remove_all(directory);
}

TEST(PsdGenerator, WriteReleaseRejectsABadMonth) {
  PsdGeneratorOptions options;
  std::string out;
  Result<int64_t> rows = WritePsdRelease(options, 2026, 13, &out);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), "psd generator: month must be between 1 and 12, got 13");
}

TEST(PsdReferenceData, HoldsTheRealCodeLists) {
  EXPECT_EQ(PsdCommodities().size(), 63u);
  EXPECT_EQ(PsdCountries().size(), 218u);
  EXPECT_EQ(PsdAttributes().size(), 132u);
  EXPECT_EQ(PsdUnits().size(), 42u);
  bool japan = false;
  for (const PsdCountry& country : PsdCountries()) {
    japan |= country.code == "JA" && country.name == "Japan";
  }
  EXPECT_TRUE(japan);
  for (size_t i = 1; i < PsdCommodities().size(); i++) {
    EXPECT_LT(Lower(std::string(PsdCommodities()[i - 1].description)),
              Lower(std::string(PsdCommodities()[i].description)));
  }
  for (const PsdCommodity& commodity : PsdCommodities()) {
    EXPECT_EQ(commodity.code.size(), 7u) << commodity.description;
    if (commodity.code == "2631000") {
      ASSERT_FALSE(commodity.attributes.empty());
      bool bales = false;
      for (const PsdCommodityAttribute& a : commodity.attributes) {
        bales |= a.unit_id == 27 && a.unit_description == "1000 480 lb. Bales";
      }
      EXPECT_TRUE(bales);
    }
  }
}

}  // namespace
}  // namespace materia
