// The user RPCs over real HTTP: each one's success and its refusals (validation, unknown ids,
// duplicate emails), what a console user may do to itself and nothing more, the protection of
// the last enabled admin, and ListUsers' pages.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;

class UsersTest : public ControlTest {
protected:
    Reply<pm::v1::CreateUserResponse> create(const std::string& email,
                                             const std::string& password = "a-good-password",
                                             const std::string& role = "user") {
        pm::v1::CreateUserRequest request;
        request.set_email(email);
        request.set_password(password);
        request.set_role(role);
        return call<pm::v1::CreateUserResponse>("CreateUser", request, admin_token());
    }
    Reply<pm::v1::GetUserResponse> get(const std::string& id, const std::string& bearer) {
        pm::v1::GetUserRequest request;
        request.set_id(id);
        return call<pm::v1::GetUserResponse>("GetUser", request, bearer);
    }
    Reply<pm::v1::UpdateUserResponse> set_email(const std::string& id, const std::string& email) {
        pm::v1::UpdateUserEmailRequest request;
        request.set_id(id);
        request.set_email(email);
        return call<pm::v1::UpdateUserResponse>("UpdateUserEmail", request, admin_token());
    }
    Reply<pm::v1::UpdateUserResponse> set_password(const std::string& id,
                                                   const std::string& new_password,
                                                   const std::string& bearer,
                                                   const std::string& current = {}) {
        pm::v1::UpdateUserPasswordRequest request;
        request.set_id(id);
        request.set_new_password(new_password);
        request.set_current_password(current);
        return call<pm::v1::UpdateUserResponse>("UpdateUserPassword", request, bearer);
    }
    Reply<pm::v1::UpdateUserResponse> set_role(const std::string& id, const std::string& role,
                                               const std::string& bearer) {
        pm::v1::UpdateUserRoleRequest request;
        request.set_id(id);
        request.set_role(role);
        return call<pm::v1::UpdateUserResponse>("UpdateUserRole", request, bearer);
    }
    Reply<pm::v1::UpdateUserResponse> set_disabled(const std::string& id, bool disabled,
                                                   const std::string& bearer) {
        pm::v1::SetUserDisabledRequest request;
        request.set_id(id);
        request.set_disabled(disabled);
        return call<pm::v1::UpdateUserResponse>("SetUserDisabled", request, bearer);
    }
    Reply<pm::v1::DeleteUserResponse> remove(const std::string& id, const std::string& bearer) {
        pm::v1::DeleteUserRequest request;
        request.set_id(id);
        return call<pm::v1::DeleteUserResponse>("DeleteUser", request, bearer);
    }
    Reply<pm::v1::LoginResponse> try_login(const std::string& email, const std::string& password) {
        pm::v1::LoginRequest request;
        request.set_email(email);
        request.set_password(password);
        return call<pm::v1::LoginResponse>("Login", request);
    }
    std::string admin_id() { return claims_of(admin_token()).user_id; }
};

TEST_F(UsersTest, CreateUser) {
    auto created = create("alice@example.com", "alice-password", "user");
    ASSERT_OK(created);
    EXPECT_EQ(created.response.user().id().size(), 26u);
    EXPECT_EQ(created.response.user().email(), "alice@example.com");
    EXPECT_EQ(created.response.user().role(), "user");
    EXPECT_FALSE(created.response.user().disabled());
    EXPECT_GT(created.response.user().created_at().seconds(), 0);
    // Never logged in: absent, not the epoch.
    EXPECT_FALSE(created.response.user().has_last_login_at());
    EXPECT_OK(try_login("alice@example.com", "alice-password"));
    auto after_login = get(created.response.user().id(), admin_token());
    ASSERT_OK(after_login);
    EXPECT_GT(after_login.response.user().last_login_at().seconds(), 0);
    auto admin = create("root2@example.com", "root2-password", "admin");
    ASSERT_OK(admin);
    EXPECT_EQ(admin.response.user().role(), "admin");

    EXPECT_CODE(create("ALICE@Example.COM"), Code::already_exists);
    EXPECT_CODE(create("not-an-email"), Code::invalid_argument);
    EXPECT_CODE(create("bob@example.com", "short"), Code::invalid_argument);
    EXPECT_CODE(create("bob@example.com", "a-good-password", "superuser"), Code::invalid_argument);
    EXPECT_CODE(create("bob@example.com", "a-good-password", ""), Code::invalid_argument);
    EXPECT_CODE(create(""), Code::invalid_argument);
}

