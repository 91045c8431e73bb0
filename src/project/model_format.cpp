#include "project/model_format.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>
#include <vector>

#include "base/text.h"
#include "project/macros.h"
#include "project/model_parser.h"
#include "project/project.h"
#include "project/sql_lexer.h"

namespace materia {

namespace {

constexpr size_t kLineLengthMax = 100;  // a longer header line puts a list's items on lines
constexpr int kIndent = 2;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Keywords written in upper case. DuckDB's reserved keywords (`duckdb_keywords()`,
// category 'reserved') cannot name a column unquoted, so their case never matters
// there; the literals true, false and null keep the case they are written in. The
// type-or-function keywords are also function names (left(), glob()): upper case
// only when no '(' follows. The clause words of the last list may be
// column names too; they are tried first, and dropped when they change the tree.
const std::set<std::string, std::less<>> kReservedKeywords = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both",
    "case", "cast", "check", "collate", "column", "constraint", "create", "default",
    "deferrable", "desc", "describe", "distinct", "do", "else", "end", "except",
    "fetch", "for", "foreign", "from", "group", "having", "in", "initially", "intersect",
    "into", "lambda", "lateral", "leading", "limit", "not", "offset", "on", "only",
    "or", "order", "pivot", "pivot_longer", "pivot_wider", "placing", "primary", "qualify",
    "references", "returning", "select", "show", "some", "summarize", "symmetric", "table",
    "then", "to", "trailing", "union", "unique", "unpivot", "using", "variadic", "when",
    "where", "window", "with",
    // type-or-function keywords that are never function names
    "anti", "asof", "by", "cross", "full", "ilike", "inner", "is", "join", "like", "natural",
    "outer", "positional", "semi", "try_cast"};
const std::set<std::string, std::less<>> kKeywordsUnlessCalled = {
    "left", "right", "glob", "similar", "isnull", "notnull", "overlaps"};
const std::set<std::string, std::less<>> kClauseKeywords = {
    "over", "partition", "rows", "preceding", "following", "unbounded", "current", "nulls",
    "recursive", "materialized", "between", "exists", "interval", "ties", "within"};
const std::set<std::string, std::less<>> kClauseKeywordsUnlessCalled = {"first", "last", "range"};

// How much of the query's text is normalized; each level is tried in turn until the
// parse tree is unchanged.
enum class QueryLevel { kClauseKeywords, kReservedKeywords, kSpacing, kAsWritten };

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// `text` without the white space that ends each of its lines (the space before
// each '\n'); the last line is left alone, since a token may follow it.
std::string TrimBeforeNewlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      while (!out.empty() && IsSpace(out.back()) && out.back() != '\n') out.pop_back();
    }
    out += c;
  }
  return out;
}

// A comment's text with its line ends trimmed.
std::string TrimComment(std::string_view text) {
  std::string out = TrimBeforeNewlines(text);
  while (!out.empty() && IsSpace(out.back())) out.pop_back();
  return out;
}

// A comment between two tokens.
struct Comment {
  std::string text;           // the whole comment, "-- ..." or "/* ... */", line ends trimmed
  bool same_line = false;     // no line break between the previous token (or comment) and it
  bool blank_before = false;  // an empty line before it
};

struct Gap {
  std::vector<Comment> comments;
  bool blank_after = false;  // an empty line between the last comment and the next token
  bool has_newline = false;
};

// The comments in `text`, which holds only white space and comments (it lies between
// two tokens, so the lexer has checked that every comment is closed).
Gap ReadGap(std::string_view text) {
  Gap gap;
  size_t newlines = 0;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      newlines++;
      gap.has_newline = true;
      i++;
    } else if (IsSpace(c)) {
      i++;
    } else {
      size_t end = text.size();
      if (text.substr(i, 2) == "--") {
        end = text.find('\n', i);
        if (end == std::string_view::npos) end = text.size();
      } else if (text.substr(i, 2) == "/*") {
        int depth = 0;
        for (end = i; end < text.size(); end++) {
          if (text.substr(end, 2) == "/*") {
            depth++;
            end++;
          } else if (text.substr(end, 2) == "*/") {
            end++;
            if (--depth == 0) {
              end++;
              break;
            }
          }
        }
      }
      gap.comments.push_back({TrimComment(text.substr(i, end - i)), newlines == 0, newlines >= 2});
      newlines = 0;
      i = end;
    }
  }
  gap.blank_after = newlines >= 2;
  return gap;
}

