#include "pipelines/psd_generator.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "base/hash.h"
#include "pipelines/psd_reference_data.h"

// How the data is made.
//
// A release is the balance sheets of every commodity for a deterministic subset of
// countries, one "series" per (commodity, country), each running over consecutive
// market years. A series' values in a market year are drawn from a random stream keyed
// by (seed, commodity, country, market year) and never by the release, plus a small
// revision keyed by the release that last revised that market year. Revisions happen
// only while a market year is among the latest three, so two releases differ only in
// the recent years a release revised, exactly as the real file's Calendar_Year/Month
// vintages record. Random numbers come from SplitMix64 and values use only + - * / and
// rounding, so the same options give the same bytes everywhere.

namespace materia {

namespace {

constexpr double kMaxScale = 10.0;
constexpr int kMaxMonths = 240;
// GeneratePsd's last release is 1990 or later, so its first (240 months back) is 1970
// or later, the earliest WritePsdRelease accepts.
constexpr int kMinReleaseYear = 1970;
constexpr int kMinEndYear = 1990;
constexpr int kMaxReleaseYear = 2100;
// Series spans are anchored at this year so that they do not move between releases.
constexpr int kReferenceYear = 2026;
constexpr int kFirstSeriesYear = 1960;
constexpr int kSeriesStartYears = 31;  // a series starts in 1960..1990
constexpr int kEarliestMarketYear = 1100;  // spans stretched above scale 1 stop here
constexpr int kAttributeIdLimit = 256;
constexpr int kMaxSheetLines = 64;  // the longest sheet (coffee) has 19 lines
constexpr int kRevisionScanMonths = 48;
constexpr int kRevisedYears = 3;  // the latest market year and the two before it
// Records last revised before mid 2006 carry Calendar_Year 2006 and Month 06 or 07,
// as the real file's old records do.
constexpr int kRebuildYear = 2006;
constexpr double kCottonBaleKilograms = 217.72;  // one 480 lb bale

// ---------------------------------------------------------------- randomness

// SplitMix64: a small generator whose output is fixed by its definition, so a seed
// gives the same numbers with every compiler and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Signed() { return 2.0 * Unit() - 1.0; }                          // [-1, 1)
  double Between(double low, double high) { return low + (high - low) * Unit(); }
  bool Chance(double probability) { return Unit() < probability; }

