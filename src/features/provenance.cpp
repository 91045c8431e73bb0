#include "features/provenance.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/text.h"
#include "db/duckdb.h"

namespace materia {

namespace {

// The columns of `input` as the feature sees them: renamed, then narrowed by select.
// Returns (upstream column, visible name) pairs for the user's columns, in order.
Result<std::vector<std::pair<std::string, std::string>>> VisibleColumns(
    const FeatureDefinition& feature, const FeatureDependency* dependency,
    const ProvenanceInput& input) {
  std::vector<std::pair<std::string, std::string>> visible;
  std::map<std::string, std::string> rename;
  if (dependency != nullptr) {
    for (const auto& [from, to] : dependency->rename) {
      if (!ContainsText(input.columns, from)) {
        return Status::InvalidInput(feature.key + " renames column '" + from + "' of " + input.source +
                                    ", which has no such column (its columns: " +
                                    JoinText(input.columns, ", ") + ")");
      }
      rename[from] = to;
    }
  }
  for (const std::string& column : input.columns) {
    if (IsSystemColumn(column) && column != kSampleVersionColumn) continue;
    auto renamed = rename.find(column);
    visible.emplace_back(column, renamed == rename.end() ? column : renamed->second);
  }
  if (dependency != nullptr && !dependency->select.empty()) {
    std::vector<std::pair<std::string, std::string>> selected;
    for (const std::string& name : dependency->select) {
      auto found = std::find_if(visible.begin(), visible.end(),
                                [&](const auto& pair) { return pair.second == name; });
      if (found == visible.end()) {
        std::vector<std::string> names;
        for (const auto& pair : visible) names.push_back(pair.second);
        return Status::InvalidInput(feature.key + " selects column '" + name + "' of " + input.source +
                                    ", which has no such column (its columns: " + JoinText(names, ", ") + ")");
      }
      selected.push_back(*found);
    }
    visible = std::move(selected);
  }
  return visible;
}

Status CheckLineage(const FeatureDefinition& feature) {
  const Lineage& lineage = feature.lineage;
  if (lineage.type == LineageType::kAggregation) {
    std::set<std::string> by(lineage.by.begin(), lineage.by.end());
    std::set<std::string> ids(feature.id_columns.begin(), feature.id_columns.end());
    if (by != ids) {
      return Status::InvalidInput(feature.key + ": an aggregation's 'by' columns (" + JoinText(lineage.by, ", ") +
                                  ") must be its id columns (" + JoinText(feature.id_columns, ", ") + ")");
    }
  } else if (lineage.type == LineageType::kExpansion) {
    for (const std::string& column : lineage.by) {
      if (!ContainsText(feature.id_columns, column)) {
        return Status::InvalidInput(feature.key + ": expansion column '" + column +
                                    "' must be one of its id columns (" + JoinText(feature.id_columns, ", ") + ")");
      }
    }
    if (KeyColumns(feature).empty()) {
      return Status::InvalidInput(feature.key + ": an expansion needs id columns besides its 'by' columns (" +
                                  JoinText(lineage.by, ", ") + ") to name the upstream sample");
    }
  }
  return Status::Ok();
}

std::string CastText(const std::string& expression) { return "CAST(" + expression + " AS VARCHAR)"; }

}  // namespace

std::string FieldProvenanceColumn(const std::string& field) { return std::string(kProvenanceColumn) + "__" + field; }
std::string FieldDataVersionColumn(const std::string& field) { return std::string(kDataVersionColumn) + "__" + field; }
bool IsSystemColumn(const std::string& column) { return column.rfind("materia_", 0) == 0; }

std::vector<std::string> KeyColumns(const FeatureDefinition& feature) {
  if (feature.lineage.type != LineageType::kExpansion) return feature.id_columns;
  std::vector<std::string> keys;
  for (const std::string& column : feature.id_columns) {
    if (!ContainsText(feature.lineage.by, column)) keys.push_back(column);
  }
  return keys;
}

namespace {

// md5 over "<text 0><value 0><text 1><value 1>...": the constant texts are merged into
// literals so that DuckDB concatenates as little as possible per row. Values are SQL
// expressions of type VARCHAR; NULL counts as ''.
std::string Md5Sql(const std::vector<std::pair<std::string, std::string>>& text_then_value) {
  std::string sql;
  for (const auto& [text, value] : text_then_value) {
    sql += (sql.empty() ? "" : " || ") + QuoteLiteral(text) + " || coalesce(" + value + ", '')";
  }
  return "md5(" + sql + ")";
}

}  // namespace

std::string SampleHashSql(const std::vector<std::pair<std::string, std::string>>& field_columns) {
  std::vector<std::pair<std::string, std::string>> parts;
  for (size_t i = 0; i < field_columns.size(); i++) {
    parts.emplace_back((i ? "|" : "") + field_columns[i].first + "=", field_columns[i].second);
  }
  return Md5Sql(parts);
}

Result<ExpectedSamples> BuildExpectedSamples(const FeatureDefinition& feature,
                                             const std::vector<ProvenanceInput>& inputs) {
  MATERIA_RETURN_IF_ERROR(CheckLineage(feature));
  const bool root = feature.deps.empty();
  if (root ? (inputs.size() != 1 || !inputs[0].feature.empty()) : inputs.size() != feature.deps.size()) {
    return Status::Internal("BuildExpectedSamples: inputs do not match the deps of " + feature.key);
  }
  ExpectedSamples expected;
  expected.key_columns = KeyColumns(feature);
  const bool aggregation = feature.lineage.type == LineageType::kAggregation;

  // Every parent field gets an alias __p<n> carrying its data version.
  std::map<FieldReference, std::string> parent_alias;
  for (const FieldDefinition& field : feature.fields) {
    for (const FieldReference& parent : field.parents) {
      if (!parent_alias.count(parent)) parent_alias[parent] = "__p" + std::to_string(parent_alias.size());
    }
  }

  std::vector<std::string> ctes;
  std::vector<std::string> dep_names;
  std::set<std::string> taken(expected.key_columns.begin(), expected.key_columns.end());
  for (size_t d = 0; d < inputs.size(); d++) {
    const ProvenanceInput& input = inputs[d];
    const FeatureDependency* dependency = root ? nullptr : &feature.deps[d];
    if (dependency != nullptr && dependency->feature != input.feature) {
      return Status::Internal("BuildExpectedSamples: input " + input.feature + " is not dep " + dependency->feature);
    }
    MATERIA_ASSIGN_OR_RETURN(auto visible, VisibleColumns(feature, dependency, input));
    auto upstream_of = [&](const std::string& name) -> std::string {
      for (const auto& [from, to] : visible) {
        if (to == name) return from;
      }
      return "";
    };
    std::vector<std::string> names;
    for (const auto& pair : visible) names.push_back(pair.second);
    for (const std::string& key : expected.key_columns) {
      if (upstream_of(key).empty()) {
        std::string what = root ? "id column '" + key + "' of " + feature.key + " is missing from " + input.source
                                : "key column '" + key + "' of " + feature.key + " is not a column of " + input.source;
        return Status::InvalidInput(what + " (its columns: " + (names.empty() ? "none" : JoinText(names, ", ")) + ")");
      }
    }
    std::vector<std::string> select;
    for (const std::string& key : expected.key_columns) {
      select.push_back(QuoteIdentifier(upstream_of(key)) + " AS " + QuoteIdentifier(key));
    }
    if (!aggregation) {
      for (const auto& [from, to] : visible) {
        if (ContainsText(expected.key_columns, to) || ContainsText(feature.id_columns, to)) continue;
        if (to == kSampleVersionColumn && !root) continue;
        if (!taken.insert(to).second) {
          return Status::InvalidInput(feature.key + ": column '" + to + "' comes from " + input.source +
                                      " and from another dependency; rename or leave out one of them");
        }
        select.push_back(QuoteIdentifier(from) + " AS " + QuoteIdentifier(to));
        expected.user_columns.push_back(to);
      }
    }
    // The data versions of the parent fields this dependency provides.
    std::vector<std::string> aliases;
    for (const auto& [parent, alias] : parent_alias) {
      if (parent.feature != input.feature) continue;
      std::string column = FieldDataVersionColumn(parent.field);
      select.push_back((ContainsText(input.columns, column) ? QuoteIdentifier(column) : "NULL::VARCHAR") + " AS " + alias);
      aliases.push_back(alias);
    }
    // For an aggregation, each upstream sample is named by its own id columns, so the
    // group's version changes when a member joins, leaves or changes.
    if (aggregation) {
      std::vector<std::string> ids;
      for (const std::string& column : input.id_columns) {
        ids.push_back("coalesce(" + CastText(QuoteIdentifier(column)) + ", '')");
      }
      select.push_back((ids.empty() ? std::string("''") : "concat_ws(',', " + JoinText(ids, ", ") + ")") + " AS __member");
    }
    std::string where;
    if (dependency != nullptr && !dependency->filters.empty()) {
      std::vector<std::string> conditions;
      for (const std::string& filter : dependency->filters) conditions.push_back("(" + filter + ")");
      where = " WHERE " + JoinText(conditions, " AND ");
    }
    std::string name = "__d" + std::to_string(d);
    std::string body = "SELECT " + JoinText(select, ", ") + " FROM " + input.relation + " AS __u" + where;
    if (aggregation) {
      std::vector<std::string> grouped = {QuoteIdentifierList(expected.key_columns)};
      for (const std::string& alias : aliases) {
        grouped.push_back("md5(string_agg(__member || '=' || coalesce(" + alias + ", ''), '|' ORDER BY __member, " +
                          alias + ")) AS " + alias);
      }
      body = "SELECT " + JoinText(grouped, ", ") + " FROM (" + body + ") GROUP BY ALL";
    }
    ctes.push_back(name + " AS (" + body + ")");
    dep_names.push_back(name);
  }

  std::string from = dep_names[0];
  for (size_t d = 1; d < dep_names.size(); d++) {
    from += " JOIN " + dep_names[d] + " USING (" + QuoteIdentifierList(expected.key_columns) + ")";
  }
  std::vector<std::string> select = {QuoteIdentifierList(expected.key_columns)};
  if (!expected.user_columns.empty()) select.push_back(QuoteIdentifierList(expected.user_columns));
  const bool has_sample_version = root && ContainsText(expected.user_columns, kSampleVersionColumn);
  std::vector<std::pair<std::string, std::string>> field_columns;
  for (const FieldDefinition& field : feature.fields) {
    // "field|<key>|<code_version>" then "|sample=<version>" (roots) or
    // "|<feature>/<field>=<data version>" per parent.
    std::vector<std::pair<std::string, std::string>> parts;
    std::string text = "field|" + field.key + "|" + field.code_version;
    if (root) {
      parts.emplace_back(text + "|sample=", has_sample_version ? CastText(QuoteIdentifier(kSampleVersionColumn))
                                                               : std::string("NULL::VARCHAR"));
      text.clear();
    }
    for (const FieldReference& parent : field.parents) {
      parts.emplace_back(text + "|" + parent.feature + "/" + parent.field + "=", parent_alias[parent]);
      text.clear();
    }
    std::string column = QuoteIdentifier(FieldProvenanceColumn(field.key));
    select.push_back((parts.empty() ? "md5(" + QuoteLiteral(text) + ")" : Md5Sql(parts)) + " AS " + column);
    field_columns.emplace_back(field.key, column);
  }
  expected.fields_sql = "WITH " + JoinText(ctes, ", ") + " SELECT " + JoinText(select, ", ") + " FROM " + from;
  expected.sql = "SELECT *, " + SampleHashSql(field_columns) + " AS " + QuoteIdentifier(kProvenanceColumn) +
                 " FROM (" + expected.fields_sql + ")";
  return expected;
}

std::string BuildResolveQuery(const FeatureDefinition& feature, const ExpectedSamples& expected,
                              const std::string& stored, const std::vector<std::string>& stored_columns) {
  const std::string keys = QuoteIdentifierList(expected.key_columns);
  // The sample provenance is computed for the output rows only, from the field ones.
  std::vector<std::pair<std::string, std::string>> field_columns;
  for (const FieldDefinition& field : feature.fields) {
    field_columns.emplace_back(field.key, "e." + QuoteIdentifier(FieldProvenanceColumn(field.key)));
  }
  auto output = [&](const std::string& status, const std::string& stale_fields) {
    std::vector<std::string> out = {status + " AS " + QuoteIdentifier(kStatusColumn), keys};
    for (const std::string& column : expected.user_columns) out.push_back("e." + QuoteIdentifier(column));
    for (const auto& [field, column] : field_columns) out.push_back(column);
    out.push_back("CASE WHEN e.__expected IS NOT NULL THEN " + SampleHashSql(field_columns) + " END AS " +
                  QuoteIdentifier(kProvenanceColumn));
    out.push_back(stale_fields + " AS " + QuoteIdentifier(kStaleFieldsColumn));
    return "SELECT " + JoinText(out, ", ");
  };
  const std::string expected_rows = "(SELECT 1 AS __expected, * FROM (" + expected.fields_sql + "))";
  if (stored.empty()) return output("'new'", "NULL::VARCHAR") + " FROM " + expected_rows + " AS e";

  // The stored side: one row per key. An expansion keeps many children per parent; they
  // all carry the parent's provenance, so the lowest and highest must both match.
  const bool expansion = feature.lineage.type == LineageType::kExpansion;
  std::vector<std::string> stored_select = {keys};
  for (size_t i = 0; i < feature.fields.size(); i++) {
    const std::string column = FieldProvenanceColumn(feature.fields[i].key);
    const std::string source = ContainsText(stored_columns, column) ? QuoteIdentifier(column) : "NULL::VARCHAR";
    const std::string alias = "__sf" + std::to_string(i);
    if (expansion) {
      stored_select.push_back("min(" + source + ") AS " + alias + "_lo");
      stored_select.push_back("max(" + source + ") AS " + alias + "_hi");
    } else {
      stored_select.push_back(source + " AS " + alias);
    }
  }
  std::string stored_sql = "SELECT 1 AS __stored, " + JoinText(stored_select, ", ") + " FROM " + stored + " AS __s";
  if (expansion) stored_sql += " GROUP BY ALL";
  // Whether field i's expected provenance differs from what is stored.
  auto differs = [&](size_t i) {
    const std::string expected_column = field_columns[i].second;
    const std::string alias = "s.__sf" + std::to_string(i);
    if (!expansion) return expected_column + " IS DISTINCT FROM " + alias;
    return "(" + expected_column + " IS DISTINCT FROM " + alias + "_lo OR " + expected_column +
           " IS DISTINCT FROM " + alias + "_hi)";
  };
  std::vector<std::string> any_differs;
  std::vector<std::string> stale_fields;
  for (size_t i = 0; i < feature.fields.size(); i++) {
    any_differs.push_back(differs(i));
    stale_fields.push_back("CASE WHEN " + differs(i) + " THEN " + QuoteLiteral(feature.fields[i].key) + " END");
  }
  std::string status =
      "CASE WHEN s.__stored IS NULL THEN 'new' WHEN e.__expected IS NULL THEN 'orphaned' ELSE 'stale' END";
  std::string stale = "CASE WHEN s.__stored IS NOT NULL AND e.__expected IS NOT NULL THEN concat_ws(',', " +
                      JoinText(stale_fields, ", ") + ") END";
  return output(status, stale) + " FROM " + expected_rows + " AS e FULL JOIN (" + stored_sql + ") AS s USING (" +
         keys + ") WHERE s.__stored IS NULL OR e.__expected IS NULL OR " + JoinText(any_differs, " OR ");
}

}  // namespace materia