// Moves the comments of `gap` that share the line of what came before into
// `trailing`, and the rest into `pending` (the comments waiting for the next line).
// Once comments are pending, every later one is on a line of its own: it waits too.
// Nothing follows a line comment on its line, so the comments after one wait too.
void Distribute(Gap gap, std::vector<Comment>* trailing, std::vector<Comment>* pending) {
  bool on_line = pending->empty();
  for (Comment& comment : gap.comments) {
    bool after_line_comment = !trailing->empty() && trailing->back().text.starts_with("--");
    on_line = on_line && comment.same_line && !after_line_comment;
    (on_line ? trailing : pending)->push_back(std::move(comment));
  }
}

std::string JoinTrailing(const std::vector<Comment>& comments) {
  std::string text;
  for (const Comment& comment : comments) text += " " + comment.text;
  return text;
}

std::string Spaces(int count) { return std::string(static_cast<size_t>(std::max(0, count)), ' '); }

// One header property (or kind property) as laid out: its comments and its text. The
// text's first line has no indentation; later lines carry theirs.
struct Item {
  std::string key;
  std::vector<Comment> leading;
  std::string text;
  std::vector<Comment> trailing;
};

// The items of one bracketed list, and the comments around them.
struct Group {
  std::vector<Comment> after_open;  // on the line of the opening bracket
  std::vector<Item> items;
  std::vector<Comment> before_close;
};

// A file's tokens with the text between them.
class FormatState {
 public:
  FormatState(std::string_view content, std::vector<Token> tokens)
      : content_(content), tokens_(std::move(tokens)), partners_(tokens_.size(), 0) {
    std::vector<size_t> open;
    for (size_t i = 0; i < tokens_.size(); i++) {
      if (Opens(i)) {
        open.push_back(i);
      } else if (Closes(i) && !open.empty()) {
        partners_[open.back()] = i;
        open.pop_back();
      }
    }
  }

  const Token& token(size_t i) const { return tokens_[i]; }
  size_t size() const { return tokens_.size(); }
  size_t partner(size_t i) const { return partners_[i]; }
  bool Opens(size_t i) const {
    return tokens_[i].IsSymbol('(') || tokens_[i].IsSymbol('[') || tokens_[i].IsSymbol('{');
  }
  bool Closes(size_t i) const {
    return tokens_[i].IsSymbol(')') || tokens_[i].IsSymbol(']') || tokens_[i].IsSymbol('}');
  }
  // The text between token i and token i + 1.
  std::string_view GapText(size_t i) const {
    size_t begin = tokens_[i].end_offset();
    return content_.substr(begin, tokens_[i + 1].offset - begin);
  }
  std::string_view Leading() const { return content_.substr(0, tokens_[0].offset); }
  // Tokens [begin, end) as written, comments between them included.
  std::string_view Raw(size_t begin, size_t end) const {
    size_t from = tokens_[begin].offset;
    return content_.substr(from, tokens_[end - 1].end_offset() - from);
  }
  bool HasComments(size_t begin, size_t end) const {
    for (size_t i = begin; i + 1 < end; i++) {
      for (char c : GapText(i)) {
        if (!IsSpace(c)) return true;
      }
    }
    return false;
  }
  // The index that ends the item starting at `begin`: the next ',' at this depth, or `close`.
  size_t ItemEnd(size_t begin, size_t close) const {
    size_t i = begin;
    while (i < close && !tokens_[i].IsSymbol(',')) i = Opens(i) ? partners_[i] + 1 : i + 1;
    return i;
  }
  // The column (0-based, tabs as kIndent) of token i when it starts its line, else -1.
  int LineIndent(size_t i) const {
    size_t offset = tokens_[i].offset;
    int width = 0;
    while (offset > 0) {
      char c = content_[offset - 1];
      if (c == '\n') return width;
      if (c == '\t') {
        width += kIndent;
      } else if (c == ' ' || c == '\r') {
        width += c == ' ';
      } else {
        return -1;
      }
      offset--;
    }
    return width;
  }

 private:
  std::string_view content_;
  std::vector<Token> tokens_;
  std::vector<size_t> partners_;
};

