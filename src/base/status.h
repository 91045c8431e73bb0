// Status and Result<T>: how errors travel across layers.
//
// A Status is either ok or an error with a code and a one-line message meant for a
// user ("models/a.sql:3:7: unknown kind 'FUL'"). A Result<T> holds a value or an
// error Status. Both are plain values: copyable, movable, and safe to pass between
// threads. No function in src/ throws across a layer boundary; each returns these.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace materia {

enum class StatusCode {
  kOk = 0,
  kInvalidInput,  // the user's files, flags or data are wrong
  kNotFound,      // a named thing does not exist
  kIoError,       // the file system or network failed
  kDatabaseError, // DuckDB, SQLite or Postgres reported an error
  kConflict,      // another process holds a lock, or state changed underneath
  kInternal,      // a bug: an invariant did not hold
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok

  static Status Ok() { return Status(); }
  static Status InvalidInput(std::string message) {
    return Status(StatusCode::kInvalidInput, std::move(message));
  }
  static Status NotFound(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
  }
  static Status IoError(std::string message) {
    return Status(StatusCode::kIoError, std::move(message));
  }
  static Status DatabaseError(std::string message) {
    return Status(StatusCode::kDatabaseError, std::move(message));
  }
  static Status Conflict(std::string message) {
    return Status(StatusCode::kConflict, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "prefix: message"; ok stays ok.
  Status WithPrefix(const std::string& prefix) const {
    if (ok()) return *this;
    return Status(code_, prefix + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value of T, or the error that prevented it. Constructing from an ok Status is
// a bug (asserted).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace materia

// Returns the status from the enclosing function when it is an error.
#define MATERIA_RETURN_IF_ERROR(expr)              \
  do {                                             \
    ::materia::Status materia_status_ = (expr);    \
    if (!materia_status_.ok()) return materia_status_; \
  } while (0)

#define MATERIA_CONCAT_INNER(a, b) a##b
#define MATERIA_CONCAT(a, b) MATERIA_CONCAT_INNER(a, b)

// Assigns the value of a Result expression to `lhs`, or returns its error.
#define MATERIA_ASSIGN_OR_RETURN(lhs, expr) \
  MATERIA_ASSIGN_OR_RETURN_IMPL(MATERIA_CONCAT(materia_result_, __LINE__), lhs, expr)
#define MATERIA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