 private:
  uint64_t state_;
};

uint64_t Combine(uint64_t key, uint64_t part) {
  SplitMix64 mix(key ^ (part * 0xd1b54a32d192ed03ULL));
  return mix.Next();
}

enum Purpose : uint64_t {
  kPurposeCountries = 1,
  kPurposeSeries = 2,
  kPurposeYear = 3,
  kPurposeRevision = 4,
  kPurposeRevisionDepth = 5,
};

int64_t Round(double value) { return static_cast<int64_t>(std::llround(value)); }

// ---------------------------------------------------------------- releases

struct Vintage {
  int year = 0;
  int month = 0;  // 0 = no revision month (old coffee records)
};

int MonthIndex(int year, int month) { return year * 12 + (month - 1); }
int YearOfIndex(int index) { return index / 12; }
int MonthOfIndex(int index) { return index % 12 + 1; }

// ---------------------------------------------------------------- sheets

// What an attribute line is in a commodity's balance sheet.
enum class Role {
  kBeginningStocks, kProduction, kImports, kTotalSupply, kExports, kConsumption,
  kEndingStocks, kTotalDistribution, kProductionPart, kImportsPart, kExportsPart,
  kConsumptionPart, kArea, kYield, kCrush, kExtractionRate, kMillingRate,
  kRoughProduction, kTradeYearImports, kTradeYearImportsFromUs, kTradeYearExports,
  kSoybeanMealEquivalent, kStocksToUse, kCowsInMilk, kStocksSubset, kSlaughterSubset,
  kOther,
};

Role RoleOf(int attribute_id, bool oilseed) {
  switch (attribute_id) {
    case 4: return Role::kArea;
    case 6: return Role::kCowsInMilk;
    case 7: return oilseed ? Role::kConsumptionPart : Role::kCrush;
    case 20: return Role::kBeginningStocks;
    case 22: case 23: case 25: return Role::kStocksSubset;
    case 28: return Role::kProduction;
    case 29: case 30: case 32: case 43: case 49: case 53: case 56:
      return Role::kProductionPart;
    case 54: return Role::kRoughProduction;
    case 57: return Role::kImports;
    case 58: case 64: case 74: case 75: case 82: return Role::kImportsPart;
    case 81: return Role::kTradeYearImports;
    case 84: return Role::kTradeYearImportsFromUs;
    case 86: return Role::kTotalSupply;
    case 88: return Role::kExports;
    case 89: case 90: case 99: case 107: case 114: return Role::kExportsPart;
    case 113: return Role::kTradeYearExports;
    case 117: case 130: case 131: case 139: case 140: case 141: case 142: case 147:
    case 149: case 150: case 151: case 154: case 158: case 161: case 172: case 192:
      return Role::kConsumptionPart;
    case 118: case 121: case 122: return Role::kSlaughterSubset;
    case 125: case 126: return Role::kConsumption;
    case 176: return Role::kEndingStocks;
    case 178: return Role::kTotalDistribution;
    case 181: return Role::kExtractionRate;
    case 182: return Role::kMillingRate;
    case 184: return Role::kYield;
    case 194: return Role::kSoybeanMealEquivalent;
    case 195: return Role::kStocksToUse;
    default: return Role::kOther;
  }
}

// The usual weight of a part within its total (crush dominates oilseed use, beans
// dominate coffee trade, and so on).
double PartWeight(int attribute_id) {
  switch (attribute_id) {
    case 7: return 8;
    case 29: case 53: return 5;
    case 32: case 117: case 139: return 10;
    case 58: case 90: case 141: case 147: return 6;
    case 30: case 43: case 64: case 89: case 131: return 3;
    case 74: case 99: return 2;
    case 142: return 30;
    case 56: case 75: case 82: case 107: case 114: return 0.3;
    case 140: case 150: case 151: case 158: case 172: return 0.4;
    default: return 1;
  }
}

// The share of its whole that a subset line takes: [low, high).
std::array<double, 2> SubsetShare(int attribute_id) {
  switch (attribute_id) {
    case 22: return {0.08, 0.14};  // sows in the swine herd
    case 23: case 25: return {0.10, 0.35};  // dairy or beef cows in the cattle herd
    case 118: return {0.15, 0.30};  // cows among cattle slaughtered
    case 121: return {0.02, 0.05};  // sows among swine slaughtered
    case 122: return {0.02, 0.25};  // calves among cattle slaughtered
    default: return {0.05, 0.20};
  }
}

// How a commodity's series behave; quantities are in the sheet's quantity unit.
struct Profile {
  double demand_low = 1;       // demand of the smallest series, in the reference year
  double demand_high = 1000;   // demand of the largest
  double producer_probability = 0.7;
  double stock_ratio_low = 0.05;  // ending stocks as a share of demand
  double stock_ratio_high = 0.3;
  double no_stocks_probability = 0.1;
  double yield_start = 1.5;  // in the yield unit, in 1960 (kYields)
  double yield_growth = 0.015;
  double extraction_rate = 0;  // product per unit crushed (kExtractionRates)
};

struct YieldFact {
  std::string_view code;
  double yield_start;  // MT/HA (rough basis for rice; KG/HA for cotton)
  double yield_growth;
};

constexpr YieldFact kYields[] = {
    {"0410000", 1.2, 0.017}, {"0422110", 2.0, 0.013}, {"0430000", 1.3, 0.014},
    {"0440000", 1.6, 0.019}, {"0451000", 1.2, 0.012}, {"0452000", 1.1, 0.012},
    {"0459100", 0.6, 0.008}, {"0459200", 0.9, 0.010}, {"0459900", 1.6, 0.012},
    {"2222000", 1.1, 0.016}, {"2631000", 320, 0.015},
};

struct ExtractionFact {
  std::string_view code;
  double rate;  // meal or oil per unit of oilseed crushed
};

constexpr ExtractionFact kExtractionRates[] = {
    {"0813100", 0.79}, {"0813101", 0.79}, {"0813200", 0.45}, {"0813300", 0.45},
    {"0813500", 0.42}, {"0813600", 0.58}, {"0813700", 0.33}, {"0813800", 0.53},
    {"4232000", 0.19}, {"4232001", 0.19}, {"4233000", 0.16}, {"4234000", 0.32},
    {"4236000", 0.41}, {"4239100", 0.40}, {"4242000", 0.62}, {"4244000", 0.45},
};

// Demand ranges are today's levels: the largest series are of the order of the
// largest real producers (corn, soybeans, milk, cattle herds, apples...).
Profile GroupProfile(std::string_view group, std::string_view description) {
  // Columns: demand low, demand high, producer probability, stock ratio low and high,
  // probability of no stocks.
  auto profile = [](double low, double high, double producer, double stocks_low,
                    double stocks_high, double no_stocks) {
    Profile p;
    p.demand_low = low;
    p.demand_high = high;
    p.producer_probability = producer;
    p.stock_ratio_low = stocks_low;
    p.stock_ratio_high = stocks_high;
    p.no_stocks_probability = no_stocks;
    return p;
  };
  if (group == "grains") return profile(1, 300000, 0.8, 0.05, 0.35, 0.1);
  if (group == "coffee") return profile(1, 60000, 0.55, 0.05, 0.3, 0.2);
  if (group == "cotton") return profile(1, 30000, 0.6, 0.2, 0.7, 0.05);
  if (group == "sugar") return profile(1, 40000, 0.75, 0.1, 0.3, 0.1);
  if (description == "Dairy, Milk, Fluid") return profile(10, 150000, 0.95, 0, 0, 1);
  if (group == "dairy") return profile(1, 10000, 0.8, 0.0, 0.1, 0.4);
  if (description.starts_with("Animal Numbers")) return profile(5, 250000, 0.95, 2.0, 3.5, 0);
  if (group == "livestock") return profile(1, 50000, 0.85, 0.0, 0.05, 0.5);
  if (description.starts_with("Oilseed")) return profile(1, 150000, 0.6, 0.05, 0.3, 0.15);
  if (description.starts_with("Meal")) return profile(1, 60000, 0.55, 0.02, 0.15, 0.2);
  if (group == "oilseeds") return profile(1, 40000, 0.55, 0.02, 0.15, 0.2);
  if (group == "tree_nuts") return profile(10, 1500000, 0.6, 0.0, 0.05, 0.7);
  if (group == "fruits_vegetables") return profile(100, 30000000, 0.8, 0.0, 0.01, 0.9);
  if (group == "juice") return profile(10, 1500000, 0.5, 0.05, 0.2, 0.3);
  return Profile();
}

Profile ProfileFor(const PsdCommodity& commodity) {
  Profile profile = GroupProfile(commodity.group, commodity.description);
  for (const YieldFact& fact : kYields) {
    if (fact.code == commodity.code) {
      profile.yield_start = fact.yield_start;
      profile.yield_growth = fact.yield_growth;
    }
  }
  for (const ExtractionFact& fact : kExtractionRates) {
    if (fact.code == commodity.code) profile.extraction_rate = fact.rate;
  }
  return profile;
}

// Countries and country-years (series times market years) per commodity at scale 1.0,
// and where a sheet ends. Known figures of the August 2026 file are used as they are:
// corn 145 countries / 7,586 country-years, wheat 145 / 7,754, rice 138 / 7,616, the
// nine grains 38,769 country-years in all, soybeans 98 / 3,808, sugar 194 / 9,501,
// coffee 94 / 4,616, cotton 135 / 7,777, cattle 82 / 2,655, swine 76 / 2,181, fluid
// milk 69 / 1,917; the fruit, nut and (Local) sheets match their real row counts. The
// others are estimates that bring a release to about 2.1 million rows. Fruit sheets
// end a year before the others; broiler meat was discontinued after 2016.
struct CommodityExtent {
  std::string_view code;
  int countries;
  int country_years;
  int last_year_lag;  // market years before the latest one at which the sheet ends
  int last_year_max;  // 0 when the sheet is current
};

constexpr CommodityExtent kExtents[] = {
    {"0011000", 82, 2655, 0, 0},  {"0013000", 76, 2181, 0, 0},
    {"0111000", 95, 4300, 0, 0},  {"0113000", 85, 3900, 0, 0},
    {"0114200", 70, 3300, 0, 2016}, {"0115000", 95, 4300, 0, 0},
    {"0223000", 69, 1917, 0, 0},  {"0224200", 60, 2700, 0, 0},
    {"0224400", 55, 2500, 0, 0},  {"0230000", 65, 3000, 0, 0},
    {"0240000", 60, 2800, 0, 0},  {"0410000", 145, 7754, 0, 0},
    {"0422110", 138, 7616, 0, 0}, {"0430000", 75, 3900, 0, 0},
    {"0440000", 145, 7586, 0, 0}, {"0451000", 50, 2400, 0, 0},
    {"0452000", 55, 2800, 0, 0},  {"0459100", 45, 2000, 0, 0},
    {"0459200", 70, 3600, 0, 0},  {"0459900", 30, 1113, 0, 0},
    {"0571120", 35, 1800, 1, 0},  {"0571220", 22, 1141, 1, 0},
    {"0572120", 19, 999, 1, 0},   {"0572220", 17, 872, 1, 0},
    {"0574000", 76, 3943, 1, 0},  {"0575100", 29, 1483, 1, 0},
    {"0577400", 27, 1419, 1, 0},  {"0577901", 21, 1075, 1, 0},
    {"0577907", 16, 815, 1, 0},   {"0579220", 37, 1946, 1, 0},
    {"0579305", 22, 1155, 1, 0},  {"0579309", 27, 1382, 1, 0},
    {"0585100", 30, 1500, 1, 0},  {"0612000", 194, 9501, 0, 0},
    {"0711100", 94, 4616, 0, 0},  {"0813100", 120, 4500, 0, 0},
    {"0813101", 6, 196, 0, 0},    {"0813200", 70, 3100, 0, 0},
    {"0813300", 80, 3500, 0, 0},  {"0813500", 70, 3100, 0, 0},
    {"0813600", 70, 3100, 0, 0},  {"0813700", 45, 2100, 0, 0},
    {"0813800", 45, 2100, 0, 0},  {"0814200", 60, 2700, 0, 0},
    {"2221000", 100, 4300, 0, 0}, {"2222000", 98, 3808, 0, 0},
    {"2222001", 6, 182, 0, 0},    {"2223000", 85, 3800, 0, 0},
    {"2224000", 70, 3100, 0, 0},  {"2226000", 70, 3100, 0, 0},
    {"2231000", 45, 2100, 0, 0},  {"2232000", 45, 2100, 0, 0},
    {"2631000", 135, 7777, 0, 0}, {"4232000", 120, 4500, 0, 0},
    {"4232001", 6, 182, 0, 0},    {"4233000", 75, 3300, 0, 0},
    {"4234000", 70, 3100, 0, 0},  {"4235000", 50, 2300, 0, 0},
    {"4236000", 80, 3500, 0, 0},  {"4239100", 75, 3300, 0, 0},
    {"4242000", 65, 2900, 0, 0},  {"4243000", 110, 4100, 0, 0},
    {"4244000", 55, 2500, 0, 0},
};

CommodityExtent ExtentFor(std::string_view code) {
  for (const CommodityExtent& extent : kExtents) {
    if (extent.code == code) return extent;
  }
  return {code, 40, 1800, 0, 0};
}

struct SheetLine {
  int attribute_id = 0;
  Role role = Role::kOther;
  std::string_view description;
  std::string text;  // `029,"Arabica Production",02,"(1000 60 KG BAGS)",`
};

// One commodity's balance sheet: its attribute lines in output order, and how its
// series behave.
struct Sheet {
  const PsdCommodity* commodity = nullptr;
  Profile profile;
  CommodityExtent extent;
  std::vector<SheetLine> lines;  // sorted by description, case-insensitively
  std::array<int, kAttributeIdLimit> line_of{};  // attribute id -> line, or -1
  bool has_stocks = false;
  bool is_coffee = false;
  std::string prefix;  // `0711100,"Coffee, Green",`
};

std::string_view AttributeDescription(int attribute_id) {
  for (const PsdAttribute& attribute : PsdAttributes()) {
    if (attribute.id == attribute_id) return attribute.description;
  }
  return {};
}

std::string_view UnitDescription(int unit_id) {
  for (const PsdUnit& unit : PsdUnits()) {
    if (unit.id == unit_id) return unit.description;
  }
  return {};
}

bool LessIgnoringCase(std::string_view a, std::string_view b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) {
                                        auto lower = [](char c) {
                                          return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
                                        };
                                        return lower(x) < lower(y);
                                      });
}

