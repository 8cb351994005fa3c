// Authentication, policy, rate limits, request logging, metrics and the health routes; see
// interceptors.hpp. Only awaitable from Asio: none of this does I/O of its own.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>

#include <arpa/inet.h>
#include <google/protobuf/descriptor.h>

#include <powermanage/rpc/interceptors.hpp>

namespace pm::rpc {
namespace {

constexpr std::string_view kInvalidFormat = "invalid authorization header format";
constexpr std::string_view kMissingCredentials = "missing authentication credentials";
constexpr std::string_view kInvalidToken = "invalid or expired token";

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; };
               return lower(x) == lower(y);
           });
}

const std::string& method_name(const CallContext& ctx) {
    static const std::string unknown = "?";
    return ctx.method != nullptr ? ctx.method->full_name() : unknown;
}

// ---- authentication -------------------------------------------------------------------------

// "Bearer <token>" -> the token; nullopt for any other scheme or shape.
std::optional<std::string_view> bearer_token(std::string_view value) {
    value = trim(value);
    const auto space = value.find_first_of(" \t");
    if (space == std::string_view::npos || !iequals(value.substr(0, space), "bearer")) {
        return std::nullopt;
    }
    const auto token = trim(value.substr(space + 1));
    if (token.empty() || token.find_first_of(" \t") != std::string_view::npos) {
        return std::nullopt;
    }
    return token;
}

std::size_t field_count(const Headers& headers, std::string_view name) {
    return static_cast<std::size_t>(
        std::count_if(headers.fields().begin(), headers.fields().end(),
                      [name](const auto& field) { return field.first == name; }));
}

Status unauthenticated(std::string_view message) {
    return Status{Code::unauthenticated, std::string(message)};
}

// Codes saying the verifier could not decide, rather than that the token is bad.
bool verifier_could_not_check(Code code) {
    return code == Code::unavailable || code == Code::internal || code == Code::deadline_exceeded;
}

// A coroutine of its own (not a capturing lambda) so that its frame owns everything it uses.
// Results are named locals: see the GCC 12 note in h2_client.cpp.
Task<Status> authenticate(std::shared_ptr<const AuthenticationOptions> options, CallContext& ctx) {
    Status status;
    if (ctx.method != nullptr && options->public_methods.contains(ctx.method->full_name())) {
        co_return status;
    }
    std::string token;
    std::string_view how;
    const auto authorization = ctx.request_headers.get("authorization");
    if (field_count(ctx.request_headers, "authorization") > 1) {
        // Two credentials are ambiguous; a proxy might check one and we the other.
        status = unauthenticated(kInvalidFormat);
        co_return status;
    }
    if (authorization && !trim(*authorization).empty()) {
        const auto bearer = bearer_token(*authorization);
        if (!bearer) {
            status = unauthenticated(kInvalidFormat);
            co_return status;
        }
        token = std::string(*bearer);
        how = "bearer";
    } else if (auto cookie = cookie_value(ctx.request_headers, options->cookie_name);
               cookie && !cookie->empty()) {
        token = std::move(*cookie);
        how = "cookie";
    } else if (options->peer_identity_as_principal && !ctx.peer_identity.empty()) {
        ctx.principal = ctx.peer_identity;
        ctx.attributes[std::string(kRoleAttribute)] = options->peer_identity_role;
        ctx.attributes[std::string(kAuthAttribute)] = "certificate";
        co_return status;
    } else {
        status = unauthenticated(kMissingCredentials);
        co_return status;
    }

    auto verified = co_await options->verifier(token);
    if (!verified.ok()) {
        status = verifier_could_not_check(verified.status().code) ? verified.status()
                                                                  : unauthenticated(kInvalidToken);
        co_return status;
    }
    auto& principal = verified.value();
    if (principal.id.empty()) {
        status = unauthenticated(kInvalidToken);  // a verifier bug must not admit "nobody"
        co_return status;
    }
    ctx.principal = std::move(principal.id);
    ctx.attributes[std::string(kRoleAttribute)] = std::move(principal.role);
    ctx.attributes[std::string(kAuthAttribute)] = std::string(how);
    co_return status;
}

