// The interceptors and observers of interceptors.hpp: cookie and address parsing on their own,
// then authentication, policy, rate limits, request logging, metrics and the health routes
// over real HTTP against a Server with the echo service.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/rpc/client.hpp>
#include <powermanage/rpc/interceptors.hpp>
#include <powermanage/rpc/server.hpp>

#include "http_probe.hpp"
#include "rpc_test_support.hpp"
#include "support/test_pki.hpp"

namespace pm::testing {
namespace {

using namespace std::chrono_literals;
using rpc::Code;
using rpc::Status;
using test::v1::EchoRequest;
using test::v1::EchoResponse;

constexpr const char* kUnaryPath = "/pm.test.v1.EchoService/Unary";
constexpr const char* kGoodToken = "good-token-3f9a";
constexpr const char* kAdminToken = "admin-token-77c1";

// Waits up to 5 s for `condition`: observers run after the response went out, so a client can
// see its answer before the observer has run.
bool eventually(const std::function<bool()>& condition) {
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > give_up) {
            return false;
        }
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// A context for calls of `full_method` from `remote`, for the parts tested without a server.
rpc::CallContext context_for(const std::string& full_method,
                             const std::string& remote = "127.0.0.1:40000") {
    rpc::CallContext ctx;
    ctx.method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_method);
    EXPECT_NE(ctx.method, nullptr) << full_method;
    ctx.remote_address = remote;
    return ctx;
}

// ---- parsing --------------------------------------------------------------------------------

TEST(CookieValue, FindsTheNamedCookieAmongSeveral) {
    rpc::Headers headers;
    headers.add("cookie", "theme=dark;  pm_access=abc.def.ghi ;lang=en");
    EXPECT_EQ(rpc::cookie_value(headers, "pm_access"), "abc.def.ghi");
    EXPECT_EQ(rpc::cookie_value(headers, "lang"), "en");
    EXPECT_EQ(rpc::cookie_value(headers, "missing"), std::nullopt);
}

TEST(CookieValue, UnquotesAndReadsEveryCookieField) {
    rpc::Headers headers;
    headers.add("cookie", "xpm_access=wrong; pm_access_old=wrong");
    headers.add("cookie", "broken; pm_access=\"quoted=value\"");  // HTTP/2 splits cookies
    EXPECT_EQ(rpc::cookie_value(headers, "pm_access"), "quoted=value");
}

TEST(CookieValue, FirstMatchWinsAndEmptyValuesCount) {
    rpc::Headers headers;
    headers.add("cookie", "pm_access=; pm_access=later");
    EXPECT_EQ(rpc::cookie_value(headers, "pm_access"), "");
}

TEST(TrustedProxies, ParsesAddressesAndNetworks) {
    const rpc::TrustedProxies trusted({"10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"});
    EXPECT_TRUE(trusted.contains("10.200.3.4"));
    EXPECT_TRUE(trusted.contains("192.168.1.7"));
    EXPECT_FALSE(trusted.contains("192.168.1.8"));
    EXPECT_TRUE(trusted.contains("fd12::5"));
    EXPECT_TRUE(trusted.contains("::1"));
    EXPECT_TRUE(trusted.contains("::ffff:10.1.1.1"));  // IPv4-mapped reads as IPv4
    EXPECT_FALSE(trusted.contains("11.0.0.1"));
    EXPECT_FALSE(trusted.contains("not-an-ip"));
    EXPECT_THROW(rpc::TrustedProxies({"10.0.0.0/33"}), std::invalid_argument);
    EXPECT_THROW(rpc::TrustedProxies({"proxy.example"}), std::invalid_argument);
    EXPECT_THROW(rpc::TrustedProxies({"10.0.0.0/"}), std::invalid_argument);
}

TEST(ClientAddress, IgnoresForwardedForFromUntrustedPeers) {
    auto ctx = context_for("pm.test.v1.EchoService.Unary", "203.0.113.9:5555");
    ctx.request_headers.add("x-forwarded-for", "198.51.100.1");
    EXPECT_EQ(rpc::client_address(ctx, rpc::TrustedProxies()), "203.0.113.9");
    EXPECT_EQ(rpc::client_address(ctx, rpc::TrustedProxies({"10.0.0.0/8"})), "203.0.113.9");
}

TEST(ClientAddress, TakesTheRightmostUntrustedHopFromTrustedPeers) {
    const rpc::TrustedProxies trusted({"10.0.0.0/8"});
    auto ctx = context_for("pm.test.v1.EchoService.Unary", "10.0.0.2:5555");
    // The client's own claim (left), the client as our outer proxy saw it, our inner proxy.
    ctx.request_headers.add("x-forwarded-for", "1.2.3.4, 198.51.100.7");
    ctx.request_headers.add("x-forwarded-for", "10.0.0.9");
    EXPECT_EQ(rpc::client_address(ctx, trusted), "198.51.100.7");

    auto all_trusted = context_for("pm.test.v1.EchoService.Unary", "10.0.0.2:5555");
    all_trusted.request_headers.add("x-forwarded-for", "10.1.1.1, 10.0.0.9");
    EXPECT_EQ(rpc::client_address(all_trusted, trusted), "10.1.1.1");

    auto garbage = context_for("pm.test.v1.EchoService.Unary", "10.0.0.2:5555");
    garbage.request_headers.add("x-forwarded-for", "<script>, 10.0.0.9");
    EXPECT_EQ(rpc::client_address(garbage, trusted), "10.0.0.9");

    auto ported = context_for("pm.test.v1.EchoService.Unary", "10.0.0.2:5555");
    ported.request_headers.add("x-forwarded-for", "198.51.100.7:61000, [2001:db8::1]:443");
    EXPECT_EQ(rpc::client_address(ported, trusted), "2001:db8::/64");

    auto none = context_for("pm.test.v1.EchoService.Unary", "10.0.0.2:5555");
    EXPECT_EQ(rpc::client_address(none, trusted), "10.0.0.2");
}

TEST(ClientAddress, KeysIpv6ClientsByTheirSlash64) {
    auto ctx = context_for("pm.test.v1.EchoService.Unary", "[2001:db8:1:2:aaaa::5]:443");
    EXPECT_EQ(rpc::client_address(ctx, rpc::TrustedProxies()), "2001:db8:1:2::/64");
    EXPECT_EQ(rpc::client_address(ctx, rpc::TrustedProxies(), false), "2001:db8:1:2:aaaa::5");
    auto mapped = context_for("pm.test.v1.EchoService.Unary", "[::ffff:192.0.2.1]:443");
    EXPECT_EQ(rpc::client_address(mapped, rpc::TrustedProxies()), "192.0.2.1");
}

// ---- the rate limiter alone -----------------------------------------------------------------

TEST(RateLimiter, RefillsEvenlyAndSaysWhenToRetry) {
    ManualClock clock(Clock::TimePoint(std::chrono::hours(1000)));
    rpc::RateLimitOptions options;
    options.per_method["pm.test.v1.EchoService.Unary"] = {3, 60s};
    options.clock = &clock;
    rpc::RateLimiter limiter(options);
    auto ctx = context_for("pm.test.v1.EchoService.Unary");
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(limiter.admit(ctx).ok()) << i;
    }
    const auto refused = limiter.admit(ctx);
    EXPECT_EQ(refused.code, Code::resource_exhausted);
    EXPECT_NE(refused.message.find("retry in 20 s"), std::string::npos) << refused.message;
    EXPECT_EQ(ctx.response_headers.get("retry-after"), "20");
    clock.advance(19s);
    EXPECT_FALSE(limiter.admit(ctx).ok());
    clock.advance(1s);
    EXPECT_TRUE(limiter.admit(ctx).ok());
    EXPECT_FALSE(limiter.admit(ctx).ok());
    // A clock set back gives nothing back.
    clock.advance(-30s);
    EXPECT_FALSE(limiter.admit(ctx).ok());
}

