// Authentication over real HTTP: Login, RefreshToken, Logout and GetCurrentUser, every kind of
// bad access token, refresh-token rotation and reuse detection, cookies, and the session
// checks that make a password, role or account change end existing sessions at once.
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <powermanage/common/base64.hpp>
#include <powermanage/common/ulid.hpp>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;
using namespace std::chrono_literals;

std::string base64url(std::string_view bytes) {
    std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '=') {
        out.pop_back();
    }
    for (char& c : out) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    return out;
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
    return std::string(reinterpret_cast<const char*>(mac), size);
}

// `token` with its header replaced by `header_json` and signed with `md` (none: no signature),
// keeping the genuine payload: what an attacker trying algorithm confusion would send.
std::string reforge(const std::string& token, const std::string& header_json, const EVP_MD* md,
                    std::string_view key) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const std::string payload = token.substr(first + 1, second - first - 1);
    const std::string signing_input = base64url(header_json) + "." + payload;
    return signing_input + "." +
           (md == nullptr ? std::string() : base64url(hmac(md, key, signing_input)));
}

class AuthTest : public ControlTest {
protected:
    Reply<pm::v1::GetCurrentUserResponse> me(const std::string& bearer,
                                             const rpc::Headers& extra = {}) {
        return call<pm::v1::GetCurrentUserResponse>("GetCurrentUser",
                                                    pm::v1::GetCurrentUserRequest{}, bearer, extra);
    }
    Reply<pm::v1::LoginResponse> login_reply(const std::string& email, const std::string& password,
                                             const rpc::Headers& extra = {}) {
        pm::v1::LoginRequest request;
        request.set_email(email);
        request.set_password(password);
        return call<pm::v1::LoginResponse>("Login", request, {}, extra);
    }
    Reply<pm::v1::RefreshTokenResponse> refresh(const std::string& token) {
        pm::v1::RefreshTokenRequest request;
        request.set_refresh_token(token);
        return call<pm::v1::RefreshTokenResponse>("RefreshToken", request);
    }
    Reply<pm::v1::LogoutResponse> logout(const std::string& token, const rpc::Headers& extra = {}) {
        pm::v1::LogoutRequest request;
        request.set_refresh_token(token);
        return call<pm::v1::LogoutResponse>("Logout", request, {}, extra);
    }
};

TEST_F(AuthTest, LoginAnswersTokensAndTheUser) {
    auto reply = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(reply);
    EXPECT_FALSE(reply.response.access_token().empty());
    EXPECT_FALSE(reply.response.refresh_token().empty());
    EXPECT_EQ(reply.response.user().email(), kAdminEmail);
    EXPECT_EQ(reply.response.user().role(), "admin");
    // The access token lives 15 minutes.
    const auto expires = std::chrono::seconds(reply.response.expires_at().seconds());
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    EXPECT_NEAR((expires - now).count(), 15 * 60, 5);
    // Emails are matched without regard to case.
    EXPECT_OK(login_reply("ADMIN@Example.com", kAdminPassword));
    EXPECT_OK(me(reply.response.access_token()));
}

TEST_F(AuthTest, LoginValidatesItsRequest) {
    EXPECT_CODE(login_reply("not-an-email", kAdminPassword), Code::invalid_argument);
    EXPECT_CODE(login_reply(kAdminEmail, "short"), Code::invalid_argument);
    EXPECT_CODE(login_reply("", ""), Code::invalid_argument);
}

TEST_F(AuthTest, WrongPasswordUnknownEmailAndDisabledAccountLookAlike) {
    create_user("dora@example.com", "dora-password");
    auto wrong = login_reply("dora@example.com", "not-her-password");
    auto unknown = login_reply("nobody@example.com", "whatever-password");

    pm::v1::SetUserDisabledRequest disable;
    disable.set_id(create_user("dis@example.com", "dis-password"));
    disable.set_disabled(true);
    ASSERT_OK(call<pm::v1::UpdateUserResponse>("SetUserDisabled", disable, admin_token()));
    auto disabled = login_reply("dis@example.com", "dis-password");

    for (const auto* reply : {&wrong, &unknown, &disabled}) {
        EXPECT_CODE(*reply, Code::unauthenticated);
        EXPECT_EQ(reply->status.message, wrong.status.message);
    }
}

