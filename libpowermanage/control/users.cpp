// The user RPCs. Emails are unique among live users (case-insensitively), enforced by the
// projection's unique index inside the append, so a duplicate answers already_exists and
// nothing is written.
#include <fmt/format.h>

#include <powermanage/eventstore/events.hpp>

#include "control/domains.hpp"
#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

constexpr const char* kDuplicateEmail = "a user with this email already exists";

es::StreamId user_stream(const std::string& id) {
    return {std::string(es::kUserStream), id};
}

}  // namespace

namespace {

// Whether removing `id` from the enabled admins would leave none: the console would then have
// nobody who can manage users.
bool is_last_admin(db::Transaction& tx, const std::string& id) {
    auto rows = tx.exec(
        "SELECT bool_or(id = $1) AND count(*) = 1 FROM users_projection "
        "WHERE role = 'admin' AND NOT disabled AND NOT is_deleted",
        {id});
    return !rows.is_null(0, 0) && rows.boolean(0, 0);
}

}  // namespace

pm::v1::CreateUserResponse Users::create_user(Call& call,
                                              const pm::v1::CreateUserRequest& request) {
    std::string hash;
    try {
        hash = service_.hasher_.hash(request.password());
    } catch (const std::invalid_argument& error) {
        fail(rpc::Code::invalid_argument, error.what());
    }
    const std::string id = service_.ids_.next_string();
    service_.append(call, user_stream(id), es::ExpectedVersion::no_stream(),
                    {es::NewEvent::of(es::UserCreated{request.email(), hash, request.role()})},
                    kDuplicateEmail);
    pm::v1::CreateUserResponse response;
    auto user = service_.read(call, [&](db::Transaction& tx) { return find_user(tx, id); });
    if (!user) {
        fail(rpc::Code::internal, "the user was created but cannot be service_.read back");
    }
    *response.mutable_user() = std::move(*user);
    return response;
}

pm::v1::GetUserResponse Users::get_user(Call& call, const pm::v1::GetUserRequest& request) {
    auto user =
        service_.read(call, [&](db::Transaction& tx) { return find_user(tx, request.id()); });
    if (!user) {
        fail(rpc::Code::not_found, "user not found");
    }
    pm::v1::GetUserResponse response;
    *response.mutable_user() = std::move(*user);
    return response;
}

pm::v1::ListUsersResponse Users::list_users(Call& call, const pm::v1::ListUsersRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    pm::v1::ListUsersResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        auto total = tx.exec("SELECT count(*) FROM users_projection WHERE NOT is_deleted");
        auto rows = tx.exec(fmt::format("SELECT {} FROM users_projection WHERE NOT is_deleted "
                                        "ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
                                        kUserColumns),
                            {std::to_string(page.limit), std::to_string(page.offset)});
        for (int i = 0; i < rows.rows(); ++i) {
            read_user(rows, i, response.add_users());
        }
        response.set_total_count(static_cast<std::int32_t>(total.int64(0, 0)));
        response.set_next_page_token(page.next_token(total.int64(0, 0)));
    });
    return response;
}

namespace {

// Appends `event` to live user `id` (not_found otherwise), refusing to leave no enabled admin
// when `guard_last_admin`, and answers with the user as it is afterwards.
template <class Event>
pm::v1::UpdateUserResponse update_user(ControlService::Impl& impl, Call& call,
                                       const std::string& id, Event event, bool guard_last_admin,
                                       const char* last_admin_message) {
    auto version = impl.read(call, [&](db::Transaction& tx) -> std::optional<std::int32_t> {
        auto v = live_version(tx, "users_projection", es::kUserStream, id);
        if (v && guard_last_admin && is_last_admin(tx, id)) {
            fail(rpc::Code::failed_precondition, last_admin_message);
        }
        return v;
    });
    if (!version) {
        fail(rpc::Code::not_found, "user not found");
    }
    impl.append(call, user_stream(id), es::ExpectedVersion::exactly(*version),
                {es::NewEvent::of(event)}, kDuplicateEmail);
    impl.sessions_.invalidate(id);
    pm::v1::UpdateUserResponse response;
    auto user = impl.read(call, [&](db::Transaction& tx) { return find_user(tx, id); });
    if (user) {
        *response.mutable_user() = std::move(*user);
    }
    return response;
}

}  // namespace

pm::v1::UpdateUserResponse Users::update_user_email(Call& call,
                                                    const pm::v1::UpdateUserEmailRequest& request) {
    return update_user(service_, call, request.id(), es::UserEmailChanged{request.email()}, false,
                       "");
}

pm::v1::UpdateUserResponse Users::update_user_password(
    Call& call, const pm::v1::UpdateUserPasswordRequest& request) {
    if (request.id() == call.caller_id) {
        // Changing your own password proves you know the current one, so that a stolen
        // session cannot lock the owner out.
        if (request.current_password().empty()) {
            fail(rpc::Code::invalid_argument,
                 "current_password is required to change your own password");
        }
        auto hash = service_.read(call, [&](db::Transaction& tx) -> std::optional<std::string> {
            auto rows = tx.exec(
                "SELECT password_hash FROM users_projection WHERE id = $1 AND NOT is_deleted",
                {call.caller_id});
            if (rows.rows() == 0) {
                return std::nullopt;
            }
            return std::string(rows.text(0, 0));
        });
        if (!hash) {
            fail(rpc::Code::not_found, "user not found");
        }
        if (!service_.hasher_.verify(request.current_password(), *hash)) {
            fail(rpc::Code::permission_denied, "current password is incorrect");
        }
    } else if (!call.is_admin()) {
        fail(rpc::Code::permission_denied, "only an admin can change another user's password");
    }
    std::string hash;
    try {
        hash = service_.hasher_.hash(request.new_password());
    } catch (const std::invalid_argument& error) {
        fail(rpc::Code::invalid_argument, error.what());
    }
    return update_user(service_, call, request.id(), es::UserPasswordChanged{hash}, false, "");
}

pm::v1::UpdateUserResponse Users::update_user_role(Call& call,
                                                   const pm::v1::UpdateUserRoleRequest& request) {
    return update_user(service_, call, request.id(), es::UserRoleChanged{request.role()},
                       request.role() != "admin",
                       "this is the last enabled admin; make another user admin first");
}

pm::v1::UpdateUserResponse Users::set_user_disabled(Call& call,
                                                    const pm::v1::SetUserDisabledRequest& request) {
    if (request.disabled()) {
        return update_user(service_, call, request.id(), es::UserDisabled{}, true,
                           "this is the last enabled admin; enable or create another admin first");
    }
    return update_user(service_, call, request.id(), es::UserEnabled{}, false, "");
}

pm::v1::DeleteUserResponse Users::delete_user(Call& call,
                                              const pm::v1::DeleteUserRequest& request) {
    auto version = service_.read(call, [&](db::Transaction& tx) -> std::optional<std::int32_t> {
        auto v = live_version(tx, "users_projection", es::kUserStream, request.id());
        if (v && is_last_admin(tx, request.id())) {
            fail(rpc::Code::failed_precondition,
                 "this is the last enabled admin; create another admin first");
        }
        return v;
    });
    if (!version) {
        fail(rpc::Code::not_found, "user not found");
    }
    service_.append(call, user_stream(request.id()), es::ExpectedVersion::exactly(*version),
                    {es::NewEvent::of(es::UserDeleted{})});
    service_.sessions_.invalidate(request.id());
    return {};
}

}  // namespace pm::control
