// state_at: a stream folded up to a moment, by the live projectors, leaving live rows alone.
#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/eventstore/events.hpp>

#include "eventstore/store_fixture.hpp"

namespace {

using namespace pm::eventstore;
using namespace std::chrono_literals;
using pm::db::Actor;

class TimeTravel : public pm::testing::EventStoreTest {
protected:
    const pm::Clock& clock() const override { return clock_; }
    pm::ManualClock clock_{pm::Clock::TimePoint(std::chrono::seconds(1800000000))};
};

TEST_F(TimeTravel, TheStreamAsItWasThen) {
    const StreamId user{"user", pm::new_ulid()};
    const auto t0 = clock_.now();
    store().append(user, ExpectedVersion::no_stream(),
                   {NewEvent::of(UserCreated{
                       .email = "old@example.com", .password_hash = "h", .role = "user"})},
                   Actor::system());
    clock_.advance(1h);
    store().append(user, ExpectedVersion::exactly(1),
                   {NewEvent::of(UserEmailChanged{.email = "new@example.com"})}, Actor::system());
    clock_.advance(1h);
    store().append(user, ExpectedVersion::exactly(2), {NewEvent::of(UserDisabled{})},
                   Actor::system());

    const auto before = store().state_at(user, t0 - 1s);
    EXPECT_TRUE(before.at("users_projection").as_array().empty());

    const auto first = store().state_at(user, t0 + 30min);
    ASSERT_EQ(first.at("users_projection").as_array().size(), 1u);
    const auto& row = first.at("users_projection").as_array()[0].as_object();
    EXPECT_EQ(row.at("email").as_string(), "old@example.com");
    EXPECT_EQ(row.at("disabled").as_bool(), false);

    const auto later = store().state_at(user, t0 + 90min);
    EXPECT_EQ(later.at("users_projection").as_array()[0].at("email").as_string(),
              "new@example.com");
    EXPECT_EQ(later.at("users_projection").as_array()[0].at("disabled").as_bool(), false);

    // The live row is untouched by the journeys.
    pm::db::Connection conn(database_url());
    const auto live =
        conn.exec("SELECT email, disabled FROM users_projection WHERE id = $1", {user.id});
    ASSERT_EQ(live.rows(), 1);
    EXPECT_EQ(live.text(0, 0), "new@example.com");
    EXPECT_TRUE(live.boolean(0, 1));
}

TEST_F(TimeTravel, MembersTravelWithTheirSet) {
    const StreamId set{"action_set", pm::new_ulid()};
    const auto a1 = pm::new_ulid();
    const auto t0 = clock_.now();
    store().append(set, ExpectedVersion::no_stream(),
                   {NewEvent::of(ActionSetCreated{.name = "s", .description = ""}),
                    NewEvent::of(ActionSetMemberAdded{.action_id = a1})},
                   Actor::system());
    clock_.advance(1h);
    store().append(set, ExpectedVersion::exactly(2),
                   {NewEvent::of(ActionSetMemberRemoved{.action_id = a1})}, Actor::system());
    const auto then = store().state_at(set, t0 + 1min);
    EXPECT_EQ(then.at("action_set_members_projection").as_array().size(), 1u);
    const auto now = store().state_at(set, t0 + 2h);
    EXPECT_EQ(now.at("action_set_members_projection").as_array().size(), 0u);
}

TEST_F(TimeTravel, UnknownStreamTypeIsAClearError) {
    EXPECT_THROW(store().state_at({"nope", "x"}, clock_.now()), pm::db::DatabaseError);
}

}  // namespace
