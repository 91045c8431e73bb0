#include "project/sql_lexer.h"

#include <cassert>

namespace materia {

namespace {

constexpr size_t kDescribedTokenCharsMax = 40;

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNonAscii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

bool IsWordStart(char c) { return IsAsciiLetter(c) || c == '_' || IsNonAscii(c); }
bool IsWordPart(char c) { return IsWordStart(c) || IsDigit(c) || c == '$'; }
bool IsMacroNamePart(char c) { return IsAsciiLetter(c) || IsDigit(c) || c == '_'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
char UpperAscii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

// Removes the surrounding quotes and turns each doubled quote into one.
std::string Undouble(std::string_view quoted, char quote) {
  assert(quoted.size() >= 2);
  std::string_view inner = quoted.substr(1, quoted.size() - 2);
  std::string value;
  value.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); i++) {
    value += inner[i];
    if (inner[i] == quote && i + 1 < inner.size() && inner[i + 1] == quote) i++;
  }
  return value;
}

std::string UnescapeBackslashes(std::string_view inner) {
  std::string value;
  value.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); i++) {
    char c = inner[i];
    if (c == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') {
      value += '\'';
      i++;
    } else if (c == '\\' && i + 1 < inner.size()) {
      char next = inner[++i];
      if (next == 'n')
        value += '\n';
      else if (next == 't')
        value += '\t';
      else if (next == 'r')
        value += '\r';
      else
        value += next;
    } else {
      value += c;
    }
  }
  return value;
}

}  // namespace

bool Token::IsSymbol(char symbol) const {
  return type == TokenType::kSymbol && text.size() == 1 && text[0] == symbol;
}

bool Token::IsWord(std::string_view lower_word) const {
  if (type != TokenType::kWord || text.size() != lower_word.size()) return false;
  for (size_t i = 0; i < text.size(); i++) {
    if (LowerAscii(text[i]) != lower_word[i]) return false;
  }
  return true;
}

SqlLexer::SqlLexer(std::string_view source, const SourceLocation& start)
    : source_(source),
      file_(start.file),
      report_positions_(start.line > 0),
      line_(start.line > 0 ? start.line : 1),
      column_(start.line > 0 && start.column > 0 ? start.column : 1) {}

char SqlLexer::Peek(size_t ahead) const {
  size_t index = position_ + ahead;
  return index < source_.size() ? source_[index] : '\0';
}

void SqlLexer::Advance(size_t count) {
  size_t end = position_ + count;
  assert(end <= source_.size());
  for (; position_ < end; position_++) {
    char c = source_[position_];
    if (c == '\n') {
      line_++;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      column_++;  // count characters, not UTF-8 continuation bytes
    }
  }
}

Status SqlLexer::ErrorHere(int line, int column, const std::string& message) const {
  SourceLocation where{file_, report_positions_ ? line : 0, report_positions_ ? column : 0};
  return ErrorAt(where, message);
}

Status SqlLexer::SkipBlockComment() {
  int line = line_;
  int column = column_;
  Advance(2);
  size_t depth = 1;
  while (position_ < source_.size()) {
    if (Peek(0) == '/' && Peek(1) == '*') {
      depth++;
      Advance(2);
    } else if (Peek(0) == '*' && Peek(1) == '/') {
      depth--;
      Advance(2);
      if (depth == 0) return Status::Ok();
    } else {
      Advance(1);
    }
  }
  return ErrorHere(line, column, "unterminated comment");
}

Status SqlLexer::SkipSpaceAndComments() {
  while (position_ < source_.size()) {
    char c = Peek(0);
    if (IsSpace(c)) {
      Advance(1);
    } else if (c == '-' && Peek(1) == '-') {
      while (position_ < source_.size() && Peek(0) != '\n') Advance(1);
    } else if (c == '/' && Peek(1) == '*') {
      MATERIA_RETURN_IF_ERROR(SkipBlockComment());
    } else {
      break;
    }
  }
  return Status::Ok();
}

