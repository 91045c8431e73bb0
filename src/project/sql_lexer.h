// A small SQL tokenizer for model files and macro rendering. It splits text into
// words, quoted identifiers, string literals, numbers, @macros and one-character
// symbols, skips whitespace and comments, and records where each token starts and
// ends (1-based line and column; columns count UTF-8 characters, a tab is one).
//
// It knows just enough of DuckDB's lexical rules to tell what is inside a string, a
// quoted identifier or a comment: '...' with '' escapes, E'...' with backslash
// escapes, $$...$$ and $tag$...$tag$, "..." with "" escapes, -- line comments and
// nested /* */ comments. It knows no keywords and builds no tree.
//
// Tokens point into the source text, which must outlive them. A lexer is used by one
// thread at a time; the free functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text.h"
#include "project/model.h"

namespace materia {

enum class TokenType {
  kWord,              // select, ds, raw_table, 2nd_column is not one (a number, then a word)
  kQuotedIdentifier,  // "My Column"
  kString,            // 'text', E'te\'xt', $$text$$
  kNumber,            // 42, 3.14, 1e9, 0x1F
  kMacro,             // @start_ds (the '@' and the name)
  kSymbol,            // any other single character: ( ) [ ] { } , ; . = + - ...
  kEnd,               // the end of the source; always the last token
};

struct Token {
  TokenType type = TokenType::kEnd;
  std::string_view text;  // exactly as written, quotes included; empty for kEnd
  size_t offset = 0;      // byte offset of the first character in the source
  int line = 0;           // where the token starts
  int column = 0;
  int end_line = 0;  // just after the token's last character
  int end_column = 0;

  size_t end_offset() const { return offset + text.size(); }
  bool IsSymbol(char symbol) const;
  // True for a kWord equal to `lower_word` ignoring case.
  bool IsWord(std::string_view lower_word) const;
};

class SqlLexer {
 public:
  // `start` says where the first character of `source` is in its file, for token
  // positions and messages. With start.line == 0 positions are counted from 1:1 but
  // messages name only the file.
  SqlLexer(std::string_view source, const SourceLocation& start);

  // Returns the next token (kEnd at the end, and again on every later call), or
  // kInvalidInput "file:line:col: unterminated string" (or "quoted identifier",
  // "comment") pointing at where the unterminated part starts.
  Result<Token> Next();

 private:
  Status SkipSpaceAndComments();
  Status SkipBlockComment();
  Status ScanQuoted(char quote, bool backslash_escapes, const char* what, int line, int column);
  Status ScanDollarQuoted(size_t tag_length);
  void ScanWhile(bool (*accept)(char));
  void ScanNumber();
  size_t DollarTagLength() const;  // 0 when no $tag$ starts here
  char Peek(size_t ahead) const;
  void Advance(size_t count);
  Status ErrorHere(int line, int column, const std::string& message) const;

  std::string_view source_;
  std::string file_;
  bool report_positions_ = true;
  size_t position_ = 0;
  int line_ = 1;
  int column_ = 1;
};

bool IsOpening(const Token& token);   // ( [ {
bool IsClosing(const Token& token);   // ) ] }
char ClosingFor(const Token& opening);

// For every opening bracket in `tokens`, the index of the token that closes it; other
// entries are unused. Errors ("path:line:col: unclosed '('", "unexpected ')'", or
// brackets nested deeper than kBracketDepthMax) point at the offending bracket.
constexpr size_t kBracketDepthMax = 1000;
Result<std::vector<size_t>> MatchBrackets(const std::string& path, const std::vector<Token>& tokens);

// Tokenizes all of `source`; the last token is kEnd. Errors as SqlLexer::Next.
Result<std::vector<Token>> Tokenize(std::string_view source, const SourceLocation& start);

// The text a kString token stands for: quotes removed, '' -> ', E-string escapes
// (\n, \t, \r, \\, \') resolved, dollar quotes removed. Other tokens: their text.
std::string StringValue(const Token& token);

// The name a kWord or kQuotedIdentifier stands for: quotes removed, "" -> ".
// Case is kept.
std::string IdentifierValue(const Token& token);

// How a token is named in messages: 'text' (cut to 40 characters) or "end of file".
std::string DescribeToken(const Token& token);

// ASCII case folding.
std::string ToUpper(std::string_view text);

// kInvalidInput "file:line:col: message", or "file: message" when where.line is 0,
// or just "message" when `where` is empty.
Status ErrorAt(const SourceLocation& where, const std::string& message);

// The location of a token in `file`.
SourceLocation LocationOf(const std::string& file, const Token& token);

}  // namespace materia