Task<Status> check_policy(std::shared_ptr<const PolicyCheck> check, CallContext& ctx) {
    Status status = (*check)(ctx);
    if (!status.ok() && status.message.empty()) {
        status.message = "permission denied";
    }
    co_return status;
}

Task<Status> admit_call(std::shared_ptr<RateLimiter> limiter, CallContext& ctx) {
    Status status = limiter->admit(ctx);
    co_return status;
}

// ---- addresses ------------------------------------------------------------------------------

using IpBytes = std::array<std::uint8_t, 16>;

struct Ip {
    IpBytes bytes{};  // IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d)
    bool v4 = false;
};

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// A textual IPv4 or IPv6 address (an IPv6 zone suffix is ignored); nullopt otherwise.
std::optional<Ip> parse_ip(std::string_view text) {
    if (const auto zone = text.find('%'); zone != std::string_view::npos) {
        text = text.substr(0, zone);
    }
    if (text.empty() || text.size() > 45) {  // INET6_ADDRSTRLEN - 1
        return std::nullopt;
    }
    const std::string terminated(text);
    Ip ip;
    in_addr v4{};
    if (inet_pton(AF_INET, terminated.c_str(), &v4) == 1) {
        std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), ip.bytes.begin());
        std::memcpy(ip.bytes.data() + 12, &v4, 4);
        ip.v4 = true;
        return ip;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, terminated.c_str(), &v6) == 1) {
        std::memcpy(ip.bytes.data(), &v6, 16);
        ip.v4 = std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), ip.bytes.begin());
        return ip;
    }
    return std::nullopt;
}

std::string format_ip(const Ip& ip, bool ipv6_prefix) {
    char text[INET6_ADDRSTRLEN] = {};
    if (ip.v4) {
        inet_ntop(AF_INET, ip.bytes.data() + 12, text, sizeof text);
        return text;
    }
    if (!ipv6_prefix) {
        inet_ntop(AF_INET6, ip.bytes.data(), text, sizeof text);
        return text;
    }
    auto network = ip.bytes;
    std::fill(network.begin() + 8, network.end(), std::uint8_t{0});
    inet_ntop(AF_INET6, network.data(), text, sizeof text);
    return std::string(text) + "/64";
}

// The host of "ip:port", "[v6]:port", "[v6]", a bare IPv6 address or a bare IPv4 address.
std::string_view host_of(std::string_view endpoint) {
    endpoint = trim(endpoint);
    if (endpoint.starts_with('[')) {
        const auto close = endpoint.find(']');
        return close == std::string_view::npos ? endpoint.substr(1) : endpoint.substr(1, close - 1);
    }
    const auto colon = endpoint.find(':');
    if (colon != std::string_view::npos &&
        endpoint.find(':', colon + 1) == std::string_view::npos) {
        return endpoint.substr(0, colon);  // exactly one colon: IPv4 with a port
    }
    return endpoint;
}

bool in_range(const IpBytes& address, const IpBytes& network, int prefix) {
    const int whole = prefix / 8;
    if (!std::equal(network.begin(), network.begin() + whole, address.begin())) {
        return false;
    }
    const int rest = prefix % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (address[whole] & mask) == (network[whole] & mask);
}

// ---- rate limits ----------------------------------------------------------------------------

void check_limit(const RateLimit& limit, std::string_view what) {
    if (limit.requests == 0 || limit.per.count() <= 0) {
        throw std::invalid_argument("rate limit for " + std::string(what) +
                                    " needs requests > 0 and a period > 0");
    }
}

// ---- metrics --------------------------------------------------------------------------------

constexpr std::size_t kCodeCount = static_cast<std::size_t>(Code::unauthenticated) + 1;

