#include "project/analysis_cache.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace materia {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr int kFormatVersion = 2;

Json ToJson(const QueryAnalysis& analysis) {
  Json sources = Json::array();
  for (const SourceReference& source : analysis.sources) {
    sources.push_back({{"f", source.function}, {"g", source.globs}});
  }
  return {{"t", analysis.tables},
          {"s", sources},
          {"h", analysis.tree_hash},
          {"c", analysis.select_names}};
}

QueryAnalysis FromJson(const Json& json) {
  QueryAnalysis analysis;
  analysis.tables = json.at("t").get<std::vector<std::string>>();
  for (const Json& source : json.at("s")) {
    analysis.sources.push_back(
        {source.at("f").get<std::string>(), source.at("g").get<std::vector<std::string>>()});
  }
  analysis.tree_hash = json.at("h").get<std::string>();
  analysis.select_names = json.at("c").get<std::vector<std::string>>();
  return analysis;
}

}  // namespace

AnalysisCache::AnalysisCache(std::string path, std::string salt, bool enabled)
    : path_(std::move(path)), salt_(std::move(salt)), enabled_(enabled) {
  if (!enabled_) return;
  std::ifstream in(path_);
  std::string line;
  if (!std::getline(in, line) || line != "materia-analysis-cache " +
                                              std::to_string(kFormatVersion) + " " + salt_) {
    return;
  }
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) break;
    Json json = Json::parse(line.substr(tab + 1), nullptr, false);
    if (json.is_discarded()) break;
    try {
      stored_.emplace(line.substr(0, tab), FromJson(json));
    } catch (const Json::exception&) {
      break;  // a corrupt entry ends the read; what was read stays usable
    }
  }
}

std::optional<QueryAnalysis> AnalysisCache::Find(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = stored_.find(key);
  if (found == stored_.end()) return std::nullopt;
  used_[key] = found->second;
  return found->second;
}

void AnalysisCache::Insert(const std::string& key, const QueryAnalysis& analysis) {
  std::lock_guard<std::mutex> lock(mutex_);
  used_[key] = analysis;
  changed_ = true;
}

void AnalysisCache::Save() {
  if (!enabled_) return;
  if (!changed_ && used_.size() == stored_.size()) return;
  std::error_code error;
  fs::create_directories(fs::path(path_).parent_path(), error);
  if (error) return;
  std::string temporary = path_ + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) return;
    out << "materia-analysis-cache " << kFormatVersion << " " << salt_ << "\n";
    for (const auto& [key, analysis] : used_) out << key << '\t' << ToJson(analysis).dump() << '\n';
    if (!out) return;
  }
  fs::rename(temporary, path_, error);
}

}  // namespace materia
