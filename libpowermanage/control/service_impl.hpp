#pragma once
/// @file
/// @brief The ControlService's state and handlers. Handlers are plain synchronous functions
/// run on the worker pool: they throw rpc::RpcError with the code and message the caller gets;
/// install() adapts them to coroutines.
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
#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/rpc/blocking_pool.hpp>
#include <powermanage/rpc/context.hpp>

#include "control/session_cache.hpp"
#include "pm/v1/control.pb.h"

namespace pm::control {

/// What a handler knows about its caller.
struct Call {
    rpc::CallContext& ctx;        ///< the call (headers to read, cookies to set)
    std::string caller_id;        ///< user or device id; empty on public methods
    std::string role;             ///< "admin", "user", "device"; empty on public methods
    auth::Permission permission;  ///< what the policy allowed (always for public methods)
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

/// The ControlService implementation: the state every domain's handlers share, and the
/// handlers of the first domains (sessions, registration, users, devices, tokens, executions).
class ControlService::Impl {
public:
    Impl(db::ConnectionPool& pool, eventstore::EventStore& store,
         const ca::CertificateAuthority& authority, const auth::JwtCodec& jwt,
         const auth::PasswordHasher& hasher, const auth::Policy& policy, ControlOptions options,
         const Clock& clock);

    void install(rpc::Server& server, const rpc::RateLimitOptions& rate_limits);
    rpc::Task<rpc::Result<rpc::Principal>> verify_access_token(std::string token);
    bool ensure_admin(const std::string& email, const std::string& password);

    // ---- authorization (authorization.cpp) ----
    /// Checks the policy's condition for `request`; throws not_found when the target is out of
    /// the caller's scope.
    void authorize(const Call& call, const google::protobuf::Message& request);

    // ---- sessions (sessions.cpp) ----
    pm::v1::LoginResponse login(Call& call, const pm::v1::LoginRequest& request);
    pm::v1::RefreshTokenResponse refresh_token(Call& call,
                                               const pm::v1::RefreshTokenRequest& request);
    pm::v1::LogoutResponse logout(Call& call, const pm::v1::LogoutRequest& request);
    pm::v1::GetCurrentUserResponse get_current_user(Call& call,
                                                    const pm::v1::GetCurrentUserRequest& request);

    // ---- registration (registration.cpp) ----
    pm::v1::RegisterResponse register_device(Call& call, const pm::v1::RegisterRequest& request);

    // ---- users (users.cpp) ----
    pm::v1::CreateUserResponse create_user(Call& call, const pm::v1::CreateUserRequest& request);
    pm::v1::GetUserResponse get_user(Call& call, const pm::v1::GetUserRequest& request);
    pm::v1::ListUsersResponse list_users(Call& call, const pm::v1::ListUsersRequest& request);
    pm::v1::UpdateUserResponse update_user_email(Call& call,
                                                 const pm::v1::UpdateUserEmailRequest& request);
    pm::v1::UpdateUserResponse update_user_password(
        Call& call, const pm::v1::UpdateUserPasswordRequest& request);
    pm::v1::UpdateUserResponse update_user_role(Call& call,
                                                const pm::v1::UpdateUserRoleRequest& request);
    pm::v1::UpdateUserResponse set_user_disabled(Call& call,
                                                 const pm::v1::SetUserDisabledRequest& request);
    pm::v1::DeleteUserResponse delete_user(Call& call, const pm::v1::DeleteUserRequest& request);

    // ---- devices (devices.cpp) ----
    pm::v1::ListDevicesResponse list_devices(Call& call, const pm::v1::ListDevicesRequest& request);
    pm::v1::GetDeviceResponse get_device(Call& call, const pm::v1::GetDeviceRequest& request);
    pm::v1::UpdateDeviceResponse set_device_label(Call& call,
                                                  const pm::v1::SetDeviceLabelRequest& request);
    pm::v1::UpdateDeviceResponse remove_device_label(
        Call& call, const pm::v1::RemoveDeviceLabelRequest& request);
    pm::v1::AssignDeviceResponse assign_device(Call& call,
                                               const pm::v1::AssignDeviceRequest& request);
    pm::v1::UnassignDeviceResponse unassign_device(Call& call,
                                                   const pm::v1::UnassignDeviceRequest& request);
    pm::v1::UpdateDeviceResponse set_device_sync_interval(
        Call& call, const pm::v1::SetDeviceSyncIntervalRequest& request);
    pm::v1::DeleteDeviceResponse delete_device(Call& call,
                                               const pm::v1::DeleteDeviceRequest& request);

    // ---- tokens (tokens.cpp) ----
    pm::v1::CreateTokenResponse create_token(Call& call, const pm::v1::CreateTokenRequest& request);
    pm::v1::GetTokenResponse get_token(Call& call, const pm::v1::GetTokenRequest& request);
    pm::v1::ListTokensResponse list_tokens(Call& call, const pm::v1::ListTokensRequest& request);
    pm::v1::UpdateTokenResponse rename_token(Call& call, const pm::v1::RenameTokenRequest& request);
    pm::v1::UpdateTokenResponse set_token_disabled(Call& call,
                                                   const pm::v1::SetTokenDisabledRequest& request);
    pm::v1::DeleteTokenResponse delete_token(Call& call, const pm::v1::DeleteTokenRequest& request);

    // ---- executions (executions.cpp) ----
    pm::v1::DispatchActionResponse dispatch_action(Call& call,
                                                   const pm::v1::DispatchActionRequest& request);
    pm::v1::DispatchToMultipleResponse dispatch_to_multiple(
        Call& call, const pm::v1::DispatchToMultipleRequest& request);
    pm::v1::GetExecutionResponse get_execution(Call& call,
                                               const pm::v1::GetExecutionRequest& request);
    pm::v1::ListExecutionsResponse list_executions(Call& call,
                                                   const pm::v1::ListExecutionsRequest& request);

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
    SessionCache sessions_;
    auth::LoginThrottle login_throttle_;
    /// The other domains' handler objects (handler_table.cpp).
    std::shared_ptr<DomainHandlers> domains_;
};

}  // namespace pm::control