TEST(RateLimiter, MethodsHaveTheirOwnBucketsAndOthersShareOne) {
    ManualClock clock;
    rpc::RateLimitOptions options;
    options.per_method["pm.test.v1.EchoService.Unary"] = {1, 60s};
    options.other_methods = rpc::RateLimit{2, 60s};
    options.clock = &clock;
    rpc::RateLimiter limiter(options);
    auto unary = context_for("pm.test.v1.EchoService.Unary");
    auto bidi = context_for("pm.test.v1.EchoService.Bidi");
    auto server_stream = context_for("pm.test.v1.EchoService.ServerStream");
    EXPECT_TRUE(limiter.admit(unary).ok());
    EXPECT_FALSE(limiter.admit(unary).ok());
    EXPECT_TRUE(limiter.admit(bidi).ok());
    EXPECT_TRUE(limiter.admit(server_stream).ok());
    EXPECT_FALSE(limiter.admit(bidi).ok());
    EXPECT_EQ(limiter.key_count(), 2u);
}

TEST(RateLimiter, UnlimitedMethodsTouchNoBucket) {
    rpc::RateLimitOptions options;
    options.per_method["pm.test.v1.EchoService.Unary"] = {1, 60s};
    rpc::RateLimiter limiter(options);
    auto bidi = context_for("pm.test.v1.EchoService.Bidi");
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(limiter.admit(bidi).ok());
    }
    EXPECT_EQ(limiter.key_count(), 0u);
}