void AppendPadded(std::string* out, int64_t value, int width) {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && count < 20);
  for (int i = count; i < width; i++) out->push_back('0');
  while (count > 0) out->push_back(digits[--count]);
}

SheetLine MakeLine(int attribute_id, std::string_view description, int unit_id,
                   std::string_view unit, bool oilseed) {
  SheetLine line;
  line.attribute_id = attribute_id;
  line.role = RoleOf(attribute_id, oilseed);
  line.description = description;
  AppendPadded(&line.text, attribute_id, 3);
  line.text += ",\"";
  line.text += description;
  line.text += "\",";
  AppendPadded(&line.text, unit_id, 2);
  line.text += ",\"";
  line.text += unit;
  line.text += "\",";
  return line;
}

bool HasAttribute(const std::vector<SheetLine>& lines, int attribute_id) {
  return std::any_of(lines.begin(), lines.end(), [attribute_id](const SheetLine& line) {
    return line.attribute_id == attribute_id;
  });
}

// Whether a sheet says how its supply is used: a consumption total, or use lines
// other than an oilseed's crush (which is one part of its Domestic Consumption).
bool HasUseLine(const std::vector<SheetLine>& lines) {
  return std::any_of(lines.begin(), lines.end(), [](const SheetLine& line) {
    return line.role == Role::kConsumption ||
           (line.role == Role::kConsumptionPart && line.attribute_id != 7);
  });
}

// A sheet lists the commodity's known attributes. When the lists know none (fruit,
// nuts, juice) it has the five lines every commodity reports plus stocks and
// consumption, in (MT); when a sheet has no use line at all, stocks and Domestic
// Consumption are added in its quantity unit so that the identities can hold.
std::vector<SheetLine> SheetLines(const PsdCommodity& commodity) {
  const bool oilseed = commodity.description.starts_with("Oilseed");
  std::vector<SheetLine> lines;
  int quantity_unit = 21;  // (MT)
  for (const PsdCommodityAttribute& a : commodity.attributes) {
    lines.push_back(MakeLine(a.attribute_id, a.attribute_description, a.unit_id,
                             a.unit_description, oilseed));
    if (a.attribute_id == 28) quantity_unit = a.unit_id;
  }
  const int fallback[] = {28, 57, 86, 88, 178};
  for (int id : fallback) {
    if (!HasAttribute(lines, id)) {
      lines.push_back(MakeLine(id, AttributeDescription(id), quantity_unit,
                               UnitDescription(quantity_unit), oilseed));
    }
  }
  if (!HasUseLine(lines)) {
    for (int id : {20, 125, 176}) {
      if (HasAttribute(lines, id)) continue;
      lines.push_back(MakeLine(id, AttributeDescription(id), quantity_unit,
                               UnitDescription(quantity_unit), oilseed));
    }
  }
  std::sort(lines.begin(), lines.end(), [](const SheetLine& a, const SheetLine& b) {
    return LessIgnoringCase(a.description, b.description);
  });
  return lines;
}

Sheet MakeSheet(const PsdCommodity& commodity) {
  Sheet sheet;
  sheet.commodity = &commodity;
  sheet.profile = ProfileFor(commodity);
  sheet.extent = ExtentFor(commodity.code);
  sheet.lines = SheetLines(commodity);
  assert(sheet.lines.size() <= kMaxSheetLines);
  sheet.line_of.fill(-1);
  for (size_t i = 0; i < sheet.lines.size(); i++) {
    int id = sheet.lines[i].attribute_id;
    if (id >= 0 && id < kAttributeIdLimit) sheet.line_of[id] = static_cast<int>(i);
  }
  sheet.has_stocks = sheet.line_of[20] >= 0 || sheet.line_of[176] >= 0;
  sheet.is_coffee = commodity.group == "coffee";
  sheet.prefix = std::string(commodity.code) + ",\"" + std::string(commodity.description) + "\",";
  return sheet;
}

