// The registration-token RPCs over real HTTP: each one's success and refusals, what an admin
// may choose and what a console user's token is forced to be, and that a user reaches only
// its own tokens.
#include <chrono>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;
using namespace std::chrono_literals;

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class TokensTest : public ControlTest {
protected:
    Reply<pm::v1::CreateTokenResponse> create(const std::string& bearer, const std::string& name,
                                              bool one_time = false, int max_uses = 0,
                                              std::optional<std::int64_t> expires_at = {}) {
        pm::v1::CreateTokenRequest request;
        request.set_name(name);
        request.set_one_time(one_time);
        request.set_max_uses(max_uses);
        if (expires_at) {
            request.mutable_expires_at()->set_seconds(*expires_at);
        }
        return call<pm::v1::CreateTokenResponse>("CreateToken", request, bearer);
    }
    Reply<pm::v1::GetTokenResponse> get(const std::string& id, const std::string& bearer) {
        pm::v1::GetTokenRequest request;
        request.set_id(id);
        return call<pm::v1::GetTokenResponse>("GetToken", request, bearer);
    }
    Reply<pm::v1::ListTokensResponse> list(const std::string& bearer,
                                           pm::v1::ListTokensRequest request = {}) {
        return call<pm::v1::ListTokensResponse>("ListTokens", request, bearer);
    }
    Reply<pm::v1::UpdateTokenResponse> rename(const std::string& id, const std::string& name,
                                              const std::string& bearer) {
        pm::v1::RenameTokenRequest request;
        request.set_id(id);
        request.set_name(name);
        return call<pm::v1::UpdateTokenResponse>("RenameToken", request, bearer);
    }
    Reply<pm::v1::UpdateTokenResponse> set_disabled(const std::string& id, bool disabled,
                                                    const std::string& bearer) {
        pm::v1::SetTokenDisabledRequest request;
        request.set_id(id);
        request.set_disabled(disabled);
        return call<pm::v1::UpdateTokenResponse>("SetTokenDisabled", request, bearer);
    }
    Reply<pm::v1::DeleteTokenResponse> remove(const std::string& id, const std::string& bearer) {
        pm::v1::DeleteTokenRequest request;
        request.set_id(id);
        return call<pm::v1::DeleteTokenResponse>("DeleteToken", request, bearer);
    }
};

TEST_F(TokensTest, AdminCreatesTokensAsAsked) {
    const auto expires = now_seconds() + 3600;
    auto created = create(admin_token(), "fleet", false, 25, expires);
    ASSERT_OK(created);
    const auto& token = created.response.token();
    EXPECT_EQ(token.id().size(), 26u);
    EXPECT_EQ(token.value().size(), 44u);
    EXPECT_EQ(token.name(), "fleet");
    EXPECT_FALSE(token.one_time());
    EXPECT_EQ(token.max_uses(), 25);
    EXPECT_EQ(token.current_uses(), 0);
    EXPECT_EQ(token.expires_at().seconds(), expires);
    EXPECT_EQ(token.created_by(), claims_of(admin_token()).user_id);
    // As in the reference, an admin's token is owned by the admin; its registrations are still
    // not assigned to anyone (registration_test).
    EXPECT_EQ(token.owner_id(), token.created_by());
    EXPECT_FALSE(token.disabled());

    auto unlimited = create(admin_token(), "forever");
    ASSERT_OK(unlimited);
    // No expiry is an absent field, not the epoch.
    EXPECT_FALSE(unlimited.response.token().has_expires_at());
    EXPECT_EQ(unlimited.response.token().max_uses(), 0);
    EXPECT_NE(unlimited.response.token().value(), token.value());

    EXPECT_CODE(create(admin_token(), ""), Code::invalid_argument);
    EXPECT_CODE(create(admin_token(), std::string(129, 'n')), Code::invalid_argument);
    EXPECT_CODE(create(admin_token(), "negative", false, -1), Code::invalid_argument);
    EXPECT_CODE(create(admin_token(), "past", false, 0, now_seconds() - 60),
                Code::invalid_argument);
    EXPECT_CODE(create({}, "anonymous"), Code::unauthenticated);
}

TEST_F(TokensTest, ConsoleUserTokensAreOneTimeOwnedAndShortLived) {
    const std::string user = create_user("tok@example.com", "tok-password");
    const std::string bearer = login("tok@example.com", "tok-password");
    // Whatever the user asks for, the token is one-time, for one use, a week long, its own.
    auto created = create(bearer, "my laptop", false, 50, now_seconds() + 365 * 86400);
    ASSERT_OK(created);
    const auto& token = created.response.token();
    EXPECT_TRUE(token.one_time());
    EXPECT_EQ(token.max_uses(), 1);
    EXPECT_EQ(token.owner_id(), user);
    EXPECT_EQ(token.created_by(), user);
    EXPECT_NEAR(static_cast<double>(token.expires_at().seconds() - now_seconds()), 7 * 86400.0,
                10.0);
    EXPECT_EQ(token.value().size(), 44u);
    EXPECT_CODE(create(bearer, ""), Code::invalid_argument);
}

TEST_F(TokensTest, GetToken) {
    auto [id, value] = create_token(admin_token());
    auto got = get(id, admin_token());
    ASSERT_OK(got);
    EXPECT_EQ(got.response.token().id(), id);
    // The secret is shown once, at creation.
    EXPECT_TRUE(got.response.token().value().empty());
    EXPECT_CODE(get(new_ulid(), admin_token()), Code::not_found);
    EXPECT_CODE(get("bad-id", admin_token()), Code::invalid_argument);
}