TEST(RateLimiter, MemoryIsBoundedByExpiryAndTheKeyCap) {
    ManualClock clock;
    rpc::RateLimitOptions options;
    options.per_method["pm.test.v1.EchoService.Unary"] = {1, 60s};
    options.max_keys = 3;
    options.clock = &clock;
    options.key = [](const rpc::CallContext& ctx) {
        return std::string(ctx.request_headers.get("x-key").value_or(""));
    };
    rpc::RateLimiter limiter(options);
    const auto call_as = [&](const std::string& key) {
        auto ctx = context_for("pm.test.v1.EchoService.Unary");
        ctx.request_headers.add("x-key", key);
        return limiter.admit(ctx).ok();
    };
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(call_as("key-" + std::to_string(i)));
        EXPECT_LE(limiter.key_count(), 3u);
    }
    // The most recent keys are still held, so still limited.
    EXPECT_FALSE(call_as("key-99"));
    // Idle for a whole period: every bucket has refilled and goes.
    clock.advance(60s);
    EXPECT_TRUE(call_as("fresh"));
    EXPECT_EQ(limiter.key_count(), 1u);
}

TEST(RateLimiter, RefusesLimitsThatCannotWork) {
    rpc::RateLimitOptions zero;
    zero.per_method["pm.test.v1.EchoService.Unary"] = {0, 60s};
    EXPECT_THROW(rpc::RateLimiter{zero}, std::invalid_argument);
    rpc::RateLimitOptions instant;
    instant.other_methods = rpc::RateLimit{5, 0s};
    EXPECT_THROW(rpc::RateLimiter{instant}, std::invalid_argument);
    rpc::RateLimitOptions bad_proxy;
    bad_proxy.trusted_proxies = {"proxy"};
    EXPECT_THROW(rpc::RateLimiter{bad_proxy}, std::invalid_argument);
}

// ---- over HTTP ------------------------------------------------------------------------------

// A fake verifier: kGoodToken is user-1 (user), kAdminToken admin-1 (admin), "outage" cannot
// be checked, anything else is invalid. Remembers the tokens it saw.
class FakeVerifier {
public:
    rpc::TokenVerifier verifier() {
        return [this](std::string_view token) -> rpc::Task<rpc::Result<rpc::Principal>> {
            std::string copy(token);  // copied before anything could suspend
            {
                std::lock_guard lock(mutex_);
                seen_.push_back(copy);
            }
            rpc::Result<rpc::Principal> result =
                Status{Code::unauthenticated, "signature mismatch for " + copy};
            if (copy == kGoodToken) {
                result = rpc::Principal{"user-1", "user"};
            } else if (copy == kAdminToken) {
                result = rpc::Principal{"admin-1", "admin"};
            } else if (copy == "outage") {
                result = Status{Code::unavailable, "revocation list unavailable"};
            }
            co_return result;
        };
    }

    std::vector<std::string> seen() {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> seen_;
};

// Who the handler would see as the caller.
struct Seen {
    std::string principal;
    std::string role;
    std::string auth;
};

class InterceptorsTest : public ::testing::Test {
protected:
    // Observers run after responses: stop the server before the members they use go.
    void TearDown() override {
        if (server_) {
            server_->stop();
        }
    }