// The separator the canonical one-line form puts between two tokens: nothing inside
// brackets and before a comma, one space after a comma, else one space where the
// text had any white space.
std::string Separator(const Token& previous, const Token& next, bool had_space) {
  if (previous.IsSymbol('(') || previous.IsSymbol('[') || previous.IsSymbol('{')) return "";
  if (next.IsSymbol(')') || next.IsSymbol(']') || next.IsSymbol('}') || next.IsSymbol(',')) return "";
  if (previous.IsSymbol(',')) return " ";
  return had_space ? " " : "";
}

class Formatter {
 public:
  Formatter(const FormatState& state, const ModelDefinition& definition, bool compact_values,
            std::string query_text)
      : state_(state),
        definition_(definition),
        compact_values_(compact_values),
        query_text_(std::move(query_text)) {}

  std::string Format();

 private:
  using Render = std::function<std::string(size_t begin, size_t end, int indent)>;
  Group CollectGroup(size_t open, size_t close, int indent, const Render& render) const;
  std::string EmitGroup(const Group& group, int indent) const;
  std::string RenderProperty(size_t begin, size_t end, int indent) const;
  std::string RenderKind(size_t begin, size_t end, int indent) const;
  std::string RenderValue(const std::string& key, size_t begin, size_t end, int indent) const;
  std::string KeySeparator(size_t key) const;
  std::string Compact(size_t begin, size_t end) const;
  std::string Header(size_t* header_end, std::vector<Comment>* trailing, std::vector<Comment>* pending);
  std::string Body(size_t begin, std::vector<Comment>* header_trailing, std::vector<Comment> pending);

  const FormatState& state_;
  const ModelDefinition& definition_;
  bool compact_values_;
  std::string query_text_;  // the query as it is to be written
};

// Tokens [begin, end) on one line, without trailing commas.
std::string Formatter::Compact(size_t begin, size_t end) const {
  std::string text(state_.token(begin).text);
  for (size_t i = begin + 1; i < end; i++) {
    if (state_.token(i).IsSymbol(',') && i + 1 < end && state_.Closes(i + 1)) continue;
    text += Separator(state_.token(i - 1), state_.token(i), !state_.GapText(i - 1).empty());
    text += state_.token(i).text;
  }
  return text;
}

// A value: on one line, or a long list with one item per line; as written when it
// holds comments or its text is part of the fingerprint.
std::string Formatter::RenderValue(const std::string& key, size_t begin, size_t end, int indent) const {
  if (!compact_values_ || key == "columns" || state_.HasComments(begin, end)) {
    return std::string(state_.Raw(begin, end));
  }
  std::string line = Compact(begin, end);
  bool is_list = state_.Opens(begin) && state_.partner(begin) == end - 1 &&
                 !state_.token(begin).IsSymbol('{');
  size_t length = static_cast<size_t>(indent) + key.size() + 1 + line.size() + 1;
  if (!is_list || length <= kLineLengthMax) return line;
  std::vector<std::pair<size_t, size_t>> items;
  for (size_t item = begin + 1; item < end - 1;) {
    size_t stop = state_.ItemEnd(item, end - 1);
    items.emplace_back(item, stop);
    item = stop + 1;
  }
  if (items.size() < 2) return line;
  std::string text(state_.token(begin).text);
  text += "\n";
  for (size_t i = 0; i < items.size(); i++) {
    text += Spaces(indent + kIndent) + Compact(items[i].first, items[i].second);
    text += i + 1 < items.size() ? ",\n" : "\n";
  }
  return text + Spaces(indent) + std::string(state_.token(end - 1).text);
}

std::string Formatter::RenderProperty(size_t begin, size_t end, int indent) const {
  std::string key = ToLower(state_.token(begin).text);
  if (key == "kind") return RenderKind(begin, end, indent);
  if (begin + 1 >= end) return key;  // the parser refuses this; keep it as it is
  return key + KeySeparator(begin) + RenderValue(key, begin + 1, end, indent);
}

// What follows a property's key: one space, or the comments written there.
std::string Formatter::KeySeparator(size_t key) const {
  std::string_view gap = state_.GapText(key);
  bool commented = std::any_of(gap.begin(), gap.end(), [](char c) { return !IsSpace(c); });
  return commented ? TrimBeforeNewlines(gap) : " ";
}