TEST_F(AuthTest, AccountLockedAfterTooManyFailedLogins) {
    create_user("eve@example.com", "eve-password");
    for (int i = 0; i < 10; ++i) {
        EXPECT_CODE(login_reply("eve@example.com", "wrong-guess-" + std::to_string(i)),
                    Code::unauthenticated);
    }
    // The right password no longer helps within the window: guessing has to stop.
    EXPECT_CODE(login_reply("eve@example.com", "eve-password"), Code::resource_exhausted);
    // Other accounts are not affected.
    EXPECT_OK(login_reply(kAdminEmail, kAdminPassword));
}

TEST_F(AuthTest, FailedLoginLimitIgnoresTheEmailsCase) {
    // Changing the case of the address must not buy more guesses.
    create_user("case@example.com", "case-password");
    const std::string spellings[] = {"case@example.com", "CASE@example.com", "Case@Example.com",
                                     "cAsE@eXaMpLe.CoM", "CASE@EXAMPLE.COM"};
    for (int i = 0; i < 10; ++i) {
        EXPECT_CODE(login_reply(spellings[i % 5], "wrong-guess-" + std::to_string(i)),
                    Code::unauthenticated);
    }
    EXPECT_CODE(login_reply("case@example.com", "case-password"), Code::resource_exhausted);
}

TEST_F(AuthTest, GetCurrentUserNeedsCredentials) {
    EXPECT_CODE(me({}), Code::unauthenticated);
    const std::string id = create_user("una@example.com", "una-password");
    auto reply = me(login("una@example.com", "una-password"));
    ASSERT_OK(reply);
    EXPECT_EQ(reply.response.user().id(), id);
    EXPECT_EQ(reply.response.user().role(), "user");
}

TEST_F(AuthTest, BadAccessTokensAreUnauthenticated) {
    const std::string good = admin_token();
    ASSERT_OK(me(good));
    auth::Claims claims = claims_of(good);

    auth::Claims expired = claims;
    expired.issued_at -= 1h;
    expired.expires_at =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() - 1min);
    EXPECT_CODE(me(sign(expired)), Code::unauthenticated) << "expired";

    EXPECT_CODE(me("garbage"), Code::unauthenticated) << "garbage";
    EXPECT_CODE(me("a.b.c"), Code::unauthenticated) << "three garbage parts";
    EXPECT_CODE(me(good + "x"), Code::unauthenticated) << "tampered signature";
    EXPECT_CODE(me({}, headers_of({{"authorization", "Basic YWRtaW46cGFzcw=="}})),
                Code::unauthenticated);

    const std::string other_secret = "another-secret-of-at-least-32-bytes!!";
    EXPECT_CODE(me(auth::JwtCodec(other_secret).sign(claims)), Code::unauthenticated)
        << "wrong secret";

    // Algorithm confusion: only HS256 is accepted, whatever else the header claims.
    EXPECT_CODE(me(reforge(good, R"({"alg":"none","typ":"JWT"})", nullptr, {})),
                Code::unauthenticated)
        << "alg none";
    EXPECT_CODE(me(reforge(good, R"({"alg":"HS384","typ":"JWT"})", EVP_sha384(), kJwtSecret)),
                Code::unauthenticated)
        << "HS384";
    EXPECT_CODE(me(reforge(good, R"({"alg":"HS512","typ":"JWT"})", EVP_sha512(), kJwtSecret)),
                Code::unauthenticated)
        << "HS512";
    EXPECT_CODE(me(reforge(good, R"({"alg":"RS256","typ":"JWT"})", EVP_sha256(), kJwtSecret)),
                Code::unauthenticated)
        << "RS256 header, HMAC signature";
    // The control: reforging with the real header and algorithm gives a working token, so the
    // refusals above are about the algorithm and nothing else.
    EXPECT_OK(me(reforge(good, R"({"alg":"HS256","typ":"JWT"})", EVP_sha256(), kJwtSecret)));

    // A token of a user that does not exist is refused too (the session lookup finds none).
    auth::Claims ghost = claims;
    ghost.user_id = new_ulid();
    EXPECT_CODE(me(sign(ghost)), Code::unauthenticated) << "unknown user";
}

