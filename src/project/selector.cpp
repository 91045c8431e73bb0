#include "project/selector.h"

#include <algorithm>
#include <set>

#include "base/text.h"
#include "project/dag.h"

namespace materia {

namespace {

constexpr size_t kSuggestionDistanceMax = 3;  // farther names are not offered as "did you mean"
constexpr size_t kTagsListedMax = 20;         // a message lists at most this many tags

// True when `text` matches `pattern`, where '*' stands for any run of characters and
// '?' for one. Iterative with one backtrack point: linear in practice, never recursive.
bool WildcardMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      p++;
      t++;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') p++;
  return p == pattern.size();
}

bool IsPattern(const std::string& text) { return text.find_first_of("*?") != std::string::npos; }

// Levenshtein distance, for "did you mean".
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) row[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean x.y?)" for the closest model name, or "".
std::string Suggestion(const Project& project, const std::string& name) {
  std::string best;
  size_t best_distance = kSuggestionDistanceMax + 1;
  for (const Model& model : project.models) {
    size_t distance = std::min(EditDistance(name, model.name()),
                               EditDistance(name, model.definition.table));
    if (distance < best_distance) {
      best_distance = distance;
      best = model.name();
    }
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

std::string Join(const std::vector<std::string>& items, size_t max_items) {
  std::string text;
  for (size_t i = 0; i < items.size() && i < max_items; i++) text += (i ? ", " : "") + items[i];
  if (items.size() > max_items) text += ", ...";
  return text;
}

// The models one selector picks before '+' expansion.
Result<std::vector<std::string>> MatchSelector(const Project& project, const Selector& selector) {
  std::vector<std::string> matched;
  if (selector.is_tag) {
    std::set<std::string> all_tags;
    for (const Model& model : project.models) {
      for (const std::string& tag : model.definition.tags) {
        all_tags.insert(tag);
        if (WildcardMatch(ToLower(selector.pattern), ToLower(tag))) {
          matched.push_back(model.name());
          break;
        }
      }
    }
    if (matched.empty()) {
      std::vector<std::string> tags(all_tags.begin(), all_tags.end());
      std::string known = tags.empty() ? "the project has no tags"
                                       : "tags in the project: " + Join(tags, kTagsListedMax);
      return Status::InvalidInput("no model has tag '" + selector.pattern + "' (selector '" +
                                  selector.text + "'; " + known + ")");
    }
    return matched;
  }
  std::string pattern = ToLower(selector.pattern);
  if (IsPattern(pattern)) {
    bool bare = pattern.find('.') == std::string::npos;  // dim_* matches serving.dim_x
    for (const Model& model : project.models) {
      if (WildcardMatch(pattern, model.name()) ||
          (bare && WildcardMatch(pattern, model.definition.table))) {
        matched.push_back(model.name());
      }
    }
    if (matched.empty()) {
      return Status::InvalidInput("selector '" + selector.text + "' matches no model");
    }
    return matched;
  }
  auto resolved = ResolveModelName(project, selector.pattern);
  if (!resolved.ok()) {
    // Name the selector too: the user may have typed several.
    std::string message = resolved.status().message();
    if (selector.text != selector.pattern) {
      std::string quoted = "'" + selector.pattern + "'";
      size_t at = message.find(quoted);
      if (at != std::string::npos) {
        message.insert(at + quoted.size(), " in selector '" + selector.text + "'");
      }
    }
    return Status::InvalidInput(message);
  }
  matched.push_back(*resolved);
  return matched;
}

// Splits an argument into selectors on white space.
std::vector<std::string> SplitWords(const std::string& expression) {
  std::vector<std::string> words;
  std::string word;
  for (char c : expression) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace

Result<Selector> ParseSelector(const std::string& text) {
  Selector selector;
  selector.text = text;
  std::string_view body = text;
  if (!body.empty() && body.front() == '+') {
    selector.upstream = true;
    body.remove_prefix(1);
  }
  if (!body.empty() && body.back() == '+') {
    selector.downstream = true;
    body.remove_suffix(1);
  }
  if (body.find(',') != std::string_view::npos) {
    return Status::InvalidInput("selector '" + text +
                                "': separate selectors with spaces (they are unioned)");
  }
  if (body.empty()) return Status::InvalidInput("empty selector '" + text + "'");
  constexpr std::string_view kTagPrefix = "tag:";
  if (body.size() >= kTagPrefix.size() && ToLower(body.substr(0, kTagPrefix.size())) == kTagPrefix) {
    selector.is_tag = true;
    body.remove_prefix(kTagPrefix.size());
    if (body.empty()) return Status::InvalidInput("empty tag in selector '" + text + "'");
  }
  selector.pattern = std::string(body);
  return selector;
}

Result<std::string> ResolveModelName(const Project& project, const std::string& name) {
  std::string lower = ToLower(name);
  if (project.Find(lower)) return lower;
  if (lower.find('.') == std::string::npos) {
    std::vector<std::string> candidates;
    for (const Model& model : project.models) {
      if (model.definition.table == lower) candidates.push_back(model.name());
    }
    std::sort(candidates.begin(), candidates.end());
    if (candidates.size() == 1) return candidates[0];
    if (candidates.size() > 1) {
      return Status::InvalidInput("model name '" + name + "' is ambiguous: " +
                                  Join(candidates, candidates.size()));
    }
  }
  return Status::InvalidInput("unknown model '" + name + "'" + Suggestion(project, lower));
}

std::vector<std::string> Upstream(const Project& project, const std::vector<std::string>& names) {
  std::set<std::string> wanted(names.begin(), names.end());
  std::set<std::string> ancestors;
  // Children come after their parents: walking backwards sees every child first.
  for (auto it = project.models.rbegin(); it != project.models.rend(); ++it) {
    if (!wanted.count(it->name()) && !ancestors.count(it->name())) continue;
    ancestors.insert(it->parents.begin(), it->parents.end());
  }
  std::vector<std::string> out;
  for (const Model& model : project.models) {
    if (ancestors.count(model.name()) && !wanted.count(model.name())) out.push_back(model.name());
  }
  return out;
}

Result<std::vector<std::string>> SelectModels(const Project& project,
                                              const std::vector<std::string>& expressions) {
  std::vector<std::string> words;
  for (const std::string& expression : expressions) {
    for (std::string& word : SplitWords(expression)) words.push_back(std::move(word));
  }
  std::vector<std::string> all;
  for (const Model& model : project.models) all.push_back(model.name());
  if (words.empty()) return all;
  std::set<std::string> selected;
  for (const std::string& word : words) {
    MATERIA_ASSIGN_OR_RETURN(Selector selector, ParseSelector(word));
    MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> matched, MatchSelector(project, selector));
    selected.insert(matched.begin(), matched.end());
    if (selector.upstream) {
      for (std::string& name : Upstream(project, matched)) selected.insert(std::move(name));
    }
    if (selector.downstream) {
      for (std::string& name : Downstream(project, matched)) selected.insert(std::move(name));
    }
  }
  std::vector<std::string> out;
  for (std::string& name : all) {
    if (selected.count(name)) out.push_back(std::move(name));
  }
  return out;
}

}  // namespace materia