TEST_F(UsersTest, GetUser) {
    const std::string id = create_user("gina@example.com", "gina-password");
    auto got = get(id, admin_token());
    ASSERT_OK(got);
    EXPECT_EQ(got.response.user().email(), "gina@example.com");
    EXPECT_EQ(got.response.user().id(), id);
    EXPECT_CODE(get(new_ulid(), admin_token()), Code::not_found);
    EXPECT_CODE(get("not-a-ulid", admin_token()), Code::invalid_argument);
    EXPECT_CODE(get("", admin_token()), Code::invalid_argument);
}

TEST_F(UsersTest, UserSeesOnlyItself) {
    const std::string me = create_user("me@example.com", "me-password");
    const std::string other = create_user("other@example.com", "other-password");
    const std::string token = login("me@example.com", "me-password");
    EXPECT_OK(get(me, token));
    // Out of scope looks exactly like absent.
    auto others = get(other, token);
    auto absent = get(new_ulid(), token);
    EXPECT_CODE(others, Code::not_found);
    EXPECT_CODE(absent, Code::not_found);
    EXPECT_EQ(others.status.message, absent.status.message);
    EXPECT_CODE(get(admin_id(), token), Code::not_found);
}

TEST_F(UsersTest, ListUsersPages) {
    std::set<std::string> expected{admin_id()};
    std::string last;
    for (int i = 0; i < 4; ++i) {
        last = create_user("list" + std::to_string(i) + "@example.com", "list-password");
        expected.insert(last);
    }
    std::set<std::string> seen;
    std::string page_token;
    int pages = 0;
    do {
        pm::v1::ListUsersRequest request;
        request.set_page_size(2);
        request.set_page_token(page_token);
        auto page = call<pm::v1::ListUsersResponse>("ListUsers", request, admin_token());
        ASSERT_OK(page);
        EXPECT_EQ(page.response.total_count(), 5);
        EXPECT_LE(page.response.users_size(), 2);
        for (const auto& user : page.response.users()) {
            EXPECT_TRUE(seen.insert(user.id()).second) << "seen twice: " << user.id();
        }
        page_token = page.response.next_page_token();
        ASSERT_LT(++pages, 10);
    } while (!page_token.empty());
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen, expected);

    pm::v1::ListUsersRequest bad;
    bad.set_page_token("not-a-token");
    EXPECT_CODE(call<pm::v1::ListUsersResponse>("ListUsers", bad, admin_token()),
                Code::invalid_argument);
    bad.set_page_token("-5");
    EXPECT_CODE(call<pm::v1::ListUsersResponse>("ListUsers", bad, admin_token()),
                Code::invalid_argument);
    pm::v1::ListUsersRequest too_big;
    too_big.set_page_size(101);
    EXPECT_CODE(call<pm::v1::ListUsersResponse>("ListUsers", too_big, admin_token()),
                Code::invalid_argument);
    // Deleted users are not listed.
    ASSERT_OK(remove(last, admin_token()));
    auto after =
        call<pm::v1::ListUsersResponse>("ListUsers", pm::v1::ListUsersRequest{}, admin_token());
    ASSERT_OK(after);
    EXPECT_EQ(after.response.total_count(), 4);
    EXPECT_EQ(after.response.users_size(), 4);
    EXPECT_TRUE(after.response.next_page_token().empty());
}