TEST_F(AuthTest, RefreshAndAccessTokensAreNotInterchangeable) {
    auto session = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(session);
    EXPECT_CODE(me(session.response.refresh_token()), Code::unauthenticated);
    EXPECT_CODE(refresh(session.response.access_token()), Code::unauthenticated);
    EXPECT_CODE(refresh("garbage"), Code::unauthenticated);
    EXPECT_CODE(refresh(""), Code::invalid_argument);
    // An expired refresh token.
    auth::Claims claims = claims_of(session.response.refresh_token(), auth::TokenType::refresh);
    claims.expires_at =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() - 1min);
    EXPECT_CODE(refresh(sign(claims)), Code::unauthenticated);
}

TEST_F(AuthTest, RefreshRotatesAndReuseRevokesTheFamily) {
    auto session = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(session);
    const std::string first = session.response.refresh_token();

    auto rotated = refresh(first);
    ASSERT_OK(rotated);
    EXPECT_NE(rotated.response.refresh_token(), first);
    EXPECT_FALSE(rotated.response.access_token().empty());
    EXPECT_GT(rotated.response.expires_at().seconds(), 0);
    EXPECT_OK(me(rotated.response.access_token()));
    EXPECT_EQ(claims_of(rotated.response.refresh_token(), auth::TokenType::refresh).family,
              claims_of(first, auth::TokenType::refresh).family);

    // Reuse of the consumed token means it was copied: it fails, and so does the token the
    // legitimate rotation produced, since the whole family is revoked.
    EXPECT_CODE(refresh(first), Code::unauthenticated);
    EXPECT_CODE(refresh(rotated.response.refresh_token()), Code::unauthenticated);

    // Another login is another family, unaffected.
    auto other = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(other);
    EXPECT_OK(refresh(other.response.refresh_token()));
}

TEST_F(AuthTest, ConcurrentRefreshesOfOneTokenSucceedOnce) {
    auto session = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(session);
    pm::v1::RefreshTokenRequest request;
    request.set_refresh_token(session.response.refresh_token());
    const auto statuses = call_concurrently<pm::v1::RefreshTokenResponse>(
        "RefreshToken", std::vector<pm::v1::RefreshTokenRequest>(10, request));
    int ok = 0;
    for (const auto& status : statuses) {
        if (status.ok()) {
            ++ok;
        } else {
            EXPECT_EQ(rpc::code_name(status.code), rpc::code_name(Code::unauthenticated))
                << status.message;
        }
    }
    EXPECT_EQ(ok, 1);
}

TEST_F(AuthTest, LogoutRevokesTheFamilyAndClearsCookies) {
    auto session = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(session);
    auto rotated = refresh(session.response.refresh_token());
    ASSERT_OK(rotated);

    auto out = logout(rotated.response.refresh_token());
    ASSERT_OK(out);
    const auto cookies = set_cookies(out.headers);
    ASSERT_EQ(cookies.size(), 2u);
    for (const auto& cookie : cookies) {
        EXPECT_TRUE(cookie.starts_with("pm_access=;") || cookie.starts_with("pm_refresh=;"))
            << cookie;
        EXPECT_NE(cookie.find("Max-Age=0"), std::string::npos) << cookie;
        EXPECT_NE(cookie.find("Path=/"), std::string::npos) << cookie;
        EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    }
    EXPECT_CODE(refresh(rotated.response.refresh_token()), Code::unauthenticated);

    // Logging out with garbage still clears the cookies (nothing to revoke).
    auto garbage = logout("garbage");
    EXPECT_OK(garbage);
    EXPECT_EQ(set_cookies(garbage.headers).size(), 2u);
    EXPECT_CODE(logout(""), Code::invalid_argument);
}

