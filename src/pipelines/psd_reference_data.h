// The USDA PSD Online reference code lists, compiled into the binary: the 63
// commodities of the bulk file psd_alldata.csv with the attributes each one reports and
// the unit of each, the country table, the attribute table and the unit table. These
// are facts read from the official reference tables and from a census of the real file;
// src/pipelines/psd_reference_data.cpp is generated from CSV lists by
// scripts/gen-psd-reference and needs nothing on disk at run time.
//
// Lists are sorted as the real file is: commodities by description, a commodity's
// attributes by description and countries by name, all compared case-insensitively;
// attributes and units by id.
//
// Immutable static data: safe to read from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace materia {

// One attribute a commodity reports, with the unit the bulk file gives it.
struct PsdCommodityAttribute {
  int attribute_id = 0;                  // e.g. 28, written "028" in the file
  std::string_view attribute_description;  // e.g. "Production"
  int unit_id = 0;                       // e.g. 8, written "08" in the file
  std::string_view unit_description;     // e.g. "(1000 MT)"
};

struct PsdCommodity {
  std::string_view code;         // 7 digits with leading zeros, e.g. "0440000"
  std::string_view description;  // e.g. "Corn"
  std::string_view group;        // coffee, cotton, dairy, fruits_vegetables, grains,
                                 // juice, livestock, oilseeds, sugar or tree_nuts
  int64_t rows_2026_08 = 0;      // rows in the August 2026 file; 0 when not known
  // The attributes known to be reported, sorted by description. Empty for the fruit,
  // tree-nut and juice commodities, whose attribute lists are not known.
  std::span<const PsdCommodityAttribute> attributes;
};

struct PsdCountry {
  std::string_view code;         // two characters, e.g. "JA"
  std::string_view name;         // as PSD spells it, truncated to 30 characters
  std::string_view region_code;  // PSD Online region, e.g. "R18"; empty when none
  bool in_coffee_list = false;   // one of the 94 countries of the coffee sheet
  bool historic = false;         // a former state or a former aggregate (USSR, EU-15)
};

struct PsdAttribute {
  int id = 0;
  std::string_view description;
  bool in_bulk_file = false;  // present in the August 2026 file, not only the table
};

struct PsdUnit {
  int id = 0;
  std::string_view description;  // trimmed, e.g. "(1000 60 KG BAGS)"
  bool in_bulk_file = false;
};

// The commodities present in the bulk file, sorted by description.
std::span<const PsdCommodity> PsdCommodities();
// Every country of the reference table, sorted by name.
std::span<const PsdCountry> PsdCountries();
// Every attribute of the reference table, sorted by id.
std::span<const PsdAttribute> PsdAttributes();
// Every unit of the reference table, sorted by id.
std::span<const PsdUnit> PsdUnits();

}  // namespace materia