TEST_F(UsersTest, UpdateUserEmail) {
    const std::string id = create_user("old@example.com", "mail-password");
    create_user("taken@example.com", "mail-password");
    auto updated = set_email(id, "new@example.com");
    ASSERT_OK(updated);
    EXPECT_EQ(updated.response.user().email(), "new@example.com");
    EXPECT_OK(try_login("new@example.com", "mail-password"));
    EXPECT_CODE(try_login("old@example.com", "mail-password"), Code::unauthenticated);
    // The freed address can be taken by someone else.
    create_user("old@example.com", "mail-password");

    // Changing only the case of one's own address is not a duplicate.
    auto recased = set_email(id, "New@Example.com");
    ASSERT_OK(recased);
    EXPECT_EQ(recased.response.user().email(), "New@Example.com");
    EXPECT_OK(set_email(id, "new@example.com"));

    EXPECT_CODE(set_email(id, "taken@example.com"), Code::already_exists);
    EXPECT_CODE(set_email(id, "TAKEN@example.com"), Code::already_exists);
    EXPECT_CODE(set_email(id, kAdminEmail), Code::already_exists);
    EXPECT_CODE(set_email(new_ulid(), "fresh@example.com"), Code::not_found);
    EXPECT_CODE(set_email(id, "not-an-email"), Code::invalid_argument);
    EXPECT_CODE(set_email("bad-id", "fresh@example.com"), Code::invalid_argument);
    EXPECT_EQ(get(id, admin_token()).response.user().email(), "new@example.com");
}

TEST_F(UsersTest, UpdateUserPasswordByAdmin) {
    const std::string id = create_user("pw@example.com", "first-password");
    ASSERT_OK(set_password(id, "second-password", admin_token()));
    EXPECT_CODE(try_login("pw@example.com", "first-password"), Code::unauthenticated);
    EXPECT_OK(try_login("pw@example.com", "second-password"));

    EXPECT_CODE(set_password(new_ulid(), "second-password", admin_token()), Code::not_found);
    EXPECT_CODE(set_password(id, "short", admin_token()), Code::invalid_argument);
    EXPECT_CODE(set_password("bad-id", "second-password", admin_token()), Code::invalid_argument);
}

TEST_F(UsersTest, UpdateOwnPasswordNeedsTheCurrentOne) {
    const std::string id = create_user("self@example.com", "self-password");
    const std::string other = create_user("someone@example.com", "someone-password");
    const std::string token = login("self@example.com", "self-password");
    EXPECT_CODE(set_password(id, "self-new-password", token), Code::invalid_argument);
    EXPECT_CODE(set_password(id, "self-new-password", token, "wrong-password"),
                Code::permission_denied);
    EXPECT_OK(try_login("self@example.com", "self-password"));
    // Another user's password: out of scope.
    EXPECT_CODE(set_password(other, "hijacked-password", token, "self-password"), Code::not_found);
    EXPECT_OK(set_password(id, "self-new-password", token, "self-password"));
    EXPECT_OK(try_login("self@example.com", "self-new-password"));
    EXPECT_OK(try_login("someone@example.com", "someone-password"));

    // An admin changing its own password is held to the same rule.
    EXPECT_CODE(set_password(admin_id(), "admin-new-password", admin_token()),
                Code::invalid_argument);
}

TEST_F(UsersTest, UpdateUserRole) {
    const std::string id = create_user("role@example.com", "role-password");
    auto promoted = set_role(id, "admin", admin_token());
    ASSERT_OK(promoted);
    EXPECT_EQ(promoted.response.user().role(), "admin");
    const std::string token = login("role@example.com", "role-password");
    EXPECT_OK(call<pm::v1::ListUsersResponse>("ListUsers", pm::v1::ListUsersRequest{}, token));
    auto demoted = set_role(id, "user", admin_token());
    ASSERT_OK(demoted);
    EXPECT_EQ(demoted.response.user().role(), "user");
    EXPECT_CODE(call<pm::v1::ListUsersResponse>("ListUsers", pm::v1::ListUsersRequest{},
                                                login("role@example.com", "role-password")),
                Code::permission_denied);

    EXPECT_CODE(set_role(new_ulid(), "admin", admin_token()), Code::not_found);
    EXPECT_CODE(set_role(id, "root", admin_token()), Code::invalid_argument);
    EXPECT_CODE(set_role("bad-id", "admin", admin_token()), Code::invalid_argument);
}