// Scans from the opening quote at position_ to just after the closing one.
// `line` and `column` are where the literal starts, for the message.
Status SqlLexer::ScanQuoted(char quote, bool backslash_escapes, const char* what, int line,
                            int column) {
  Advance(1);
  while (position_ < source_.size()) {
    char c = Peek(0);
    if (backslash_escapes && c == '\\' && position_ + 1 < source_.size()) {
      Advance(2);
    } else if (c == quote && Peek(1) == quote) {
      Advance(2);
    } else if (c == quote) {
      Advance(1);
      return Status::Ok();
    } else {
      Advance(1);
    }
  }
  return ErrorHere(line, column, std::string("unterminated ") + what);
}

size_t SqlLexer::DollarTagLength() const {
  assert(Peek(0) == '$');
  size_t length = 1;
  if (IsWordStart(Peek(length)) && !IsNonAscii(Peek(length))) {
    while (IsMacroNamePart(Peek(length))) length++;
  }
  return Peek(length) == '$' ? length + 1 : 0;
}

Status SqlLexer::ScanDollarQuoted(size_t tag_length) {
  int line = line_;
  int column = column_;
  std::string_view tag = source_.substr(position_, tag_length);
  size_t close = source_.find(tag, position_ + tag_length);
  if (close == std::string_view::npos) {
    return ErrorHere(line, column, "unterminated string");
  }
  Advance(close + tag_length - position_);
  return Status::Ok();
}

void SqlLexer::ScanWhile(bool (*accept)(char)) {
  while (position_ < source_.size() && accept(Peek(0))) Advance(1);
}

// Digits, a fraction, an exponent with its sign, and letters for 0x1F or 1e9.
void SqlLexer::ScanNumber() {
  while (position_ < source_.size()) {
    char c = Peek(0);
    char previous = source_[position_ - 1];
    bool exponent_sign =
        (c == '+' || c == '-') && (previous == 'e' || previous == 'E') && IsDigit(Peek(1));
    if (!IsMacroNamePart(c) && c != '.' && !exponent_sign) break;
    if (c == '.' && Peek(1) == '.') break;  // a range such as 1..2
    Advance(1);
  }
}

Result<Token> SqlLexer::Next() {
  MATERIA_RETURN_IF_ERROR(SkipSpaceAndComments());
  Token token;
  token.offset = position_;
  token.line = line_;
  token.column = column_;
  char c = Peek(0);
  if (position_ >= source_.size()) {
    token.type = TokenType::kEnd;
  } else if (c == '\'') {
    token.type = TokenType::kString;
    MATERIA_RETURN_IF_ERROR(ScanQuoted('\'', false, "string", token.line, token.column));
  } else if ((c == 'e' || c == 'E') && Peek(1) == '\'') {
    token.type = TokenType::kString;
    Advance(1);
    MATERIA_RETURN_IF_ERROR(ScanQuoted('\'', true, "string", token.line, token.column));
  } else if (c == '"') {
    token.type = TokenType::kQuotedIdentifier;
    MATERIA_RETURN_IF_ERROR(ScanQuoted('"', false, "quoted identifier", token.line, token.column));
  } else if (c == '$' && DollarTagLength() > 0) {
    token.type = TokenType::kString;
    MATERIA_RETURN_IF_ERROR(ScanDollarQuoted(DollarTagLength()));
  } else if (c == '@' && (IsAsciiLetter(Peek(1)) || Peek(1) == '_')) {
    token.type = TokenType::kMacro;
    Advance(1);
    ScanWhile(IsMacroNamePart);
  } else if (IsWordStart(c)) {
    token.type = TokenType::kWord;
    ScanWhile(IsWordPart);
  } else if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) {
    token.type = TokenType::kNumber;
    Advance(1);
    ScanNumber();
  } else {
    token.type = TokenType::kSymbol;
    Advance(1);
  }
  token.text = source_.substr(token.offset, position_ - token.offset);
  token.end_line = line_;
  token.end_column = column_;
  return token;
}

