#include "run/audit.h"

#include <algorithm>

#include "base/text.h"

namespace materia {

namespace {

constexpr size_t kCellWidthMax = 40;  // longer cells are cut in the sample table

std::string Cell(const std::optional<std::string>& value) {
  if (!value) return "NULL";
  std::string text = OneLine(*value);
  if (text.size() > kCellWidthMax) text = text.substr(0, kCellWidthMax - 3) + "...";
  return text;
}

AuditOutcome RunOne(DuckConnection& connection, const Model& model, const ResolvedAudit& audit,
                    const std::string& target, const MacroContext& macros) {
  AuditOutcome outcome;
  outcome.model = model.name();
  outcome.audit = audit.display;
  outcome.blocking = audit.blocking;
  auto sql = AuditQuery(audit, target, macros);
  if (!sql.ok()) {
    outcome.error = sql.status().message();
    return outcome;
  }
  outcome.sql = *sql;
  auto count = connection.Query("SELECT count(*) FROM (" + *sql + ") AS materia_failing");
  if (!count.ok()) {
    outcome.error = OneLine(count.status().message());
    return outcome;
  }
  outcome.failing_rows = std::stoll(count->Scalar().value_or("0"));
  if (outcome.failing_rows == 0) return outcome;
  auto sample = connection.Query("SELECT * FROM (" + *sql + ") AS materia_failing LIMIT " +
                                 std::to_string(kAuditSampleRows));
  if (sample.ok()) {
    outcome.columns = sample->column_names;
    outcome.sample = sample->rows;
  }
  return outcome;
}

}  // namespace

std::vector<AuditOutcome> RunAudits(DuckConnection& connection, const Model& model,
                                    const std::string& target, const MacroContext& macros,
                                    bool in_transaction) {
  std::vector<AuditOutcome> outcomes;
  for (const ResolvedAudit& audit : model.audits) {
    outcomes.push_back(RunOne(connection, model, audit, target, macros));
    // An error at run time (a failed cast) aborts the surrounding transaction: the
    // audits after it could only report that, so they are not run.
    if (in_transaction && !outcomes.back().error.empty()) break;
  }
  return outcomes;
}

bool AnyBlockingFailure(const std::vector<AuditOutcome>& outcomes) {
  return std::any_of(outcomes.begin(), outcomes.end(), [](const AuditOutcome& outcome) {
    return (outcome.blocking && !outcome.passed()) || !outcome.error.empty();
  });
}

std::string AuditFailureLine(const AuditOutcome& outcome) {
  if (!outcome.error.empty()) {
    return "audit " + outcome.audit + " cannot run on " + outcome.model + ": " + outcome.error;
  }
  std::string line = std::string(outcome.blocking ? "audit " : "non-blocking audit ") + outcome.audit +
                     " failed on " + outcome.model + ": ";
  return line + std::to_string(outcome.failing_rows) + (outcome.failing_rows == 1 ? " row" : " rows");
}

std::string DescribeAuditOutcome(const AuditOutcome& outcome, const std::string& indent) {
  std::string text = indent + (outcome.passed() ? "audit " + outcome.audit + " passed on " + outcome.model
                                                : AuditFailureLine(outcome)) + "\n";
  if (outcome.sample.empty()) return text;
  std::vector<size_t> widths;
  for (const std::string& column : outcome.columns) widths.push_back(std::min(column.size(), kCellWidthMax));
  for (const auto& row : outcome.sample) {
    for (size_t i = 0; i < row.size() && i < widths.size(); i++) widths[i] = std::max(widths[i], Cell(row[i]).size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = indent + "  ";
    for (size_t i = 0; i < cells.size(); i++) {
      std::string cell = cells[i];
      if (i + 1 < cells.size()) cell.resize(std::max(cell.size(), widths[i]), ' ');
      out += (i ? "  " : "") + cell;
    }
    return out + "\n";
  };
  text += line(outcome.columns);
  for (const auto& row : outcome.sample) {
    std::vector<std::string> cells;
    for (const auto& value : row) cells.push_back(Cell(value));
    text += line(cells);
  }
  if (outcome.failing_rows > static_cast<int64_t>(outcome.sample.size())) {
    text += indent + "  ... " + std::to_string(outcome.failing_rows - static_cast<int64_t>(outcome.sample.size())) +
            " more\n";
  }
  return text;
}

}  // namespace materia