// Shortest round-trip digits in fixed notation, so bucket bounds read as they are written
// ("0.0005", not "5e-04"); scientific only for values too long for that.
std::string format_double(double value) {
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
    if (result.ec != std::errc()) {
        result = std::to_chars(buffer, buffer + sizeof buffer, value);
    }
    return std::string(buffer, result.ptr);
}

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
void append_label_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
}

}  // namespace

// ---- authentication -------------------------------------------------------------------------

std::set<std::string, std::less<>> default_public_methods() {
    return {"pm.v1.ControlService.Login", "pm.v1.ControlService.RefreshToken",
            "pm.v1.ControlService.Logout", "pm.v1.ControlService.Register"};
}

std::optional<std::string> cookie_value(const Headers& headers, std::string_view name) {
    for (const auto& [field, value] : headers.fields()) {
        if (field != "cookie") {
            continue;
        }
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto semicolon = rest.find(';');
            const auto pair = rest.substr(0, semicolon);
            rest = semicolon == std::string_view::npos ? std::string_view()
                                                       : rest.substr(semicolon + 1);
            const auto equals = pair.find('=');
            if (equals == std::string_view::npos || trim(pair.substr(0, equals)) != name) {
                continue;
            }
            auto cookie = trim(pair.substr(equals + 1));
            if (cookie.size() >= 2 && cookie.front() == '"' && cookie.back() == '"') {
                cookie = cookie.substr(1, cookie.size() - 2);
            }
            return std::string(cookie);
        }
    }
    return std::nullopt;
}

Interceptor authentication(AuthenticationOptions options) {
    if (!options.verifier) {
        throw std::invalid_argument("authentication() needs a token verifier");
    }
    auto shared = std::make_shared<const AuthenticationOptions>(std::move(options));
    return [shared](CallContext& ctx) { return authenticate(shared, ctx); };
}

// ---- authorization --------------------------------------------------------------------------

Interceptor policy(PolicyCheck check) {
    if (!check) {
        throw std::invalid_argument("policy() needs a check");
    }
    auto shared = std::make_shared<const PolicyCheck>(std::move(check));
    return [shared](CallContext& ctx) { return check_policy(shared, ctx); };
}

// ---- addresses ------------------------------------------------------------------------------

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
    for (const auto& entry : entries) {
        std::string_view text = trim(entry);
        int prefix = -1;
        if (const auto slash = text.find('/'); slash != std::string_view::npos) {
            const auto digits = text.substr(slash + 1);
            const auto [end, error] =
                std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
            if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
                throw std::invalid_argument("trusted proxy \"" + entry + "\": bad prefix length");
            }
            text = text.substr(0, slash);
        }
        const auto ip = parse_ip(text);
        const int bits = ip && ip->v4 ? 32 : 128;
        if (!ip || prefix > bits || (prefix < 0 && prefix != -1)) {
            throw std::invalid_argument("trusted proxy \"" + entry +
                                        "\" is not an IP address or network");
        }
        if (prefix == -1) {
            prefix = bits;
        }
        ranges_.push_back(Range{ip->bytes, ip->v4 ? prefix + 96 : prefix});
    }
}

bool TrustedProxies::contains(std::string_view address) const {
    const auto ip = parse_ip(address);
    if (!ip) {
        return false;
    }
    return std::any_of(ranges_.begin(), ranges_.end(), [&](const Range& range) {
        return in_range(ip->bytes, range.bytes, range.prefix);
    });
}

std::string client_address(const CallContext& ctx, const TrustedProxies& trusted,
                           bool ipv6_prefix) {
    const auto peer = parse_ip(host_of(ctx.remote_address));
    if (!peer) {
        return ctx.remote_address;  // not from a socket we know; key by whatever it is
    }
    if (trusted.empty() || !trusted.contains(format_ip(*peer, false))) {
        return format_ip(*peer, ipv6_prefix);
    }
    std::vector<std::string_view> hops;
    for (const auto& [name, value] : ctx.request_headers.fields()) {
        if (name != "x-forwarded-for") {
            continue;
        }
        std::string_view rest = value;
        for (;;) {
            const auto comma = rest.find(',');
            hops.push_back(rest.substr(0, comma));
            if (comma == std::string_view::npos) {
                break;
            }
            rest = rest.substr(comma + 1);
        }
    }
    Ip client = *peer;
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        const auto hop = parse_ip(host_of(*it));
        if (!hop) {
            break;  // garbage: only a client writes that, left of what our proxies appended
        }
        client = *hop;
        if (!trusted.contains(format_ip(client, false))) {
            break;
        }
    }
    return format_ip(client, ipv6_prefix);
}