// A browser cannot read its HttpOnly pm_refresh cookie: RefreshToken and Logout with an empty
// body take the token from the cookie.
TEST_F(AuthTest, RefreshAndLogoutTakeTheTokenFromTheCookie) {
    auto session = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(session);
    const auto cookie = headers_of(
        {{"cookie", "theme=dark; pm_refresh=" + session.response.refresh_token() + "; x=1"}});
    auto renewed = call<pm::v1::RefreshTokenResponse>("RefreshToken", pm::v1::RefreshTokenRequest{},
                                                      {}, cookie);
    ASSERT_OK(renewed);
    EXPECT_FALSE(renewed.response.access_token().empty());
    EXPECT_EQ(set_cookies(renewed.headers).size(), 2u);
    // The cookie's token was used (and so rotated): using it again revokes the family.
    EXPECT_CODE(refresh(session.response.refresh_token()), Code::unauthenticated);

    auto again = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(again);
    auto out = logout("", headers_of({{"cookie", "pm_refresh=" + again.response.refresh_token()}}));
    ASSERT_OK(out);
    EXPECT_EQ(set_cookies(out.headers).size(), 2u);
    EXPECT_CODE(refresh(again.response.refresh_token()), Code::unauthenticated);

    // A token in the body wins over the cookie; no token anywhere is still a bad request.
    auto third = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(third);
    EXPECT_CODE(call<pm::v1::RefreshTokenResponse>("RefreshToken", pm::v1::RefreshTokenRequest{},
                                                   {}, headers_of({{"cookie", "pm_refresh="}})),
                Code::invalid_argument);
    pm::v1::RefreshTokenRequest garbage_body;
    garbage_body.set_refresh_token("garbage");
    EXPECT_CODE(call<pm::v1::RefreshTokenResponse>(
                    "RefreshToken", garbage_body, {},
                    headers_of({{"cookie", "pm_refresh=" + third.response.refresh_token()}})),
                Code::unauthenticated);
}

TEST_F(AuthTest, LoginSetsSessionCookies) {
    auto check = [](const Reply<pm::v1::LoginResponse>& reply, bool secure) {
        const auto cookies = set_cookies(reply.headers);
        ASSERT_EQ(cookies.size(), 2u);
        bool saw_access = false;
        bool saw_refresh = false;
        for (const auto& cookie : cookies) {
            SCOPED_TRACE(cookie);
            if (cookie.starts_with("pm_access=")) {
                saw_access = true;
                EXPECT_TRUE(cookie.starts_with("pm_access=" + reply.response.access_token() + ";"));
            } else if (cookie.starts_with("pm_refresh=")) {
                saw_refresh = true;
                EXPECT_TRUE(
                    cookie.starts_with("pm_refresh=" + reply.response.refresh_token() + ";"));
            }
            EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
            EXPECT_NE(cookie.find("; Path=/"), std::string::npos);
            EXPECT_NE(cookie.find("; Expires="), std::string::npos);
            EXPECT_EQ(cookie.find("; Secure") != std::string::npos, secure);
            EXPECT_NE(cookie.find(secure ? "; SameSite=None" : "; SameSite=Lax"),
                      std::string::npos);
        }
        EXPECT_TRUE(saw_access && saw_refresh);
    };
    check(login_reply(kAdminEmail, kAdminPassword), false);
    check(login_reply(kAdminEmail, kAdminPassword, headers_of({{"x-forwarded-proto", "https"}})),
          true);

    // The same over HTTP/1.1 with JSON, as a browser's console would call.
    auto http1 = make_client(false, rpc::Codec::json);
    pm::v1::LoginRequest request;
    request.set_email(kAdminEmail);
    request.set_password(kAdminPassword);
    auto reply = call_on<pm::v1::LoginResponse>(*http1, "Login", request, {},
                                                headers_of({{"x-forwarded-proto", "https"}}));
    ASSERT_OK(reply);
    check(reply, true);

    // The pm_access cookie alone authenticates.
    auto by_cookie = call_on<pm::v1::GetCurrentUserResponse>(
        *http1, "GetCurrentUser", pm::v1::GetCurrentUserRequest{}, {},
        headers_of({{"cookie", "theme=dark; pm_access=" + reply.response.access_token()}}));
    ASSERT_OK(by_cookie);
    EXPECT_EQ(by_cookie.response.user().email(), kAdminEmail);
    EXPECT_CODE(me({}, headers_of({{"cookie", "pm_access=garbage"}})), Code::unauthenticated);
}

