#include "features/feature_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <string_view>

#include "base/yaml_syntax.h"

namespace materia {

namespace {

constexpr size_t kFeatureKeyLengthMax = 256;

constexpr std::string_view kFeatureKeys[] = {"key",    "description", "id_columns",
                                             "deps",   "fields",      "lineage"};
constexpr std::string_view kDependencyKeys[] = {"feature", "rename", "select", "filters"};
constexpr std::string_view kFieldKeys[] = {"key", "code_version", "deps"};
constexpr std::string_view kFieldDependencyKeys[] = {"feature", "fields"};
constexpr std::string_view kLineageKeys[] = {"type", "by"};

template <size_t N>
bool Contains(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

template <size_t N>
std::string KnownKeys(const std::string_view (&names)[N]) {
  std::string text;
  for (std::string_view name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

class FeatureFileParser {
 public:
  explicit FeatureFileParser(std::string path) : path_(std::move(path)) {}

  Result<std::vector<FeatureDefinition>> Parse(const std::string& content) const;

 private:
  SourceLocation At(const YAML::Mark& mark) const {
    if (mark.is_null()) return SourceLocation{path_, 0, 0};
    return SourceLocation{path_, mark.line + 1, mark.column + 1};
  }
  Status Error(const SourceLocation& where, const std::string& message) const {
    return Status::InvalidInput((where.line > 0 ? where.ToString() : where.file) + ": " + message);
  }
  Status Error(const YAML::Mark& mark, const std::string& message) const {
    return Error(At(mark), message);
  }
  // A value's position; an empty value has none, so its key stands in.
  YAML::Mark ValueMark(const YAML::Node& value, const YAML::Mark& key_mark) const {
    return value.IsNull() || value.Mark().is_null() ? key_mark : value.Mark();
  }

  Result<std::string> KeyOf(const YAML::const_iterator& entry) const;
  Result<std::string> Text(const YAML::Node& node, const YAML::Mark& key_mark,
                           const std::string& what) const;
  Result<std::vector<std::string>> TextList(const YAML::Node& node, const YAML::Mark& key_mark,
                                            const std::string& what) const;
  Status CheckKey(const std::string& key, const YAML::Mark& mark, const std::string& what) const;

  Result<FeatureDefinition> ParseFeature(const YAML::Node& node) const;
  Status ParseFeatureKey(const std::string& key, const YAML::Node& value, const YAML::Mark& key_mark,
                         FeatureDefinition* feature) const;
  Status ParseDeps(const YAML::Node& node, const YAML::Mark& key_mark, FeatureDefinition* feature) const;
  Result<FeatureDependency> ParseDependency(const YAML::Node& node) const;
  Status ParseRename(const YAML::Node& node, const YAML::Mark& key_mark,
                     FeatureDependency* dependency) const;
  Status ParseFields(const YAML::Node& node, const YAML::Mark& key_mark, FeatureDefinition* feature) const;
  Result<FieldDefinition> ParseField(const YAML::Node& node) const;
  Status ParseFieldDeps(const YAML::Node& node, const YAML::Mark& key_mark, FieldDefinition* field) const;
  Status ParseLineage(const YAML::Node& node, const YAML::Mark& key_mark, Lineage* lineage) const;

  std::string path_;
};

Result<std::string> FeatureFileParser::KeyOf(const YAML::const_iterator& entry) const {
  if (!entry->first.IsScalar()) return Error(entry->first.Mark(), "keys must be plain names");
  return entry->first.Scalar();
}

Result<std::string> FeatureFileParser::Text(const YAML::Node& node, const YAML::Mark& key_mark,
                                            const std::string& what) const {
  if (!node.IsScalar() || node.Scalar().empty()) {
    return Error(ValueMark(node, key_mark), what + " must be a non-empty single value");
  }
  if (node.Scalar().size() > kFeatureTextBytesMax) {
    return Error(node.Mark(), what + " is longer than " + std::to_string(kFeatureTextBytesMax) +
                                  " bytes");
  }
  return node.Scalar();
}

Result<std::vector<std::string>> FeatureFileParser::TextList(const YAML::Node& node,
                                                             const YAML::Mark& key_mark,
                                                             const std::string& what) const {
  if (!node.IsSequence()) return Error(ValueMark(node, key_mark), what + " must be a list");
  if (node.size() > kFeatureListItemsMax) {
    return Error(node.Mark(), what + " has more than " + std::to_string(kFeatureListItemsMax) +
                                  " items");
  }
  std::vector<std::string> items;
  std::set<std::string> seen;
  for (const YAML::Node& item : node) {
    MATERIA_ASSIGN_OR_RETURN(std::string text, Text(item, node.Mark(), "each item of " + what));
    if (!seen.insert(text).second) {
      return Error(item.Mark(), "'" + text + "' appears twice in " + what);
    }
    items.push_back(std::move(text));
  }
  return items;
}

Status FeatureFileParser::CheckKey(const std::string& key, const YAML::Mark& mark,
                                   const std::string& what) const {
  if (IsValidFeatureKey(key)) return Status::Ok();
  return Error(mark, "invalid " + what + " key '" + key +
                         "': use lowercase letters, digits, '_', '-' and '/' between non-empty segments");
}

Result<std::vector<FeatureDefinition>> FeatureFileParser::Parse(const std::string& content) const {
  YAML::Node root;
  try {
    root = YAML::Load(content);
  } catch (const YAML::Exception& exception) {
    YamlSyntaxError syntax = ExplainYamlError(content, exception);
    return Error(syntax.mark, syntax.message);
  }
  std::vector<FeatureDefinition> features;
  if (root.IsNull()) return features;
  if (root.IsMap()) {
    MATERIA_ASSIGN_OR_RETURN(FeatureDefinition feature, ParseFeature(root));
    features.push_back(std::move(feature));
    return features;
  }
  if (!root.IsSequence()) {
    return Error(root.Mark(), "expected a feature (a mapping with key, id_columns, deps, fields) or a list of them");
  }
  if (root.size() > kFeaturesMax) {
    return Error(root.Mark(), "more than " + std::to_string(kFeaturesMax) + " features in one file");
  }
  for (const YAML::Node& item : root) {
    MATERIA_ASSIGN_OR_RETURN(FeatureDefinition feature, ParseFeature(item));
    features.push_back(std::move(feature));
  }
  return features;
}

Result<FeatureDefinition> FeatureFileParser::ParseFeature(const YAML::Node& node) const {
  if (!node.IsMap()) {
    return Error(node.Mark(), "a feature must be a mapping with key, id_columns, deps and fields");
  }
  FeatureDefinition feature;
  feature.location = At(node.Mark());
  std::set<std::string> seen;
  bool has_fields = false;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    const YAML::Mark key_mark = entry->first.Mark();
    if (!Contains(kFeatureKeys, key)) {
      return Error(key_mark, "unknown key '" + key + "' in a feature (known keys: " +
                                 KnownKeys(kFeatureKeys) + ")");
    }
    if (!seen.insert(key).second) return Error(key_mark, "key '" + key + "' appears twice");
    has_fields = has_fields || key == "fields";
    MATERIA_RETURN_IF_ERROR(ParseFeatureKey(key, entry->second, key_mark, &feature));
  }
  if (feature.key.empty()) return Error(feature.location, "a feature has no key");
  if (feature.id_columns.empty()) {
    return Error(feature.location, "feature '" + feature.key + "' has no id_columns");
  }
  if (feature.fields.empty()) {
    if (has_fields) return Error(feature.location, "feature '" + feature.key + "' has an empty list of fields");
    FieldDefinition field;
    field.key = "default";
    field.location = feature.location;
    feature.fields.push_back(std::move(field));
  }
  // A field's explicit deps must name features this feature depends on.
  for (const FieldDefinition& field : feature.fields) {
    for (const FieldDependency& dependency : field.deps) {
      bool listed = std::any_of(feature.deps.begin(), feature.deps.end(),
                                [&](const FeatureDependency& d) { return d.feature == dependency.feature; });
      if (!listed) {
        return Error(dependency.location, "field '" + field.key + "' of feature '" + feature.key +
                                              "' depends on feature '" + dependency.feature +
                                              "', which is not in the deps of '" + feature.key + "'");
      }
    }
  }
  return feature;
}

Status FeatureFileParser::ParseFeatureKey(const std::string& key, const YAML::Node& value,
                                          const YAML::Mark& key_mark, FeatureDefinition* feature) const {
  if (key == "key") {
    MATERIA_ASSIGN_OR_RETURN(feature->key, Text(value, key_mark, "key"));
    return CheckKey(feature->key, value.Mark(), "feature");
  }
  if (key == "description") {
    if (value.IsNull()) return Status::Ok();
    MATERIA_ASSIGN_OR_RETURN(feature->description, Text(value, key_mark, "description"));
    return Status::Ok();
  }
  if (key == "id_columns") {
    MATERIA_ASSIGN_OR_RETURN(feature->id_columns, TextList(value, key_mark, "id_columns"));
    if (feature->id_columns.empty()) return Error(value.Mark(), "id_columns must not be empty");
    return Status::Ok();
  }
  if (key == "deps") return ParseDeps(value, key_mark, feature);
  if (key == "fields") return ParseFields(value, key_mark, feature);
  return ParseLineage(value, key_mark, &feature->lineage);
}

Status FeatureFileParser::ParseDeps(const YAML::Node& node, const YAML::Mark& key_mark,
                                    FeatureDefinition* feature) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) return Error(ValueMark(node, key_mark), "deps must be a list");
  if (node.size() > kFeatureDepsMax) {
    return Error(node.Mark(), "deps has more than " + std::to_string(kFeatureDepsMax) + " items");
  }
  for (const YAML::Node& item : node) {
    MATERIA_ASSIGN_OR_RETURN(FeatureDependency dependency, ParseDependency(item));
    for (const FeatureDependency& other : feature->deps) {
      if (other.feature == dependency.feature) {
        return Error(dependency.location, "dependency '" + dependency.feature + "' appears twice");
      }
    }
    feature->deps.push_back(std::move(dependency));
  }
  return Status::Ok();
}

Result<FeatureDependency> FeatureFileParser::ParseDependency(const YAML::Node& node) const {
  FeatureDependency dependency;
  dependency.location = At(node.Mark());
  if (node.IsScalar()) {
    dependency.feature = node.Scalar();
    MATERIA_RETURN_IF_ERROR(CheckKey(dependency.feature, node.Mark(), "feature"));
    return dependency;
  }
  if (!node.IsMap()) {
    return Error(node.Mark(), "a dependency must be a feature key or a mapping with 'feature'");
  }
  std::set<std::string> seen;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    const YAML::Mark key_mark = entry->first.Mark();
    const YAML::Node value = entry->second;  // a copy: `->` yields a temporary
    if (!Contains(kDependencyKeys, key)) {
      return Error(key_mark, "unknown key '" + key + "' in a dependency (known keys: " +
                                 KnownKeys(kDependencyKeys) + ")");
    }
    if (!seen.insert(key).second) return Error(key_mark, "key '" + key + "' appears twice");
    if (key == "feature") {
      MATERIA_ASSIGN_OR_RETURN(dependency.feature, Text(value, key_mark, "feature"));
      MATERIA_RETURN_IF_ERROR(CheckKey(dependency.feature, value.Mark(), "feature"));
    } else if (key == "rename") {
      MATERIA_RETURN_IF_ERROR(ParseRename(value, key_mark, &dependency));
    } else if (key == "select") {
      MATERIA_ASSIGN_OR_RETURN(dependency.select, TextList(value, key_mark, "select"));
    } else {
      MATERIA_ASSIGN_OR_RETURN(dependency.filters, TextList(value, key_mark, "filters"));
    }
  }
  if (dependency.feature.empty()) return Error(dependency.location, "a dependency has no 'feature'");
  return dependency;
}

Status FeatureFileParser::ParseRename(const YAML::Node& node, const YAML::Mark& key_mark,
                                      FeatureDependency* dependency) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return Error(ValueMark(node, key_mark), "rename must be a mapping of upstream columns to new names");
  }
  if (node.size() > kFeatureListItemsMax) {
    return Error(node.Mark(), "rename has more than " + std::to_string(kFeatureListItemsMax) + " items");
  }
  std::set<std::string> olds, news;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string from, KeyOf(entry));
    MATERIA_ASSIGN_OR_RETURN(std::string to, Text(entry->second, entry->first.Mark(), "a new column name"));
    if (from.empty()) return Error(entry->first.Mark(), "rename needs a column name");
    if (!olds.insert(from).second) {
      return Error(entry->first.Mark(), "column '" + from + "' is renamed twice");
    }
    if (!news.insert(to).second) {
      return Error(entry->second.Mark(), "two columns are renamed to '" + to + "'");
    }
    dependency->rename.emplace_back(from, to);
  }
  return Status::Ok();
}

