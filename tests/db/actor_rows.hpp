#pragma once
// What the read tests (actor_read_test, async_read_test) ask the database and check: whom a
// statement ran for, the argument it was given, and which transaction and backend ran it.
#include <string>

#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>

namespace pm::testing {

/// The actor settings a statement sees, its $1, its transaction id and its backend's pid.
inline constexpr const char* kWhoAmI =
    "SELECT current_setting('pm.actor_type', true), current_setting('pm.actor_id', true), "
    "$1::text, pg_current_xact_id()::text, pg_backend_pid()::text";

/// Checks that a kWhoAmI row ran for actor `type`/`id` with argument `argument`.
inline void expect_acted_for(const pm::db::Result& row, const std::string& type,
                             const std::string& id, const std::string& argument) {
    EXPECT_EQ(row.text(0, 0), type);
    EXPECT_EQ(row.text(0, 1), id);
    EXPECT_EQ(row.text(0, 2), argument);
}

}  // namespace pm::testing