    // A server with the echo service; `setup` adds interceptors, observers and routes. A last
    // interceptor records what the handler would see.
    void start(const std::function<void(rpc::Server&)>& setup,
               rpc::ServerOptions options = test_server_options()) {
        if (server_) {
            server_->stop();
        }
        server_ = std::make_unique<rpc::Server>(std::move(options));
        add_echo_service(*server_);
        setup(*server_);
        server_->add_interceptor([this](rpc::CallContext& ctx) -> rpc::Task<Status> {
            std::lock_guard lock(mutex_);
            const auto attribute = [&](std::string_view key) {
                const auto it = ctx.attributes.find(std::string(key));
                return it == ctx.attributes.end() ? std::string() : it->second;
            };
            seen_ =
                Seen{ctx.principal, attribute(rpc::kRoleAttribute), attribute(rpc::kAuthAttribute)};
            co_return Status{};
        });
        server_->start();
        port_ = server_->port();
    }

    // Authentication with the fake verifier; `edit` adjusts the options.
    void start_with_auth(const std::function<void(rpc::AuthenticationOptions&)>& edit = {}) {
        start([&](rpc::Server& server) {
            rpc::AuthenticationOptions options;
            options.verifier = verifier_.verifier();
            if (edit) {
                edit(options);
            }
            server.add_interceptor(rpc::authentication(std::move(options)));
        });
    }

    rpc::Client client(bool http2 = false, rpc::Codec codec = rpc::Codec::json) {
        rpc::ClientOptions options;
        options.base_url = "http://127.0.0.1:" + std::to_string(port_);
        options.http2 = http2;
        options.codec = codec;
        options.timeout = 10s;
        return rpc::Client(io_.get_executor(), std::move(options));
    }

    Status call(rpc::Client& c, const rpc::Headers& headers = {},
                const std::string& message = "hello") {
        EchoResponse response;
        auto status = run_on(io_, c.unary(kEchoUnary, echo_request(message), response, headers));
        if (status.ok()) {
            EXPECT_EQ(response.message(), message);
        }
        return status;
    }

    // One call on a fresh client of each HTTP version; both must agree.
    Status call_both(const rpc::Headers& headers) {
        auto h1 = client(false, rpc::Codec::json);
        auto h2 = client(true, rpc::Codec::proto);
        const auto first = call(h1, headers);
        const auto second = call(h2, headers);
        EXPECT_EQ(first, second) << "HTTP/1.1 and HTTP/2 disagree";
        return first;
    }

    Seen seen() {
        std::lock_guard lock(mutex_);
        return seen_;
    }

    static rpc::Headers header(const std::string& name, const std::string& value) {
        rpc::Headers headers;
        headers.add(name, value);
        return headers;
    }