// ---- rate limits ----------------------------------------------------------------------------

struct RateLimiter::Impl {
    struct Bucket {
        std::string key;  // group '|' client key
        double tokens = 0;
        Clock::TimePoint last;
        RateLimit limit;
    };

    explicit Impl(RateLimitOptions opts)
        : options(std::move(opts)),
          trusted(options.trusted_proxies),
          clock(options.clock != nullptr ? *options.clock : Clock::system()) {}

    RateLimitOptions options;
    TrustedProxies trusted;
    const Clock& clock;
    mutable std::mutex mutex;
    std::list<Bucket> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<Bucket>::iterator> index;  // views into lru

    // Buckets idle for a whole period have refilled: dropping them changes nothing. Checked
    // from the least recently used end, so the sweep costs O(1) per call on average.
    void drop_refilled(Clock::TimePoint now) {
        while (!lru.empty()) {
            const auto& oldest = lru.back();
            if (now < oldest.last || now - oldest.last < oldest.limit.per) {
                return;
            }
            index.erase(oldest.key);
            lru.pop_back();
        }
    }

    // Takes a token; the wait until one is available when there is none.
    std::optional<std::chrono::seconds> take(std::string key, const RateLimit& limit) {
        const auto now = clock.now();
        const double rate = static_cast<double>(limit.requests) /
                            static_cast<double>(limit.per.count());  // tokens per second
        std::lock_guard lock(mutex);
        drop_refilled(now);
        Bucket* bucket = nullptr;
        if (const auto it = index.find(key); it != index.end()) {
            lru.splice(lru.begin(), lru, it->second);
            bucket = &lru.front();
            // A clock set back must not hand out tokens twice: `last` never moves backwards.
            if (now > bucket->last) {
                const std::chrono::duration<double> elapsed = now - bucket->last;
                bucket->tokens = std::min(static_cast<double>(limit.requests),
                                          bucket->tokens + elapsed.count() * rate);
                bucket->last = now;
            }
        } else {
            if (lru.size() >= std::max<std::size_t>(options.max_keys, 1)) {
                index.erase(lru.back().key);
                lru.pop_back();
            }
            lru.push_front(Bucket{std::move(key), static_cast<double>(limit.requests), now, limit});
            bucket = &lru.front();
            index.emplace(bucket->key, lru.begin());
        }
        if (bucket->tokens >= 1.0) {
            bucket->tokens -= 1.0;
            return std::nullopt;
        }
        const auto wait = std::ceil((1.0 - bucket->tokens) / rate);
        return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(wait)));
    }
};

RateLimiter::RateLimiter(RateLimitOptions options) {
    for (const auto& [method, limit] : options.per_method) {
        check_limit(limit, method);
    }
    if (options.other_methods) {
        check_limit(*options.other_methods, "other methods");
    }
    impl_ = std::make_unique<Impl>(std::move(options));
}

RateLimiter::~RateLimiter() = default;

Status RateLimiter::admit(CallContext& ctx) {
    auto& impl = *impl_;
    const auto& method = method_name(ctx);
    const RateLimit* limit = nullptr;
    std::string key;
    if (const auto it = impl.options.per_method.find(method); it != impl.options.per_method.end()) {
        limit = &it->second;
        key = method;
    } else if (impl.options.other_methods) {
        limit = &*impl.options.other_methods;
        key = "*";  // no method is named "*"
    } else {
        return {};
    }
    key += '|';
    key += impl.options.key ? impl.options.key(ctx) : client_address(ctx, impl.trusted);
    const auto wait = impl.take(std::move(key), *limit);
    if (!wait) {
        return {};
    }
    const auto seconds = std::to_string(wait->count());
    ctx.response_headers.set("retry-after", seconds);
    return {Code::resource_exhausted,
            "rate limit exceeded for " + method + ": retry in " + seconds + " s"};
}

