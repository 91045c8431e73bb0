#include "project/macros.h"

#include <array>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

#include "project/sql_lexer.h"

namespace materia {

namespace {

constexpr const char* kVarUsage = "@VAR needs a variable name, e.g. @VAR('landing_dir')";
constexpr const char* kVarArguments =
    "@VAR takes a name and an optional default, e.g. @VAR('n', 3)";

int64_t FloorDivide(int64_t numerator, int64_t denominator) {
  int64_t quotient = numerator / denominator;
  if ((numerator % denominator != 0) && ((numerator < 0) != (denominator < 0))) quotient--;
  return quotient;
}

std::string Quote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  return quoted + "'";
}

// The instant a time macro's prefix names, or nullopt for an unknown prefix.
std::optional<TimestampMs> PrefixInstant(std::string_view prefix, const MacroContext& context) {
  if (prefix == "start") return context.start_ms;
  if (prefix == "end") return context.end_ms - 1;  // the inclusive end
  if (prefix == "execution") return context.execution_ms;
  return std::nullopt;
}

// Renders a time macro such as "start_ds" (lower case, without '@'); nullopt when the
// name is not a time macro.
std::optional<std::string> RenderTimeMacro(std::string_view name, const MacroContext& context) {
  size_t underscore = name.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  std::optional<TimestampMs> instant = PrefixInstant(name.substr(0, underscore), context);
  if (!instant) return std::nullopt;
  std::string_view postfix = name.substr(underscore + 1);
  TimestampMs ms = *instant;
  if (postfix == "ds") return Quote(FormatDate(ms));
  if (postfix == "date") return "CAST(" + Quote(FormatDate(ms)) + " AS DATE)";
  if (postfix == "ts") return Quote(FormatTimestamp(ms));
  if (postfix == "tstz") return Quote(FormatTimestamp(ms) + "+00:00");
  if (postfix == "dt") return "CAST(" + Quote(FormatTimestamp(ms)) + " AS TIMESTAMP)";
  if (postfix == "epoch") return std::to_string(FloorDivide(ms, kMsPerSecond));
  if (postfix == "millis") return std::to_string(ms);
  return std::nullopt;
}

const std::string* FindVariable(const MacroContext& context, const std::string& name) {
  auto found = context.variables.find(name);
  if (found == context.variables.end()) found = context.variables.find(ToLower(name));
  return found == context.variables.end() ? nullptr : &found->second;
}

// What one macro renders to, and the index of its last token.
struct Expansion {
  std::string text;
  size_t last_token = 0;
};

class MacroRenderer {
 public:
  MacroRenderer(const std::string& sql, const MacroContext& context, const SourceLocation& location,
                std::vector<Token> tokens)
      : sql_(sql), context_(context), location_(location), tokens_(std::move(tokens)) {}

  Result<std::string> Render();

 private:
  Result<Expansion> Expand(size_t index) const;
  Result<Expansion> ExpandVariable(size_t index) const;
  Result<size_t> FindCloseParenthesis(size_t open, std::vector<size_t>* commas) const;
  Status Error(const Token& token, const std::string& message) const {
    int line = location_.line > 0 ? token.line : 0;
    return ErrorAt(SourceLocation{location_.file, line, line > 0 ? token.column : 0}, message);
  }

  const std::string& sql_;
  const MacroContext& context_;
  const SourceLocation& location_;
  std::vector<Token> tokens_;
};

Result<std::string> MacroRenderer::Render() {
  std::string rendered;
  rendered.reserve(sql_.size());
  size_t copied = 0;  // bytes of sql_ already handled
  for (size_t i = 0; i < tokens_.size(); i++) {
    if (tokens_[i].type != TokenType::kMacro) continue;
    rendered.append(sql_, copied, tokens_[i].offset - copied);
    MATERIA_ASSIGN_OR_RETURN(Expansion expansion, Expand(i));
    rendered += expansion.text;
    copied = tokens_[expansion.last_token].end_offset();
    i = expansion.last_token;
  }
  rendered.append(sql_, copied, std::string::npos);
  return rendered;
}

Result<Expansion> MacroRenderer::Expand(size_t index) const {
  const Token& macro = tokens_[index];
  std::string name = ToLower(macro.text.substr(1));
  if (name == "var") return ExpandVariable(index);
  if (std::optional<std::string> time = RenderTimeMacro(name, context_)) {
    return Expansion{*time, index};
  }
  if (name == "this_model") return Expansion{context_.this_model, index};
  if (name == "gateway") return Expansion{Quote(context_.gateway), index};
  if (const std::string* value = FindVariable(context_, name)) return Expansion{*value, index};
  return Error(macro, "unknown macro " + std::string(macro.text));
}

// Returns the index of the ')' closing the '(' at `open`, and in `commas` the
// top-level commas between them.
Result<size_t> MacroRenderer::FindCloseParenthesis(size_t open, std::vector<size_t>* commas) const {
  size_t depth = 0;
  for (size_t i = open; i < tokens_.size(); i++) {
    const Token& token = tokens_[i];
    if (token.IsSymbol('(') || token.IsSymbol('[') || token.IsSymbol('{')) depth++;
    if (token.IsSymbol(')') || token.IsSymbol(']') || token.IsSymbol('}')) depth--;
    if (depth == 0) return i;
    if (depth == 1 && token.IsSymbol(',')) commas->push_back(i);
  }
  return Error(tokens_[open], "unclosed '('");
}

// @VAR('name') or @VAR('name', default).
Result<Expansion> MacroRenderer::ExpandVariable(size_t index) const {
  const Token& macro = tokens_[index];
  size_t open = index + 1;
  if (!tokens_[open].IsSymbol('(')) return Error(macro, kVarUsage);
  std::vector<size_t> commas;
  MATERIA_ASSIGN_OR_RETURN(size_t close, FindCloseParenthesis(open, &commas));
  const Token& name = tokens_[open + 1];
  if (name.type != TokenType::kString) return Error(macro, kVarUsage);
  size_t after_name = open + 2;
  bool comma_after_name = !commas.empty() && commas[0] == after_name;
  if (after_name != close && !comma_after_name) return Error(tokens_[after_name], kVarArguments);
  if (commas.size() > 1) return Error(tokens_[commas[1]], kVarArguments);
  std::string default_value = "NULL";
  if (comma_after_name) {
    if (after_name + 1 == close) return Error(tokens_[after_name], kVarArguments);
    size_t begin = tokens_[after_name + 1].offset;
    default_value = sql_.substr(begin, tokens_[close - 1].end_offset() - begin);
  }
  const std::string* value = FindVariable(context_, StringValue(name));
  return Expansion{value != nullptr ? *value : default_value, close};
}

}  // namespace

Result<std::string> RenderMacros(const std::string& sql, const MacroContext& context,
                                 const SourceLocation& location) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(sql, location));
  MacroRenderer renderer(sql, context, location, std::move(tokens));
  return renderer.Render();
}

bool UsesTimeMacros(const std::string& sql) {
  if (sql.find('@') == std::string::npos) return false;
  MacroContext context;
  SqlLexer lexer(sql, SourceLocation{});
  // Each token but the last consumes at least one byte, so this loop ends.
  for (size_t count = 0; count <= sql.size(); count++) {
    Result<Token> token = lexer.Next();
    if (!token.ok() || token->type == TokenType::kEnd) return false;
    if (token->type != TokenType::kMacro) continue;
    if (RenderTimeMacro(ToLower(token->text.substr(1)), context)) return true;
  }
  return false;
}

}  // namespace materia