    boost::asio::io_context io_;
    std::unique_ptr<rpc::Server> server_;
    std::uint16_t port_ = 0;
    FakeVerifier verifier_;
    std::mutex mutex_;
    Seen seen_;
};

TEST_F(InterceptorsTest, BearerTokenIsAccepted) {
    start_with_auth();
    EXPECT_EQ(call_both(header("authorization", std::string("Bearer ") + kGoodToken)), Status{});
    const auto who = seen();
    EXPECT_EQ(who.principal, "user-1");
    EXPECT_EQ(who.role, "user");
    EXPECT_EQ(who.auth, "bearer");
    // The scheme in any case, extra spaces around the token.
    auto c = client();
    EXPECT_EQ(call(c, header("authorization", std::string("bearer   ") + kAdminToken + " ")),
              Status{});
    EXPECT_EQ(seen().principal, "admin-1");
    EXPECT_EQ(seen().role, "admin");
    EXPECT_EQ(verifier_.seen().back(), kAdminToken);
}

TEST_F(InterceptorsTest, AccessCookieIsAcceptedWithoutAnAuthorizationHeader) {
    start_with_auth();
    EXPECT_EQ(call_both(header("cookie", std::string("theme=dark; pm_access=\"") + kGoodToken +
                                             "\"; pm_refresh=other")),
              Status{});
    EXPECT_EQ(seen().principal, "user-1");
    EXPECT_EQ(seen().auth, "cookie");
    // A raw request with two Cookie fields, as HTTP/2 clients may split them.
    const auto raw = http_request(port_, "POST", kUnaryPath,
                                  {{"content-type", "application/json"},
                                   {"cookie", "a=1"},
                                   {"cookie", std::string("pm_access=") + kGoodToken}},
                                  R"({"message":"raw"})");
    EXPECT_EQ(raw.status, 200) << raw.body;
}

TEST_F(InterceptorsTest, AuthorizationHeaderWinsOverTheCookie) {
    start_with_auth();
    rpc::Headers headers;
    headers.add("authorization", "Bearer not-valid");
    headers.add("cookie", std::string("pm_access=") + kGoodToken);
    const auto status = call_both(headers);
    EXPECT_EQ(status.code, Code::unauthenticated);
    EXPECT_EQ(status.message, "invalid or expired token");
}

TEST_F(InterceptorsTest, MalformedAuthorizationIsRefused) {
    start_with_auth();
    const std::vector<std::string> malformed = {"Basic dXNlcjpwYXNz", "Bearer", "Bearer two tokens",
                                                std::string("Token ") + kGoodToken, kGoodToken};
    for (const auto& value : malformed) {
        SCOPED_TRACE(value);
        const auto status = call_both(header("authorization", value));
        EXPECT_EQ(status.code, Code::unauthenticated);
        EXPECT_EQ(status.message, "invalid authorization header format");
    }
    // Two Authorization fields are ambiguous, even if one is good.
    const auto raw = http_request(port_, "POST", kUnaryPath,
                                  {{"content-type", "application/json"},
                                   {"authorization", std::string("Bearer ") + kGoodToken},
                                   {"authorization", "Bearer other"}},
                                  R"({"message":"raw"})");
    EXPECT_EQ(raw.status, 401);
    EXPECT_NE(raw.body.find("invalid authorization header format"), std::string::npos);
    // None of these reached the verifier.
    EXPECT_TRUE(verifier_.seen().empty());
}

TEST_F(InterceptorsTest, MissingCredentialsAreRefused) {
    start_with_auth();
    const auto status = call_both(header("cookie", "theme=dark; pm_access="));
    EXPECT_EQ(status.code, Code::unauthenticated);
    EXPECT_EQ(status.message, "missing authentication credentials");
}

TEST_F(InterceptorsTest, VerifierFailureIsUnauthenticatedWithoutDetails) {
    start_with_auth();
    const auto status = call_both(header("authorization", "Bearer forged"));
    EXPECT_EQ(status.code, Code::unauthenticated);
    EXPECT_EQ(status.message, "invalid or expired token");  // not the verifier's reason
    EXPECT_EQ(verifier_.seen().back(), "forged");
    // A verifier that could not check passes that on: the client should retry, not log out.
    EXPECT_EQ(call_both(header("authorization", "Bearer outage")).code, Code::unavailable);
}

TEST_F(InterceptorsTest, PublicMethodsSkipAuthentication) {
    start_with_auth([](rpc::AuthenticationOptions& options) {
        EXPECT_EQ(options.public_methods, rpc::default_public_methods());
        EXPECT_TRUE(options.public_methods.contains("pm.v1.ControlService.Login"));
        options.public_methods.insert(kEchoUnary);
    });
    // No credentials, and even a malformed header is not looked at.
    EXPECT_EQ(call_both({}), Status{});
    EXPECT_EQ(call_both(header("authorization", "Basic abc")), Status{});
    EXPECT_EQ(seen().principal, "");
    // The other methods still need credentials.
    auto c = client(true, rpc::Codec::proto);
    const auto status = run_on(io_, [&]() -> rpc::Task<Status> {
        auto stream = co_await c.stream(kEchoBidi);
        co_await stream->write(echo_request("hi"));
        co_await stream->close_send();
        EchoResponse response;
        while (co_await stream->read(response)) {
        }
        co_return stream->finish();
    }());
    EXPECT_EQ(status.code, Code::unauthenticated);
    EXPECT_EQ(status.message, "missing authentication credentials");
}

TEST_F(InterceptorsTest, PolicyDenialIsPermissionDenied) {
    start([&](rpc::Server& server) {
        rpc::AuthenticationOptions options;
        options.verifier = verifier_.verifier();
        server.add_interceptor(rpc::authentication(std::move(options)));
        server.add_interceptor(rpc::policy([](const rpc::CallContext& ctx) -> Status {
            if (ctx.method->name() == "Unary" && ctx.attributes.at("role") != "admin") {
                return Status{Code::permission_denied, ""};
            }
            return Status{};
        }));
    });
    const auto denied = call_both(header("authorization", std::string("Bearer ") + kGoodToken));
    EXPECT_EQ(denied.code, Code::permission_denied);
    EXPECT_EQ(denied.message, "permission denied");
    EXPECT_EQ(call_both(header("authorization", std::string("Bearer ") + kAdminToken)), Status{});
    EXPECT_THROW(rpc::policy(nullptr), std::invalid_argument);
}

TEST_F(InterceptorsTest, RateLimitRefusesAfterTheBurstAndRecoversAfterRefill) {
    ManualClock clock(Clock::TimePoint(std::chrono::hours(1000)));
    start([&](rpc::Server& server) {
        rpc::RateLimitOptions options;
        options.per_method[kEchoUnary] = {3, 60s};
        options.clock = &clock;
        server.add_interceptor(rpc::rate_limit(std::move(options)));
    });
    auto c = client();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(call(c), Status{}) << i;
    }
    const auto refused = call(c);
    EXPECT_EQ(refused.code, Code::resource_exhausted);
    EXPECT_EQ(refused.message,
              "rate limit exceeded for pm.test.v1.EchoService.Unary: retry in 20 s");
    EXPECT_EQ(c.last_response_headers().get("retry-after"), "20");
    // A new connection is the same client: the key is the address, not the port.
    auto other = client(true, rpc::Codec::proto);
    EXPECT_EQ(call(other).code, Code::resource_exhausted);
    clock.advance(20s);
    EXPECT_EQ(call(c), Status{});
    EXPECT_EQ(call(c).code, Code::resource_exhausted);
    clock.advance(60s);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(call(c), Status{}) << i;
    }
}

