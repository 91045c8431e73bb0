#include "pipelines/psd_generator.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

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
//
// Magnitudes come from facts (kCommodityFacts): for every commodity the main producers,
// consumers and traders with approximate recent production, domestic use, yield and
// how fast each grew. A listed country's series starts from those levels in the
// reference year and shrinks back by its growth rates, so 1960 is a fraction of today;
// trade closes the gap between production and use, so exporters and importers are the
// real ones. Every other country is small (its use spread evenly over the decades below
// a ceiling under the listed ones). A release always holds a commodity's largest listed
// countries, so even a small release has the real leaders. Crops share a country's
// weather: about one year in sixteen is a bad harvest, which shows in the yield.

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
// A release holds at least the first three of a commodity's largest countries, whatever
// its scale, so that the leaders of a small release are the real ones, and up to eight
// as long as each of them can still span 15 market years.
constexpr int kAlwaysIncludedMin = 3;
constexpr int kLeadingProducers = 3;  // always included before any large importer
constexpr int kAlwaysIncludedMax = 8;
constexpr double kAlwaysIncludedSpanYears = 15;

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
  kPurposeWeather = 6,
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
    case 49: case 56: case 75: case 82: case 107: case 114: return 0.3;
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
  double yield_low = 1.5;  // today's yield of an unlisted country, in the yield unit:
  double yield_high = 3;   // [low, high) (kYields)
  double yield_growth = 0.015;  // a year
  double extraction_rate = 0;  // product per unit crushed (kExtractionRates)
};

// Yields today of the countries not listed in kCommodityFacts, and how fast yields
// grew: corn yields rose about 1.8% a year since 1960 (the United States from about 3.4
// to 11 MT/HA), wheat about 1.5% (the world average is now about 3.5 MT/HA).
struct YieldFact {
  std::string_view code;
  double yield_low;   // MT/HA (rough basis for rice; KG/HA for cotton)
  double yield_high;
  double yield_growth;  // a year
};