// `kind NAME` or `kind NAME (` with its properties one per line `)`.
std::string Formatter::RenderKind(size_t begin, size_t end, int indent) const {
  size_t name = begin + 1;
  if (name >= end) return "kind";
  if (state_.HasComments(begin, std::min(end, name + 2))) {
    return "kind" + KeySeparator(begin) + std::string(state_.Raw(name, end));
  }
  std::string text = "kind " + ToUpper(state_.token(name).text);
  size_t open = name + 1;
  if (open >= end || !state_.Opens(open) || state_.partner(open) != end - 1) return text;
  Group group = CollectGroup(open, end - 1, indent,
                             [this](size_t b, size_t e, int i) {
                               std::string key = ToLower(state_.token(b).text);
                               if (b + 1 >= e) return key;
                               return key + KeySeparator(b) + RenderValue(key, b + 1, e, i);
                             });
  if (group.items.empty() && group.after_open.empty() && group.before_close.empty()) return text;
  return text + " " + EmitGroup(group, indent);
}

// The items between tokens `open` and `close` (its partner), with their comments.
Group Formatter::CollectGroup(size_t open, size_t close, int indent, const Render& render) const {
  Group group;
  std::vector<Comment> pending;
  Distribute(ReadGap(state_.GapText(open)), &group.after_open, &pending);
  for (size_t begin = open + 1; begin < close;) {
    size_t end = state_.ItemEnd(begin, close);
    Item item;
    item.key = ToLower(state_.token(begin).text);
    item.leading = std::move(pending);
    pending.clear();
    item.text = render(begin, end, indent + kIndent);
    Distribute(ReadGap(state_.GapText(end - 1)), &item.trailing, &pending);
    if (end < close) Distribute(ReadGap(state_.GapText(end)), &item.trailing, &pending);  // ','
    group.items.push_back(std::move(item));
    begin = end + 1;
  }
  group.before_close = std::move(pending);
  return group;
}

// "(" + comments, the items one per line at indent + 2, ")" at `indent`.
std::string Formatter::EmitGroup(const Group& group, int indent) const {
  std::string text = "(" + JoinTrailing(group.after_open) + "\n";
  std::string inner = Spaces(indent + kIndent);
  for (size_t i = 0; i < group.items.size(); i++) {
    const Item& item = group.items[i];
    for (const Comment& comment : item.leading) text += inner + comment.text + "\n";
    text += inner + item.text + (i + 1 < group.items.size() ? "," : "") +
            JoinTrailing(item.trailing) + "\n";
  }
  for (const Comment& comment : group.before_close) text += inner + comment.text + "\n";
  return text + Spaces(indent) + ")";
}

// Comment lines, keeping one empty line where the text had one or more.
std::string CommentLines(const std::vector<Comment>& comments, bool blank_after) {
  std::string text;
  for (size_t i = 0; i < comments.size(); i++) {
    if (i > 0 && comments[i].blank_before) text += "\n";
    text += comments[i].text + "\n";
  }
  if (!comments.empty() && blank_after) text += "\n";
  return text;
}

// The header up to its ';'; the comments after it go to `trailing` (on its line) and
// `pending` (lines before the first statement).
std::string Formatter::Header(size_t* header_end, std::vector<Comment>* trailing,
                              std::vector<Comment>* pending) {
  std::string text;
  Gap leading = ReadGap(state_.Leading());
  text += CommentLines(leading.comments, leading.blank_after);
  size_t open = 1;
  size_t close = state_.partner(open);
  Group group = CollectGroup(open, close, 0,
                             [this](size_t b, size_t e, int i) { return RenderProperty(b, e, i); });
  // Comments between MODEL and '(' go with it.
  Gap before_open = ReadGap(state_.GapText(0));
  group.after_open.insert(group.after_open.begin(), before_open.comments.begin(),
                          before_open.comments.end());
  // name first, kind second, the rest as written.
  std::stable_sort(group.items.begin(), group.items.end(), [](const Item& a, const Item& b) {
    auto rank = [](const Item& item) { return item.key == "name" ? 0 : item.key == "kind" ? 1 : 2; };
    return rank(a) < rank(b);
  });
  text += "MODEL " + EmitGroup(group, 0) + ";";
  *header_end = close;
  if (close + 1 < state_.size() && state_.token(close + 1).IsSymbol(';')) {
    Distribute(ReadGap(state_.GapText(close)), trailing, pending);  // between ')' and ';'
    *header_end = close + 1;
  }
  return text;
}

