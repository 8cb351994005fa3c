#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/auth/login_throttle.hpp>

namespace pm::auth {
namespace {

using namespace std::chrono_literals;
using Time = std::chrono::steady_clock::time_point;

const Time kStart{std::chrono::hours(1000)};

TEST(LoginThrottleTest, BlocksAfterTheLimit) {
    LoginThrottle throttle(3, 60s);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(throttle.allowed("a@example.com", kStart + std::chrono::seconds(i)));
        throttle.record_failure("a@example.com", kStart + std::chrono::seconds(i));
    }
    EXPECT_FALSE(throttle.allowed("a@example.com", kStart + 3s));
    // Other accounts are untouched.
    EXPECT_TRUE(throttle.allowed("b@example.com", kStart + 3s));
}

TEST(LoginThrottleTest, EmailCaseDoesNotMatter) {
    LoginThrottle throttle(2, 60s);
    throttle.record_failure("Alice@Example.COM", kStart);
    throttle.record_failure("alice@example.com", kStart);
    EXPECT_FALSE(throttle.allowed("ALICE@EXAMPLE.COM", kStart));
}

TEST(LoginThrottleTest, FailuresLeaveTheWindow) {
    LoginThrottle throttle(2, 60s);
    throttle.record_failure("a@x", kStart);
    throttle.record_failure("a@x", kStart + 30s);
    EXPECT_FALSE(throttle.allowed("a@x", kStart + 59s));
    // The oldest failure leaves at start + 60s: one failure in the window, so allowed.
    EXPECT_TRUE(throttle.allowed("a@x", kStart + 60s));
    throttle.record_failure("a@x", kStart + 61s);
    EXPECT_FALSE(throttle.allowed("a@x", kStart + 62s));
    EXPECT_TRUE(throttle.allowed("a@x", kStart + 91s));
    EXPECT_TRUE(throttle.allowed("a@x", kStart + 500s));
}

TEST(LoginThrottleTest, SuccessClearsFailures) {
    LoginThrottle throttle(2, 60s);
    throttle.record_failure("a@x", kStart);
    throttle.record_failure("a@x", kStart);
    EXPECT_FALSE(throttle.allowed("a@x", kStart));
    throttle.record_success("A@X");
    EXPECT_TRUE(throttle.allowed("a@x", kStart));
    throttle.record_failure("a@x", kStart);
    EXPECT_TRUE(throttle.allowed("a@x", kStart));
}

TEST(LoginThrottleTest, TrackedAccountsAreBounded) {
    LoginThrottle throttle(1, 60s, 3);
    throttle.record_failure("a", kStart);
    throttle.record_failure("b", kStart + 1s);
    throttle.record_failure("c", kStart + 2s);
    EXPECT_FALSE(throttle.allowed("a", kStart + 3s));
    // A fourth account pushes out the one with the oldest last failure: "a".
    throttle.record_failure("d", kStart + 3s);
    EXPECT_TRUE(throttle.allowed("a", kStart + 4s));
    EXPECT_FALSE(throttle.allowed("b", kStart + 4s));
    EXPECT_FALSE(throttle.allowed("c", kStart + 4s));
    EXPECT_FALSE(throttle.allowed("d", kStart + 4s));
    // A new failure for a tracked account evicts nobody.
    throttle.record_failure("b", kStart + 5s);
    EXPECT_FALSE(throttle.allowed("c", kStart + 5s));
    // Expired accounts are swept before a live one is sacrificed.
    throttle.record_failure("e", kStart + 62s);  // b (5s) and d (3s) are live; c (2s) expired
    EXPECT_FALSE(throttle.allowed("b", kStart + 62s));
    EXPECT_FALSE(throttle.allowed("d", kStart + 62s));
    EXPECT_FALSE(throttle.allowed("e", kStart + 62s));
}

TEST(LoginThrottleTest, ManyAccountsStayBounded) {
    LoginThrottle throttle(5, 60s, 100);
    for (int i = 0; i < 4; ++i) {
        throttle.record_failure("first@x", kStart);
    }
    for (int i = 0; i < 10000; ++i) {
        throttle.record_failure("user" + std::to_string(i) + "@x",
                                kStart + std::chrono::milliseconds(i + 1));
    }
    // "first" was forgotten, so one more failure leaves it far from the limit...
    throttle.record_failure("first@x", kStart + 11s);
    EXPECT_TRUE(throttle.allowed("first@x", kStart + 11s));
    // ...while the newest accounts are still remembered.
    for (int i = 0; i < 4; ++i) {
        throttle.record_failure("user9999@x", kStart + 11s);
    }
    EXPECT_FALSE(throttle.allowed("user9999@x", kStart + 11s));
}

}  // namespace
}  // namespace pm::auth