std::size_t RateLimiter::key_count() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->lru.size();
}

Interceptor rate_limit(std::shared_ptr<RateLimiter> limiter) {
    if (!limiter) {
        throw std::invalid_argument("rate_limit() needs a limiter");
    }
    return [limiter](CallContext& ctx) { return admit_call(limiter, ctx); };
}

Interceptor rate_limit(RateLimitOptions options) {
    return rate_limit(std::make_shared<RateLimiter>(std::move(options)));
}

// ---- observers ------------------------------------------------------------------------------

CallObserver request_logging(Logger& logger) {
    return [&logger](const CallContext& ctx, const Status& status,
                     std::chrono::nanoseconds duration) {
        const bool server_fault = status.code == Code::internal || status.code == Code::unknown ||
                                  status.code == Code::data_loss;
        const auto level = server_fault ? LogLevel::warn : LogLevel::info;
        if (!logger.enabled(level)) {
            return;
        }
        std::string_view protocol = "connect";
        if (ctx.protocol == Protocol::grpc) {
            protocol = "grpc";
        } else if (ctx.protocol == Protocol::grpc_web) {
            protocol = "grpc_web";
        }
        const auto role = ctx.attributes.find(std::string(kRoleAttribute));
        const std::string_view role_name =
            role == ctx.attributes.end() ? std::string_view() : std::string_view(role->second);
        const std::array<LogField, 10> fields = {{
            {"method", method_name(ctx)},
            {"protocol", protocol},
            {"codec", ctx.codec == Codec::json ? "json" : "proto"},
            {"http", ctx.http_version == 20 ? "2" : "1.1"},
            {"code", code_name(status.code)},
            {"duration_ms", static_cast<double>(duration.count()) / 1e6},
            {"remote", ctx.remote_address},
            {"secure", ctx.secure},
            {"principal", ctx.principal},
            {"role", role_name},
        }};
        // Principal and role, last, only when known.
        const std::size_t count = ctx.principal.empty() ? 8 : role_name.empty() ? 9 : 10;
        logger.log(level, "rpc call", std::span<const LogField>(fields.data(), count));
    };
}

struct Metrics::Impl {
    struct MethodStats {
        std::array<std::uint64_t, kCodeCount> codes{};
        std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};  // not cumulative
        std::uint64_t count = 0;
        double seconds = 0;
    };

    mutable std::mutex mutex;
    std::map<std::string, MethodStats, std::less<>> methods;
    std::function<std::size_t()> connections;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}

Metrics::~Metrics() = default;

void Metrics::observe(std::string_view method, Code code, std::chrono::nanoseconds duration) {
    const double seconds = static_cast<double>(duration.count()) / 1e9;
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds) -
        kLatencyBuckets.begin());  // the first bound >= seconds ("le"), or past the end: +Inf
    const auto code_index = static_cast<std::size_t>(code);
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->methods.find(method);
    if (it == impl_->methods.end()) {
        it = impl_->methods.emplace(std::string(method), Impl::MethodStats{}).first;
    }
    auto& stats = it->second;
    if (code_index < kCodeCount) {
        ++stats.codes[code_index];
    }
    if (bucket < kLatencyBuckets.size()) {
        ++stats.buckets[bucket];
    }
    ++stats.count;
    stats.seconds += seconds;
}

void Metrics::set_connection_source(std::function<std::size_t()> source) {
    std::lock_guard lock(impl_->mutex);
    impl_->connections = std::move(source);
}