struct Statement {
  std::vector<Comment> leading;
  bool blank_after_leading = false;
  std::string text;
  std::vector<Comment> trailing;
};

std::string Formatter::Body(size_t begin, std::vector<Comment>* header_trailing,
                            std::vector<Comment> pending) {
  std::vector<Statement> statements;
  Gap after_header = ReadGap(state_.GapText(begin - 1));
  bool blank_after_pending = after_header.blank_after;
  Distribute(std::move(after_header), header_trailing, &pending);
  bool query_seen = false;
  size_t i = begin;
  while (state_.token(i).type != TokenType::kEnd) {
    std::vector<Comment>* trailing =
        statements.empty() ? header_trailing : &statements.back().trailing;
    if (state_.token(i).IsSymbol(';')) {  // an empty statement
      Gap gap = ReadGap(state_.GapText(i));
      blank_after_pending = gap.blank_after;
      Distribute(std::move(gap), trailing, &pending);
      i++;
      continue;
    }
    size_t end = i;
    while (state_.token(end).type != TokenType::kEnd && !state_.token(end).IsSymbol(';')) {
      end = state_.Opens(end) && state_.partner(end) > end ? state_.partner(end) + 1 : end + 1;
    }
    Statement statement;
    statement.leading = std::move(pending);
    statement.blank_after_leading = blank_after_pending;
    pending.clear();
    std::string raw(state_.Raw(i, end));
    if (!query_seen && raw == definition_.query) {
      query_seen = true;
      statement.text = query_text_;
    } else {
      statement.text = raw;  // pre/post statements: their text is fingerprinted
    }
    Gap after = ReadGap(state_.GapText(end - 1));
    blank_after_pending = after.blank_after;
    Distribute(std::move(after), &statement.trailing, &pending);
    if (state_.token(end).IsSymbol(';')) {
      Gap after_separator = ReadGap(state_.GapText(end));
      blank_after_pending = after_separator.blank_after;
      Distribute(std::move(after_separator), &statement.trailing, &pending);
      end++;
    }
    statements.push_back(std::move(statement));
    i = end;
  }
  std::string text;
  for (size_t s = 0; s < statements.size(); s++) {
    const Statement& statement = statements[s];
    text += "\n" + CommentLines(statement.leading, statement.blank_after_leading);
    text += statement.text + (s + 1 < statements.size() ? ";" : "") +
            JoinTrailing(statement.trailing) + "\n";
  }
  if (!pending.empty()) text += "\n" + CommentLines(pending, false);
  return text;
}

std::string Formatter::Format() {
  size_t header_end = 0;
  std::vector<Comment> header_trailing;
  std::vector<Comment> pending;
  std::string header = Header(&header_end, &header_trailing, &pending);
  std::string body = Body(header_end + 1, &header_trailing, std::move(pending));
  return header + JoinTrailing(header_trailing) + "\n" + body;
}

// ---------------------------------------------------------------------------------
// The query.

bool IsKeyword(const FormatState& state, size_t i, size_t end, QueryLevel level) {
  const Token& token = state.token(i);
  if (token.type != TokenType::kWord || level >= QueryLevel::kSpacing) return false;
  // A name after a '.' or AS, or before a '.', is an identifier whatever it spells.
  if (i > 0 && (state.token(i - 1).IsSymbol('.') || state.token(i - 1).IsWord("as"))) return false;
  bool called = i + 1 < end && state.token(i + 1).IsSymbol('(');
  if (i + 1 < end && state.token(i + 1).IsSymbol('.')) return false;
  std::string lower = ToLower(token.text);
  if (kReservedKeywords.count(lower)) return true;
  if (kKeywordsUnlessCalled.count(lower)) return !called;
  if (level != QueryLevel::kClauseKeywords) return false;
  if (kClauseKeywords.count(lower)) return true;
  return kClauseKeywordsUnlessCalled.count(lower) && !called;
}

