// Clearer words for yaml-cpp's syntax errors where its own mislead the user.
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/exceptions.h>

namespace materia {

struct YamlSyntaxError {
  YAML::Mark mark;
  std::string message;
};

// The position and message to report for `error`, raised while loading `content`.
// A tab in the indentation of the line yaml-cpp marks with "illegal map value", "end of
// map not found" or "illegal tab when looking for indentation" is reported at the tab:
// "a tab indents this line; YAML indents with spaces only". Other errors are returned
// as yaml-cpp gives them.
YamlSyntaxError ExplainYamlError(std::string_view content, const YAML::Exception& error);

}  // namespace materia