constexpr YieldFact kYields[] = {
    {"0410000", 1.5, 4.5, 0.015},  {"0422110", 2.5, 6.0, 0.013}, {"0430000", 1.5, 4.5, 0.012},
    {"0440000", 1.2, 7.0, 0.018},  {"0451000", 1.5, 3.5, 0.012}, {"0452000", 1.5, 3.0, 0.010},
    {"0459100", 0.5, 1.5, 0.008},  {"0459200", 0.7, 3.5, 0.010}, {"0459900", 2.0, 4.0, 0.012},
    {"2222000", 1.2, 3.0, 0.012},  {"2631000", 350, 1500, 0.015},
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
  // A herd is two to three and a half years of cattle slaughter, about half a year's pig crop.
  if (description == "Animal Numbers, Swine") return profile(5, 250000, 0.95, 0.45, 0.7, 0);
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
      profile.yield_low = fact.yield_low;
      profile.yield_high = fact.yield_high;
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

// ---------------------------------------------------------------- magnitudes

// One country's level in a commodity: approximate recent levels (around market year
// 2024), public figures rounded. Quantities are in the sheet's quantity unit
// (1000 MT, 1000 MT CWE, 1000 480 lb bales, 1000 60 KG bags); a former state's figures
// are those of its last year. Trade follows from the gap between production and
// consumption, so exporters produce more than they use and importers less.
struct CountryFact {
  std::string_view country;
  double production;
  double consumption;  // domestic use, more than 0
  double yield;        // in the yield unit (rice rough basis, cotton KG/HA); 0 = none given
  double production_growth_percent;   // a year, on average over the series' past
  double consumption_growth_percent;  // a year
};

// Corn: the United States, China and Brazil lead; the United States, Brazil, Argentina
// and Ukraine export; Mexico, Japan, Korea, Vietnam, Egypt and the EU import.
constexpr CountryFact kCorn[] = {
    {"US", 380000, 312000, 11.1, 1.9, 2.2},  {"CH", 295000, 313000, 6.6, 4.0, 4.1},
    {"BR", 130000, 88000, 5.8, 4.2, 3.6},    {"E4", 60000, 78000, 7.3, 1.2, 1.2},
    {"AR", 50000, 15500, 7.4, 3.8, 2.8},     {"IN", 40000, 38000, 3.4, 3.5, 3.5},
    {"UP", 27000, 6500, 6.8, 4.7, 1.0},      {"MX", 24000, 47000, 3.9, 2.0, 3.0},
    {"SF", 15500, 13500, 5.8, 1.5, 1.5},     {"CA", 15000, 17000, 9.9, 3.5, 3.5},
    {"RS", 13500, 10500, 5.8, 3.0, 2.0},     {"ID", 13000, 16000, 3.5, 3.5, 3.8},
    {"NI", 11000, 11500, 2.0, 3.5, 3.5},     {"ET", 10000, 10000, 4.0, 3.5, 3.5},
    {"PK", 9500, 9500, 6.8, 3.5, 3.5},       {"RP", 8300, 9000, 3.2, 2.5, 3.0},
    {"TU", 6500, 9000, 9.0, 4.0, 4.0},       {"EG", 6500, 17000, 7.5, 1.8, 3.5},
    {"JA", 0, 15500, 0, 0, 2.0},             {"VM", 4300, 14500, 4.8, 4.0, 5.5},
    {"KS", 80, 11700, 5.0, 0, 4.0},          {"IR", 1000, 10000, 7.0, 3.0, 5.0},
    {"CO", 1600, 8300, 4.0, 1.5, 4.5},       {"AG", 5, 5300, 0, 0, 5.0},
    {"UR", 12500, 22000, 3.0, 1.5, 3.0},     {"E2", 38000, 43000, 8.0, 2.5, 1.5},
    {"E3", 48000, 50000, 7.5, 2.5, 1.5},
};

// Wheat: China, the EU and India lead; Russia, the EU, Canada, Australia, the United
// States, Ukraine and Argentina export; Egypt, Indonesia, Algeria, Turkey import.
constexpr CountryFact kWheat[] = {
    {"CH", 140000, 148000, 5.9, 3.0, 3.0},   {"E4", 130000, 108000, 5.7, 1.3, 0.9},
    {"IN", 113000, 112000, 3.5, 3.6, 3.5},   {"RS", 83000, 42000, 2.9, 1.8, 0.3},
    {"US", 54000, 31000, 3.6, 0.6, 1.0},     {"CA", 35000, 9000, 3.3, 1.5, 1.0},
    {"AS", 32000, 8000, 2.5, 2.0, 1.5},      {"PK", 29000, 30000, 3.0, 3.3, 3.4},
    {"UP", 23000, 8000, 4.3, -0.4, -1.0},    {"AR", 18500, 6500, 3.2, 2.0, 1.2},
    {"TU", 17500, 20000, 2.8, 1.5, 2.2},     {"KZ", 16000, 7500, 1.2, 0.5, 0},
    {"IR", 13000, 18000, 2.1, 2.5, 3.0},     {"UK", 12500, 14500, 8.0, 1.5, 0.8},
    {"EG", 9500, 20500, 6.5, 2.8, 3.0},      {"BR", 8000, 12500, 2.6, 3.0, 2.5},
    {"UZ", 6500, 8500, 4.5, 2.0, 1.5},       {"MO", 4500, 10500, 1.3, 1.5, 3.0},
    {"AG", 3000, 11500, 1.5, 1.5, 3.5},      {"MX", 3200, 8000, 5.3, 0.5, 2.5},
    {"JA", 1100, 6100, 4.5, 0, 0.8},         {"BG", 1100, 7500, 3.2, 3.0, 4.0},
    {"ID", 0, 12500, 0, 0, 5.0},             {"RP", 0, 7000, 0, 0, 4.0},
    {"NI", 100, 6500, 1.5, 0, 5.0},          {"UR", 92000, 105000, 1.8, 1.4, 1.5},
    {"E2", 95000, 86000, 6.6, 1.6, 0.8},     {"E3", 122000, 112000, 5.4, 1.6, 0.8},
};

// Rice, milled (yields on the rough basis).
constexpr CountryFact kRice[] = {
    {"IN", 150000, 120000, 4.3, 2.4, 2.2},   {"CH", 146000, 145000, 7.1, 1.9, 1.9},
    {"BG", 37500, 38500, 4.8, 2.5, 2.5},     {"ID", 34000, 35500, 5.2, 2.5, 2.5},
    {"VM", 27000, 21500, 6.0, 3.0, 2.2},     {"TH", 20000, 12500, 3.0, 1.8, 1.5},
    {"BM", 12000, 10500, 3.8, 1.8, 1.6},     {"RP", 12000, 17000, 4.1, 2.5, 3.0},
    {"PK", 9500, 4000, 3.8, 3.2, 2.5},       {"BR", 8000, 7500, 7.0, 1.0, 1.0},
    {"JA", 7300, 8100, 6.8, -0.7, -0.8},     {"US", 7000, 5000, 8.5, 2.0, 2.0},
    {"CB", 6500, 4000, 3.6, 3.5, 2.5},       {"NI", 5500, 8000, 2.3, 5.0, 5.0},
    {"EG", 4000, 4300, 9.0, 2.0, 2.5},       {"NP", 3700, 4600, 3.8, 1.5, 2.0},
    {"KS", 3600, 3900, 6.9, 0.5, 0.3},       {"E4", 2000, 3700, 6.5, 0.5, 1.0},
};

constexpr CountryFact kBarley[] = {
    {"E4", 50000, 41000, 4.9, 1.0, 0.8},     {"RS", 17000, 13500, 2.3, -1.0, -1.2},
    {"AS", 13000, 5500, 2.8, 2.5, 1.5},      {"CA", 8000, 6500, 3.6, 0.8, 0.6},
    {"TU", 7500, 8000, 2.6, 1.8, 2.0},       {"UK", 6500, 5500, 6.3, 0.5, 0.3},
    {"UP", 5500, 3500, 3.2, -2.0, -2.5},     {"AR", 4500, 1500, 3.8, 4.0, 2.0},
    {"KZ", 3500, 2800, 1.4, -1.0, -1.0},     {"IR", 3000, 4500, 1.7, 1.5, 2.5},
    {"US", 3100, 3500, 4.5, -1.3, -1.5},     {"ET", 2300, 2300, 2.3, 1.5, 1.5},
    {"CH", 1000, 12000, 4.0, 0, 4.0},        {"SA", 10, 7000, 0, 0, 5.0},
    {"UR", 53000, 55000, 1.9, 4.5, 4.5},     {"E2", 45000, 40000, 4.5, 1.8, 1.5},
    {"E3", 48000, 45000, 4.2, 1.8, 1.5},
};

constexpr CountryFact kSorghum[] = {
    {"US", 8700, 3000, 4.5, -0.3, -1.5},     {"NI", 6800, 6800, 1.2, 1.5, 1.5},
    {"MX", 4500, 5500, 3.6, 3.0, 3.0},       {"ET", 4400, 4500, 2.5, 2.5, 2.5},
    {"BR", 4300, 4200, 3.0, 6.0, 6.0},       {"IN", 4200, 4300, 1.0, -1.5, -1.5},
    {"SU", 4000, 4400, 0.6, 1.5, 1.8},       {"AR", 3300, 1600, 4.0, 1.5, 1.0},
    {"CH", 3000, 9500, 5.0, -1.5, 2.0},      {"AS", 2500, 1000, 3.0, 2.0, 1.0},
    {"NG", 1800, 1800, 0.5, 2.5, 2.5},       {"UV", 1800, 1800, 1.0, 2.5, 2.5},
    {"ML", 1500, 1500, 0.9, 2.5, 2.5},
};

constexpr CountryFact kOats[] = {
    {"E4", 7000, 7000, 2.8, -0.8, -0.8},     {"RS", 3800, 3700, 1.9, -2.5, -2.5},
    {"CA", 3400, 1300, 3.4, 0, -0.5},        {"AS", 1400, 1000, 1.8, 0.5, 0.5},
    {"BR", 1200, 1200, 2.0, 4.0, 4.0},       {"US", 1000, 2300, 2.3, -3.0, -1.5},
    {"UK", 1000, 900, 5.5, 0, 0},            {"AR", 1000, 700, 2.3, 0.5, 0.5},
    {"CH", 600, 1100, 2.5, 0, 1.0},          {"UR", 17000, 17000, 1.5, 1.0, 1.0},
};

constexpr CountryFact kRye[] = {
    {"E4", 8000, 7500, 3.9, -1.0, -1.0},     {"RS", 2000, 1900, 2.0, -5.0, -5.0},
    {"BO", 1000, 1000, 2.6, -3.0, -3.0},     {"CA", 400, 250, 2.9, 0, 0},
    {"CH", 500, 500, 2.5, 0, 0},             {"UP", 350, 400, 2.8, -5.0, -5.0},
    {"US", 350, 500, 2.0, -0.5, -0.5},       {"TU", 250, 250, 2.3, -1.0, -1.0},
    {"UR", 14000, 14000, 1.5, -1.0, -1.0},
};

constexpr CountryFact kMillet[] = {
    {"IN", 11500, 11400, 1.2, 0.6, 0.6},     {"NG", 3500, 3500, 0.5, 2.0, 2.0},
    {"CH", 2300, 2300, 2.5, -2.0, -2.0},     {"NI", 2000, 2000, 1.0, 0.5, 0.5},
    {"ML", 1700, 1700, 0.9, 2.5, 2.5},       {"SU", 1500, 1500, 0.3, 1.0, 1.0},
    {"ET", 1100, 1100, 2.2, 3.0, 3.0},       {"UV", 1000, 1000, 0.9, 2.0, 2.0},
    {"SG", 1000, 1000, 0.9, 1.5, 1.5},
};

// Soybeans: Brazil, the United States and Argentina grow most; China imports most.
constexpr CountryFact kSoybeans[] = {
    {"BR", 169000, 62000, 3.5, 6.0, 5.0},    {"CH", 21000, 125000, 2.0, 1.1, 5.0},
    {"US", 119000, 68000, 3.4, 3.0, 3.0},    {"AR", 49000, 50000, 2.9, 7.0, 7.5},
    {"E4", 2900, 17000, 2.9, 4.0, 2.5},      {"IN", 12000, 13000, 1.0, 7.0, 7.0},
    {"PA", 10000, 4000, 2.8, 6.0, 5.0},      {"RS", 7000, 7800, 1.6, 5.5, 5.5},
    {"CA", 7000, 2500, 3.0, 4.5, 3.0},       {"MX", 200, 6900, 2.0, 0, 4.5},
    {"UP", 5000, 1500, 2.3, 8.0, 3.0},       {"EG", 30, 5000, 3.0, 0, 6.0},
    {"TH", 30, 4200, 1.5, 0, 5.0},           {"JA", 240, 3300, 1.7, -1.0, 0.5},
    {"BL", 3200, 3000, 2.2, 6.0, 6.0},       {"TU", 150, 3300, 3.5, 0, 6.0},
    {"ID", 400, 2800, 1.5, 0, 3.5},          {"SF", 2700, 2600, 2.3, 6.0, 6.0},
    {"TW", 0, 2600, 0, 0, 3.0},              {"UY", 2500, 150, 2.5, 8.0, 3.0},
    {"PK", 0, 2500, 0, 0, 8.0},              {"BG", 100, 2500, 1.5, 0, 8.0},
};

constexpr CountryFact kSoybeanMeal[] = {
    {"CH", 78000, 77500, 0, 7.0, 7.0},       {"US", 51000, 36000, 0, 2.4, 2.0},
    {"BR", 43000, 21000, 0, 5.5, 5.5},       {"AR", 30000, 4000, 0, 8.0, 6.0},
    {"E4", 12000, 28000, 0, 0.5, 2.0},       {"IN", 8500, 6500, 0, 6.0, 7.0},
    {"VM", 1000, 7500, 0, 6.0, 9.0},         {"MX", 5200, 7000, 0, 4.0, 4.0},
    {"ID", 500, 6000, 0, 3.0, 7.0},          {"RS", 5000, 4500, 0, 5.0, 4.0},
    {"TH", 2800, 4700, 0, 5.0, 5.0},         {"EG", 3800, 4600, 0, 6.0, 6.0},
    {"RP", 100, 3500, 0, 2.0, 6.0},          {"JA", 1700, 3400, 0, 0, 0.5},
    {"IR", 1500, 3500, 0, 5.0, 5.0},         {"PA", 2500, 300, 0, 6.0, 4.0},
};

constexpr CountryFact kSoybeanOil[] = {
    {"CH", 18000, 18300, 0, 7.0, 6.0},       {"US", 12800, 12500, 0, 2.5, 2.8},
    {"BR", 11000, 9500, 0, 5.5, 5.0},        {"AR", 7800, 3000, 0, 8.0, 7.0},
    {"IN", 2000, 5500, 0, 6.0, 7.0},         {"E4", 2900, 2900, 0, 0.5, 0.5},
    {"MX", 1200, 1600, 0, 4.0, 4.0},         {"RS", 1000, 800, 0, 5.0, 4.0},
    {"BG", 250, 1200, 0, 3.0, 6.0},          {"EG", 800, 1300, 0, 6.0, 5.0},
    {"IR", 450, 1000, 0, 5.0, 5.0},          {"PA", 700, 100, 0, 6.0, 4.0},
};

constexpr CountryFact kPalmOil[] = {
    {"ID", 47000, 20500, 0, 9.0, 7.5},       {"MY", 19500, 3800, 0, 6.0, 5.0},
    {"IN", 0, 9500, 0, 0, 7.0},              {"CH", 0, 6500, 0, 0, 6.0},
    {"E4", 0, 5200, 0, 0, 3.5},              {"PK", 0, 3700, 0, 0, 6.0},
    {"TH", 3300, 2600, 0, 8.0, 7.0},         {"NI", 1500, 2100, 0, 1.5, 2.5},
    {"CO", 1900, 1400, 0, 6.0, 5.0},         {"US", 0, 1900, 0, 0, 4.0},
    {"BG", 0, 1700, 0, 0, 6.0},              {"EG", 0, 1500, 0, 0, 5.0},
    {"GT", 900, 300, 0, 8.0, 5.0},           {"PP", 650, 50, 0, 6.0, 3.0},
};

constexpr CountryFact kRapeseed[] = {
    {"E4", 19000, 24000, 0, 3.0, 3.5},       {"CA", 19000, 11000, 0, 5.0, 5.0},
    {"CH", 15000, 17500, 0, 3.5, 4.0},       {"IN", 12000, 12000, 0, 3.0, 3.0},
    {"AS", 6000, 1000, 0, 8.0, 5.0},         {"RS", 4500, 4000, 0, 6.0, 6.0},
    {"UP", 3500, 500, 0, 6.0, 3.0},          {"JA", 0, 2400, 0, 0, 2.0},
    {"US", 1800, 2800, 0, 5.0, 5.0},
};

constexpr CountryFact kSunflowerseed[] = {
    {"RS", 16500, 15000, 0, 2.5, 2.5},       {"UP", 12000, 11500, 0, 2.5, 2.5},
    {"E4", 9500, 10500, 0, 1.5, 1.5},        {"AR", 4000, 3900, 0, 2.5, 2.5},
    {"CH", 2500, 2500, 0, 3.0, 3.0},         {"TU", 1300, 2800, 0, 1.5, 3.0},
    {"KZ", 1000, 900, 0, 3.0, 3.0},          {"US", 900, 800, 0, 0, 0},
    {"UR", 5300, 5300, 0, 0.5, 0.5},
};

constexpr CountryFact kSunflowerseedOil[] = {
    {"RS", 7000, 3000, 0, 3.0, 2.0},         {"UP", 5500, 500, 0, 3.0, 0.5},
    {"E4", 4000, 4800, 0, 1.5, 1.5},         {"AR", 1500, 600, 0, 2.5, 1.5},
    {"IN", 50, 3000, 0, 0, 6.0},             {"TU", 1000, 1200, 0, 2.0, 2.5},
    {"CH", 600, 1000, 0, 3.0, 3.0},
};

constexpr CountryFact kRapeseedOil[] = {
    {"E4", 9500, 10000, 0, 3.0, 3.5},        {"CH", 7500, 8500, 0, 3.5, 4.0},
    {"CA", 4500, 1200, 0, 5.0, 3.0},         {"IN", 3800, 4200, 0, 3.0, 3.5},
    {"JA", 1000, 1000, 0, 1.5, 1.5},         {"US", 700, 2300, 0, 4.0, 5.0},
    {"RS", 1800, 500, 0, 6.0, 3.0},
};

constexpr CountryFact kPeanuts[] = {
    {"CH", 18500, 18500, 0, 3.0, 3.0},       {"IN", 7000, 6000, 0, 1.0, 1.0},
    {"NI", 4500, 4400, 0, 2.5, 2.5},         {"US", 2800, 2300, 0, 1.5, 1.5},
    {"SU", 2500, 2000, 0, 2.5, 2.5},         {"AR", 1300, 200, 0, 3.0, 0.5},
    {"SG", 1000, 900, 0, 0.5, 0.5},
};

constexpr CountryFact kOliveOil[] = {
    {"E4", 2100, 1500, 0, 1.0, 0.5},         {"TU", 350, 200, 0, 3.0, 2.0},
    {"TS", 300, 40, 0, 2.0, 0.5},            {"MO", 150, 140, 0, 2.0, 2.0},
    {"SY", 100, 100, 0, 2.0, 2.0},           {"US", 15, 400, 0, 3.0, 4.0},
};

// Cotton, in 1000 480 lb bales, yields in KG/HA.
constexpr CountryFact kCotton[] = {
    {"CH", 28000, 38000, 2100, 2.4, 2.5},    {"IN", 24000, 25000, 450, 2.6, 2.5},
    {"BR", 17000, 3300, 1900, 4.0, 1.5},     {"US", 14000, 1800, 950, 0, -2.5},
    {"PK", 5500, 10500, 600, 2.8, 3.5},      {"AS", 5000, 10, 2000, 5.0, 0},
    {"TU", 3500, 8000, 1700, 2.0, 3.5},      {"UZ", 3000, 2800, 700, -2.5, 2.0},
    {"BG", 150, 8300, 350, 0, 6.0},          {"VM", 5, 7300, 400, 0, 9.0},
    {"ID", 5, 2000, 300, 0, 3.0},            {"MX", 1200, 1700, 1500, 0, 1.0},
    {"AR", 1400, 600, 600, 1.0, 0},          {"E4", 1300, 700, 1100, 1.0, -1.0},
    {"ML", 1200, 10, 400, 4.0, 0},           {"DM", 1100, 5, 400, 4.0, 0},
    {"TX", 1000, 600, 500, -1.5, 1.0},       {"UR", 12000, 9000, 800, 1.5, 1.5},
};

// Sugar, centrifugal, in raw value.
constexpr CountryFact kSugar[] = {
    {"BR", 44000, 10200, 0, 4.0, 2.5},       {"IN", 32000, 29000, 0, 3.6, 3.5},
    {"E4", 16500, 16500, 0, 0.5, 0.2},       {"CH", 11000, 15800, 0, 4.0, 4.5},
    {"TH", 10000, 2800, 0, 5.0, 4.0},        {"US", 8500, 12200, 0, 0.5, 0.5},
    {"PK", 7000, 6500, 0, 4.0, 4.0},         {"RS", 6500, 6400, 0, 1.5, 0},
    {"ID", 2600, 7800, 0, 1.0, 3.5},         {"MX", 5000, 4300, 0, 2.0, 2.5},
    {"AS", 4200, 1200, 0, 1.5, 1.0},         {"EG", 2800, 3700, 0, 3.0, 3.0},
    {"GT", 2700, 800, 0, 5.0, 3.0},          {"CO", 2300, 1800, 0, 2.5, 2.5},
    {"SF", 2000, 1900, 0, 1.5, 1.5},         {"RP", 1800, 2400, 0, 0.5, 2.0},
    {"UR", 8500, 13500, 0, 0.5, 1.5},        {"E2", 16500, 14000, 0, 1.5, 0.5},
    {"E3", 21000, 18500, 0, 1.5, 0.5},
};

// Coffee, green, in 1000 60 KG bags: Brazil and Vietnam grow most; the EU, the United
// States and Japan import.
constexpr CountryFact kCoffee[] = {
    {"BR", 65000, 22500, 0, 1.5, 2.5},       {"E4", 0, 40000, 0, 0, 1.0},
    {"VM", 29000, 3200, 0, 8.0, 6.0},        {"US", 60, 26500, 0, 0, 0.8},
    {"CO", 12500, 2000, 0, 0.3, 1.5},        {"ID", 11000, 4800, 0, 2.0, 3.0},
    {"ET", 8500, 3800, 0, 2.5, 2.5},         {"JA", 0, 7200, 0, 0, 3.0},
    {"UG", 6500, 250, 0, 2.0, 2.0},          {"IN", 6000, 1500, 0, 2.0, 3.0},
    {"HO", 5800, 400, 0, 3.5, 2.0},          {"RS", 0, 4600, 0, 0, 4.0},
    {"PE", 4000, 250, 0, 2.5, 1.5},          {"MX", 4000, 2600, 0, 0.5, 2.5},
    {"CA", 0, 4000, 0, 0, 2.0},              {"GT", 3600, 400, 0, 1.5, 2.0},
    {"RP", 400, 3300, 0, 0.5, 4.0},          {"KS", 0, 3000, 0, 0, 6.0},
    {"NU", 2700, 250, 0, 2.0, 2.0},
};

// Meat, in 1000 MT carcass weight equivalent (chicken ready to cook).
constexpr CountryFact kBeef[] = {
    {"US", 12300, 12900, 0, 1.0, 0.9},       {"BR", 11800, 8000, 0, 3.4, 3.0},
    {"CH", 7800, 11600, 0, 8.0, 7.0},        {"E4", 6500, 6400, 0, 0.3, 0.2},
    {"IN", 4500, 3000, 0, 4.0, 3.0},         {"AR", 3200, 2300, 0, 0.8, 0.6},
    {"AS", 2600, 700, 0, 1.5, 0.5},          {"PK", 2400, 2350, 0, 4.0, 4.0},
    {"MX", 2200, 2000, 0, 2.0, 2.0},         {"TU", 1400, 1400, 0, 3.0, 3.0},
    {"RS", 1350, 1700, 0, -1.5, -1.0},       {"CA", 1350, 1050, 0, 0.8, 0.5},
    {"JA", 480, 1250, 0, 1.0, 3.0},          {"SF", 1100, 1050, 0, 1.5, 1.5},
    {"KS", 300, 900, 0, 2.0, 5.0},           {"CO", 800, 780, 0, 1.0, 1.0},
    {"NZ", 700, 100, 0, 1.5, 0},             {"UY", 600, 150, 0, 1.5, 0.5},
    {"UR", 8000, 8400, 0, 2.5, 2.5},         {"E2", 7500, 7400, 0, 0.5, 0.5},
    {"E3", 8000, 8000, 0, 0.5, 0.5},
};

constexpr CountryFact kPork[] = {
    {"CH", 57000, 58500, 0, 4.0, 4.0},       {"E4", 21000, 18000, 0, 1.0, 0.6},
    {"US", 12700, 10000, 0, 1.3, 1.0},       {"BR", 4600, 3000, 0, 3.5, 3.0},
    {"RS", 4200, 4000, 0, 0.6, 0.3},         {"VM", 3600, 3700, 0, 5.0, 5.0},
    {"MX", 1900, 2900, 0, 2.0, 3.0},         {"CA", 2100, 900, 0, 1.5, 0.5},
    {"JA", 1300, 2700, 0, 1.5, 2.5},         {"KS", 1400, 2000, 0, 4.0, 4.5},
    {"RP", 1100, 1700, 0, 3.0, 3.5},         {"TW", 800, 900, 0, 2.0, 2.0},
    {"CI", 550, 350, 0, 4.0, 2.5},           {"AS", 450, 650, 0, 1.5, 2.0},
    {"UR", 6500, 6700, 0, 2.0, 2.0},         {"E2", 17800, 16000, 0, 1.5, 1.0},
    {"E3", 21000, 20000, 0, 1.5, 1.0},
};

constexpr CountryFact kChicken[] = {
    {"US", 21500, 17900, 0, 3.2, 3.0},       {"CH", 15800, 15800, 0, 6.0, 6.0},
    {"BR", 15000, 10300, 0, 6.5, 5.5},       {"E4", 11800, 10600, 0, 2.5, 2.3},
    {"IN", 5000, 5000, 0, 7.0, 7.0},         {"RS", 4900, 4800, 0, 4.0, 3.5},
    {"MX", 4000, 5000, 0, 4.0, 4.5},         {"TH", 3500, 2300, 0, 5.0, 4.0},
    {"TU", 2500, 1800, 0, 6.0, 5.0},         {"AR", 2300, 2100, 0, 4.0, 4.0},
    {"JA", 1750, 2850, 0, 1.5, 2.5},         {"SF", 1900, 2300, 0, 4.0, 4.5},
    {"CO", 1900, 2000, 0, 5.0, 5.0},         {"PE", 1800, 1850, 0, 5.0, 5.0},
    {"MY", 1800, 1800, 0, 5.0, 5.0},         {"RP", 1500, 2000, 0, 5.0, 5.0},
    {"SA", 1000, 1500, 0, 6.0, 5.0},         {"E2", 7000, 6600, 0, 2.5, 2.5},
};

// Fluid milk: India (cow and buffalo milk), the EU and the United States lead.
constexpr CountryFact kMilk[] = {
    {"IN", 215000, 215000, 0, 3.6, 3.6},     {"E4", 149500, 148500, 0, 0.4, 0.4},
    {"US", 103000, 102500, 0, 1.1, 1.1},     {"CH", 42000, 42500, 0, 7.0, 7.0},
    {"RS", 33000, 33300, 0, -1.0, -1.0},     {"BR", 26000, 26000, 0, 3.0, 3.0},
    {"NZ", 21000, 20800, 0, 3.0, 3.0},       {"UK", 15000, 15000, 0, 0.2, 0.2},
    {"MX", 13800, 14000, 0, 2.5, 2.5},       {"AR", 11000, 11000, 0, 1.5, 1.5},
    {"CA", 10000, 10000, 0, 0.5, 0.5},       {"AS", 8300, 8300, 0, 0.5, 0.5},
    {"UP", 7300, 7300, 0, -3.0, -3.0},       {"JA", 7300, 7300, 0, 1.0, 1.0},
    {"UR", 102000, 102000, 0, 1.5, 1.5},     {"E2", 122000, 121000, 0, 0.3, 0.3},
    {"E3", 142000, 141000, 0, 0.3, 0.3},
};

constexpr CountryFact kButter[] = {
    {"IN", 6800, 6800, 0, 4.0, 4.0},         {"E4", 2200, 2000, 0, -0.3, -0.3},
    {"US", 1000, 1000, 0, 0.5, 0.5},         {"PK", 1100, 1100, 0, 3.0, 3.0},
    {"NZ", 530, 30, 0, 1.5, 0.5},            {"RS", 300, 400, 0, -1.0, -0.5},
};

constexpr CountryFact kCheese[] = {
    {"E4", 10800, 9400, 0, 1.5, 1.4},        {"US", 6500, 6100, 0, 3.0, 3.0},
    {"BR", 800, 800, 0, 4.0, 4.0},           {"RS", 650, 900, 0, 2.0, 2.0},
    {"CA", 550, 500, 0, 1.5, 1.5},           {"AR", 500, 450, 0, 1.5, 1.5},
    {"AS", 450, 380, 0, 1.5, 1.5},           {"NZ", 400, 50, 0, 3.0, 1.0},
    {"JA", 50, 350, 0, 1.0, 3.0},
};

constexpr CountryFact kNonfatDryMilk[] = {
    {"E4", 1600, 1000, 0, 0, 0},             {"US", 1200, 500, 0, 1.5, 0},
    {"IN", 700, 700, 0, 4.0, 4.0},           {"NZ", 350, 10, 0, 2.0, 0},
    {"MX", 0, 350, 0, 0, 3.0},               {"AS", 200, 80, 0, 0, 0},
};

constexpr CountryFact kWholeMilkPowder[] = {
    {"NZ", 1500, 30, 0, 4.0, 0},             {"CH", 950, 1600, 0, 6.0, 7.0},
    {"E4", 700, 300, 0, -0.5, -0.5},         {"BR", 600, 650, 0, 3.0, 3.0},
    {"AR", 250, 100, 0, 2.0, 1.0},
};

// Animal numbers, in 1000 head: production is the calf or pig crop, use the slaughter
// and losses; the herd follows from the stocks ratio (kStocks for cattle).
constexpr CountryFact kCattle[] = {
    {"IN", 65000, 63000, 0, 1.0, 1.0},       {"BR", 50000, 48500, 0, 2.5, 2.5},
    {"CH", 50000, 51000, 0, 3.0, 3.0},       {"US", 34000, 33500, 0, 0.2, 0.2},
    {"E4", 28000, 28000, 0, -0.3, -0.3},     {"AR", 14500, 14300, 0, 0.7, 0.7},
    {"AS", 9500, 9800, 0, 0.8, 0.8},         {"MX", 8000, 8000, 0, 1.0, 1.0},
};

constexpr CountryFact kSwine[] = {
    {"CH", 720000, 720000, 0, 3.5, 3.5},     {"E4", 250000, 250000, 0, 0.8, 0.8},
    {"US", 135000, 134000, 0, 1.0, 1.0},     {"BR", 45000, 44500, 0, 3.0, 3.0},
    {"RS", 55000, 54500, 0, 0.5, 0.5},       {"VM", 48000, 47500, 0, 4.5, 4.5},
    {"CA", 28000, 28000, 0, 1.5, 1.5},       {"MX", 20000, 20000, 0, 2.0, 2.0},
};

constexpr CountryFact kMixedGrain[] = {
    {"E4", 11500, 11500, 3.8, -0.5, -0.5},   {"CA", 300, 300, 2.8, -1.0, -1.0},
};

// Fruit and tree nuts, in metric tons.
constexpr CountryFact kApples[] = {
    {"CH", 45000000, 44000000, 0, 5.0, 5.0}, {"E4", 12000000, 11500000, 0, 0.3, 0.3},
    {"US", 5000000, 4800000, 0, 0.8, 0.8},   {"TU", 4500000, 4200000, 0, 2.5, 2.5},
    {"IN", 2500000, 2500000, 0, 2.5, 2.5},   {"RS", 2000000, 3000000, 0, 1.0, 1.5},
    {"CI", 1000000, 300000, 0, 3.0, 2.0},
};

constexpr CountryFact kOranges[] = {
    {"BR", 16500000, 5000000, 0, 2.5, 2.0},  {"CH", 7500000, 7500000, 0, 6.0, 6.0},
    {"E4", 6000000, 6500000, 0, 0.5, 0.5},   {"MX", 4500000, 4000000, 0, 1.5, 1.5},
    {"EG", 3500000, 2000000, 0, 3.0, 2.5},   {"US", 2500000, 2600000, 0, -1.5, -1.0},
    {"TU", 1800000, 1500000, 0, 3.0, 3.0},   {"SF", 1700000, 400000, 0, 2.5, 1.5},
};

constexpr CountryFact kTangerines[] = {
    {"CH", 27000000, 26500000, 0, 6.0, 6.0}, {"E4", 3000000, 3000000, 0, 1.0, 1.0},
    {"TU", 1800000, 800000, 0, 4.0, 3.0},    {"MO", 1200000, 600000, 0, 3.0, 3.0},
    {"US", 900000, 900000, 0, 3.0, 3.0},     {"SF", 900000, 200000, 0, 6.0, 3.0},
    {"JA", 700000, 700000, 0, -2.0, -2.0},
};

constexpr CountryFact kLemons[] = {
    {"MX", 3000000, 2200000, 0, 3.0, 3.0},   {"AR", 1600000, 700000, 0, 3.0, 2.0},
    {"E4", 1600000, 1700000, 0, 1.0, 1.0},   {"TU", 1200000, 700000, 0, 4.0, 3.0},
    {"US", 900000, 1100000, 0, 0.5, 1.5},    {"SF", 700000, 150000, 0, 6.0, 3.0},
};

constexpr CountryFact kGrapefruit[] = {
    {"CH", 5000000, 5000000, 0, 6.0, 6.0},   {"MX", 450000, 450000, 0, 2.0, 2.0},
    {"SF", 400000, 100000, 0, 2.0, 1.0},     {"US", 350000, 350000, 0, -3.0, -2.5},
    {"TU", 250000, 100000, 0, 3.0, 2.0},
};

constexpr CountryFact kTableGrapes[] = {
    {"CH", 11500000, 11500000, 0, 6.0, 6.0}, {"IN", 3000000, 2700000, 0, 4.0, 4.0},
    {"TU", 2000000, 1600000, 0, 1.5, 1.5},   {"E4", 1500000, 1900000, 0, 0, 0.5},
    {"BR", 1500000, 1500000, 0, 2.5, 2.5},   {"US", 800000, 1200000, 0, 0.5, 1.5},
    {"CI", 700000, 150000, 0, 3.0, 1.5},     {"PE", 700000, 100000, 0, 8.0, 2.0},
};

constexpr CountryFact kPears[] = {
    {"CH", 19000000, 18500000, 0, 5.0, 5.0}, {"E4", 2000000, 2000000, 0, -0.5, -0.5},
    {"AR", 600000, 200000, 0, 1.5, 1.0},     {"US", 600000, 650000, 0, -0.5, -0.3},
    {"TU", 550000, 500000, 0, 2.0, 2.0},     {"SF", 450000, 150000, 0, 1.5, 1.0},
};

constexpr CountryFact kCherries[] = {
    {"E4", 700000, 720000, 0, 0, 0},         {"TU", 650000, 500000, 0, 3.0, 2.5},
    {"CI", 600000, 20000, 0, 9.0, 2.0},      {"CH", 600000, 1000000, 0, 6.0, 7.0},
    {"US", 350000, 320000, 0, 1.5, 1.5},
};

constexpr CountryFact kPeaches[] = {
    {"CH", 17000000, 17000000, 0, 6.0, 6.0}, {"E4", 3300000, 3100000, 0, -0.5, -0.5},
    {"TU", 1000000, 900000, 0, 3.0, 3.0},    {"US", 600000, 650000, 0, -1.5, -1.0},
    {"CI", 250000, 100000, 0, 2.0, 1.5},
};

constexpr CountryFact kAlmonds[] = {
    {"US", 1200000, 350000, 0, 6.0, 4.0},    {"AS", 150000, 25000, 0, 8.0, 3.0},
    {"E4", 150000, 350000, 0, 1.0, 2.0},     {"IN", 5000, 160000, 0, 1.0, 6.0},
    {"TU", 50000, 60000, 0, 3.0, 3.0},
};

constexpr CountryFact kWalnuts[] = {
    {"CH", 1400000, 1300000, 0, 6.0, 6.0},   {"US", 700000, 150000, 0, 3.5, 1.5},
    {"E4", 150000, 300000, 0, 1.0, 1.5},     {"CI", 180000, 10000, 0, 8.0, 2.0},
    {"UP", 100000, 30000, 0, 2.0, 1.0},      {"TU", 80000, 120000, 0, 2.0, 3.0},
};

constexpr CountryFact kPistachios[] = {
    {"US", 500000, 70000, 0, 8.0, 4.0},      {"IR", 250000, 60000, 0, 2.5, 2.0},
    {"TU", 200000, 180000, 0, 4.0, 4.0},     {"E4", 10000, 120000, 0, 2.0, 3.0},
    {"CH", 0, 100000, 0, 0, 7.0},
};

constexpr CountryFact kOrangeJuice[] = {
    {"BR", 1000000, 30000, 0, 3.0, 2.0},     {"E4", 70000, 600000, 0, 0, 0.5},
    {"US", 200000, 500000, 0, -2.0, -0.5},   {"MX", 150000, 10000, 0, 2.0, 2.0},
};

// The rest of the oilseed complex, in 1000 MT.
constexpr CountryFact kCottonseed[] = {
    {"CH", 10000, 10000, 0, 2.4, 2.4},       {"IN", 10000, 10000, 0, 2.6, 2.6},
    {"BR", 6500, 5500, 0, 4.0, 3.5},         {"US", 4800, 4200, 0, 0, 0},
    {"PK", 3000, 3000, 0, 2.8, 2.8},         {"AS", 1500, 700, 0, 5.0, 3.0},
    {"TU", 1200, 1200, 0, 2.0, 2.0},         {"UZ", 1000, 1000, 0, -2.5, -2.5},
};

constexpr CountryFact kCopra[] = {
    {"RP", 2000, 1900, 0, 1.0, 1.0},         {"ID", 1200, 1200, 0, 1.0, 1.0},
    {"IN", 700, 700, 0, 1.0, 1.0},
};

constexpr CountryFact kPalmKernel[] = {
    {"ID", 10500, 10000, 0, 9.0, 9.0},       {"MY", 4800, 4800, 0, 6.0, 6.0},
    {"NI", 800, 800, 0, 1.5, 1.5},           {"TH", 700, 700, 0, 8.0, 8.0},
};

constexpr CountryFact kPeanutMeal[] = {
    {"CH", 7500, 7500, 0, 3.0, 3.0},         {"IN", 1500, 1400, 0, 0.5, 0.5},
    {"NI", 450, 450, 0, 2.5, 2.5},
};

constexpr CountryFact kCottonseedMeal[] = {
    {"CH", 4000, 4000, 0, 2.4, 2.4},         {"IN", 4000, 4000, 0, 2.6, 2.6},
    {"PK", 1300, 1300, 0, 2.8, 2.8},         {"BR", 1200, 1000, 0, 4.0, 3.5},
    {"US", 1000, 1000, 0, 0, 0},
};

constexpr CountryFact kSunflowerseedMeal[] = {
    {"RS", 7500, 4500, 0, 3.0, 2.0},         {"UP", 5500, 1000, 0, 3.0, 1.0},
    {"E4", 4500, 7500, 0, 1.5, 2.0},         {"AR", 1700, 1200, 0, 2.5, 2.0},
    {"TU", 900, 1800, 0, 2.0, 3.0},          {"CH", 1000, 1500, 0, 3.0, 3.0},
};

constexpr CountryFact kRapeseedMeal[] = {
    {"E4", 13000, 15000, 0, 3.0, 3.5},       {"CH", 11000, 12000, 0, 3.5, 4.0},
    {"IN", 7000, 6500, 0, 3.0, 3.0},         {"CA", 5500, 1800, 0, 5.0, 3.0},
    {"US", 1500, 4500, 0, 4.0, 5.0},         {"RS", 2200, 1300, 0, 6.0, 3.0},
    {"JA", 1300, 1300, 0, 1.5, 1.5},
};

constexpr CountryFact kCopraMeal[] = {
    {"RP", 800, 100, 0, 1.0, 1.0},           {"ID", 500, 100, 0, 1.0, 1.0},
    {"IN", 500, 500, 0, 1.0, 1.0},
};

constexpr CountryFact kPalmKernelMeal[] = {
    {"ID", 5500, 600, 0, 9.0, 5.0},          {"MY", 2400, 300, 0, 6.0, 4.0},
    {"E4", 0, 2000, 0, 0, 4.0},              {"NZ", 0, 1800, 0, 0, 8.0},
    {"TH", 400, 600, 0, 8.0, 6.0},
};

constexpr CountryFact kFishMeal[] = {
    {"CH", 1700, 3000, 0, 4.0, 6.0},         {"PE", 1100, 50, 0, -0.5, 0},
    {"E4", 450, 900, 0, -1.0, 0},            {"VM", 600, 800, 0, 6.0, 7.0},
    {"TH", 400, 500, 0, 3.0, 3.0},           {"CI", 350, 250, 0, 0, 2.0},
    {"US", 250, 250, 0, -1.0, -1.0},         {"JA", 200, 400, 0, -2.0, -1.0},
};

constexpr CountryFact kCottonseedOil[] = {
    {"CH", 1500, 1500, 0, 2.4, 2.4},         {"IN", 1300, 1300, 0, 2.6, 2.6},
    {"PK", 400, 400, 0, 2.8, 2.8},           {"BR", 350, 300, 0, 4.0, 3.5},
    {"US", 250, 220, 0, 0, 0},
};

constexpr CountryFact kPeanutOil[] = {
    {"CH", 3300, 3400, 0, 3.0, 3.0},         {"IN", 1300, 1300, 0, 0.5, 0.5},
    {"NI", 300, 300, 0, 2.5, 2.5},
};

constexpr CountryFact kCoconutOil[] = {
    {"RP", 1500, 300, 0, 1.0, 1.0},          {"ID", 900, 300, 0, 1.0, 1.0},
    {"E4", 0, 600, 0, 0, 1.0},               {"US", 0, 500, 0, 0, 1.0},
    {"IN", 400, 400, 0, 1.0, 1.0},
};

constexpr CountryFact kPalmKernelOil[] = {
    {"ID", 5100, 2000, 0, 9.0, 7.0},         {"MY", 2300, 800, 0, 6.0, 5.0},
    {"CH", 0, 800, 0, 0, 6.0},               {"E4", 0, 700, 0, 0, 3.0},
    {"US", 0, 400, 0, 0, 3.0},               {"TH", 300, 250, 0, 8.0, 7.0},
};

// The facts of a commodity and the size of the countries they do not list: the largest
// domestic use such a country can have, well below the listed ones so that the world's
// leaders are the real ones. "(Local)" sheets and broiler meat share the facts of their
// commodity.
struct CommodityFacts {
  std::string_view code;
  double others_use_max;
  std::span<const CountryFact> countries;
};

constexpr CommodityFacts kCommodityFacts[] = {
    {"0440000", 5000, kCorn},          {"0410000", 3500, kWheat},
    {"0422110", 1500, kRice},          {"0430000", 1200, kBarley},
    {"0459200", 900, kSorghum},        {"0452000", 250, kOats},
    {"0451000", 150, kRye},            {"0459100", 500, kMillet},
    {"2222000", 1200, kSoybeans},      {"2222001", 1200, kSoybeans},
    {"0813100", 1500, kSoybeanMeal},   {"0813101", 1500, kSoybeanMeal},
    {"4232000", 350, kSoybeanOil},     {"4232001", 350, kSoybeanOil},
    {"4243000", 600, kPalmOil},        {"2226000", 600, kRapeseed},
    {"4239100", 300, kRapeseedOil},    {"2224000", 400, kSunflowerseed},
    {"4236000", 250, kSunflowerseedOil}, {"2221000", 500, kPeanuts},
    {"4235000", 50, kOliveOil},        {"2631000", 700, kCotton},
    {"0612000", 1000, kSugar},         {"0711100", 800, kCoffee},
    {"0111000", 300, kBeef},           {"0113000", 300, kPork},
    {"0115000", 400, kChicken},        {"0114200", 400, kChicken},
    {"0223000", 3000, kMilk},          {"0230000", 100, kButter},
    {"0240000", 150, kCheese},         {"0224200", 60, kNonfatDryMilk},
    {"0224400", 60, kWholeMilkPowder}, {"0011000", 800, kCattle},
    {"0013000", 5000, kSwine},         {"0459900", 200, kMixedGrain},
    {"0574000", 300000, kApples},      {"0571120", 300000, kOranges},
    {"0571220", 150000, kTangerines},  {"0572120", 100000, kLemons},
    {"0572220", 50000, kGrapefruit},   {"0575100", 150000, kTableGrapes},
    {"0579220", 100000, kPears},       {"0579305", 50000, kCherries},
    {"0579309", 150000, kPeaches},     {"0577400", 15000, kAlmonds},
    {"0577901", 20000, kWalnuts},      {"0577907", 10000, kPistachios},
    {"0585100", 20000, kOrangeJuice},  {"2223000", 300, kCottonseed},
    {"2231000", 50, kCopra},           {"2232000", 50, kPalmKernel},
    {"0813200", 50, kPeanutMeal},      {"0813300", 100, kCottonseedMeal},
    {"0813500", 150, kSunflowerseedMeal}, {"0813600", 200, kRapeseedMeal},
    {"0813700", 30, kCopraMeal},       {"0813800", 80, kPalmKernelMeal},
    {"0814200", 80, kFishMeal},        {"4233000", 40, kCottonseedOil},
    {"4234000", 40, kPeanutOil},       {"4242000", 40, kCoconutOil},
    {"4244000", 40, kPalmKernelOil},
};

// Ending stocks as a share of domestic use where a country holds far more or far less
// than its commodity usually does: China holds most of the world's grain stocks,
// exporters carry stocks that are large against their own use.
struct StockFact {
  std::string_view code;
  std::string_view country;
  double ratio;
};

constexpr StockFact kStocks[] = {
    {"0440000", "CH", 0.62}, {"0440000", "US", 0.14}, {"0440000", "BR", 0.06},
    {"0440000", "AR", 0.15}, {"0440000", "UP", 0.15}, {"0410000", "CH", 0.90},
    {"0410000", "US", 0.70}, {"0410000", "IN", 0.16}, {"0410000", "RS", 0.25},
    {"0410000", "CA", 0.50}, {"0410000", "AS", 0.40}, {"0410000", "E4", 0.15},
    {"0422110", "CH", 0.70}, {"0422110", "IN", 0.35}, {"0422110", "TH", 0.35},
    {"2222000", "CH", 0.30}, {"2222000", "US", 0.14}, {"2222000", "BR", 0.45},
    {"2222000", "AR", 0.50}, {"2631000", "CH", 0.95}, {"2631000", "US", 2.2},
    {"2631000", "BR", 1.9},  {"2631000", "IN", 0.45}, {"2631000", "AS", 90},
    {"0612000", "IN", 0.30}, {"0612000", "CH", 0.35}, {"0612000", "TH", 1.0},
    {"0711100", "BR", 0.15}, {"0711100", "E4", 0.25}, {"0711100", "US", 0.25},
    {"0011000", "IN", 4.7},  {"0011000", "BR", 4.6},  {"0011000", "CH", 2.0},
    {"0011000", "US", 2.6},  {"0011000", "E4", 2.6},  {"0011000", "AR", 3.6},
    {"0011000", "AS", 3.0},  {"0011000", "MX", 4.3},
};

// The known stocks-to-use ratio of a country in a commodity, or 0 when not known.
double KnownStockRatio(std::string_view code, std::string_view country_code) {
  for (const StockFact& fact : kStocks) {
    if (fact.code == code && fact.country == country_code) return fact.ratio;
  }
  return 0;
}

// How a listed country's production divides between two parts: beet and cane sugar,
// cow and other (mostly buffalo) milk, arabica and robusta coffee.
struct SplitFact {
  std::string_view code;
  std::string_view country;
  int first_part;      // attribute id
  int second_part;     // attribute id
  double first_share;  // of production
};

constexpr SplitFact kSplits[] = {
    {"0612000", "BR", 30, 43, 0},    {"0612000", "IN", 30, 43, 0},
    {"0612000", "E4", 30, 43, 1},    {"0612000", "CH", 30, 43, 0.12},
    {"0612000", "TH", 30, 43, 0},    {"0612000", "US", 30, 43, 0.55},
    {"0612000", "PK", 30, 43, 0},    {"0612000", "RS", 30, 43, 1},
    {"0612000", "ID", 30, 43, 0},    {"0612000", "MX", 30, 43, 0},
    {"0612000", "AS", 30, 43, 0},    {"0612000", "EG", 30, 43, 0.6},
    {"0612000", "GT", 30, 43, 0},    {"0612000", "CO", 30, 43, 0},
    {"0612000", "SF", 30, 43, 0},    {"0612000", "RP", 30, 43, 0},
    {"0612000", "UR", 30, 43, 1},    {"0612000", "E2", 30, 43, 1},
    {"0612000", "E3", 30, 43, 1},    {"0223000", "IN", 32, 49, 0.45},
    {"0223000", "PK", 32, 49, 0.35}, {"0711100", "BR", 29, 53, 0.7},
    {"0711100", "VM", 29, 53, 0.05}, {"0711100", "CO", 29, 53, 1},
    {"0711100", "ID", 29, 53, 0.15}, {"0711100", "ET", 29, 53, 1},
    {"0711100", "UG", 29, 53, 0.15}, {"0711100", "IN", 29, 53, 0.3},
    {"0711100", "HO", 29, 53, 1},    {"0711100", "PE", 29, 53, 1},
    {"0711100", "MX", 29, 53, 0.95}, {"0711100", "GT", 29, 53, 0.97},
    {"0711100", "NU", 29, 53, 1},    {"0711100", "RP", 29, 53, 0.1},
    {"0711100", "US", 29, 53, 1},
};

// The split fact of a country in a commodity, or nullptr when not known.
const SplitFact* KnownSplit(std::string_view code, std::string_view country_code) {
  for (const SplitFact& split : kSplits) {
    if (split.code == code && split.country == country_code) return &split;
  }
  return nullptr;
}

// Milk a year per cow in milk, in MT, where known.
struct MilkYieldFact {
  std::string_view country;
  double milk_per_cow;
};

constexpr MilkYieldFact kMilkPerCow[] = {
    {"US", 10.9}, {"CA", 10.5}, {"JA", 9.0}, {"UK", 8.3}, {"E4", 7.6}, {"E2", 6.5},
    {"E3", 6.3},  {"AR", 6.8},  {"CH", 6.5}, {"AS", 6.0}, {"RS", 5.0}, {"UP", 4.9},
    {"MX", 4.8},  {"NZ", 4.4},  {"UR", 2.5}, {"BR", 2.7}, {"IN", 1.7},
};

// The milk per cow of a country, or 0 when not known.
double KnownMilkPerCow(std::string_view country_code) {
  for (const MilkYieldFact& fact : kMilkPerCow) {
    if (fact.country == country_code) return fact.milk_per_cow;
  }
  return 0;
}

// The facts of `code`, or an empty list (others_use_max 0) when there are none.
CommodityFacts FactsFor(std::string_view code) {
  for (const CommodityFacts& facts : kCommodityFacts) {
    if (facts.code == code) return facts;
  }
  return {code, 0, {}};
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
  bool weather = false;  // a crop, whose harvest a bad year cuts
  CommodityFacts facts;
  // The indexes into facts.countries of the listed countries that still report, largest
  // first (by production or use), then of the former states and aggregates.
  std::vector<int> fact_order;
  int current_facts = 0;  // how many of fact_order still report
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

void OrderFacts(Sheet* sheet);

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
  sheet.weather = sheet.line_of[4] >= 0 || commodity.description.starts_with("Oilseed") ||
                  commodity.group == "coffee" || commodity.group == "sugar" ||
                  commodity.group == "fruits_vegetables" || commodity.group == "tree_nuts";
  sheet.facts = FactsFor(commodity.code);
  OrderFacts(&sheet);
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

// Among the countries a commodity's facts do not list, these large producers and traders
// come first when few countries are chosen.
constexpr std::string_view kMajorCountries[] = {
    "US", "CH", "E4", "BR", "IN", "RS", "AR", "CA", "AS", "UP", "ID", "MX",
    "JA", "TH", "VM", "PK", "TU", "EG", "NI", "KS", "MY", "CO", "ET", "SF",
};

CountryYears YearsOf(std::string_view country_code) {
  for (const CountryYears& years : kCountryYears) {
    if (years.code == country_code) return years;
  }
  return {country_code, kFirstSeriesYear, 0};
}

CountryYears YearsOf(const PsdCountry& country) { return YearsOf(country.code); }

[[maybe_unused]] bool IsCountry(std::string_view code) {
  std::span<const PsdCountry> countries = PsdCountries();
  return std::any_of(countries.begin(), countries.end(),
                     [code](const PsdCountry& country) { return country.code == code; });
}

// Orders a sheet's listed countries: of those that still report, the three largest
// producers first, then the others by production or use, whichever is larger (so that
// large importers come next), then the former states and aggregates, which a release
// includes only when it has room for all the current ones.
void OrderFacts(Sheet* sheet) {
  std::span<const CountryFact> facts = sheet->facts.countries;
  auto size = [facts](int i) { return std::max(facts[i].production, facts[i].consumption); };
  auto produces_more = [facts](int a, int b) { return facts[a].production > facts[b].production; };
  std::vector<int> former;
  for (size_t i = 0; i < facts.size(); i++) {
    assert(IsCountry(facts[i].country));
    assert(facts[i].consumption > 0 && facts[i].production >= 0);
    if (YearsOf(facts[i].country).last_year > 0) {
      former.push_back(static_cast<int>(i));
    } else {
      sheet->fact_order.push_back(static_cast<int>(i));
    }
  }
  auto larger = [size](int a, int b) { return size(a) > size(b); };
  std::vector<int>& order = sheet->fact_order;
  std::stable_sort(order.begin(), order.end(), produces_more);
  const auto leading = static_cast<std::ptrdiff_t>(std::min<size_t>(kLeadingProducers, order.size()));
  std::stable_sort(order.begin() + leading, order.end(), larger);
  sheet->current_facts = static_cast<int>(sheet->fact_order.size());
  sheet->fact_order.insert(sheet->fact_order.end(), former.begin(), former.end());
}

// Where a country stands in the sheet's fact_order, or -1 when the facts do not list it.
int FactRank(const Sheet& sheet, std::string_view country_code) {
  for (size_t rank = 0; rank < sheet.fact_order.size(); rank++) {
    if (sheet.facts.countries[sheet.fact_order[rank]].country == country_code) {
      return static_cast<int>(rank);
    }
  }
  return -1;
}

// The facts of a country in a sheet, or nullptr when they do not list it.
const CountryFact* FactOf(const Sheet& sheet, std::string_view country_code) {
  const int rank = FactRank(sheet, country_code);
  return rank < 0 ? nullptr : &sheet.facts.countries[sheet.fact_order[rank]];
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
// The countries its facts list come first, largest first; the others follow in an
// order that depends on the seed and the commodity only, so a smaller scale picks a
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
    const int fact_rank = FactRank(sheet, country.code);
    if (fact_rank >= 0) rank = -1.0 + 0.001 * fact_rank;
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

// A series' natural years: from a start in 1960..1990 (1960 for a country the facts
// list, or when the country began) to the reference year (or when the country or the
// sheet ended). They do not depend on the release.
SeriesSpan NaturalSpan(const Sheet& sheet, const PsdCountry& country, uint64_t series_key,
                       bool listed) {
  const CountryYears years = YearsOf(country);
  SeriesSpan span;
  span.last_year = years.last_year > 0 ? years.last_year : kReferenceYear;
  if (sheet.extent.last_year_max > 0) {
    span.last_year = std::min(span.last_year, sheet.extent.last_year_max);
  }
  SplitMix64 random(Combine(series_key, 0));
  span.first_year = kFirstSeriesYear + static_cast<int>(random.Unit() * kSeriesStartYears);
  if (listed) span.first_year = kFirstSeriesYear;
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

// What stays the same over a series' years. Levels are those of the anchor year, the
// reference year or the last year of a country that ended, and grow into other years
// by their factor a year.
struct SeriesParameters {
  uint64_t key = 0;
  uint64_t weather_key = 0;  // the country's weather, shared by its crops
  int anchor_year = kReferenceYear;
  double demand = 0;  // trend demand
  double growth = 1;
  double production = 0;  // trend production
  double production_growth = 1;
  bool producer = false;
  int production_start_year = 0;
  double stock_ratio = 0;
  double import_floor = 0;
  double reexport_share = 0;
  double us_share = 0;
  double yield = 0;  // trend yield, in the yield unit
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
    const bool main_part = line.attribute_id == 32;  // cows give most milk everywhere
    if (random->Chance(product_split ? 0.35 : 0.1) && !main_part) weight = 0;
    if (line.role == Role::kStocksSubset || line.role == Role::kSlaughterSubset) {
      std::array<double, 2> share = SubsetShare(line.attribute_id);
      weight = random->Between(share[0], share[1]);
    }
    p->weight[i] = weight;
  }
}

// Sets the weights of the two production parts a split fact names, and no weight on
// any other production part.
void ApplyKnownSplit(const Sheet& sheet, std::string_view country_code, SeriesParameters* p) {
  const SplitFact* split = KnownSplit(sheet.commodity->code, country_code);
  if (split == nullptr) return;
  for (size_t i = 0; i < sheet.lines.size(); i++) {
    if (sheet.lines[i].role != Role::kProductionPart) continue;
    const int id = sheet.lines[i].attribute_id;
    p->weight[i] = id == split->first_part ? split->first_share
                   : id == split->second_part ? 1 - split->first_share
                                              : 0;
  }
}

// A country the facts list: its production and use within a few percent of the facts,
// growing at their rates (a tenth either way), and its yield. Exporters import little.
void SizeListed(const Sheet& sheet, const CountryFact& fact, SplitMix64* random,
                SeriesParameters* p) {
  p->demand = fact.consumption * random->Between(0.97, 1.03);
  p->growth = 1 + fact.consumption_growth_percent / 100 * random->Between(0.9, 1.1);
  p->production = fact.production * random->Between(0.97, 1.03);
  p->production_growth = 1 + fact.production_growth_percent / 100 * random->Between(0.9, 1.1);
  p->producer = fact.production > 0;
  const double floor = fact.production > fact.consumption ? 0.01 : 0.1;
  p->import_floor = floor * random->Unit() * random->Unit();
  p->yield = fact.yield > 0 ? fact.yield * random->Between(0.97, 1.03)
                            : random->Between(sheet.profile.yield_low, sheet.profile.yield_high);
}

// Any other country. Most countries are small: their demand is spread evenly over the
// decades up to a ceiling well below the listed countries (a thirtieth of the profile's
// largest demand for a commodity without facts), and they produce a third to one and
// a half times what they use.
void SizeOther(const Sheet& sheet, SplitMix64* random, SeriesParameters* p) {
  const Profile& profile = sheet.profile;
  const double ceiling = sheet.facts.countries.empty() ? profile.demand_high / 30
                                                       : sheet.facts.others_use_max;
  p->demand = SpreadOverDecades(profile.demand_low, ceiling, random->Unit());
  p->growth = random->Chance(0.15) ? random->Between(0.99, 1.0) : random->Between(1.0, 1.03);
  p->producer = random->Chance(profile.producer_probability);
  p->production = p->demand * random->Between(0.3, 1.6);
  p->production_growth = p->growth;
  p->import_floor = 0.1 * random->Unit() * random->Unit();
  p->yield = random->Between(profile.yield_low, profile.yield_high);
}

SeriesParameters DrawSeries(const Sheet& sheet, const PsdCountry& country,
                            uint64_t series_key, uint64_t weather_key, int first_year) {
  const Profile& profile = sheet.profile;
  SplitMix64 random(Combine(series_key, kPurposeSeries));
  SeriesParameters p;
  p.key = series_key;
  p.weather_key = weather_key;
  const int last_year = YearsOf(country).last_year;
  p.anchor_year = last_year > 0 ? std::min(last_year, kReferenceYear) : kReferenceYear;
  const CountryFact* fact = FactOf(sheet, country.code);
  if (fact != nullptr) {
    SizeListed(sheet, *fact, &random, &p);
  } else {
    SizeOther(sheet, &random, &p);
  }
  p.production_start_year = first_year;
  if (fact == nullptr && random.Chance(0.2)) {
    p.production_start_year += static_cast<int>(random.Unit() * 25);
  }
  p.stock_ratio = random.Between(profile.stock_ratio_low, profile.stock_ratio_high);
  if (random.Chance(profile.no_stocks_probability) && fact == nullptr) p.stock_ratio = 0;
  const double known_ratio = KnownStockRatio(sheet.commodity->code, country.code);
  if (known_ratio > 0) p.stock_ratio = known_ratio * random.Between(0.9, 1.1);
  p.reexport_share = random.Chance(0.5) ? 0.05 * random.Unit() : 0;
  p.us_share = country.code == "US" ? 0 : 0.4 * random.Unit() * random.Unit();
  p.yield_growth = 1 + profile.yield_growth * random.Between(0.7, 1.2);
  p.extraction_rate = profile.extraction_rate * random.Between(0.96, 1.04);
  p.milling_rate = random.Between(0.62, 0.71);
  const double known_milk = KnownMilkPerCow(country.code);
  p.milk_per_cow = known_milk > 0 ? known_milk * random.Between(0.97, 1.03)
                                  : random.Between(1.2, 6.0);
  p.equivalent_factor = random.Between(1.0, 1.08);
  p.other_share = random.Between(0.0, 0.1);
  p.rebuild_month = random.Chance(0.5) ? 6 : 7;
  p.coffee_unrevised_until = random.Chance(0.5) ? 1998 : 2001;
  DrawLineParameters(sheet, &random, &p);
  ApplyKnownSplit(sheet, country.code, &p);
  return p;
}

// Draws of one market year. All but the revision_* ones depend only on the series and
// the year; the revision_* ones are the small change made by the release that last
// revised the year.
struct YearDraws {
  double demand = 0;
  double production = 0;  // area times yield times the weather
  double trade = 0;
  double stocks = 0;
  double yield = 0;
  double weather = 1;  // below 1 in a bad year
  double tradeyear_imports = 1;
  double tradeyear_exports = 1;
  double revision_demand = 1;
  double revision_production = 1;
  double revision_trade = 1;
  std::array<double, kMaxSheetLines> jitter{};
};

// The share of a normal harvest a country's crops give in `market_year`: about one
// year in sixteen is a bad one (a drought, a flood), which cuts every crop of the
// country by an eighth to two fifths.
double Weather(uint64_t weather_key, int market_year) {
  SplitMix64 random(Combine(weather_key, static_cast<uint64_t>(market_year)));
  return random.Chance(0.06) ? random.Between(0.6, 0.88) : 1;
}

YearDraws DrawYear(const Sheet& sheet, const SeriesParameters& p, int market_year,
                   int revision_index) {
  YearDraws d;
  SplitMix64 random(Combine(Combine(p.key, kPurposeYear), market_year));
  d.demand = 1 + 0.04 * random.Signed();
  const double area = 1 + 0.04 * random.Signed();
  d.trade = random.Unit();
  d.stocks = random.Signed();
  d.yield = 1 + 0.06 * random.Signed();
  d.weather = sheet.weather ? Weather(p.weather_key, market_year) : 1;
  d.production = area * d.yield * d.weather;
  d.tradeyear_imports = random.Chance(0.6) ? 1 : 1 + 0.1 * random.Signed();
  d.tradeyear_exports = random.Chance(0.6) ? 1 : 1 + 0.1 * random.Signed();
  for (size_t i = 0; i < sheet.lines.size(); i++) d.jitter[i] = 1 + 0.15 * random.Signed();
  SplitMix64 revision(Combine(Combine(Combine(p.key, kPurposeRevision), market_year),
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
  double extraction_rate = 0;   // as printed, 2 decimals
  double demand_trend = 0;      // demand before this year's draws
  double production_trend = 0;  // production before this year's draws
};

// Production of the year; crushed products are made from their crush.
void ProduceYear(const SeriesParameters& p, const YearDraws& d, int market_year,
                 Balance* b) {
  const bool producing = p.producer && market_year >= p.production_start_year;
  const double raw =
      producing ? b->production_trend * d.production * d.revision_production : 0;
  if (p.extraction_rate > 0) {
    b->extraction_rate = static_cast<double>(Round(p.extraction_rate * 100)) / 100;
    b->crush = Round(raw / p.extraction_rate);
    b->production = Round(static_cast<double>(b->crush) * b->extraction_rate);
  } else {
    b->production = Round(raw);
  }
}

// Ending stocks the year aims at: part of the way from the beginning stocks towards
// their share of demand, with some noise.
int64_t StocksWanted(const Sheet& sheet, const SeriesParameters& p, const YearDraws& d,
                     double demand, int64_t beginning_stocks) {
  if (!sheet.has_stocks || p.stock_ratio <= 0) return 0;
  const double target = demand * p.stock_ratio;
  const double stocks = static_cast<double>(beginning_stocks);
  const double noise = 0.2 * std::min(p.stock_ratio, 0.25) * demand * d.stocks;
  return std::max<int64_t>(0, Round(stocks + 0.35 * (target - stocks) + noise));
}

// Supply = beginning stocks + production + imports = consumption + exports + ending
// stocks: trade closes the gap between what the year has (stocks and production) and
// what it wants (demand and ending stocks), up to a few percent; a little trade goes
// on either way; consumption takes what remains, so the identities hold exactly.
void BalanceYear(const Sheet& sheet, const SeriesParameters& p, const YearDraws& d,
                 Balance* b) {
  const double demand = b->demand_trend * d.demand * d.revision_demand;
  const int64_t stocks_wanted = StocksWanted(sheet, p, d, demand, b->beginning_stocks);
  const double production = static_cast<double>(b->production);
  const double need = demand + static_cast<double>(stocks_wanted - b->beginning_stocks) -
                      production;
  const double usual_imports = demand * p.import_floor * (0.5 + d.trade);
  double imports = usual_imports;
  double exports = production * p.reexport_share;
  if (need > usual_imports) {
    imports = need * (0.97 + 0.06 * d.trade) * d.revision_trade;
  } else {
    exports += (usual_imports - need) * (0.96 + 0.04 * d.trade) * d.revision_trade;
  }
  b->imports = Round(imports);
  const int64_t supply = b->beginning_stocks + b->production + b->imports;
  b->exports = std::min(Round(exports), supply);
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

// Area and Yield: area from production at the year's yield (the trend yield, its draw
// and the weather, so that a bad year shows in the yield and not in the area), the
// printed yield from production and area (rice on its rough basis, cotton in KG/HA
// from 480 lb bales).
std::array<int64_t, 2> AreaAndYield(const YearContext& c) {
  const Balance& b = *c.balance;
  double basis = static_cast<double>(b.production);
  if (c.sheet->line_of[54] >= 0) basis = static_cast<double>(PartOf(c, 54, 0));
  const bool cotton = c.sheet->commodity->group == "cotton";
  if (cotton) basis *= kCottonBaleKilograms;
  if (basis <= 0 || c.yield_trend <= 0) return {0, 0};
  const double yield_of_year = c.yield_trend * c.draws->yield * c.draws->weather;
  const int64_t area = std::max<int64_t>(1, Round(basis / yield_of_year));
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
  double trend = Compound(p.demand, p.growth, p.anchor_year, span.first_year);
  double production_trend =
      Compound(p.production, p.production_growth, p.anchor_year, span.first_year);
  double yield_trend = Compound(p.yield, p.yield_growth, p.anchor_year, span.first_year);
  int64_t stocks = sheet.has_stocks ? Round(trend * p.stock_ratio) : 0;
  for (int year = span.first_year; year <= span.last_year; year++) {
    const int revision = LastRevision(p.key, year, release_index);
    const YearDraws draws = DrawYear(sheet, p, year, revision);
    Balance balance;
    balance.beginning_stocks = stocks;
    balance.demand_trend = trend;
    balance.production_trend = production_trend;
    ProduceYear(p, draws, year, &balance);
    BalanceYear(sheet, p, draws, &balance);
    const auto parts = SplitYear(sheet, p, draws, balance);
    const YearContext context{&sheet, &p, &draws, &balance, &parts, yield_trend};
    AppendYearRows(context, year, PrintedVintage(sheet, p, year, revision, release_index),
                   output);
    stocks = balance.ending_stocks;
    trend *= p.growth;
    production_trend *= p.production_growth;
    yield_trend *= p.yield_growth;
  }
}

// One series of a release: a country and its years.
struct PlannedSeries {
  const PsdCountry* country = nullptr;
  uint64_t key = 0;
  uint64_t weather_key = 0;
  SeriesSpan span;
};

// How many of the largest countries the facts list a release includes at `scale` at the
// least (kAlwaysIncludedMin..kAlwaysIncludedMax, never more than are listed).
int AlwaysIncluded(const Sheet& sheet, double scale) {
  const double country_years = sheet.extent.country_years * scale;
  const int affordable = static_cast<int>(country_years / kAlwaysIncludedSpanYears);
  const int always = std::clamp(affordable, kAlwaysIncludedMin, kAlwaysIncludedMax);
  return std::min(always, sheet.current_facts);
}

// Scale multiplies a commodity's country-years, so rows grow about linearly with it:
// the number of countries follows the scale (at least one, at most all, and never
// fewer than AlwaysIncluded), and the series' spans are stretched or shrunk together
// to make up the country-years. Up to scale 1 no series starts before 1960 or before
// its country existed.
std::vector<PlannedSeries> PlanSeries(const Sheet& sheet, uint64_t seed, double scale,
                                      int latest_market_year) {
  const int available = static_cast<int>(PsdCountries().size()) - 1;
  const int scaled = static_cast<int>(std::ceil(sheet.extent.countries * scale));
  const int count =
      std::clamp(std::max(scaled, AlwaysIncluded(sheet, scale)), 1, available);
  std::vector<PlannedSeries> plan;
  std::vector<SeriesSpan> natural;
  int natural_years = 0;
  for (int index : ChooseCountries(sheet, seed, count)) {
    PlannedSeries series;
    series.country = &PsdCountries()[index];
    series.key = Combine(Combine(Combine(seed, kPurposeSeries),
                                 CommodityNumber(sheet.commodity->code)),
                         CountryNumber(series.country->code));
    series.weather_key =
        Combine(Combine(seed, kPurposeWeather), CountryNumber(series.country->code));
    const bool listed = FactRank(sheet, series.country->code) >= 0;
    natural.push_back(NaturalSpan(sheet, *series.country, series.key, listed));
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
        DrawSeries(sheet, *series.country, series.key, series.weather_key,
                   series.span.first_year);
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
