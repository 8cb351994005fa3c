// A projector that refuses an event aborts that append with an error naming the event and the
// cause; uniqueness becomes the typed AlreadyExists; nothing is swallowed, and in a group
// commit only the offending caller fails.
#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/eventstore/events.hpp>

#include "eventstore/store_fixture.hpp"

namespace {

using namespace pm::eventstore;
using pm::db::Actor;

class ProjectorErrors : public pm::testing::EventStoreTest {
protected:
    // One writer that lingers, so concurrent appends land in one transaction.
    AppenderOptions appender_options() const override {
        AppenderOptions options;
        options.writers = 1;
        options.max_wait = std::chrono::milliseconds(50);
        return options;
    }
    static NewEvent user(const std::string& email) {
        return NewEvent::of(UserCreated{.email = email, .password_hash = "h", .role = "user"});
    }
};

TEST_F(ProjectorErrors, DuplicateLiveEmailIsTypedAlreadyExistsAndWritesNothing) {
    store().append({"user", pm::new_ulid()}, ExpectedVersion::no_stream(), {user("a@example.com")},
                   Actor::system());
    const StreamId second{"user", pm::new_ulid()};
    try {
        store().append(second, ExpectedVersion::no_stream(), {user("A@example.com")},
                       Actor::system());
        FAIL() << "a second live user got the same email";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), "users_projection_email_key");
        const std::string text = e.what();
        EXPECT_NE(text.find("UserCreated"), std::string::npos) << text;
    }
    EXPECT_TRUE(store().read_stream(second).empty());
    EXPECT_EQ(store().stream_version(second), 0);
}

TEST_F(ProjectorErrors, ADeletedUsersEmailCanBeReused) {
    const StreamId first{"user", pm::new_ulid()};
    store().append(first, ExpectedVersion::no_stream(), {user("b@example.com")}, Actor::system());
    store().append(first, ExpectedVersion::exactly(1), {NewEvent::of(UserDeleted{})},
                   Actor::system());
    EXPECT_NO_THROW(store().append({"user", pm::new_ulid()}, ExpectedVersion::no_stream(),
                                   {user("b@example.com")}, Actor::system()));
}

TEST_F(ProjectorErrors, AMissingKeyNamesTheEventAndTheKey) {
    const StreamId device{"device", pm::new_ulid()};
    store().append(device, ExpectedVersion::no_stream(),
                   {NewEvent::of(DeviceRegistered{.hostname = "h",
                                                  .agent_version = "1",
                                                  .cert_fingerprint = "f",
                                                  .cert_serial = "1",
                                                  .registration_token_id = "t"})},
                   Actor::system());
    NewEvent broken{"DeviceLabelSet", {{"value", "v"}}, {}, "device"};
    try {
        store().append(device, ExpectedVersion::exactly(1), {broken}, Actor::system());
        FAIL() << "a label without a key was accepted";
    } catch (const pm::db::DatabaseError& e) {
        const std::string text = e.what();
        EXPECT_NE(text.find("DeviceLabelSet"), std::string::npos) << text;
        EXPECT_NE(text.find("key"), std::string::npos) << text;
    }
    EXPECT_EQ(store().stream_version(device), 1);
}

TEST_F(ProjectorErrors, AnUpdateBeforeTheCreationIsRefused) {
    const StreamId ghost{"user", pm::new_ulid()};
    EXPECT_THROW(store().append(ghost, ExpectedVersion::any(), {NewEvent::of(UserDisabled{})},
                                Actor::system()),
                 pm::db::DatabaseError);
    EXPECT_TRUE(store().read_stream(ghost).empty());
}

TEST_F(ProjectorErrors, InAGroupCommitOnlyTheOffendingCallerFails) {
    store().append({"user", pm::new_ulid()}, ExpectedVersion::no_stream(),
                   {user("taken@example.com")}, Actor::system());
    std::vector<std::future<AppendResult>> pending;
    for (int i = 0; i < 20; ++i) {
        const auto email =
            i == 7 ? std::string("taken@example.com") : "free" + std::to_string(i) + "@example.com";
        pending.push_back(store().append_async({"user", pm::new_ulid()},
                                               ExpectedVersion::no_stream(), {user(email)},
                                               Actor::system()));
    }
    int ok = 0, duplicates = 0;
    for (auto& f : pending) {
        try {
            f.get();
            ++ok;
        } catch (const AlreadyExists&) {
            ++duplicates;
        }
    }
    EXPECT_EQ(ok, 19);
    EXPECT_EQ(duplicates, 1);
    EXPECT_GE(store().stats().isolated_retries, 1u) << "the callers never shared a transaction";
}

}  // namespace
