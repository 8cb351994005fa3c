// The user and token projectors, event by event, against docs/events.md: each event appended
// through the real EventStore, its effect read back from users_projection / tokens_projection.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/eventstore/events.hpp>

#include "projection/projector_fixture.hpp"

namespace {

using namespace pm::eventstore;
using namespace std::chrono_literals;
using pm::db::Actor;
using pm::testing::Row;

class UserProjector : public pm::testing::ProjectorTest {
protected:
    // Creates a user at the current clock time; returns its id.
    std::string create(const std::string& email = "ada@example.com",
                       const std::string& role = "user") {
        const auto id = pm::new_ulid();
        append(id, UserCreated{.email = email, .password_hash = "$argon2id$h1", .role = role});
        return id;
    }
    // email, password_hash, role, disabled, is_deleted, session_version
    Row user(const std::string& id) {
        return row(
            "SELECT email, password_hash, role, disabled, is_deleted, session_version "
            "FROM users_projection WHERE id = $1",
            {id});
    }
    std::string session_version(const std::string& id) {
        return value("SELECT session_version FROM users_projection WHERE id = $1", {id});
    }
    std::string updated_at(const std::string& id) {
        return value("SELECT " + us("updated_at") + " FROM users_projection WHERE id = $1", {id});
    }
    std::string version(const std::string& id) {
        return value("SELECT projection_version FROM users_projection WHERE id = $1", {id});
    }
};

TEST_F(UserProjector, UserCreatedInsertsTheRowWithSessionVersionZero) {
    const auto id = pm::new_ulid();
    const auto position = append(
        id,
        UserCreated{.email = "ada@example.com", .password_hash = "$argon2id$h1", .role = "admin"});
    EXPECT_EQ(
        row("SELECT id, email, password_hash, role, " + us("created_at") + ", " + us("updated_at") +
                ", last_login_at, disabled, is_deleted, session_version, "
                "projection_version FROM users_projection",
            {}),
        (Row{id, "ada@example.com", "$argon2id$h1", "admin", micros(kT0), micros(kT0), "NULL", "f",
             "f", "0", text(position)}));
}

TEST_F(UserProjector, UserEmailChangedSetsTheEmailOnly) {
    const auto id = create();
    clock_.advance(1h);
    const auto position = append(id, UserEmailChanged{.email = "lovelace@example.com"});
    EXPECT_EQ(user(id), (Row{"lovelace@example.com", "$argon2id$h1", "user", "f", "f", "0"}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    EXPECT_EQ(value("SELECT " + us("created_at") + " FROM users_projection WHERE id = $1", {id}),
              micros(kT0));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(UserProjector, UserEmailChangedToAnotherLiveUsersEmailIsAlreadyExists) {
    create("taken@example.com");
    const auto id = create("free@example.com");
    try {
        append(id, UserEmailChanged{.email = "TAKEN@example.com"});
        FAIL() << "two live users got the same email";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), "users_projection_email_key");
    }
    EXPECT_EQ(user(id).front(), "free@example.com");
    EXPECT_EQ(store().stream_version({"user", id}), 1);
}

TEST_F(UserProjector, UserPasswordChangedSetsTheHashAndEndsSessions) {
    const auto id = create();
    clock_.advance(1h);
    const auto position = append(id, UserPasswordChanged{.password_hash = "$argon2id$h2"});
    EXPECT_EQ(user(id), (Row{"ada@example.com", "$argon2id$h2", "user", "f", "f", "1"}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(UserProjector, UserPasswordRehashedSetsTheHashAndKeepsSessions) {
    const auto id = create();
    const auto position = append(id, UserPasswordRehashed{.password_hash = "$argon2id$stronger"});
    EXPECT_EQ(user(id), (Row{"ada@example.com", "$argon2id$stronger", "user", "f", "f", "0"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(UserProjector, UserRoleChangedSetsTheRoleAndEndsSessions) {
    const auto id = create();
    clock_.advance(1h);
    const auto position = append(id, UserRoleChanged{.role = "admin"});
    EXPECT_EQ(user(id), (Row{"ada@example.com", "$argon2id$h1", "admin", "f", "f", "1"}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(UserProjector, UserDisabledEndsSessionsAndUserEnabledDoesNot) {
    const auto id = create();
    clock_.advance(1h);
    append(id, UserDisabled{});
    EXPECT_EQ(user(id), (Row{"ada@example.com", "$argon2id$h1", "user", "t", "f", "1"}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    clock_.advance(1h);
    const auto position = append(id, UserEnabled{});
    EXPECT_EQ(user(id), (Row{"ada@example.com", "$argon2id$h1", "user", "f", "f", "1"}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 2h));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(UserProjector, UserLoggedInSetsLastLoginAtOnly) {
    const auto id = create();
    clock_.advance(90min);
    const auto position = append(id, UserLoggedIn{});
    EXPECT_EQ(value("SELECT " + us("last_login_at") + " FROM users_projection WHERE id = $1", {id}),
              micros(kT0 + 90min));
    EXPECT_EQ(user(id), (Row{"ada@example.com", "$argon2id$h1", "user", "f", "f", "0"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(UserProjector, UserDeletedSoftDeletesAndEndsSessions) {
    const auto id = create();
    clock_.advance(1h);
    const auto position = append(id, UserDeleted{});
    EXPECT_EQ(user(id), (Row{"ada@example.com", "$argon2id$h1", "user", "f", "t", "1"}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    EXPECT_EQ(version(id), text(position));
    // The email is free again for a new live user.
    const auto again = create("ada@example.com");
    EXPECT_EQ(value("SELECT count(*) FROM users_projection WHERE lower(email) = 'ada@example.com'"),
              "2");
    EXPECT_EQ(user(again)[4], "f");
}

TEST_F(UserProjector, EverySessionEndingEventBumpsTheSessionVersionOnce) {
    const auto id = create();
    append(id, UserPasswordChanged{.password_hash = "$argon2id$h2"});
    EXPECT_EQ(session_version(id), "1");
    append(id, UserPasswordRehashed{.password_hash = "$argon2id$h3"});
    EXPECT_EQ(session_version(id), "1");
    append(id, UserRoleChanged{.role = "admin"});
    EXPECT_EQ(session_version(id), "2");
    append(id, UserEmailChanged{.email = "x@example.com"});
    append(id, UserLoggedIn{});
    EXPECT_EQ(session_version(id), "2");
    append(id, UserDisabled{});
    EXPECT_EQ(session_version(id), "3");
    append(id, UserEnabled{});
    EXPECT_EQ(session_version(id), "3");
    append(id, UserDeleted{});
    EXPECT_EQ(session_version(id), "4");
}

TEST_F(UserProjector, ReplayingASessionEndingEventDoesNotBumpAgain) {
    const auto id = create();
    const auto changed = append(id, UserPasswordChanged{.password_hash = "$argon2id$h2"});
    const auto before = snapshot();
    EXPECT_EQ(reproject(changed), "UserPasswordChanged");
    EXPECT_EQ(session_version(id), "1");
    EXPECT_EQ(snapshot(), before);
}

TEST_F(UserProjector, ReplayingAnOlderEventAfterANewerOneChangesNothing) {
    const auto id = create();
    const auto renamed = append(id, UserEmailChanged{.email = "first@example.com"});
    append(id, UserEmailChanged{.email = "second@example.com"});
    const auto before = snapshot();
    EXPECT_EQ(reproject(renamed), "UserEmailChanged");
    EXPECT_EQ(user(id).front(), "second@example.com");
    EXPECT_EQ(snapshot(), before);
}

TEST_F(UserProjector, ReplayingTheWholeUserHistoryChangesNothing) {
    const auto id = create();
    append(id, UserEmailChanged{.email = "new@example.com"});
    append(id, UserPasswordChanged{.password_hash = "$argon2id$h2"});
    append(id, UserPasswordRehashed{.password_hash = "$argon2id$h3"});
    append(id, UserRoleChanged{.role = "admin"});
    append(id, UserLoggedIn{});
    append(id, UserDisabled{});
    append(id, UserEnabled{});
    append(id, UserDeleted{});
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 9u);
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(session_version(id), "4");
}

TEST_F(UserProjector, EveryUpdateOfAUserThatWasNeverCreatedIsRefused) {
    expect_refused_without_creation(
        UserEmailChanged{.email = "x@example.com"}, UserPasswordChanged{.password_hash = "h"},
        UserPasswordRehashed{.password_hash = "h"}, UserRoleChanged{.role = "user"}, UserDisabled{},
        UserEnabled{}, UserLoggedIn{}, UserDeleted{});
}

// ---- token ----------------------------------------------------------------------------------

class TokenProjector : public pm::testing::ProjectorTest {
protected:
    std::string create(const std::string& hash = "aa11", const Actor& actor = Actor::system()) {
        const auto id = pm::new_ulid();
        append(id,
               TokenCreated{.value_hash = hash, .name = "lab", .one_time = false, .max_uses = 5},
               actor);
        return id;
    }
    // name, current_uses, disabled, is_deleted
    Row token(const std::string& id) {
        return row(
            "SELECT name, current_uses, disabled, is_deleted FROM tokens_projection "
            "WHERE id = $1",
            {id});
    }
    std::string owner(const std::string& id) {
        return value("SELECT owner_id FROM tokens_projection WHERE id = $1", {id});
    }
    std::string version(const std::string& id) {
        return value("SELECT projection_version FROM tokens_projection WHERE id = $1", {id});
    }
};

TEST_F(TokenProjector, TokenCreatedInsertsEveryGivenField) {
    const auto id = pm::new_ulid();
    const auto owner = pm::new_ulid();
    const auto admin = pm::new_ulid();
    const auto position = append(id,
                                 TokenCreated{.value_hash = "9f86d081884c7d65",
                                              .name = "Lab PCs",
                                              .one_time = true,
                                              .max_uses = 1,
                                              .expires_at = kT0 + 24h,
                                              .owner_id = owner},
                                 Actor::admin(admin));
    EXPECT_EQ(row("SELECT id, value_hash, name, one_time, max_uses, current_uses, " +
                      us("expires_at") + ", " + us("created_at") +
                      ", created_by, owner_id, disabled, is_deleted, projection_version "
                      "FROM tokens_projection",
                  {}),
              (Row{id, "9f86d081884c7d65", "Lab PCs", "t", "1", "0", micros(kT0 + 24h), micros(kT0),
                   admin, owner, "f", "f", text(position)}));
}

TEST_F(TokenProjector, TokenCreatedWithoutExpiryNeverExpires) {
    const auto id = create();
    EXPECT_EQ(value("SELECT expires_at FROM tokens_projection WHERE id = $1", {id}), "NULL");
}

TEST_F(TokenProjector, TokenCreatedWithoutOwnerIsOwnedByTheCreatingUserOrAdmin) {
    const auto alice = pm::new_ulid();
    const auto root = pm::new_ulid();
    const auto by_user = create("aa01", Actor::user(alice));
    const auto by_admin = create("aa02", Actor::admin(root));
    EXPECT_EQ(owner(by_user), alice);
    EXPECT_EQ(value("SELECT created_by FROM tokens_projection WHERE id = $1", {by_user}), alice);
    EXPECT_EQ(owner(by_admin), root);
    EXPECT_EQ(value("SELECT created_by FROM tokens_projection WHERE id = $1", {by_admin}), root);
}

TEST_F(TokenProjector, TokenCreatedBySystemWithoutOwnerHasNoOwner) {
    const auto id = create("aa03", Actor::system("registration"));
    EXPECT_EQ(owner(id), "NULL");
    EXPECT_EQ(value("SELECT created_by FROM tokens_projection WHERE id = $1", {id}),
              "registration");
}

TEST_F(TokenProjector, TokenRenamedSetsTheNameOnly) {
    const auto id = create();
    append(id, TokenUsed{.device_id = pm::new_ulid()});
    const auto position = append(id, TokenRenamed{.name = "Lab PCs, 2nd floor"});
    EXPECT_EQ(token(id), (Row{"Lab PCs, 2nd floor", "1", "f", "f"}));
    EXPECT_EQ(
        value("SELECT value_hash || '/' || max_uses FROM tokens_projection WHERE id = $1", {id}),
        "aa11/5");
    EXPECT_EQ(version(id), text(position));
}

TEST_F(TokenProjector, TokenUsedCountsEveryUse) {
    const auto id = create();
    append(id, TokenUsed{.device_id = pm::new_ulid()});
    EXPECT_EQ(token(id), (Row{"lab", "1", "f", "f"}));
    const auto position = append(id, TokenUsed{.device_id = pm::new_ulid()});
    EXPECT_EQ(token(id), (Row{"lab", "2", "f", "f"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(TokenProjector, TokenDisabledAndTokenEnabledToggleDisabled) {
    const auto id = create();
    append(id, TokenDisabled{});
    EXPECT_EQ(token(id), (Row{"lab", "0", "t", "f"}));
    const auto position = append(id, TokenEnabled{});
    EXPECT_EQ(token(id), (Row{"lab", "0", "f", "f"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(TokenProjector, TokenDeletedSoftDeletesAndFreesTheHash) {
    const auto id = create("dead");
    const auto position = append(id, TokenDeleted{});
    EXPECT_EQ(token(id), (Row{"lab", "0", "f", "t"}));
    EXPECT_EQ(version(id), text(position));
    const auto again = create("dead");
    EXPECT_EQ(token(again), (Row{"lab", "0", "f", "f"}));
}

TEST_F(TokenProjector, ASecondLiveTokenWithTheSameHashIsAlreadyExists) {
    create("same");
    const auto second = pm::new_ulid();
    try {
        append(second, TokenCreated{.value_hash = "same", .name = "dup", .max_uses = 0});
        FAIL() << "two live tokens got the same hash";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), "tokens_projection_value_hash_key");
    }
    EXPECT_EQ(value("SELECT count(*) FROM tokens_projection"), "1");
}

TEST_F(TokenProjector, ReplayingTokenUsedDoesNotCountTwice) {
    const auto id = create();
    const auto used = append(id, TokenUsed{.device_id = pm::new_ulid()});
    EXPECT_EQ(reproject(used), "TokenUsed");
    EXPECT_EQ(token(id), (Row{"lab", "1", "f", "f"}));
    EXPECT_EQ(version(id), text(used));
}

TEST_F(TokenProjector, ReplayingTheWholeTokenHistoryChangesNothing) {
    const auto id = create();
    append(id, TokenRenamed{.name = "renamed"});
    append(id, TokenUsed{.device_id = pm::new_ulid()});
    append(id, TokenUsed{.device_id = pm::new_ulid()});
    append(id, TokenDisabled{});
    append(id, TokenEnabled{});
    append(id, TokenDeleted{});
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 7u);
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(token(id), (Row{"renamed", "2", "f", "t"}));
}

TEST_F(TokenProjector, NullOptionalKeysOfTokenCreatedCountAsAbsent) {
    const auto id = pm::new_ulid();
    append_raw({"token", id},
               NewEvent{"TokenCreated",
                        {{"value_hash", "bb22"},
                         {"name", "n"},
                         {"one_time", false},
                         {"max_uses", 0},
                         {"expires_at", nullptr},
                         {"owner_id", nullptr}},
                        {},
                        "token"},
               Actor::user("alice"));
    EXPECT_EQ(
        row("SELECT expires_at, owner_id, created_by FROM tokens_projection WHERE id = $1", {id}),
        (Row{"NULL", "alice", "alice"}));
}

TEST_F(TokenProjector, EveryUpdateOfATokenThatWasNeverCreatedIsRefused) {
    expect_refused_without_creation(TokenRenamed{.name = "n"}, TokenUsed{.device_id = "d"},
                                    TokenDisabled{}, TokenEnabled{}, TokenDeleted{});
}

}  // namespace