// ---------------------------------------------------------------- countries and spans

// Years a country can report, for states and aggregates that ended or began after 1960
// (successor states of the USSR report from 1987, as Russia and Ukraine do in PSD).
struct CountryYears {
  std::string_view code;
  int first_year;
  int last_year;  // 0 = still reporting
};

constexpr CountryYears kCountryYears[] = {
    {"UR", 1960, 1986}, {"RS", 1987, 0}, {"UP", 1987, 0}, {"KZ", 1987, 0},
    {"BO", 1987, 0},    {"UZ", 1987, 0}, {"TX", 1987, 0}, {"TI", 1987, 0},
    {"KG", 1987, 0},    {"AJ", 1987, 0}, {"AM", 1987, 0}, {"GG", 1987, 0},
    {"MD", 1987, 0},    {"EN", 1987, 0}, {"LG", 1987, 0}, {"LH", 1987, 0},
    {"CZ", 1960, 1992}, {"EZ", 1993, 0}, {"LO", 1993, 0}, {"YO", 1960, 1991},
    {"HR", 1992, 0},    {"SI", 1992, 0}, {"BK", 1992, 0}, {"MK", 1992, 0},
    {"YU", 1992, 2002}, {"SR", 2003, 2005}, {"RB", 2006, 0}, {"MJ", 2006, 0},
    {"KV", 2008, 0},    {"GC", 1960, 1990}, {"GE", 1960, 1990}, {"GM", 1991, 0},
    {"YS", 1960, 1990}, {"YE", 1960, 1990}, {"YM", 1991, 0}, {"E2", 1960, 2003},
    {"E3", 2004, 2005}, {"BE", 1960, 1998}, {"S8", 1999, 0}, {"LU", 1999, 0},
    {"FT", 1960, 1976}, {"DJ", 1977, 0}, {"GN", 1960, 1978}, {"NA", 1960, 2010},
    {"Y2", 1960, 1995}, {"ER", 1993, 0}, {"OD", 2011, 0},  {"WA", 1990, 0},
};

// Large producers and traders come first when few countries are chosen.
constexpr std::string_view kMajorCountries[] = {
    "US", "CH", "E4", "BR", "IN", "RS", "AR", "CA", "AS", "UP", "ID", "MX",
    "JA", "TH", "VM", "PK", "TU", "EG", "NI", "KS", "MY", "CO", "ET", "SF",
};

CountryYears YearsOf(const PsdCountry& country) {
  for (const CountryYears& years : kCountryYears) {
    if (years.code == country.code) return years;
  }
  return {country.code, kFirstSeriesYear, 0};
}

uint64_t CountryNumber(std::string_view code) {
  uint64_t number = 0;
  for (char c : code) number = number * 256 + static_cast<unsigned char>(c);
  return number;
}

uint64_t CommodityNumber(std::string_view code) {
  uint64_t number = 0;
  for (char c : code) number = number * 10 + static_cast<uint64_t>(c - '0');
  return number;
}

bool IsMajor(std::string_view code) {
  return std::find(std::begin(kMajorCountries), std::end(kMajorCountries), code) !=
         std::end(kMajorCountries);
}