TEST_F(InterceptorsTest, ForwardedForIsIgnoredFromUntrustedPeers) {
    start([&](rpc::Server& server) {
        rpc::RateLimitOptions options;
        options.per_method[kEchoUnary] = {2, 3600s};
        options.trusted_proxies = {"10.0.0.0/8"};  // not the loopback the test connects from
        server.add_interceptor(rpc::rate_limit(std::move(options)));
    });
    auto c = client();
    EXPECT_EQ(call(c, header("x-forwarded-for", "198.51.100.1")), Status{});
    EXPECT_EQ(call(c, header("x-forwarded-for", "198.51.100.2")), Status{});
    EXPECT_EQ(call(c, header("x-forwarded-for", "198.51.100.3")).code, Code::resource_exhausted);
}

TEST_F(InterceptorsTest, ForwardedForIsUsedFromTrustedProxies) {
    start([&](rpc::Server& server) {
        rpc::RateLimitOptions options;
        options.per_method[kEchoUnary] = {2, 3600s};
        options.trusted_proxies = {"127.0.0.0/8"};
        server.add_interceptor(rpc::rate_limit(std::move(options)));
    });
    auto c = client();
    EXPECT_EQ(call(c, header("x-forwarded-for", "198.51.100.1")), Status{});
    EXPECT_EQ(call(c, header("x-forwarded-for", "198.51.100.1")), Status{});
    EXPECT_EQ(call(c, header("x-forwarded-for", "198.51.100.1")).code, Code::resource_exhausted);
    // A client prepending addresses of its own does not escape: the rightmost untrusted hop
    // counts.
    EXPECT_EQ(call(c, header("x-forwarded-for", "203.0.113.5, 198.51.100.1")).code,
              Code::resource_exhausted);
    // Another client behind the same proxy has its own budget.
    EXPECT_EQ(call(c, header("x-forwarded-for", "198.51.100.2")), Status{});
}

