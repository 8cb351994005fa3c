// The ABI guard: every exception a body can throw, out-of-memory and non-std ones included,
// comes out as the right pm_status with a message, and none escapes.

#include "../src/boundary.hpp"

#include <new>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/db/errors.hpp>
#include <powermanage/eventstore/types.hpp>

namespace {

template <class Body>
std::pair<pm_status, std::string> run(Body body) {
    pm_error* error = nullptr;
    const pm_status status = pm::capi::guarded("pm_test", &error, body);
    std::string message = pm_error_message(error);
    EXPECT_EQ(pm_error_status(error), status);
    pm_error_free(error);
    return {status, message};
}

TEST(CapiBoundary, SuccessLeavesNoError) {
    pm_error* error = reinterpret_cast<pm_error*>(0x1);  // overwritten with NULL
    EXPECT_EQ(pm::capi::guarded("pm_test", &error, [] {}), PM_OK);
    EXPECT_EQ(error, nullptr);
}

TEST(CapiBoundary, MapsEachExceptionToItsStatus) {
    using pm::db::DatabaseError;
    EXPECT_EQ(run([] { throw std::bad_alloc(); }).first, PM_ERR_OUT_OF_MEMORY);
    EXPECT_EQ(run([] { throw DatabaseError("connection refused", ""); }).first, PM_ERR_UNAVAILABLE);
    EXPECT_EQ(run([] { throw DatabaseError("terminated", "08006"); }).first, PM_ERR_UNAVAILABLE);
    EXPECT_EQ(run([] { throw DatabaseError("check violated", "23514"); }).first, PM_ERR_DATABASE);
    EXPECT_EQ(run([] { throw pm::db::SchemaTooOldError("old"); }).first, PM_ERR_SCHEMA);
    EXPECT_EQ(run([] {
                  throw pm::eventstore::VersionConflict({"s", "1"},
                                                        pm::eventstore::ExpectedVersion::any(), 3);
              }).first,
              PM_ERR_VERSION_CONFLICT);
    EXPECT_EQ(run([] { throw pm::eventstore::AlreadyExists("dup", "k"); }).first,
              PM_ERR_ALREADY_EXISTS);
    EXPECT_EQ(run([] {
                  throw pm::ca::CsrError(pm::ca::CsrError::Reason::unsupported_key, "rsa 1024");
              }).first,
              PM_ERR_CSR_UNSUPPORTED_KEY);
    EXPECT_EQ(run([] { throw pm::ca::CaError("bad key"); }).first, PM_ERR_CA);
    EXPECT_EQ(run([] { throw std::invalid_argument("bad"); }).first, PM_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(run([] { throw std::logic_error("bug"); }).first, PM_ERR_INTERNAL);
    EXPECT_EQ(run([] { throw 42; }).first, PM_ERR_INTERNAL);
    EXPECT_EQ(run([] { throw pm::capi::Failure(PM_ERR_CLOSED, "closed"); }).first, PM_ERR_CLOSED);
}

TEST(CapiBoundary, MessagesNameTheFunctionAndTheCause) {
    EXPECT_EQ(run([] { throw std::invalid_argument("limit must be at least 1"); }).second,
              "pm_test: limit must be at least 1");
    EXPECT_EQ(run([] { throw 42; }).second, "pm_test: an exception of unknown type");
    // Out of memory hands out a static error (allocating a message could fail too).
    EXPECT_NE(run([] { throw std::bad_alloc(); }).second.find("out of memory"), std::string::npos);
}

TEST(CapiBoundary, TheErrorOutParameterIsOptional) {
    EXPECT_EQ(pm::capi::guarded("pm_test", nullptr, [] { throw std::bad_alloc(); }),
              PM_ERR_OUT_OF_MEMORY);
    EXPECT_EQ(pm::capi::guarded("pm_test", nullptr, [] { throw 1; }), PM_ERR_INTERNAL);
}

}  // namespace