Status FeatureFileParser::ParseFields(const YAML::Node& node, const YAML::Mark& key_mark,
                                      FeatureDefinition* feature) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) return Error(ValueMark(node, key_mark), "fields must be a list");
  if (node.size() > kFeatureFieldsMax) {
    return Error(node.Mark(), "fields has more than " + std::to_string(kFeatureFieldsMax) + " items");
  }
  for (const YAML::Node& item : node) {
    MATERIA_ASSIGN_OR_RETURN(FieldDefinition field, ParseField(item));
    if (feature->FindField(field.key) != nullptr) {
      std::string owner = feature->key.empty() ? "this feature" : "feature '" + feature->key + "'";
      return Error(field.location, "field '" + field.key + "' appears twice in " + owner);
    }
    feature->fields.push_back(std::move(field));
  }
  return Status::Ok();
}

Result<FieldDefinition> FeatureFileParser::ParseField(const YAML::Node& node) const {
  FieldDefinition field;
  field.location = At(node.Mark());
  if (node.IsScalar()) {
    field.key = node.Scalar();
    MATERIA_RETURN_IF_ERROR(CheckKey(field.key, node.Mark(), "field"));
    return field;
  }
  if (!node.IsMap()) {
    return Error(node.Mark(), "a field must be a field key or a mapping with key and code_version");
  }
  std::set<std::string> seen;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    const YAML::Mark key_mark = entry->first.Mark();
    const YAML::Node value = entry->second;  // a copy: `->` yields a temporary
    if (!Contains(kFieldKeys, key)) {
      return Error(key_mark, "unknown key '" + key + "' in a field (known keys: " +
                                 KnownKeys(kFieldKeys) + ")");
    }
    if (!seen.insert(key).second) return Error(key_mark, "key '" + key + "' appears twice");
    if (key == "key") {
      MATERIA_ASSIGN_OR_RETURN(field.key, Text(value, key_mark, "key"));
      MATERIA_RETURN_IF_ERROR(CheckKey(field.key, value.Mark(), "field"));
    } else if (key == "code_version") {
      MATERIA_ASSIGN_OR_RETURN(field.code_version, Text(value, key_mark, "code_version"));
    } else {
      MATERIA_RETURN_IF_ERROR(ParseFieldDeps(value, key_mark, &field));
    }
  }
  if (field.key.empty()) return Error(field.location, "a field has no key");
  return field;
}