// The countries reporting a commodity, as indexes into PsdCountries() in name order.
// The ranking depends on the seed and the commodity only, so a smaller scale picks a
// subset of the countries of a larger one.
std::vector<int> ChooseCountries(const Sheet& sheet, uint64_t seed, int count) {
  std::span<const PsdCountry> countries = PsdCountries();
  const uint64_t key = Combine(Combine(seed, kPurposeCountries),
                               CommodityNumber(sheet.commodity->code));
  std::vector<std::pair<double, int>> ranked;
  for (size_t i = 0; i < countries.size(); i++) {
    const PsdCountry& country = countries[i];
    if (country.code == "ZZ") continue;  // the residual "Other" carries no balance sheet
    SplitMix64 random(Combine(key, CountryNumber(country.code)));
    double rank = random.Unit();
    if (IsMajor(country.code)) rank *= 0.05;
    if (sheet.is_coffee && country.in_coffee_list) rank *= 0.05;
    if (country.historic) rank = 0.5 + 0.5 * rank;
    ranked.push_back({rank, static_cast<int>(i)});
  }
  std::sort(ranked.begin(), ranked.end());
  count = std::clamp(count, 1, static_cast<int>(ranked.size()));
  std::vector<int> chosen;
  for (int i = 0; i < count; i++) chosen.push_back(ranked[i].second);
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

struct SeriesSpan {
  int first_year = 0;
  int last_year = 0;  // included; first_year > last_year when empty
};

// A series' natural years: from a start in 1960..1990 (or when the country began) to
// the reference year (or when the country ended). They do not depend on the release.
SeriesSpan NaturalSpan(const PsdCountry& country, uint64_t series_key) {
  const CountryYears years = YearsOf(country);
  SeriesSpan span;
  span.last_year = years.last_year > 0 ? years.last_year : kReferenceYear;
  SplitMix64 random(Combine(series_key, 0));
  span.first_year = kFirstSeriesYear + static_cast<int>(random.Unit() * kSeriesStartYears);
  span.first_year = std::clamp(span.first_year, years.first_year, span.last_year);
  return span;
}

int Years(SeriesSpan span) { return span.last_year - span.first_year + 1; }

// A series' years in a release: its natural span stretched or shrunk by
// `span_factor` from its end, no earlier than `floor_year`, cut at the release's
// latest market year and where the sheet or the country ends.
SeriesSpan ScaledSpan(const Sheet& sheet, const PsdCountry& country, SeriesSpan natural,
                      double span_factor, int floor_year, int latest_market_year) {
  const int years = std::max<int>(1, static_cast<int>(Round(Years(natural) * span_factor)));
  SeriesSpan span;
  span.first_year = std::max(natural.last_year - years + 1, floor_year);
  span.last_year = latest_market_year - sheet.extent.last_year_lag;
  const int country_last = YearsOf(country).last_year;
  if (country_last > 0) span.last_year = std::min(span.last_year, country_last);
  if (sheet.extent.last_year_max > 0) {
    span.last_year = std::min(span.last_year, sheet.extent.last_year_max);
  }
  return span;
}

// ---------------------------------------------------------------- series values

// A value between `low` and `high` spread evenly over the decades between them, as a
// log-uniform draw would be, but piecewise linear within each decade so that only
// + - * / are used. `unit` is in [0, 1).
double SpreadOverDecades(double low, double high, double unit) {
  double decades = 0;
  double decade_start = low;
  for (int i = 0; i < 30 && decade_start * 10 <= high; i++) {
    decade_start *= 10;
    decades += 1;
  }
  const double total = decades + (high / decade_start - 1) / 9;
  const double position = unit * total;
  const int whole = static_cast<int>(position);
  double value = low;
  for (int i = 0; i < whole; i++) value *= 10;
  return value * (1 + 9 * (position - whole));
}

// What stays the same over a series' years.
struct SeriesParameters {
  uint64_t key = 0;
  double demand = 0;  // trend demand in the reference year
  double growth = 1;
  bool producer = false;
  int production_start_year = 0;
  double self_sufficiency = 0;
  double stock_ratio = 0;
  double import_floor = 0;
  double reexport_share = 0;
  double us_share = 0;
  double yield_start = 0;
  double yield_growth = 1;
  double extraction_rate = 0;
  double milling_rate = 0;
  double milk_per_cow = 0;
  double equivalent_factor = 1;
  double other_share = 0;
  int rebuild_month = 6;
  int coffee_unrevised_until = 1998;
  std::array<double, kMaxSheetLines> weight{};  // parts' weights, subsets' shares
};

void DrawLineParameters(const Sheet& sheet, SplitMix64* random, SeriesParameters* p) {
  for (size_t i = 0; i < sheet.lines.size(); i++) {
    const SheetLine& line = sheet.lines[i];
    double weight = PartWeight(line.attribute_id) * random->Between(0.2, 1.8);
    const bool product_split = line.role == Role::kProductionPart;
    if (random->Chance(product_split ? 0.35 : 0.1)) weight = 0;
    if (line.role == Role::kStocksSubset || line.role == Role::kSlaughterSubset) {
      std::array<double, 2> share = SubsetShare(line.attribute_id);
      weight = random->Between(share[0], share[1]);
    }
    p->weight[i] = weight;
  }
}

SeriesParameters DrawSeries(const Sheet& sheet, const PsdCountry& country,
                            uint64_t series_key, int first_year) {
  const Profile& profile = sheet.profile;
  SplitMix64 random(Combine(series_key, kPurposeSeries));
  SeriesParameters p;
  p.key = series_key;
  // Most countries are small; the large producers and traders are large.
  p.demand = IsMajor(country.code)
                 ? SpreadOverDecades(profile.demand_high / 100, profile.demand_high, random.Unit())
                 : SpreadOverDecades(profile.demand_low, profile.demand_high / 30, random.Unit());
  p.growth = random.Chance(0.15) ? random.Between(0.99, 1.0) : random.Between(1.0, 1.03);
  const double producer_probability = IsMajor(country.code)
                                          ? std::max(0.95, profile.producer_probability)
                                          : profile.producer_probability;
  p.producer = random.Chance(producer_probability);
  p.production_start_year = first_year;
  if (random.Chance(0.2)) p.production_start_year += static_cast<int>(random.Unit() * 25);
  p.self_sufficiency = IsMajor(country.code) ? random.Between(0.7, 1.8) : random.Between(0.3, 1.8);
  p.stock_ratio = random.Between(profile.stock_ratio_low, profile.stock_ratio_high);
  if (random.Chance(profile.no_stocks_probability)) p.stock_ratio = 0;
  p.import_floor = 0.1 * random.Unit() * random.Unit();
  p.reexport_share = random.Chance(0.5) ? 0.05 * random.Unit() : 0;
  p.us_share = country.code == "US" ? 0 : 0.4 * random.Unit() * random.Unit();
  p.yield_start = profile.yield_start * random.Between(0.5, 1.5);
  p.yield_growth = 1 + profile.yield_growth * random.Between(0.7, 1.2);
  p.extraction_rate = profile.extraction_rate * random.Between(0.96, 1.04);
  p.milling_rate = random.Between(0.62, 0.71);
  p.milk_per_cow = random.Between(1.2, 4.0);
  p.equivalent_factor = random.Between(1.0, 1.08);
  p.other_share = random.Between(0.0, 0.1);
  p.rebuild_month = random.Chance(0.5) ? 6 : 7;
  p.coffee_unrevised_until = random.Chance(0.5) ? 1998 : 2001;
  DrawLineParameters(sheet, &random, &p);
  return p;
}

// Draws of one market year. All but the revision_* ones depend only on the series and
// the year; the revision_* ones are the small change made by the release that last
// revised the year.
struct YearDraws {
  double demand = 0;
  double production = 0;
  double trade = 0;
  double stocks = 0;
  double yield = 0;
  double tradeyear_imports = 1;
  double tradeyear_exports = 1;
  double revision_demand = 1;
  double revision_production = 1;
  double revision_trade = 1;
  std::array<double, kMaxSheetLines> jitter{};
};

YearDraws DrawYear(const Sheet& sheet, uint64_t series_key, int market_year,
                   int revision_index) {
  YearDraws d;
  SplitMix64 random(Combine(Combine(series_key, kPurposeYear), market_year));
  d.demand = 1 + 0.06 * random.Signed();
  d.production = 1 + 0.12 * random.Signed();
  d.trade = random.Unit();
  d.stocks = random.Signed();
  d.yield = 1 + 0.08 * random.Signed();
  d.tradeyear_imports = random.Chance(0.6) ? 1 : 1 + 0.1 * random.Signed();
  d.tradeyear_exports = random.Chance(0.6) ? 1 : 1 + 0.1 * random.Signed();
  for (size_t i = 0; i < sheet.lines.size(); i++) d.jitter[i] = 1 + 0.15 * random.Signed();
  SplitMix64 revision(Combine(Combine(Combine(series_key, kPurposeRevision), market_year),
                              static_cast<uint64_t>(revision_index)));
  d.revision_demand = 1 + 0.02 * revision.Signed();
  d.revision_production = 1 + 0.03 * revision.Signed();
  d.revision_trade = 1 + 0.05 * revision.Signed();
  return d;
}

// The balance of one market year, in whole units of the sheet's quantity unit.
struct Balance {
  int64_t beginning_stocks = 0;
  int64_t production = 0;
  int64_t imports = 0;
  int64_t exports = 0;
  int64_t consumption = 0;
  int64_t ending_stocks = 0;
  int64_t crush = 0;
  double extraction_rate = 0;  // as printed, 2 decimals
  double trend = 0;            // demand before this year's draws
};

// Production of the year; crushed products are made from their crush.
void ProduceYear(const SeriesParameters& p, const YearDraws& d, int market_year,
                 Balance* b) {
  const bool producing = p.producer && market_year >= p.production_start_year;
  const double raw = producing ? b->trend * p.self_sufficiency * d.production *
                                     d.revision_production
                               : 0;
  if (p.extraction_rate > 0) {
    b->extraction_rate = static_cast<double>(Round(p.extraction_rate * 100)) / 100;
    b->crush = Round(raw / p.extraction_rate);
    b->production = Round(static_cast<double>(b->crush) * b->extraction_rate);
  } else {
    b->production = Round(raw);
  }
}

// Supply = beginning stocks + production + imports = consumption + exports + ending
// stocks: trade follows the gap between production and demand, stocks a share of
// demand, and consumption takes what remains, so the identities hold exactly.
void BalanceYear(const Sheet& sheet, const SeriesParameters& p, const YearDraws& d,
                 Balance* b) {
  const double demand = b->trend * d.demand * d.revision_demand;
  const double production = static_cast<double>(b->production);
  const double gap = production - demand;
  double exports = production * p.reexport_share;
  double imports = demand * p.import_floor * (0.5 + d.trade);
  if (gap > 0) {
    exports += gap * (0.8 + 0.2 * d.trade) * d.revision_trade;
  } else {
    imports += -gap * (0.9 + 0.2 * d.trade) * d.revision_trade;
  }
  const int64_t supply = b->beginning_stocks + b->production + Round(imports);
  b->imports = Round(imports);
  b->exports = std::min(Round(exports), supply);
  // Stocks move part of the way towards their share of demand each year.
  const double stocks_target = demand * p.stock_ratio;
  const double stocks = static_cast<double>(b->beginning_stocks);
  const double stocks_noise = 0.2 * std::min(p.stock_ratio, 0.25) * demand * d.stocks;
  const double stocks_moved = stocks + 0.35 * (stocks_target - stocks) + stocks_noise;
  const bool stocked = sheet.has_stocks && p.stock_ratio > 0;
  const int64_t stocks_wanted = stocked ? std::max<int64_t>(0, Round(stocks_moved)) : 0;
  b->ending_stocks = std::min(stocks_wanted, supply - b->exports);
  b->consumption = supply - b->exports - b->ending_stocks;
}

// Splits `total` among the lines of `role` by weight; the parts sum to `total` exactly.
void SplitTotal(const Sheet& sheet, const SeriesParameters& p, const YearDraws& d,
                Role role, int64_t total, std::array<int64_t, kMaxSheetLines>* parts) {
  double weight_sum = 0;
  int last = -1;
  for (size_t i = 0; i < sheet.lines.size(); i++) {
    if (sheet.lines[i].role != role) continue;
    weight_sum += p.weight[i] * d.jitter[i];
    last = static_cast<int>(i);
  }
  if (last < 0) return;
  int64_t assigned = 0;
  for (int i = 0; i < last; i++) {
    if (sheet.lines[i].role != role) continue;
    const double share = weight_sum > 0 ? p.weight[i] * d.jitter[i] / weight_sum : 0;
    (*parts)[i] = static_cast<int64_t>(static_cast<double>(total) * share);
    assigned += (*parts)[i];
  }
  (*parts)[last] = total - assigned;
}

// Whole units to the printed hundredths.
constexpr int64_t kCenti = 100;

struct YearContext {
  const Sheet* sheet;
  const SeriesParameters* parameters;
  const YearDraws* draws;
  const Balance* balance;
  const std::array<int64_t, kMaxSheetLines>* parts;
  double yield_trend;
};

int64_t PartOf(const YearContext& c, int attribute_id, int64_t fallback) {
  const int line = c.sheet->line_of[attribute_id];
  return line >= 0 ? (*c.parts)[line] : fallback;
}

// Area and Yield: area from production at the trend yield, the printed yield from
// production and area (rice on its rough basis, cotton in KG/HA from 480 lb bales).
std::array<int64_t, 2> AreaAndYield(const YearContext& c) {
  const Balance& b = *c.balance;
  double basis = static_cast<double>(b.production);
  if (c.sheet->line_of[54] >= 0) basis = static_cast<double>(PartOf(c, 54, 0));
  const bool cotton = c.sheet->commodity->group == "cotton";
  if (cotton) basis *= kCottonBaleKilograms;
  if (basis <= 0 || c.yield_trend <= 0) return {0, 0};
  const int64_t area = std::max<int64_t>(1, Round(basis / (c.yield_trend * c.draws->yield)));
  const double yield = basis / static_cast<double>(area);
  const int64_t yield_centi = cotton ? Round(yield) * kCenti : Round(yield * kCenti);
  return {area * kCenti, yield_centi};
}

int64_t TradeYearValue(const YearContext& c, const SheetLine& line) {
  const Balance& b = *c.balance;
  const YearDraws& d = *c.draws;
  switch (line.role) {
    case Role::kTradeYearImports:
      return Round(static_cast<double>(b.imports) * d.tradeyear_imports) * kCenti;
    case Role::kTradeYearExports:
      return Round(static_cast<double>(b.exports) * d.tradeyear_exports) * kCenti;
    default:
      return Round(static_cast<double>(b.imports) * d.tradeyear_imports *
                   c.parameters->us_share) * kCenti;
  }
}

int64_t DerivedValue(const YearContext& c, size_t index) {
  const SheetLine& line = c.sheet->lines[index];
  const Balance& b = *c.balance;
  const SeriesParameters& p = *c.parameters;
  const double consumption = static_cast<double>(b.consumption);
  switch (line.role) {
    case Role::kStocksSubset:
      return Round(static_cast<double>(b.beginning_stocks) * p.weight[index]) * kCenti;
    case Role::kSlaughterSubset:
      return Round(static_cast<double>(PartOf(c, 117, 0)) * p.weight[index]) * kCenti;
    case Role::kCrush: return b.crush * kCenti;
    case Role::kExtractionRate: return Round(b.extraction_rate * kCenti);
    case Role::kMillingRate: return Round(p.milling_rate * 10000) * kCenti;
    case Role::kSoybeanMealEquivalent: return Round(consumption * p.equivalent_factor) * kCenti;
    case Role::kCowsInMilk:
      return Round(static_cast<double>(PartOf(c, 32, b.production)) / p.milk_per_cow) * kCenti;
    case Role::kStocksToUse: {
      const int64_t use = b.consumption + b.exports;
      return use > 0 ? Round(static_cast<double>(b.ending_stocks) * 100 * kCenti /
                             static_cast<double>(use))
                     : 0;
    }
    case Role::kArea: return AreaAndYield(c)[0];
    case Role::kYield: return AreaAndYield(c)[1];
    case Role::kTradeYearImports:
    case Role::kTradeYearExports:
    case Role::kTradeYearImportsFromUs: return TradeYearValue(c, line);
    default:
      return Round(static_cast<double>(b.production) * p.other_share) * kCenti;
  }
}

int64_t LineValue(const YearContext& c, size_t index) {
  const Balance& b = *c.balance;
  const int64_t supply = b.beginning_stocks + b.production + b.imports;
  switch (c.sheet->lines[index].role) {
    case Role::kBeginningStocks: return b.beginning_stocks * kCenti;
    case Role::kProduction: return b.production * kCenti;
    case Role::kImports: return b.imports * kCenti;
    case Role::kTotalSupply: return supply * kCenti;
    case Role::kExports: return b.exports * kCenti;
    case Role::kConsumption: return b.consumption * kCenti;
    case Role::kEndingStocks: return b.ending_stocks * kCenti;
    case Role::kTotalDistribution:
      return (b.consumption + b.exports + b.ending_stocks) * kCenti;
    case Role::kProductionPart:
    case Role::kImportsPart:
    case Role::kExportsPart:
    case Role::kConsumptionPart:
    case Role::kRoughProduction: return (*c.parts)[index] * kCenti;
    default: return DerivedValue(c, index);
  }
}

// The split lines of a year: parts of production, trade and use, and rice's rough
// production.
std::array<int64_t, kMaxSheetLines> SplitYear(const Sheet& sheet, const SeriesParameters& p,
                                              const YearDraws& d, const Balance& b) {
  std::array<int64_t, kMaxSheetLines> parts{};
  SplitTotal(sheet, p, d, Role::kProductionPart, b.production, &parts);
  SplitTotal(sheet, p, d, Role::kImportsPart, b.imports, &parts);
  SplitTotal(sheet, p, d, Role::kExportsPart, b.exports, &parts);
  SplitTotal(sheet, p, d, Role::kConsumptionPart, b.consumption, &parts);
  const int rough = sheet.line_of[54];
  if (rough >= 0) {
    const double rate = static_cast<double>(Round(p.milling_rate * 10000)) / 10000;
    parts[rough] = Round(static_cast<double>(b.production) / rate);
  }
  return parts;
}

// ---------------------------------------------------------------- vintages

// The release that last revised `market_year` as of release `release_index`. A release
// revises a series' latest market year and, drawn per release, the one or two before
// it; revised years always run up to the latest, so a changed ending stock always comes
// with a revised next year. For a year older than that window the search starts from
// the April three years after it, the last release that could revise it, so the answer
// no longer depends on the release.
int LastRevision(uint64_t series_key, int market_year, int release_index) {
  const int start = std::min(release_index, MonthIndex(market_year + kRevisedYears, 4));
  const uint64_t key = Combine(series_key, kPurposeRevisionDepth);
  for (int step = 0; step < kRevisionScanMonths; step++) {
    const int index = start - step;
    const int latest = PsdLatestMarketYear(YearOfIndex(index), MonthOfIndex(index));
    if (market_year > latest) break;
    SplitMix64 random(Combine(key, static_cast<uint64_t>(index)));
    const double u = random.Unit();
    const int depth = u < 0.3 ? 2 : (u < 0.6 ? 1 : 0);
    if (market_year >= latest - depth) return index;
  }
  return start;
}

Vintage PrintedVintage(const Sheet& sheet, const SeriesParameters& p, int market_year,
                       int revision_index, int release_index) {
  if (sheet.is_coffee && market_year <= p.coffee_unrevised_until) return {market_year, 0};
  if (revision_index < MonthIndex(kRebuildYear, 6) &&
      release_index >= MonthIndex(kRebuildYear, 7)) {
    return {kRebuildYear, p.rebuild_month};
  }
  return {YearOfIndex(revision_index), MonthOfIndex(revision_index)};
}

// ---------------------------------------------------------------- output

void AppendValue(std::string* out, int64_t centi) {
  if (centi < 0) {
    out->push_back('-');
    centi = -centi;
  }
  AppendPadded(out, centi / kCenti, 1);
  out->push_back('.');
  AppendPadded(out, centi % kCenti, 2);
  out->append("00");
}

constexpr std::string_view kHeader =
    "Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,"
    "Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,"
    "Value\n";

struct SeriesOutput {
  std::string prefix;  // `0711100,"Coffee, Green",JA,"Japan",`
  std::string* out = nullptr;
  int64_t rows = 0;
};

void AppendYearRows(const YearContext& c, int market_year, Vintage vintage,
                    SeriesOutput* output) {
  std::string* out = output->out;
  for (size_t i = 0; i < c.sheet->lines.size(); i++) {
    out->append(output->prefix);
    AppendPadded(out, market_year, 4);
    out->push_back(',');
    AppendPadded(out, vintage.year, 4);
    out->push_back(',');
    AppendPadded(out, vintage.month, 2);
    out->push_back(',');
    out->append(c.sheet->lines[i].text);
    AppendValue(out, LineValue(c, i));
    out->push_back('\n');
  }
  output->rows += static_cast<int64_t>(c.sheet->lines.size());
}

// `value` of `from_year` grown by `rate` a year to `to_year` (or shrunk back to it).
double Compound(double value, double rate, int from_year, int to_year) {
  for (int year = from_year; year < to_year; year++) value *= rate;
  for (int year = to_year; year < from_year; year++) value /= rate;
  return value;
}

// Writes a series' rows year by year, carrying ending stocks into the next year.
void WriteSeries(const Sheet& sheet, const SeriesParameters& p, SeriesSpan span,
                 int release_index, SeriesOutput* output) {
  double trend = Compound(p.demand, p.growth, kReferenceYear, span.first_year);
  double yield_trend = Compound(p.yield_start, p.yield_growth, kFirstSeriesYear, span.first_year);
  int64_t stocks = sheet.has_stocks ? Round(trend * p.stock_ratio) : 0;
  for (int year = span.first_year; year <= span.last_year; year++) {
    const int revision = LastRevision(p.key, year, release_index);
    const YearDraws draws = DrawYear(sheet, p.key, year, revision);
    Balance balance;
    balance.beginning_stocks = stocks;
    balance.trend = trend;
    ProduceYear(p, draws, year, &balance);
    BalanceYear(sheet, p, draws, &balance);
    const auto parts = SplitYear(sheet, p, draws, balance);
    const YearContext context{&sheet, &p, &draws, &balance, &parts, yield_trend};
    AppendYearRows(context, year, PrintedVintage(sheet, p, year, revision, release_index),
                   output);
    stocks = balance.ending_stocks;
    trend *= p.growth;
    yield_trend *= p.yield_growth;
  }
}

// One series of a release: a country and its years.
struct PlannedSeries {
  const PsdCountry* country = nullptr;
  uint64_t key = 0;
  SeriesSpan span;
};

// Scale multiplies a commodity's country-years, so rows grow about linearly with it:
// the number of countries follows the scale (at least one, at most all), and the
// series' spans are stretched or shrunk together to make up the country-years. Up to
// scale 1 no series starts before 1960 or before its country existed.
std::vector<PlannedSeries> PlanSeries(const Sheet& sheet, uint64_t seed, double scale,
                                      int latest_market_year) {
  const int available = static_cast<int>(PsdCountries().size()) - 1;
  const int count = std::clamp(static_cast<int>(std::ceil(sheet.extent.countries * scale)),
                               1, available);
  std::vector<PlannedSeries> plan;
  std::vector<SeriesSpan> natural;
  int natural_years = 0;
  for (int index : ChooseCountries(sheet, seed, count)) {
    PlannedSeries series;
    series.country = &PsdCountries()[index];
    series.key = Combine(Combine(Combine(seed, kPurposeSeries),
                                 CommodityNumber(sheet.commodity->code)),
                         CountryNumber(series.country->code));
    natural.push_back(NaturalSpan(*series.country, series.key));
    natural_years += Years(natural.back());
    plan.push_back(series);
  }
  const double span_factor = sheet.extent.country_years * scale / std::max(1, natural_years);
  for (size_t i = 0; i < plan.size(); i++) {
    const int floor_year =
        scale <= 1 ? std::max(kFirstSeriesYear, YearsOf(*plan[i].country).first_year)
                   : kEarliestMarketYear;
    plan[i].span = ScaledSpan(sheet, *plan[i].country, natural[i], span_factor, floor_year,
                              latest_market_year);
  }
  return plan;
}

int64_t WriteCommodity(const Sheet& sheet, const PsdGeneratorOptions& options,
                       int release_index, std::string* out) {
  const int latest = PsdLatestMarketYear(YearOfIndex(release_index), MonthOfIndex(release_index));
  int64_t rows = 0;
  for (const PlannedSeries& series : PlanSeries(sheet, options.seed, options.scale, latest)) {
    if (series.span.first_year > series.span.last_year) continue;
    const SeriesParameters parameters =
        DrawSeries(sheet, *series.country, series.key, series.span.first_year);
    SeriesOutput output;
    output.prefix = sheet.prefix + std::string(series.country->code) + ",\"" +
                    std::string(series.country->name) + "\",";
    output.out = out;
    WriteSeries(sheet, parameters, series.span, release_index, &output);
    rows += output.rows;
  }
  return rows;
}

const std::vector<Sheet>& Sheets() {
  static const std::vector<Sheet> sheets = [] {
    std::vector<Sheet> result;
    for (const PsdCommodity& commodity : PsdCommodities()) result.push_back(MakeSheet(commodity));
    return result;
  }();
  return sheets;
}

// ---------------------------------------------------------------- options and files

std::string FormatNumber(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

Status ValidateRelease(double scale, int year, int month) {
  if (!(scale > 0 && scale <= kMaxScale)) {
    return Status::InvalidInput("psd generator: scale must be greater than 0 and at most 10, got " +
                                FormatNumber(scale));
  }
  if (year < kMinReleaseYear || year > kMaxReleaseYear) {
    return Status::InvalidInput("psd generator: year must be between 1970 and 2100, got " +
                                std::to_string(year));
  }
  if (month < 1 || month > 12) {
    return Status::InvalidInput("psd generator: month must be between 1 and 12, got " +
                                std::to_string(month));
  }
  return Status::Ok();
}

Status ValidateOptions(const PsdGeneratorOptions& options) {
  if (options.out_dir.empty()) {
    return Status::InvalidInput("psd generator: out_dir is empty; give the landing directory");
  }
  if (options.months < 1 || options.months > kMaxMonths) {
    return Status::InvalidInput("psd generator: months must be between 1 and 240, got " +
                                std::to_string(options.months));
  }
  if (options.end_month < 1 || options.end_month > 12) {
    return Status::InvalidInput("psd generator: end_month must be between 1 and 12, got " +
                                std::to_string(options.end_month));
  }
  if (options.end_year < kMinEndYear || options.end_year > kMaxReleaseYear) {
    return Status::InvalidInput("psd generator: end_year must be between 1990 and 2100, got " +
                                std::to_string(options.end_year));
  }
  return ValidateRelease(options.scale, options.end_year, options.end_month);
}

// Writes `content` gzip-compressed to `path`.
Status WriteGzip(const std::string& path, std::string_view content) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return Status::IoError("cannot create " + path);
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::vector<unsigned char> buffer(1 << 20);
  constexpr size_t kChunk = size_t{1} << 26;
  size_t offset = 0;
  bool ok = true;
  int result = Z_OK;
  while (ok && result != Z_STREAM_END) {
    const size_t length = std::min(kChunk, content.size() - offset);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data() + offset));
    stream.avail_in = static_cast<uInt>(length);
    offset += length;
    const int flush = offset == content.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      stream.next_out = buffer.data();
      stream.avail_out = static_cast<uInt>(buffer.size());
      result = deflate(&stream, flush);
      const size_t produced = buffer.size() - stream.avail_out;
      ok = result != Z_STREAM_ERROR && std::fwrite(buffer.data(), 1, produced, file) == produced;
    } while (ok && stream.avail_out == 0);
  }
  deflateEnd(&stream);
  ok = std::fclose(file) == 0 && ok;
  if (!ok) return Status::IoError("cannot write " + path);
  return Status::Ok();
}

