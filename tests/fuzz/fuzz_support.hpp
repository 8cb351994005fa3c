#pragma once

// Shared by the fuzz targets: reading an input's own framing (chunk sizes, choices), failing
// loudly on a broken invariant, and the router the server-side targets serve with.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/message.h>

#include <powermanage/rpc/server.hpp>
#include <powermanage/validation/validator.hpp>

#include "pm/v1/agent.pb.h"
#include "pm/v1/control.pb.h"
#include "rpc/router.hpp"

namespace pm::fuzz {

/// Stops the run with a message: a broken invariant is a finding like a crash.
[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz invariant broken: %s [%.*s]\n", what,
                 static_cast<int>(std::min<std::size_t>(detail.size(), 400)), detail.data());
    std::abort();
}

/// Checks an invariant of the code under test.
inline void require(bool condition, const char* what, std::string_view detail = {}) {
    if (!condition) {
        fail(what, detail);
    }
}

/// True when PM_FUZZ_VERBOSE is set: the targets then describe what each input did (for
/// checking seeds: `PM_FUZZ_VERBOSE=1 fuzz_x corpus/fuzz_x/seed-*`).
inline bool verbose() {
    static const bool on = std::getenv("PM_FUZZ_VERBOSE") != nullptr;
    return on;
}

/// Reads an input front to back; past its end every read gives zero / empty.
class Input {
public:
    Input(const std::uint8_t* data, std::size_t size)
        : rest_(reinterpret_cast<const char*>(data), size) {}

    /// One byte (0 at the end).
    std::uint8_t byte() {
        if (rest_.empty()) {
            return 0;
        }
        const auto value = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return value;
    }
    /// Everything not read yet.
    std::string_view rest() const { return rest_; }

    /// Takes the framing `<count> <size>...` (count % 8 sizes of one byte each) and cuts the
    /// rest of the input into pieces of those sizes, the last piece taking what remains. A size
    /// of 0 makes an empty piece, which transports may hand over too.
    std::vector<std::string_view> chunks() {
        const std::size_t count = byte() % 8;
        std::vector<std::size_t> sizes;
        for (std::size_t i = 0; i < count; ++i) {
            sizes.push_back(byte());
        }
        std::vector<std::string_view> pieces;
        for (const auto size : sizes) {
            const auto take = std::min(size, rest_.size());
            pieces.push_back(rest_.substr(0, take));
            rest_.remove_prefix(take);
        }
        pieces.push_back(rest_);
        rest_ = {};
        return pieces;
    }

private:
    std::string_view rest_;
};

/// Message limits the server-side targets serve with: small, so "too large" is reachable and
/// a gzip bomb costs little.
inline rpc::Limits fuzz_limits() {
    rpc::Limits limits;
    limits.max_request_body = 64u << 10;
    limits.max_stream_message = 64u << 10;
    limits.max_header_bytes = 2u << 10;
    limits.max_concurrent_streams = 16;
    limits.send_timeout = std::chrono::milliseconds(500);
    limits.idle_timeout = std::chrono::milliseconds(0);
    limits.shutdown_grace = std::chrono::milliseconds(500);
    return limits;
}

/// The router of the server-side targets, built once: pm.v1.ControlService/Login (unary; the
/// contract validator decides, the response carries the input back so that it can grow past
/// the compression threshold) and pm.v1.AgentService/Stream (bidi; one ServerMessage per
/// AgentMessage, then a status and trailers the messages chose).
inline const rpc::detail::Router& fuzz_router() {
    static const auto* router = [] {
        rpc::ServerOptions options;
        options.limits = fuzz_limits();
        auto* r = new rpc::detail::Router(options);
        r->add_unary("pm.v1.ControlService.Login",
                     [](rpc::CallContext& ctx, const google::protobuf::Message& request)
                         -> rpc::Task<rpc::Result<std::unique_ptr<google::protobuf::Message>>> {
                         const auto violations = validation::RuleSet::contract().validate(request);
                         if (!violations.empty()) {
                             co_return rpc::Status{rpc::Code::invalid_argument,
                                                   validation::describe(violations)};
                         }
                         const auto& login = static_cast<const pm::v1::LoginRequest&>(request);
                         auto response = std::make_unique<pm::v1::LoginResponse>();
                         response->set_access_token(login.email() + login.password());
                         ctx.response_headers.add("x-fuzz", "login");
                         ctx.response_trailers.add("x-fuzz-trailer", "done");
                         co_return std::unique_ptr<google::protobuf::Message>(std::move(response));
                     });
        r->add_stream(
            "pm.v1.AgentService.Stream",
            [](rpc::CallContext& ctx, rpc::ServerStream& stream) -> rpc::Task<rpc::Status> {
                std::string last_id;
                while (auto message = co_await stream.read()) {
                    const auto& agent = static_cast<const pm::v1::AgentMessage&>(*message);
                    last_id = agent.id();
                    pm::v1::ServerMessage reply;
                    reply.set_id(agent.id());
                    if (auto status = co_await stream.write(reply); !status.ok()) {
                        co_return status;
                    }
                }
                if (last_id.starts_with("fail")) {
                    ctx.response_trailers.add("x-fuzz-last", "failed");
                    co_return rpc::Status{rpc::Code::failed_precondition, last_id};
                }
                co_return rpc::Status{};
            });
        return r;
    }();
    return *router;
}

}  // namespace pm::fuzz