// Re-indents the text between two tokens of the query: its first line (the rest of
// the line of the token before) keeps a comment after one space; each later line
// loses `dedent` columns of indentation, tabs at its start count kIndent; line ends
// are trimmed and runs of empty lines become one.
std::string Reindent(std::string_view gap, int dedent) {
  std::string out;
  size_t i = 0;
  bool first = true;
  while (true) {
    size_t newline = gap.find('\n', i);
    size_t stop = newline == std::string_view::npos ? gap.size() : newline;
    std::string_view line = gap.substr(i, stop - i);
    int width = 0;
    size_t at = 0;
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t' || line[at] == '\r')) {
      width += line[at] == '\t' ? kIndent : line[at] == ' ';
      at++;
    }
    line.remove_prefix(at);
    if (first) {
      if (!line.empty()) out += " " + std::string(line);
    } else if (!line.empty() || newline == std::string_view::npos) {
      out += Spaces(width - dedent) + std::string(line);
    }
    if (newline == std::string_view::npos) break;
    while (!out.empty() && IsSpace(out.back()) && out.back() != '\n') out.pop_back();
    if (!out.ends_with("\n\n")) out += '\n';
    i = newline + 1;
    first = false;
  }
  return out;
}

// The columns of indentation before the first comment of `gap` when that comment
// starts a line, else -1.
int CommentIndent(std::string_view gap) {
  size_t first = gap.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return -1;
  size_t line_start = gap.rfind('\n', first);
  if (line_start == std::string_view::npos) return -1;
  int width = 0;
  for (size_t at = line_start + 1; at < first; at++) {
    width += gap[at] == '\t' ? kIndent : gap[at] == ' ';
  }
  return width;
}

// The query, tokens [begin, end), laid out at `level`.
std::string LayOutQuery(const FormatState& state, size_t begin, size_t end, QueryLevel level) {
  if (level == QueryLevel::kAsWritten) {
    std::string text(state.token(begin).text);
    for (size_t i = begin + 1; i < end; i++) {
      text += TrimBeforeNewlines(state.GapText(i - 1));
      text += state.token(i).text;
    }
    return text;
  }
  // Indentation every line shares is dropped, so the query starts at column 0.
  int dedent = std::max(0, state.LineIndent(begin));
  for (size_t i = begin + 1; i < end; i++) {
    int indent = state.LineIndent(i);
    if (indent >= 0) dedent = std::min(dedent, indent);
    int comment = CommentIndent(state.GapText(i - 1));
    if (comment >= 0) dedent = std::min(dedent, comment);
  }
  std::string text;
  for (size_t i = begin; i < end; i++) {
    if (i > begin) {
      std::string_view gap = state.GapText(i - 1);
      Gap read = ReadGap(gap);
      if (!read.comments.empty() || read.has_newline) {
        text += Reindent(gap, dedent);
      } else {
        text += Separator(state.token(i - 1), state.token(i), !gap.empty());
      }
    }
    const Token& token = state.token(i);
    text += IsKeyword(state, i, end, level) ? ToUpper(token.text) : std::string(token.text);
  }
  return text;
}

// The parse tree hash of a query as a model renders it for analysis, or "" when it
// cannot be rendered or parsed.
std::string TreeHashOf(const std::string& query, const ModelDefinition& definition,
                       const ProjectConfig& config, SqlAnalyzer& analyzer) {
  auto rendered = RenderMacros(query, AnalysisMacroContext(config, definition.name),
                               definition.query_location);
  if (!rendered.ok()) return "";
  auto analysis = analyzer.Analyze(*rendered);
  return analysis.ok() ? analysis->tree_hash : "";
}

// The normalized query: the most normalized layout whose parse tree is the query's own.
std::string NormalizeQuery(const FormatState& state, const ModelDefinition& definition,
                           const ProjectConfig& config, SqlAnalyzer& analyzer) {
  // The query's tokens: from the one where the parser found the query, over its text.
  size_t begin = 0;
  while (begin < state.size() && state.token(begin).type != TokenType::kEnd &&
         !(state.token(begin).line == definition.query_location.line &&
           state.token(begin).column == definition.query_location.column)) {
    begin++;
  }
  if (begin >= state.size() || state.token(begin).type == TokenType::kEnd) return definition.query;
  size_t stop = state.token(begin).offset + definition.query.size();
  size_t end = begin;
  while (state.token(end).type != TokenType::kEnd && state.token(end).offset < stop) end++;
  if (state.Raw(begin, end) != definition.query) return definition.query;
  std::string original = TreeHashOf(definition.query, definition, config, analyzer);
  if (original.empty()) return LayOutQuery(state, begin, end, QueryLevel::kAsWritten);
  for (QueryLevel level : {QueryLevel::kClauseKeywords, QueryLevel::kReservedKeywords,
                           QueryLevel::kSpacing}) {
    std::string text = LayOutQuery(state, begin, end, level);
    if (text == definition.query || TreeHashOf(text, definition, config, analyzer) == original) {
      return text;
    }
  }
  return LayOutQuery(state, begin, end, QueryLevel::kAsWritten);
}