std::string TwoDigits(int value) {
  std::string text;
  AppendPadded(&text, value, 2);
  return text;
}

Result<PsdGeneratedFile> WriteReleaseFile(const PsdGeneratorOptions& options, int year,
                                          int month, std::string* content) {
  content->clear();
  MATERIA_ASSIGN_OR_RETURN(int64_t rows, WritePsdRelease(options, year, month, content));
  PsdGeneratedFile file;
  file.year = year;
  file.month = month;
  file.rows = rows;
  file.etag = Sha256Hex(*content).substr(0, 16);
  const std::filesystem::path directory = std::filesystem::path(options.out_dir) / "psd" /
                                          std::to_string(year) / TwoDigits(month);
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Status::IoError("cannot create " + directory.string() + ": " + error.message());
  file.path = (directory / (file.etag + ".csv.gz")).string();
  const std::string temporary = (directory / ("." + file.etag + ".csv.gz.tmp")).string();
  MATERIA_RETURN_IF_ERROR(WriteGzip(temporary, *content));
  std::filesystem::rename(temporary, file.path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return Status::IoError("cannot rename " + temporary + " to " + file.path);
  }
  return file;
}

}  // namespace

int PsdLatestMarketYear(int release_year, int release_month) {
  return release_month >= 5 ? release_year : release_year - 1;
}

Result<int64_t> WritePsdRelease(const PsdGeneratorOptions& options, int year, int month,
                                std::string* out) {
  assert(out != nullptr);
  MATERIA_RETURN_IF_ERROR(ValidateRelease(options.scale, year, month));
  const int release_index = MonthIndex(year, month);
  out->append(kHeader);
  int64_t rows = 0;
  for (const Sheet& sheet : Sheets()) rows += WriteCommodity(sheet, options, release_index, out);
  return rows;
}

Result<std::vector<PsdGeneratedFile>> GeneratePsd(const PsdGeneratorOptions& options) {
  MATERIA_RETURN_IF_ERROR(ValidateOptions(options));
  const int last = MonthIndex(options.end_year, options.end_month);
  std::vector<PsdGeneratedFile> files;
  std::string content;
  for (int i = 0; i < options.months; i++) {
    const int index = last - options.months + 1 + i;
    MATERIA_ASSIGN_OR_RETURN(PsdGeneratedFile file,
                             WriteReleaseFile(options, YearOfIndex(index), MonthOfIndex(index),
                                              &content));
    if (options.on_file) options.on_file(i, options.months, file.path, file.rows);
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace materia
