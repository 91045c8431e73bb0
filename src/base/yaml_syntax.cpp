#include "base/yaml_syntax.h"

#include <vector>

namespace materia {

YamlSyntaxError ExplainYamlError(std::string_view content, const YAML::Exception& error) {
  YamlSyntaxError result{error.mark, error.msg};
  // The words yaml-cpp uses when a tab indents a line; a tab elsewhere (in a block
  // scalar, or a quoted value) is valid YAML, and another error keeps its own words.
  const bool about_indentation = error.msg == "illegal map value" || error.msg == "end of map not found" ||
                                 error.msg == "illegal tab when looking for indentation";
  if (error.mark.is_null() || !about_indentation) return result;
  // Split into lines, only as far as the error's.
  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin <= content.size() && static_cast<int>(lines.size()) <= error.mark.line) {
    size_t end = content.find('\n', begin);
    if (end == std::string_view::npos) end = content.size();
    lines.push_back(content.substr(begin, end - begin));
    begin = end + 1;
  }
  // yaml-cpp marks the tab-indented line itself.
  for (int line : {error.mark.line}) {
    if (line < 0 || line >= static_cast<int>(lines.size())) continue;
    std::string_view text = lines[line];
    size_t indent = text.find_first_not_of(" \t");
    if (indent == std::string_view::npos) continue;  // blank lines hold no indentation
    size_t tab = text.substr(0, indent).find('\t');
    if (tab == std::string_view::npos) continue;
    result.mark.line = line;
    result.mark.column = static_cast<int>(tab);
    result.message = "a tab indents this line; YAML indents with spaces only";
    return result;
  }
  return result;
}

}  // namespace materia