TEST_F(UsersTest, SetUserDisabled) {
    const std::string id = create_user("off@example.com", "off-password");
    auto disabled = set_disabled(id, true, admin_token());
    ASSERT_OK(disabled);
    EXPECT_TRUE(disabled.response.user().disabled());
    EXPECT_CODE(try_login("off@example.com", "off-password"), Code::unauthenticated);
    auto enabled = set_disabled(id, false, admin_token());
    ASSERT_OK(enabled);
    EXPECT_FALSE(enabled.response.user().disabled());
    EXPECT_OK(try_login("off@example.com", "off-password"));

    EXPECT_CODE(set_disabled(new_ulid(), true, admin_token()), Code::not_found);
    EXPECT_CODE(set_disabled("bad-id", true, admin_token()), Code::invalid_argument);
}

TEST_F(UsersTest, DeleteUser) {
    const std::string id = create_user("gone@example.com", "gone-password");
    ASSERT_OK(remove(id, admin_token()));
    EXPECT_CODE(get(id, admin_token()), Code::not_found);
    EXPECT_CODE(remove(id, admin_token()), Code::not_found);
    EXPECT_CODE(try_login("gone@example.com", "gone-password"), Code::unauthenticated);
    EXPECT_CODE(set_email(id, "back@example.com"), Code::not_found);
    // The email is free again.
    EXPECT_OK(create("gone@example.com"));

    EXPECT_CODE(remove(new_ulid(), admin_token()), Code::not_found);
    EXPECT_CODE(remove("bad-id", admin_token()), Code::invalid_argument);
}

TEST_F(UsersTest, LastEnabledAdminIsProtected) {
    const std::string admin = admin_id();
    EXPECT_CODE(set_role(admin, "user", admin_token()), Code::failed_precondition);
    EXPECT_CODE(set_disabled(admin, true, admin_token()), Code::failed_precondition);
    EXPECT_CODE(remove(admin, admin_token()), Code::failed_precondition);
    EXPECT_OK(call<pm::v1::GetCurrentUserResponse>("GetCurrentUser",
                                                   pm::v1::GetCurrentUserRequest{}, admin_token()));

    // A disabled second admin does not count.
    const std::string second = create_user("second@example.com", "second-password", "admin");
    ASSERT_OK(set_disabled(second, true, admin_token()));
    EXPECT_CODE(remove(admin, admin_token()), Code::failed_precondition);
    // Once enabled, the first one may go.
    ASSERT_OK(set_disabled(second, false, admin_token()));
    EXPECT_OK(set_role(admin, "user", admin_token()));
    // Now `second` is the only admin.
    const std::string second_token = login("second@example.com", "second-password");
    EXPECT_CODE(remove(second, second_token), Code::failed_precondition);
    EXPECT_CODE(set_disabled(second, true, second_token), Code::failed_precondition);
}

TEST_F(UsersTest, ConsoleUsersCannotManageUsers) {
    const std::string id = create_user("plain@example.com", "plain-password");
    const std::string other = create_user("victim@example.com", "victim-password");
    const std::string token = login("plain@example.com", "plain-password");
    pm::v1::CreateUserRequest create_request;
    create_request.set_email("new@example.com");
    create_request.set_password("new-password");
    create_request.set_role("admin");
    EXPECT_CODE(call<pm::v1::CreateUserResponse>("CreateUser", create_request, token),
                Code::permission_denied);
    EXPECT_CODE(call<pm::v1::ListUsersResponse>("ListUsers", pm::v1::ListUsersRequest{}, token),
                Code::permission_denied);
    EXPECT_CODE(set_role(id, "admin", token), Code::permission_denied);
    EXPECT_CODE(set_disabled(other, true, token), Code::permission_denied);
    EXPECT_CODE(remove(other, token), Code::permission_denied);
    pm::v1::UpdateUserEmailRequest email;
    email.set_id(id);
    email.set_email("renamed@example.com");
    EXPECT_CODE(call<pm::v1::UpdateUserResponse>("UpdateUserEmail", email, token),
                Code::permission_denied);
}

}  // namespace
}  // namespace pm::testing
