#pragma once

/// @file
/// @brief Typed database errors, so callers compare kinds and SQLSTATEs instead of messages.

#include <stdexcept>
#include <string>

namespace pm::db {

/// An error reported by PostgreSQL or by the connection to it.
class DatabaseError : public std::runtime_error {
public:
    /// `sqlstate` is the five-character SQLSTATE ("" when the connection itself failed);
    /// `constraint` names the violated constraint, when PostgreSQL reported one.
    DatabaseError(const std::string& message, std::string sqlstate, std::string constraint = {})
        : std::runtime_error(message),
          sqlstate_(std::move(sqlstate)),
          constraint_(std::move(constraint)) {}

    /// The SQLSTATE, e.g. "23505"; empty for connection failures.
    const std::string& sqlstate() const { return sqlstate_; }
    /// The constraint PostgreSQL named, if any.
    const std::string& constraint() const { return constraint_; }

    /// 23505: a unique index refused a duplicate.
    bool is_unique_violation() const { return sqlstate_ == "23505"; }
    /// Class 08, or no SQLSTATE at all: the connection is gone and the outcome may be unknown.
    bool is_connection_failure() const {
        return sqlstate_.empty() || sqlstate_.compare(0, 2, "08") == 0;
    }
    /// 40001 or 40P01: the transaction lost a race and may simply be retried.
    bool is_retryable() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

private:
    std::string sqlstate_;
    std::string constraint_;
};

/// The database schema is newer than this binary understands; upgrade the binary.
class SchemaTooNewError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The database schema lacks migrations this binary needs; run the migrations.
class SchemaTooOldError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace pm::db