Status FeatureFileParser::ParseFieldDeps(const YAML::Node& node, const YAML::Mark& key_mark,
                                         FieldDefinition* field) const {
  field->has_deps = true;
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) return Error(ValueMark(node, key_mark), "the deps of a field must be a list");
  if (node.size() > kFeatureDepsMax) {
    return Error(node.Mark(), "deps has more than " + std::to_string(kFeatureDepsMax) + " items");
  }
  for (const YAML::Node& item : node) {
    FieldDependency dependency;
    dependency.location = At(item.Mark());
    if (item.IsScalar()) {
      dependency.feature = item.Scalar();
      MATERIA_RETURN_IF_ERROR(CheckKey(dependency.feature, item.Mark(), "feature"));
    } else if (item.IsMap()) {
      std::set<std::string> seen;
      for (auto entry = item.begin(); entry != item.end(); ++entry) {
        MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
        const YAML::Mark mark = entry->first.Mark();
        if (!Contains(kFieldDependencyKeys, key)) {
          return Error(mark, "unknown key '" + key + "' in a field dependency (known keys: " +
                                 KnownKeys(kFieldDependencyKeys) + ")");
        }
        if (!seen.insert(key).second) return Error(mark, "key '" + key + "' appears twice");
        if (key == "feature") {
          MATERIA_ASSIGN_OR_RETURN(dependency.feature, Text(entry->second, mark, "feature"));
          MATERIA_RETURN_IF_ERROR(CheckKey(dependency.feature, entry->second.Mark(), "feature"));
        } else {
          MATERIA_ASSIGN_OR_RETURN(dependency.fields, TextList(entry->second, mark, "fields"));
          if (dependency.fields.empty()) {
            return Error(entry->second.Mark(), "fields must not be empty (leave it out for the default)");
          }
        }
      }
      if (dependency.feature.empty()) return Error(dependency.location, "a field dependency has no 'feature'");
    } else {
      return Error(item.Mark(), "a field dependency must be a feature key or a mapping with 'feature'");
    }
    for (const FieldDependency& other : field->deps) {
      if (other.feature == dependency.feature) {
        return Error(dependency.location, "dependency '" + dependency.feature + "' appears twice");
      }
    }
    field->deps.push_back(std::move(dependency));
  }
  return Status::Ok();
}