TEST_F(AuthTest, RefreshSetsNewCookies) {
    auto session = login_reply(kAdminEmail, kAdminPassword);
    ASSERT_OK(session);
    auto rotated = refresh(session.response.refresh_token());
    ASSERT_OK(rotated);
    const auto cookies = set_cookies(rotated.headers);
    ASSERT_EQ(cookies.size(), 2u);
    EXPECT_TRUE(cookies[0].starts_with("pm_access=" + rotated.response.access_token()) ||
                cookies[1].starts_with("pm_access=" + rotated.response.access_token()));
}

// Each change that must end a user's sessions, applied to a logged-in user: the access token
// they hold is refused at once (this process invalidates its session cache).
class SessionEndTest : public AuthTest {
protected:
    void expect_session_ended(const std::string& what,
                              const std::function<void(const std::string& id)>& change) {
        SCOPED_TRACE(what);
        const std::string email = "s-" + new_ulid() + "@example.com";
        const std::string id = create_user(email, "session-password");
        auto session = login_reply(email, "session-password");
        ASSERT_OK(session);
        ASSERT_OK(me(session.response.access_token()));
        change(id);
        EXPECT_CODE(me(session.response.access_token()), Code::unauthenticated);
        EXPECT_CODE(refresh(session.response.refresh_token()), Code::unauthenticated);
    }
};

TEST_F(SessionEndTest, PasswordRoleDisableAndDeleteEndSessions) {
    expect_session_ended("UpdateUserPassword", [&](const std::string& id) {
        pm::v1::UpdateUserPasswordRequest request;
        request.set_id(id);
        request.set_new_password("brand-new-password");
        ASSERT_OK(call<pm::v1::UpdateUserResponse>("UpdateUserPassword", request, admin_token()));
    });
    expect_session_ended("SetUserDisabled", [&](const std::string& id) {
        pm::v1::SetUserDisabledRequest request;
        request.set_id(id);
        request.set_disabled(true);
        ASSERT_OK(call<pm::v1::UpdateUserResponse>("SetUserDisabled", request, admin_token()));
    });
    expect_session_ended("UpdateUserRole", [&](const std::string& id) {
        pm::v1::UpdateUserRoleRequest request;
        request.set_id(id);
        request.set_role("admin");
        ASSERT_OK(call<pm::v1::UpdateUserResponse>("UpdateUserRole", request, admin_token()));
    });
    expect_session_ended("DeleteUser", [&](const std::string& id) {
        pm::v1::DeleteUserRequest request;
        request.set_id(id);
        ASSERT_OK(call<pm::v1::DeleteUserResponse>("DeleteUser", request, admin_token()));
    });
}

TEST_F(SessionEndTest, OwnPasswordChangeEndsOwnOldSession) {
    const std::string id = create_user("pat@example.com", "pat-password");
    auto session = login_reply("pat@example.com", "pat-password");
    ASSERT_OK(session);
    pm::v1::UpdateUserPasswordRequest request;
    request.set_id(id);
    request.set_current_password("pat-password");
    request.set_new_password("pat-new-password");
    ASSERT_OK(call<pm::v1::UpdateUserResponse>("UpdateUserPassword", request,
                                               session.response.access_token()));
    EXPECT_CODE(me(session.response.access_token()), Code::unauthenticated);
    EXPECT_CODE(login_reply("pat@example.com", "pat-password"), Code::unauthenticated);
    EXPECT_OK(login_reply("pat@example.com", "pat-new-password"));
}

}  // namespace
}  // namespace pm::testing
