#pragma once

/// @file
/// @brief What every pm.v1 server puts around its handlers: authentication (bearer token,
/// `pm_access` cookie or client certificate), a per-method authorization hook, token-bucket
/// rate limits keyed by client address, request logging, Prometheus metrics, and the plain
/// `/health`, `/ready` and `/metrics` routes.
///
/// Interceptors run in the order they are added, server-wide ones (Server::add_interceptor)
/// before those scoped to the called method's service (Server::add_service_interceptor). The
/// order the reference server uses, and the one these are meant for, is
///
///     server.add_service_interceptor(svc, rpc::rate_limit(...));  // before auth: guards Login
///     server.add_service_interceptor(svc, rpc::authentication(...));
///     server.add_service_interceptor(svc, rpc::policy(...));
///
/// with svc = "pm.v1.ControlService", so that other services on the same server are not gated
/// by its authentication. A rate_limit() keyed by client address may also be server-wide, to
/// bound every caller across all services.
///
/// Each interceptor and observer here is safe to call from every I/O thread at once.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/server.hpp>
#include <powermanage/rpc/service.hpp>
#include <powermanage/rpc/status.hpp>

namespace pm::rpc {

// ---- authentication -------------------------------------------------------------------------

/// Who an authenticated call comes from.
struct Principal {
    std::string id;    ///< the user's or device's id (the JWT's `uid`, or the certificate's)
    std::string role;  ///< "admin", "user" or "device"
};

/// Checks an access token (the JWT of the control plane) and says whose it is. Any failure
/// refuses the call; see AuthenticationOptions::verifier for how its status is reported. Called
/// from every I/O thread at once. `token` stays valid until the returned task completes.
using TokenVerifier = std::function<Task<Result<Principal>>(std::string_view token)>;

/// CallContext::attributes key holding the principal's role.
inline constexpr std::string_view kRoleAttribute = "role";
/// CallContext::attributes key saying how the call was authenticated: "bearer", "cookie" or
/// "certificate"; absent on public methods.
inline constexpr std::string_view kAuthAttribute = "auth";

/// The pm.v1 methods anyone may call without credentials (wire contract 6.4): ControlService
/// Login, RefreshToken, Logout and Register.
std::set<std::string, std::less<>> default_public_methods();

/// How authentication() finds and checks credentials.
struct AuthenticationOptions {
    /// Checks bearer and cookie tokens; required. Its failures answer unauthenticated "invalid
    /// or expired token" (the caller learns nothing about why), except unavailable, internal
    /// and deadline_exceeded, which mean the check itself could not run: those pass through,
    /// so that a client retries instead of discarding a good token.
    TokenVerifier verifier;
    /// Full method names ("pm.v1.ControlService.Login") that skip authentication.
    std::set<std::string, std::less<>> public_methods = default_public_methods();
    /// The cookie carrying the access token when there is no Authorization header.
    std::string cookie_name = "pm_access";
    /// Whether a call without a token may authenticate by its connection's verified client
    /// certificate: the server's identity mapper result (CallContext::peer_identity) becomes
    /// the principal, with `peer_identity_role`. A token, when sent, is checked instead.
    bool peer_identity_as_principal = false;
    /// The role of a principal taken from a client certificate.
    std::string peer_identity_role = "device";
};

/// Refuses calls without valid credentials (reference server 2.1, wire contract 6.4):
///   - `Authorization: Bearer <token>` (scheme in any case). Any other Authorization value,
///     or several Authorization fields, answer unauthenticated "invalid authorization header
///     format"; an empty one counts as absent.
///   - Without it, the `pm_access` cookie (every Cookie field; quoted values unquoted).
///   - Without either, the client certificate's identity if so configured; otherwise
///     unauthenticated "missing authentication credentials".
/// On success it sets CallContext::principal to the principal's id and the attributes
/// kRoleAttribute and kAuthAttribute. Methods in `public_methods` pass untouched. Throws
/// std::invalid_argument without a verifier.
Interceptor authentication(AuthenticationOptions options);

/// The value of cookie `name` in the request's Cookie fields (HTTP/2 may split them into
/// several), following RFC 6265 5.4 leniently: pairs separated by ';', whitespace around names
/// and values ignored, one pair of double quotes around a value removed. The first match wins;
/// nullopt if there is none.
std::optional<std::string> cookie_value(const Headers& headers, std::string_view name);

// ---- authorization --------------------------------------------------------------------------

/// Decides whether a call may proceed, typically from ctx.method and the kRoleAttribute.
/// Returns ok to allow; a denial should be permission_denied. Called from every I/O thread at
/// once.
using PolicyCheck = std::function<Status(const CallContext&)>;

/// Runs `check` on every call (after authentication, when added after it). A status that is not
/// ok refuses the call with it; an empty message becomes "permission denied". Public methods
/// reach `check` too, with an empty principal: allow them there. Throws std::invalid_argument
/// for an empty check.
Interceptor policy(PolicyCheck check);

// ---- rate limits ----------------------------------------------------------------------------

/// A token bucket: `requests` calls in a burst, refilled evenly over `per` (so also the
/// sustained rate), e.g. {10, std::chrono::minutes(1)}.
struct RateLimit {
    std::uint32_t requests = 0;                           ///< bucket size, > 0
    std::chrono::seconds per = std::chrono::seconds(60);  ///< time to refill it, > 0
    friend bool operator==(const RateLimit&, const RateLimit&) = default;  ///< for tests
};

/// Reverse proxies whose X-Forwarded-For may be believed: addresses ("10.0.0.7", "::1") and
/// networks ("10.0.0.0/8", "fd00::/8").
class TrustedProxies {
public:
    /// None: X-Forwarded-For is never believed.
    TrustedProxies() = default;
    /// Parses the list; throws std::invalid_argument naming an entry that is not an address or
    /// network.
    explicit TrustedProxies(const std::vector<std::string>& entries);
    /// Whether `address` (textual IPv4 or IPv6) is one of them; false for anything unparsable.
    bool contains(std::string_view address) const;
    /// Whether the list is empty.
    bool empty() const { return ranges_.empty(); }

private:
    struct Range {
        std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
        int prefix = 0;                        // in bits of the 128
    };
    std::vector<Range> ranges_;
};

/// The address a call comes from, for rate limits and logs. The TCP peer's IP (without its
/// port, so that a client cannot reset its budget by reconnecting), unless the peer is a
/// trusted proxy: then X-Forwarded-For (all of its fields, in order) is read right to left,
/// skipping trusted proxies, and the first other hop is the client; if every hop is trusted,
/// the leftmost one. An entry that is not an address ends the walk at the last good hop (a
/// proxy we trust wrote everything to its right). IPv4-mapped IPv6 addresses read as IPv4.
/// IPv6 clients are keyed by their /64 when `ipv6_prefix` (a host usually owns a whole /64, so
/// keying by the full address would let it use 2^64 budgets).
std::string client_address(const CallContext& ctx, const TrustedProxies& trusted,
                           bool ipv6_prefix = true);

/// Which bucket a call draws from, besides its method: e.g. its client address (the default)
/// or its principal.
using RateLimitKey = std::function<std::string(const CallContext&)>;

/// How rate_limit() limits calls.
struct RateLimitOptions {
    /// Limits by full method name, e.g. {"pm.v1.ControlService.Login", {10, 1min}}; each method
    /// has its own bucket per key.
    std::map<std::string, RateLimit, std::less<>> per_method;
    /// The limit of every other method, sharing one bucket per key; nullopt: not limited.
    std::optional<RateLimit> other_methods;
    /// The key of a call; empty: client_address(ctx, trusted_proxies).
    RateLimitKey key;
    /// Proxies whose X-Forwarded-For the default key believes (see client_address()).
    std::vector<std::string> trusted_proxies;
    /// Most buckets kept. Past it the least recently used bucket is dropped (its key starts
    /// afresh), so memory stays bounded under a flood of new keys; keep it well above the
    /// number of clients active within a refill period.
    std::size_t max_keys = 100000;
    /// Time source for the buckets; nullptr: the system clock. Must outlive the limiter.
    const Clock* clock = nullptr;
};

/// Token buckets per (method, key); see RateLimitOptions. A bucket idle long enough to have
/// refilled is the same as none, so such buckets are dropped as calls come in. Thread-safe.
class RateLimiter {
public:
    /// Throws std::invalid_argument for a limit of 0 requests or a period of 0 seconds, or an
    /// unparsable trusted proxy.
    explicit RateLimiter(RateLimitOptions options);
    ~RateLimiter();
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    /// Takes a token for this call: ok, or resource_exhausted saying when to retry (and a
    /// Retry-After response header in whole seconds on ctx). Calls of unlimited methods pass
    /// without touching any bucket.
    Status admit(CallContext& ctx);
    /// Buckets held now.
    std::size_t key_count() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// An interceptor answering with RateLimiter::admit(). Add it first, so that floods are turned
/// away before any token is checked.
Interceptor rate_limit(std::shared_ptr<RateLimiter> limiter);
/// Same, with a limiter of its own.
Interceptor rate_limit(RateLimitOptions options);

// ---- observers ------------------------------------------------------------------------------

/// Logs one line per finished call: method, protocol, codec, HTTP version, code, duration in
/// milliseconds, remote address, and principal and role when known. Never headers, tokens,
/// cookies, bodies or status messages (which may quote the request). Info level; warn for
/// internal, unknown and data_loss. `logger` must outlive the server.
CallObserver request_logging(Logger& logger);

/// Call counters by method and code, a latency histogram by method and the server's
/// connection count, in the Prometheus text exposition format (version 0.0.4). Thread-safe.
class Metrics {
public:
    /// Upper bounds of the latency histogram's buckets, in seconds (+Inf is implied).
    static constexpr std::array<double, 14> kLatencyBuckets = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    /// Counts one finished call of `method` (full name).
    void observe(std::string_view method, Code code, std::chrono::nanoseconds duration);
    /// Where the connection gauge comes from (e.g. Server::connection_count); unset: no gauge.
    void set_connection_source(std::function<std::size_t()> source);
    /// Calls of `method` that finished with `code` so far.
    std::uint64_t count(std::string_view method, Code code) const;
    /// Everything, as Prometheus scrapes it: pm_rpc_server_handled_total{method,code}
    /// (counter), pm_rpc_server_handling_seconds{method} (histogram) and
    /// pm_rpc_server_connections (gauge).
    std::string prometheus_text() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// An observer feeding `metrics`, which must outlive the server.
CallObserver metrics_observer(Metrics& metrics);

/// A plain route answering metrics.prometheus_text() with the Prometheus content type.
std::function<PlainResponse()> metrics_route(Metrics& metrics);

/// Serves `metrics` at `path` on `server` and takes its connection gauge from
/// server.connection_count(). Calls are counted only once metrics_observer(metrics) is added
/// as an observer too. Both must outlive the serving.
void mount_metrics(Server& server, Metrics& metrics, std::string path = "/metrics");

// ---- health ---------------------------------------------------------------------------------

/// `/health`: 200 "ok" while the process serves at all (reference server 1.9).
std::function<PlainResponse()> health_route();

/// What a readiness check says: ready or not, and why (shown to the prober).
using ReadinessCheck = std::function<std::pair<bool, std::string>()>;

/// `/ready`: 200 with the reason (or "ok") when `check` says ready, else 503 with the reason
/// (or "not ready"); a check that throws is 503 "readiness check failed". Throws
/// std::invalid_argument for an empty check.
std::function<PlainResponse()> readiness_route(ReadinessCheck check);

}  // namespace pm::rpc