TEST_F(TokensTest, RenameToken) {
    auto [id, value] = create_token(admin_token());
    auto renamed = rename(id, "renamed", admin_token());
    ASSERT_OK(renamed);
    EXPECT_EQ(renamed.response.token().name(), "renamed");
    EXPECT_EQ(get(id, admin_token()).response.token().name(), "renamed");
    EXPECT_CODE(rename(id, "", admin_token()), Code::invalid_argument);
    EXPECT_CODE(rename(new_ulid(), "x", admin_token()), Code::not_found);
    EXPECT_CODE(rename("bad-id", "x", admin_token()), Code::invalid_argument);
}

TEST_F(TokensTest, SetTokenDisabled) {
    auto [id, value] = create_token(admin_token());
    auto disabled = set_disabled(id, true, admin_token());
    ASSERT_OK(disabled);
    EXPECT_TRUE(disabled.response.token().disabled());
    EXPECT_CODE(register_device(value), Code::permission_denied);
    auto enabled = set_disabled(id, false, admin_token());
    ASSERT_OK(enabled);
    EXPECT_FALSE(enabled.response.token().disabled());
    EXPECT_OK(register_device(value));
    EXPECT_CODE(set_disabled(new_ulid(), true, admin_token()), Code::not_found);
    EXPECT_CODE(set_disabled("bad-id", true, admin_token()), Code::invalid_argument);
}

TEST_F(TokensTest, DeleteToken) {
    auto [id, value] = create_token(admin_token());
    ASSERT_OK(remove(id, admin_token()));
    EXPECT_CODE(get(id, admin_token()), Code::not_found);
    EXPECT_CODE(remove(id, admin_token()), Code::not_found);
    EXPECT_CODE(rename(id, "x", admin_token()), Code::not_found);
    EXPECT_CODE(register_device(value), Code::permission_denied);
    EXPECT_CODE(remove(new_ulid(), admin_token()), Code::not_found);
    EXPECT_CODE(remove("bad-id", admin_token()), Code::invalid_argument);
}

TEST_F(TokensTest, ListTokensPagesAndHidesDisabled) {
    std::set<std::string> all;
    for (int i = 0; i < 5; ++i) {
        all.insert(create_token(admin_token()).first);
    }
    std::set<std::string> seen;
    std::string page_token;
    int pages = 0;
    do {
        pm::v1::ListTokensRequest request;
        request.set_page_size(2);
        request.set_page_token(page_token);
        auto page = list(admin_token(), request);
        ASSERT_OK(page);
        EXPECT_EQ(page.response.total_count(), 5);
        for (const auto& token : page.response.tokens()) {
            EXPECT_TRUE(seen.insert(token.id()).second);
            EXPECT_TRUE(token.value().empty());
        }
        page_token = page.response.next_page_token();
        ASSERT_LT(++pages, 10);
    } while (!page_token.empty());
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen, all);

    ASSERT_OK(set_disabled(*all.begin(), true, admin_token()));
    EXPECT_EQ(list(admin_token()).response.total_count(), 4);
    pm::v1::ListTokensRequest with_disabled;
    with_disabled.set_include_disabled(true);
    EXPECT_EQ(list(admin_token(), with_disabled).response.total_count(), 5);

    pm::v1::ListTokensRequest bad;
    bad.set_page_token("x1");
    EXPECT_CODE(list(admin_token(), bad), Code::invalid_argument);
    pm::v1::ListTokensRequest too_big;
    too_big.set_page_size(1000);
    EXPECT_CODE(list(admin_token(), too_big), Code::invalid_argument);
}

TEST_F(TokensTest, UserReachesOnlyOwnTokens) {
    create_user("a@example.com", "a-password-1");
    create_user("b@example.com", "b-password-1");
    const std::string a = login("a@example.com", "a-password-1");
    const std::string b = login("b@example.com", "b-password-1");
    auto [own, own_value] = create_token(a);
    auto [theirs, theirs_value] = create_token(b);
    auto [admins, admins_value] = create_token(admin_token());

    auto listed = list(a);
    ASSERT_OK(listed);
    EXPECT_EQ(listed.response.total_count(), 1);
    ASSERT_EQ(listed.response.tokens_size(), 1);
    EXPECT_EQ(listed.response.tokens(0).id(), own);
    EXPECT_EQ(list(admin_token()).response.total_count(), 3);

    EXPECT_OK(get(own, a));
    EXPECT_OK(rename(own, "mine", a));
    for (const auto& other : {theirs, admins}) {
        SCOPED_TRACE(other);
        EXPECT_CODE(get(other, a), Code::not_found);
        EXPECT_CODE(rename(other, "stolen", a), Code::not_found);
        EXPECT_CODE(set_disabled(other, true, a), Code::not_found);
        EXPECT_CODE(remove(other, a), Code::not_found);
    }
    EXPECT_OK(get(theirs, admin_token()));
    EXPECT_FALSE(get(theirs, admin_token()).response.token().disabled());
    EXPECT_OK(set_disabled(own, true, a));
    EXPECT_OK(remove(own, a));
    EXPECT_CODE(get(own, a), Code::not_found);
}

}  // namespace
}  // namespace pm::testing