// ---------------------------------------------------------------------------------
// Checking that the layout kept the meaning.

// The token texts of `text`, which is what the parser reads of it: comments and
// spacing and trailing commas aside, and (with `fold_case`) the case of words, which
// the header parser folds for keys and kind names.
std::string TokenKey(const std::string& text, bool fold_case = true) {
  auto tokens = Tokenize(text, SourceLocation{});
  if (!tokens.ok()) return "\x01" + text;
  std::string key;
  for (size_t i = 0; i < tokens->size(); i++) {
    const Token& token = (*tokens)[i];
    const Token& next = (*tokens)[std::min(i + 1, tokens->size() - 1)];
    bool before_close = next.IsSymbol(')') || next.IsSymbol(']');
    if (token.IsSymbol(',') && before_close) continue;  // a trailing comma means nothing
    key += fold_case && token.type == TokenType::kWord ? ToLower(token.text) : std::string(token.text);
    key += '\x1f';
  }
  return key;
}

bool SameProperties(const std::map<std::string, std::string>& a,
                    const std::map<std::string, std::string>& b) {
  if (a.size() != b.size()) return false;
  for (auto left = a.begin(), right = b.begin(); left != a.end(); ++left, ++right) {
    if (left->first != right->first) return false;
    bool exact = left->first == "columns";  // fingerprinted as written
    if (exact ? left->second != right->second : TokenKey(left->second) != TokenKey(right->second)) {
      return false;
    }
  }
  return true;
}

// True when `after` is the same model as `before`: every property reads the same, the
// fingerprinted texts are identical, and the query has the same parse tree.
bool SameModel(const ModelDefinition& before, const ModelDefinition& after,
               const ProjectConfig& config, SqlAnalyzer& analyzer) {
  if (before.name != after.name || before.kind != after.kind ||
      before.time_column != after.time_column ||
      before.time_column_format != after.time_column_format || before.cron != after.cron ||
      before.batch_size != after.batch_size || before.lookback != after.lookback ||
      before.seed_path != after.seed_path || before.seed_csv_settings != after.seed_csv_settings ||
      before.pre_statements != after.pre_statements ||
      before.post_statements != after.post_statements || before.start != after.start ||
      before.end != after.end || before.owner != after.owner ||
      before.description != after.description || before.dialect != after.dialect ||
      before.tags != after.tags || before.grains != after.grains ||
      before.depends_on != after.depends_on ||
      before.column_descriptions != after.column_descriptions ||
      !SameProperties(before.properties, after.properties) ||
      !SameProperties(before.kind_properties, after.kind_properties)) {
    return false;
  }
  if (before.query == after.query) return true;
  std::string hash = TreeHashOf(before.query, before, config, analyzer);
  // A query DuckDB cannot parse is only ever re-spaced: its tokens must be the same.
  if (hash.empty()) return TokenKey(before.query, false) == TokenKey(after.query, false);
  return hash == TreeHashOf(after.query, after, config, analyzer);
}

}  // namespace

Result<std::string> FormatModelFile(const std::string& path, const std::string& content,
                                    const ProjectConfig& config, SqlAnalyzer& analyzer) {
  MATERIA_ASSIGN_OR_RETURN(ModelDefinition definition, ParseModelFile(path, content));
  std::string_view text = content;
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  MATERIA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text, SourceLocation{path, 1, 1}));
  FormatState state(text, std::move(tokens));
  std::string query;
  if (!definition.query.empty()) query = NormalizeQuery(state, definition, config, analyzer);
  // Values on one line first; as written if that ever read differently.
  for (bool compact : {true, false}) {
    std::string formatted = Formatter(state, definition, compact, query).Format();
    auto reparsed = ParseModelFile(path, formatted);
    if (reparsed.ok() && SameModel(definition, *reparsed, config, analyzer)) return formatted;
  }
  return Status::Internal(path + ": cannot be formatted without changing its meaning; left as written");
}

}  // namespace materia