bool IsOpening(const Token& token) {
  return token.IsSymbol('(') || token.IsSymbol('[') || token.IsSymbol('{');
}

bool IsClosing(const Token& token) {
  return token.IsSymbol(')') || token.IsSymbol(']') || token.IsSymbol('}');
}

char ClosingFor(const Token& opening) {
  if (opening.IsSymbol('(')) return ')';
  if (opening.IsSymbol('[')) return ']';
  return '}';
}

// For every opening bracket, the index of the token that closes it; other entries
// are unused. Errors name an unclosed opening or an unexpected closing bracket.
Result<std::vector<size_t>> MatchBrackets(const std::string& path,
                                          const std::vector<Token>& tokens) {
  std::vector<size_t> partners(tokens.size(), 0);
  std::vector<size_t> open;
  for (size_t i = 0; i < tokens.size(); i++) {
    const Token& token = tokens[i];
    if (IsOpening(token)) {
      if (open.size() >= kBracketDepthMax) {
        return ErrorAt(LocationOf(path, token),
                       "brackets nest deeper than " + std::to_string(kBracketDepthMax) + " levels");
      }
      open.push_back(i);
    } else if (IsClosing(token)) {
      if (open.empty() || !token.IsSymbol(ClosingFor(tokens[open.back()]))) {
        return ErrorAt(LocationOf(path, token), "unexpected " + DescribeToken(token));
      }
      partners[open.back()] = i;
      open.pop_back();
    }
  }
  if (!open.empty()) {
    const Token& unclosed = tokens[open.back()];
    return ErrorAt(LocationOf(path, unclosed), "unclosed " + DescribeToken(unclosed));
  }
  return partners;
}


Result<std::vector<Token>> Tokenize(std::string_view source, const SourceLocation& start) {
  SqlLexer lexer(source, start);
  std::vector<Token> tokens;
  tokens.reserve(source.size() / 6 + 4);  // a typical token and its space
  // Every token but the last consumes at least one byte, so this loop ends.
  for (size_t count = 0; count <= source.size(); count++) {
    MATERIA_ASSIGN_OR_RETURN(Token token, lexer.Next());
    tokens.push_back(token);
    if (token.type == TokenType::kEnd) return tokens;
  }
  return Status::Internal("the SQL tokenizer did not reach the end of its input");
}

std::string StringValue(const Token& token) {
  std::string_view text = token.text;
  if (token.type != TokenType::kString) return std::string(text);
  if (text[0] == '\'') return Undouble(text, '\'');
  if (text[0] == 'e' || text[0] == 'E') return UnescapeBackslashes(text.substr(2, text.size() - 3));
  size_t tag_length = text.find('$', 1) + 1;  // dollar-quoted: $tag$...$tag$
  return std::string(text.substr(tag_length, text.size() - 2 * tag_length));
}

std::string IdentifierValue(const Token& token) {
  if (token.type == TokenType::kQuotedIdentifier) return Undouble(token.text, '"');
  return std::string(token.text);
}

std::string DescribeToken(const Token& token) {
  if (token.type == TokenType::kEnd) return "end of file";
  std::string_view text = token.text;
  if (text.size() <= kDescribedTokenCharsMax) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kDescribedTokenCharsMax)) + "...'";
}

std::string ToUpper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = UpperAscii(c);
  return upper;
}

Status ErrorAt(const SourceLocation& where, const std::string& message) {
  std::string prefix = where.ToString();
  if (prefix.empty()) return Status::InvalidInput(message);
  return Status::InvalidInput(prefix + ": " + message);
}

SourceLocation LocationOf(const std::string& file, const Token& token) {
  return SourceLocation{file, token.line, token.column};
}

}  // namespace materia