Status FeatureFileParser::ParseLineage(const YAML::Node& node, const YAML::Mark& key_mark,
                                       Lineage* lineage) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return Error(ValueMark(node, key_mark), "lineage must be a mapping such as {type: one_to_one}");
  }
  std::string type = "one_to_one";
  YAML::Mark type_mark = node.Mark();
  bool has_by = false;
  YAML::Mark by_mark;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    const YAML::Mark mark = entry->first.Mark();
    if (!Contains(kLineageKeys, key)) {
      return Error(mark, "unknown key '" + key + "' in lineage (known keys: " + KnownKeys(kLineageKeys) + ")");
    }
    if (key == "type") {
      MATERIA_ASSIGN_OR_RETURN(type, Text(entry->second, mark, "type"));
      type_mark = entry->second.Mark();
    } else {
      has_by = true;
      by_mark = mark;
      MATERIA_ASSIGN_OR_RETURN(lineage->by, TextList(entry->second, mark, "by"));
    }
  }
  if (type == "one_to_one") {
    lineage->type = LineageType::kOneToOne;
    if (has_by) return Error(by_mark, "lineage one_to_one takes no 'by'");
  } else if (type == "aggregation" || type == "expansion") {
    lineage->type = type == "aggregation" ? LineageType::kAggregation : LineageType::kExpansion;
    if (lineage->by.empty()) return Error(type_mark, "lineage " + type + " needs 'by' columns");
  } else {
    return Error(type_mark, "unknown lineage type '" + type + "' (use one_to_one, aggregation or expansion)");
  }
  return Status::Ok();
}

}  // namespace

const char* LineageTypeName(LineageType type) {
  switch (type) {
    case LineageType::kOneToOne: return "one_to_one";
    case LineageType::kAggregation: return "aggregation";
    case LineageType::kExpansion: return "expansion";
  }
  return "one_to_one";
}

const FieldDefinition* FeatureDefinition::FindField(const std::string& field_key) const {
  for (const FieldDefinition& field : fields) {
    if (field.key == field_key) return &field;
  }
  return nullptr;
}

bool IsValidFeatureKey(const std::string& key) {
  if (key.empty() || key.size() > kFeatureKeyLengthMax) return false;
  bool segment_empty = true;
  for (char c : key) {
    if (c == '/') {
      if (segment_empty) return false;
      segment_empty = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      segment_empty = false;
    } else {
      return false;
    }
  }
  return !segment_empty;
}

Result<std::vector<FeatureDefinition>> ParseFeatureFile(const std::string& path,
                                                        const std::string& content) {
  if (content.size() > kFeatureFileBytesMax) {
    return Status::InvalidInput(path + ": the file is " + std::to_string(content.size()) +
                                " bytes, more than the limit of " + std::to_string(kFeatureFileBytesMax));
  }
  return FeatureFileParser(path).Parse(content);
}

}  // namespace materia