TEST_F(InterceptorsTest, RequestLogNamesTheCallAndNoSecrets) {
    std::mutex log_mutex;
    std::string log;
    Logger logger([&](std::string_view line) {
        std::lock_guard lock(log_mutex);
        log += line;
    });
    start([&](rpc::Server& server) {
        rpc::AuthenticationOptions options;
        options.verifier = verifier_.verifier();
        server.add_interceptor(rpc::authentication(std::move(options)));
        server.add_observer(rpc::request_logging(logger));
    });
    const auto read_log = [&] {
        std::lock_guard lock(log_mutex);
        return log;
    };
    rpc::Headers headers;
    headers.add("authorization", std::string("Bearer ") + kGoodToken);
    headers.add("cookie", "pm_refresh=refresh-secret-91");
    auto c = client(true, rpc::Codec::proto);
    EXPECT_EQ(call(c, headers, "body-secret-42"), Status{});
    ASSERT_TRUE(eventually([&] { return read_log().find("rpc call") != std::string::npos; }))
        << read_log();
    auto refused = client();
    EXPECT_EQ(call(refused, header("authorization", "Bearer forged-secret-13")).code,
              Code::unauthenticated);
    ASSERT_TRUE(eventually([&] { return read_log().find("unauthenticated") != std::string::npos; }))
        << read_log();
    const auto text = read_log();
    EXPECT_NE(text.find("method=pm.test.v1.EchoService.Unary"), std::string::npos) << text;
    EXPECT_NE(text.find("principal=user-1"), std::string::npos) << text;
    EXPECT_NE(text.find("role=user"), std::string::npos) << text;
    EXPECT_NE(text.find("http=2"), std::string::npos) << text;
    EXPECT_NE(text.find("http=1.1"), std::string::npos) << text;
    EXPECT_NE(text.find("code=ok"), std::string::npos) << text;
    EXPECT_NE(text.find("remote=127.0.0.1:"), std::string::npos) << text;
    for (const char* secret :
         {kGoodToken, "refresh-secret-91", "body-secret-42", "forged-secret"}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked: " << text;
    }
}

TEST_F(InterceptorsTest, MetricsAreServedInThePrometheusTextFormat) {
    rpc::Metrics metrics;
    start([&](rpc::Server& server) {
        server.add_observer(rpc::metrics_observer(metrics));
        rpc::mount_metrics(server, metrics);
    });
    auto c = client();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(call(c), Status{});
    }
    EXPECT_EQ(call(c, {}, "fail:not_found").code, Code::not_found);
    ASSERT_TRUE(eventually([&] {
        return metrics.count(kEchoUnary, Code::ok) == 3 &&
               metrics.count(kEchoUnary, Code::not_found) == 1;
    }));

    const auto response = http_request(port_, "GET", "/metrics");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    // Every line is a comment or `name{labels} value`; remember the samples.
    const std::regex sample(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")"
        R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? ([-+0-9.eE]+|\+Inf|NaN))");
    std::map<std::string, std::string> samples;
    std::istringstream lines(response.body);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
            continue;
        }
        std::smatch match;
        ASSERT_TRUE(std::regex_match(line, match, sample)) << "not a sample: " << line;
        samples[match[1].str() + match[2].str()] = match[3].str();
    }
    const std::string unary = R"(method="pm.test.v1.EchoService.Unary")";
    EXPECT_EQ(samples["pm_rpc_server_handled_total{" + unary + R"(,code="ok"})"], "3");
    EXPECT_EQ(samples["pm_rpc_server_handled_total{" + unary + R"(,code="not_found"})"], "1");
    EXPECT_EQ(samples["pm_rpc_server_handling_seconds_count{" + unary + "}"], "4");
    EXPECT_EQ(samples["pm_rpc_server_handling_seconds_bucket{" + unary + R"(,le="+Inf"})"], "4");
    EXPECT_NE(response.body.find("# TYPE pm_rpc_server_handling_seconds histogram\n"),
              std::string::npos);
    // This scrape's own connection is open while it is answered.
    ASSERT_TRUE(samples.contains("pm_rpc_server_connections"));
    EXPECT_GE(std::stoi(samples["pm_rpc_server_connections"]), 1);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
    rpc::Metrics metrics;
    metrics.observe("a.B.C", Code::ok, 300us);      // <= 0.0005
    metrics.observe("a.B.C", Code::ok, 2ms);        // <= 0.0025
    metrics.observe("a.B.C", Code::internal, 20s);  // past every bound
    const auto text = metrics.prometheus_text();
    EXPECT_NE(
        text.find("pm_rpc_server_handling_seconds_bucket{method=\"a.B.C\",le=\"0.0005\"} 1\n"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("pm_rpc_server_handling_seconds_bucket{method=\"a.B.C\",le=\"0.001\"} 1\n"),
              std::string::npos);
    EXPECT_NE(
        text.find("pm_rpc_server_handling_seconds_bucket{method=\"a.B.C\",le=\"0.0025\"} 2\n"),
        std::string::npos);
    EXPECT_NE(text.find("pm_rpc_server_handling_seconds_bucket{method=\"a.B.C\",le=\"10\"} 2\n"),
              std::string::npos);
    EXPECT_NE(text.find("pm_rpc_server_handling_seconds_bucket{method=\"a.B.C\",le=\"+Inf\"} 3\n"),
              std::string::npos);
    const std::string sum_prefix = "pm_rpc_server_handling_seconds_sum{method=\"a.B.C\"} ";
    const auto sum = text.find(sum_prefix);
    ASSERT_NE(sum, std::string::npos) << text;
    EXPECT_NEAR(std::stod(text.substr(sum + sum_prefix.size())), 20.0023, 1e-9);
    EXPECT_NE(text.find("pm_rpc_server_handled_total{method=\"a.B.C\",code=\"internal\"} 1\n"),
              std::string::npos);
    EXPECT_EQ(text.find("pm_rpc_server_connections"), std::string::npos);  // no source set
}

