#pragma once
/// @file
/// @brief The ControlService's shared state and helpers. The handlers are in domains.hpp, one
/// type per domain, registered by handler_table.cpp.
#include <memory>
#include <optional>
#include <string>

#include <powermanage/auth/jwt.hpp>
#include <powermanage/auth/login_throttle.hpp>
#include <powermanage/auth/password.hpp>
#include <powermanage/auth/policy.hpp>
#include <powermanage/ca/authority.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/control/control_service.hpp>
#include <powermanage/db/actor_read.hpp>
#include <powermanage/db/async_read.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/rpc/blocking_pool.hpp>
#include <powermanage/rpc/context.hpp>

#include "control/session_cache.hpp"
#include "pm/v1/control.pb.h"

namespace pm::control {

/// The database check a policy condition needs: `sql` with ($1 target, $2 caller) must return
/// a row, read as the system (the caller's own view could hide the row it looks for).
struct ConditionCheck {
    std::string sql;                ///< the check
    std::string target;             ///< $1, the id the request names
    std::string caller;             ///< $2, the caller's id
    std::string not_found_message;  ///< what the caller is told when there is no row
};

/// What a handler knows about its caller.
struct Call {
    rpc::CallContext& ctx;        ///< the call (headers to read, cookies to set)
    std::string caller_id;        ///< user or device id; empty on public methods
    std::string role;             ///< "admin", "user", "device"; empty on public methods
    auth::Permission permission;  ///< what the policy allowed (always for public methods)
    /// The policy's check, not yet run, for a read that runs it in its own round trip
    /// (Impl::read_one); the adapter runs it itself if the handler did not.
    std::optional<ConditionCheck> deferred_check;
    /// The actor the caller's transactions act for (row-level security).
    db::Actor actor() const;
    /// Whether the caller is an admin.
    bool is_admin() const { return role == "admin"; }
    /// Whether results must be limited to the caller's scope (Condition::scoped).
    bool scoped() const { return permission.condition == auth::Condition::scoped; }
};

struct DomainHandlers;

/// The events a command appends, per stream.
using Changes = std::vector<eventstore::StreamAppend>;

/// The ControlService implementation: the state every domain's handler type (domains.hpp)
/// shares, the interceptors, and the helpers commands and sessions use.
class ControlService::Impl {
public:
    Impl(db::ConnectionPool& pool, eventstore::EventStore& store,
         const ca::CertificateAuthority& authority, const auth::JwtCodec& jwt,
         const auth::PasswordHasher& hasher, const auth::Policy& policy, ControlOptions options,
         const Clock& clock);

    void install(rpc::Server& server, const rpc::RateLimitOptions& rate_limits);
    rpc::Task<rpc::Result<rpc::Principal>> verify_access_token(std::string token);
    /// Creates the bootstrap admin if no user has `email` (sessions.cpp); false if it existed.
    bool ensure_admin(const std::string& email, const std::string& password);

    // ---- authorization (authorization.cpp) ----
    /// Checks the policy's condition for `request`; throws not_found when the target is out of
    /// the caller's scope.
    void authorize(const Call& call, const google::protobuf::Message& request);
    /// The database check authorize() would run for `request`, for a read that runs it with
    /// its own statement; nullopt when the condition holds without one (throws not_found when
    /// it fails without one).
    std::optional<ConditionCheck> condition_check(const Call& call,
                                                  const google::protobuf::Message& request);
    /// Runs `check`; throws not_found with its message when it fails.
    void run_check(const ConditionCheck& check);

    // ---- shared helpers ----
    /// Runs a command in ONE transaction acting for the caller: `decide(tx)` reads what the
    /// command needs (throwing not_found, failed_precondition, ...) and returns the events to
    /// append, each stream with the version it read; they are appended in the same
    /// transaction, so nothing can change between the check and the write; then
    /// `read_back(tx)` builds the response from the projections as the caller sees them.
    /// `decide` must only read (no SELECT ... FOR UPDATE: the append must be the transaction's
    /// first write). Conflicts answer aborted, duplicates already_exists with
    /// `duplicate_message`.
    template <class Decide, class ReadBack>
    auto command(const Call& call, Decide&& decide, ReadBack&& read_back,
                 const std::string& duplicate_message = "already exists") {
        std::int64_t last_position = 0;
        auto response = read(call, [&](db::Transaction& tx) {
            Changes changes = decide(tx);
            if (!changes.empty()) {
                last_position = append_in(call, tx, changes, duplicate_message);
            }
            return read_back(tx);
        });
        if (last_position > 0) {
            store_.notify_appended(last_position);
        }
        return response;
    }
    /// Appends `changes` in `tx` for the caller (see command()); returns the last position.
    std::int64_t append_in(const Call& call, db::Transaction& tx, const Changes& changes,
                           const std::string& duplicate_message);
    /// Appends to one stream acting for the caller; maps VersionConflict to aborted and
    /// AlreadyExists to already_exists with `duplicate_message`.
    eventstore::AppendResult append(const Call& call, const eventstore::StreamId& stream,
                                    eventstore::ExpectedVersion expected,
                                    std::vector<eventstore::NewEvent> events,
                                    const std::string& duplicate_message = "already exists");
    /// The stream's current version (0 when it does not exist).
    std::int32_t stream_version(const eventstore::StreamId& stream);
    /// Runs `fn` in a transaction acting for the caller.
    template <class Fn>
    auto read(const Call& call, Fn&& fn) {
        return db::with_actor(pool_, call.actor(), std::forward<Fn>(fn));
    }
    /// One read statement acting for the caller, in ONE round trip with the actor's settings
    /// and, first, the caller's deferred policy check if there is one (which then answers
    /// not_found as authorize() would have). Awaited on the caller's I/O thread (reads_), no
    /// worker involved.
    rpc::Task<db::Result> read_one(Call& call, const std::string& sql,
                                   std::vector<db::Param> params);
    /// run_check() awaited on the caller's I/O thread (reads_).
    rpc::Task<void> run_check_async(ConditionCheck check);
    /// The access and refresh tokens of a new session (or the next of `family`) for `user_id`.
    struct IssuedTokens {
        std::string access_token;
        std::string refresh_token;
        Clock::TimePoint access_expires_at;
        Clock::TimePoint refresh_expires_at;
    };
    IssuedTokens issue_tokens(db::Transaction& tx, const std::string& user_id,
                              const SessionState& session, const std::string& family);
    /// Sets the pm_access and pm_refresh cookies on the response.
    void set_session_cookies(Call& call, const IssuedTokens& tokens) const;

    db::ConnectionPool& pool_;
    eventstore::EventStore& store_;
    const ca::CertificateAuthority& authority_;
    const auth::JwtCodec& jwt_;
    const auth::PasswordHasher& hasher_;
    const auth::Policy& policy_;
    ControlOptions options_;
    const Clock& clock_;
    UlidGenerator ids_;
    rpc::BlockingPool workers_;
    /// The connections of the reads awaited on I/O threads (read_one); closed by shutdown().
    db::AsyncReadPool reads_;
    SessionCache sessions_;
    auth::LoginThrottle login_throttle_;
    /// The other domains' handler objects (handler_table.cpp).
    std::shared_ptr<DomainHandlers> domains_;
};

}  // namespace pm::control