std::uint64_t Metrics::count(std::string_view method, Code code) const {
    const auto code_index = static_cast<std::size_t>(code);
    std::lock_guard lock(impl_->mutex);
    const auto it = impl_->methods.find(method);
    return it == impl_->methods.end() || code_index >= kCodeCount ? 0
                                                                  : it->second.codes[code_index];
}

std::string Metrics::prometheus_text() const {
    std::map<std::string, Impl::MethodStats, std::less<>> methods;
    std::function<std::size_t()> connections;
    {
        std::lock_guard lock(impl_->mutex);
        methods = impl_->methods;
        connections = impl_->connections;
    }
    std::string out;
    out += "# HELP pm_rpc_server_handled_total RPC calls finished, by method and status code.\n";
    out += "# TYPE pm_rpc_server_handled_total counter\n";
    for (const auto& [method, stats] : methods) {
        for (std::size_t code = 0; code < kCodeCount; ++code) {
            if (stats.codes[code] == 0) {
                continue;
            }
            out += "pm_rpc_server_handled_total{method=\"";
            append_label_value(out, method);
            out += "\",code=\"";
            out += code_name(static_cast<Code>(code));
            out += "\"} ";
            out += std::to_string(stats.codes[code]);
            out += '\n';
        }
    }
    out += "# HELP pm_rpc_server_handling_seconds Time from request to response, by method.\n";
    out += "# TYPE pm_rpc_server_handling_seconds histogram\n";
    for (const auto& [method, stats] : methods) {
        std::string label = "method=\"";
        append_label_value(label, method);
        label += '"';
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
            cumulative += stats.buckets[i];
            out += "pm_rpc_server_handling_seconds_bucket{" + label + ",le=\"" +
                   format_double(kLatencyBuckets[i]) + "\"} " + std::to_string(cumulative) + '\n';
        }
        out += "pm_rpc_server_handling_seconds_bucket{" + label + ",le=\"+Inf\"} " +
               std::to_string(stats.count) + '\n';
        out += "pm_rpc_server_handling_seconds_sum{" + label + "} " + format_double(stats.seconds) +
               '\n';
        out += "pm_rpc_server_handling_seconds_count{" + label + "} " +
               std::to_string(stats.count) + '\n';
    }
    if (connections) {
        out += "# HELP pm_rpc_server_connections Connections open now.\n";
        out += "# TYPE pm_rpc_server_connections gauge\n";
        out += "pm_rpc_server_connections " + std::to_string(connections()) + '\n';
    }
    return out;
}

CallObserver metrics_observer(Metrics& metrics) {
    return [&metrics](const CallContext& ctx, const Status& status,
                      std::chrono::nanoseconds duration) {
        metrics.observe(method_name(ctx), status.code, duration);
    };
}

std::function<PlainResponse()> metrics_route(Metrics& metrics) {
    return [&metrics] {
        return PlainResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                             metrics.prometheus_text()};
    };
}

void mount_metrics(Server& server, Metrics& metrics, std::string path) {
    metrics.set_connection_source([&server] { return server.connection_count(); });
    server.add_plain_route(std::move(path), metrics_route(metrics));
}

// ---- health ---------------------------------------------------------------------------------

std::function<PlainResponse()> health_route() {
    return [] { return PlainResponse{200, "text/plain; charset=utf-8", "ok"}; };
}

std::function<PlainResponse()> readiness_route(ReadinessCheck check) {
    if (!check) {
        throw std::invalid_argument("readiness_route() needs a check");
    }
    return [check = std::move(check)] {
        std::pair<bool, std::string> state{false, "readiness check failed"};
        try {
            state = check();
        } catch (const std::exception&) {
            // The reason stays generic: an exception's text may say more than a prober should
            // learn.
        }
        auto& [ready, reason] = state;
        if (reason.empty()) {
            reason = ready ? "ok" : "not ready";
        }
        return PlainResponse{ready ? 200 : 503, "text/plain; charset=utf-8", std::move(reason)};
    };
}

}  // namespace pm::rpc