TEST_F(InterceptorsTest, HealthAndReadinessRoutes) {
    std::mutex ready_mutex;
    std::pair<bool, std::string> state{false, "database unreachable"};
    start([&](rpc::Server& server) {
        server.add_plain_route("/health", rpc::health_route());
        server.add_plain_route("/ready", rpc::readiness_route([&] {
                                   std::lock_guard lock(ready_mutex);
                                   return state;
                               }));
        server.add_plain_route("/ready-throws",
                               rpc::readiness_route([]() -> std::pair<bool, std::string> {
                                   throw std::runtime_error("secret connection string");
                               }));
    });
    const auto health = http_request(port_, "GET", "/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok");
    const auto not_ready = http_request(port_, "GET", "/ready");
    EXPECT_EQ(not_ready.status, 503);
    EXPECT_EQ(not_ready.body, "database unreachable");
    {
        std::lock_guard lock(ready_mutex);
        state = {true, ""};
    }
    const auto ready = http_request(port_, "GET", "/ready");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body, "ok");
    const auto throws = http_request(port_, "GET", "/ready-throws");
    EXPECT_EQ(throws.status, 503);
    EXPECT_EQ(throws.body, "readiness check failed");
}

// ---- client certificates --------------------------------------------------------------------

TEST_F(InterceptorsTest, ClientCertificateIdentityActsAsADevicePrincipal) {
    static const TestPki pki("01HZX3K5V8M2Q4R6T8W0Y2A4C6");
    auto options = test_server_options();
    rpc::TlsOptions tls;
    tls.certificate_file = pki.server_cert_file();
    tls.private_key_file = pki.server_key_file();
    tls.client_ca_file = pki.ca_file();
    tls.client_auth = rpc::TlsOptions::ClientAuth::optional;
    tls.identity_mapper = [](const rpc::PeerCertificate& cert) { return cert.subject_cn; };
    options.tls = std::move(tls);
    start(
        [&](rpc::Server& server) {
            rpc::AuthenticationOptions auth;
            auth.verifier = verifier_.verifier();
            auth.peer_identity_as_principal = true;
            server.add_interceptor(rpc::authentication(std::move(auth)));
        },
        std::move(options));
    const auto tls_client = [&](bool with_certificate) {
        rpc::ClientOptions client_options;
        client_options.base_url = "https://127.0.0.1:" + std::to_string(port_);
        client_options.ca_file = pki.ca_file();
        if (with_certificate) {
            client_options.certificate_file = pki.client_cert_file();
            client_options.private_key_file = pki.client_key_file();
        }
        client_options.timeout = 10s;
        return rpc::Client(io_.get_executor(), std::move(client_options));
    };
    auto device = tls_client(true);
    EXPECT_EQ(call(device), Status{});
    EXPECT_EQ(seen().principal, pki.client_cn());
    EXPECT_EQ(seen().role, "device");
    EXPECT_EQ(seen().auth, "certificate");
    // A token, when sent, is what counts.
    EXPECT_EQ(call(device, header("authorization", std::string("Bearer ") + kAdminToken)),
              Status{});
    EXPECT_EQ(seen().principal, "admin-1");
    // Without a certificate there is nothing to go by.
    auto anonymous = tls_client(false);
    EXPECT_EQ(call(anonymous).code, Code::unauthenticated);
}

}  // namespace
}  // namespace pm::testing
