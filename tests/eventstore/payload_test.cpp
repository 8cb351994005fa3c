#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <boost/mp11/algorithm.hpp>
#include <gtest/gtest.h>

#include <powermanage/eventstore/events.hpp>
#include <powermanage/eventstore/payload.hpp>

namespace pm::eventstore {
namespace {

using namespace std::chrono_literals;
using boost::json::object;

/// 2026-02-05T13:01:33Z.
const Timestamp kSomeTime =
    std::chrono::sys_days{std::chrono::year{2026} / 2 / 5} + 13h + 1min + 33s;

/// Parses JSON text that must be an object.
object parse_object(std::string_view text) {
    return boost::json::parse(text).as_object();
}

/// Decodes a payload from JSON text.
template <class E>
E decode(std::string_view text) {
    return from_json<E>(parse_object(text));
}

/// The PayloadError message of decoding `text` as E, or "" when it decodes.
template <class E>
std::string decode_error(std::string_view text) {
    try {
        (void)decode<E>(text);
    } catch (const PayloadError& e) {
        return e.what();
    }
    return "";
}

/// A non-default value of every member type, so a round trip exercises each codec.
template <class T>
T sample(std::string_view name) {
    if constexpr (std::is_same_v<T, std::string>) {
        return std::string(name) + " \"value\" \u00e9";
    } else if constexpr (std::is_same_v<T, bool>) {
        return true;
    } else if constexpr (std::is_same_v<T, std::int32_t>) {
        return -2147483647 - 1;
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
        return (std::int64_t{1} << 53) | 1;  // not exactly representable as a double
    } else if constexpr (std::is_same_v<T, double>) {
        return 12.5;
    } else if constexpr (std::is_same_v<T, Timestamp>) {
        return kSomeTime + 123456us;
    } else if constexpr (std::is_same_v<T, object>) {
        return object{{"stdout", "ok\n"}, {"exit_code", 0}, {"nested", {{"list", {1, 2}}}}};
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        return {"01A", "01B"};
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
        return {{"env", "prod"}, {"site", "ams"}};
    } else {
        static_assert(sizeof(T) == 0, "add a sample for this member type");
    }
}

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

/// An instance with every member, optional ones included, set to a sample value.
template <class E>
E populated() {
    E event{};
    boost::mp11::mp_for_each<boost::describe::describe_members<E, boost::describe::mod_public>>(
        [&](auto member) {
            auto& field = event.*member.pointer;
            using M = std::remove_cvref_t<decltype(field)>;
            if constexpr (IsOptional<M>::value) {
                field = sample<typename M::value_type>(member.name);
            } else {
                field = sample<M>(member.name);
            }
        });
    return event;
}

/// Number of described members of E, and how many of them are optional.
template <class E>
std::pair<std::size_t, std::size_t> member_counts() {
    std::size_t all = 0;
    std::size_t optional = 0;
    boost::mp11::mp_for_each<boost::describe::describe_members<E, boost::describe::mod_public>>(
        [&](auto member) {
            ++all;
            optional += IsOptional<std::remove_cvref_t<decltype(E{}.*member.pointer)>>::value;
        });
    return {all, optional};
}

// ---- every event type ---------------------------------------------------------------------

TEST(PayloadTest, EveryEventTypeRoundTripsPopulatedAndDefault) {
    boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, AllEvents>>(
        [](auto identity) {
            using E = typename decltype(identity)::type;
            SCOPED_TRACE(std::string(E::kType));
            const auto [members, optionals] = member_counts<E>();

            const E full = populated<E>();
            const object full_json = to_json(full);
            EXPECT_EQ(full_json.size(), members) << boost::json::serialize(full_json);
            EXPECT_TRUE(from_json<E>(full_json) == full) << boost::json::serialize(full_json);
            // Through text as well, as the store does.
            EXPECT_TRUE(decode<E>(boost::json::serialize(full_json)) == full);

            const E empty{};
            const object empty_json = to_json(empty);
            EXPECT_EQ(empty_json.size(), members - optionals) << boost::json::serialize(empty_json);
            EXPECT_TRUE(from_json<E>(empty_json) == empty);
            EXPECT_FALSE(members > 0 && empty == full);

            EXPECT_EQ(stream_of_event_type(E::kType), E::kStream);
        });
}

TEST(PayloadTest, EmptyEventsEncodeAsEmptyObjects) {
    EXPECT_EQ(boost::json::serialize(to_json(UserDisabled{})), "{}");
    EXPECT_TRUE(decode<ExecutionStarted>("{}") == ExecutionStarted{});
    // Whatever a newer writer put in there is ignored.
    EXPECT_TRUE(decode<DeviceDeleted>(R"({"by":"admin"})") == DeviceDeleted{});
}

// ---- exact JSON ---------------------------------------------------------------------------

TEST(PayloadTest, UserCreatedExactJson) {
    const UserCreated event{
        .email = "ada@example.com", .password_hash = "$argon2id$v=19$x", .role = "admin"};
    EXPECT_EQ(boost::json::serialize(to_json(event)),
              R"({"email":"ada@example.com","password_hash":"$argon2id$v=19$x","role":"admin"})");
}

TEST(PayloadTest, DeviceHeartbeatOmitsAbsentOptionals) {
    const DeviceHeartbeat event{
        .agent_version = "1.4.2", .uptime_seconds = 86400, .cpu_percent = 0.5};
    EXPECT_EQ(boost::json::serialize(to_json(event)),
              R"({"agent_version":"1.4.2","uptime_seconds":86400,"cpu_percent":5E-1})");
    EXPECT_TRUE(decode<DeviceHeartbeat>(R"({"agent_version":"1.4.2","uptime_seconds":86400,)"
                                        R"("cpu_percent":0.5})") == event);
}

TEST(PayloadTest, ExecutionCompletedWithOutputAndCompletedAt) {
    const ExecutionCompleted event{
        .duration_ms = 1534,
        .completed_at = kSomeTime + 250ms,
        .output = object{{"stdout", "done\n"}, {"stderr", ""}, {"exit_code", 0}}};
    const std::string text = boost::json::serialize(to_json(event));
    EXPECT_EQ(text, R"({"duration_ms":1534,"completed_at":"2026-02-05T13:01:33.250Z",)"
                    R"("output":{"stdout":"done\n","stderr":"","exit_code":0}})");
    EXPECT_TRUE(decode<ExecutionCompleted>(text) == event);
}

TEST(PayloadTest, ContainersEncodeAsArraysAndObjects) {
    const DeviceGroupMembershipEvaluated evaluated{.added = {"01A", "01B"}, .removed = {}};
    EXPECT_EQ(boost::json::serialize(to_json(evaluated)),
              R"({"added":["01A","01B"],"removed":[]})");

    DeviceRegistered registered{.hostname = "h",
                                .agent_version = "1",
                                .cert_fingerprint = "fp",
                                .cert_serial = "0A",
                                .cert_not_after = kSomeTime,
                                .registration_token_id = "01T",
                                .labels = std::map<std::string, std::string>{{"env", "prod"}}};
    EXPECT_EQ(boost::json::serialize(to_json(registered)),
              R"({"hostname":"h","agent_version":"1","cert_fingerprint":"fp","cert_serial":"0A",)"
              R"("cert_not_after":"2026-02-05T13:01:33.000Z","registration_token_id":"01T",)"
              R"("labels":{"env":"prod"}})");
}

// ---- timestamps ---------------------------------------------------------------------------

TEST(PayloadTest, TimestampsEncodeAsUtcWithMillisecondsOrMicroseconds) {
    const auto encoded = [](Timestamp t) {
        return boost::json::serialize(to_json(ExecutionCompleted{.completed_at = t}));
    };
    EXPECT_EQ(encoded(kSomeTime), R"({"duration_ms":0,"completed_at":"2026-02-05T13:01:33.000Z"})");
    EXPECT_EQ(encoded(kSomeTime + 7ms),
              R"({"duration_ms":0,"completed_at":"2026-02-05T13:01:33.007Z"})");
    EXPECT_EQ(encoded(kSomeTime + 123456us),
              R"({"duration_ms":0,"completed_at":"2026-02-05T13:01:33.123456Z"})");
    // Below microseconds is truncated: timestamptz could not keep it anyway.
    EXPECT_EQ(encoded(kSomeTime + 123456789ns),
              R"({"duration_ms":0,"completed_at":"2026-02-05T13:01:33.123456Z"})");
    EXPECT_EQ(encoded(Timestamp{}),
              R"({"duration_ms":0,"completed_at":"1970-01-01T00:00:00.000Z"})");
    EXPECT_EQ(encoded(Timestamp{} - 1ms),
              R"({"duration_ms":0,"completed_at":"1969-12-31T23:59:59.999Z"})");
}

/// The `completed_at` of an ExecutionCompleted written with that timestamp text.
Timestamp completed_at(std::string_view timestamp) {
    const auto event = from_json<ExecutionCompleted>(
        object{{"duration_ms", 1}, {"completed_at", boost::json::string_view(timestamp)}});
    return event.completed_at.value();
}

TEST(PayloadTest, TimestampsParseRfc3339WithZoneAndFraction) {
    EXPECT_EQ(completed_at("2026-02-05T13:01:33Z"), kSomeTime);
    EXPECT_EQ(completed_at("2026-02-05T13:01:33.123456Z"), kSomeTime + 123456us);
    EXPECT_EQ(completed_at("2026-02-05T13:01:33.1Z"), kSomeTime + 100ms);
    EXPECT_EQ(completed_at("2026-02-05T13:01:33.123456789Z"), kSomeTime + 123456789ns);
    // Digits beyond nanoseconds are truncated.
    EXPECT_EQ(completed_at("2026-02-05T13:01:33.1234567891Z"), kSomeTime + 123456789ns);
    EXPECT_EQ(completed_at("2026-02-05T15:01:33+02:00"), kSomeTime);
    EXPECT_EQ(completed_at("2026-02-05T08:31:33.5-04:30"), kSomeTime + 500ms);
    EXPECT_EQ(completed_at("2026-02-05T13:01:33+00:00"), kSomeTime);
    // Offsets may cross a day boundary.
    EXPECT_EQ(completed_at("2026-02-06T00:01:33+11:00"), kSomeTime);
    EXPECT_EQ(completed_at("2026-02-05t13:01:33z"), kSomeTime);
    EXPECT_EQ(completed_at("2026-02-05 13:01:33Z"), kSomeTime);
    EXPECT_EQ(completed_at("2024-02-29T00:00:00Z"),
              std::chrono::sys_days{std::chrono::year{2024} / 2 / 29});
}

TEST(PayloadTest, MalformedTimestampsAreRefused) {
    for (const std::string_view bad : {"",
                                       "2026-02-05",
                                       "2026-02-05T13:01:33",
                                       "2026-02-05T13:01Z",
                                       "2026-2-05T13:01:33Z",
                                       "2026-02-05T13:01:33.Z",
                                       "2026-02-05T13:01:33+0200",
                                       "2026-02-05T13:01:33+02",
                                       "2026-02-05T13:01:33Zjunk",
                                       " 2026-02-05T13:01:33Z",
                                       "2026-13-05T13:01:33Z",
                                       "2026-02-30T13:01:33Z",
                                       "2025-02-29T00:00:00Z",
                                       "2026-02-05T24:00:00Z",
                                       "2026-02-05T13:60:00Z",
                                       "2026-02-05T13:01:60Z",
                                       "2026-02-05T13:01:33+24:00",
                                       "9999-12-31T23:59:59Z",
                                       "1000-01-01T00:00:00Z",
                                       "yesterday"}) {
        SCOPED_TRACE(bad);
        const std::string text = boost::json::serialize(
            object{{"duration_ms", 1}, {"completed_at", boost::json::string_view(bad)}});
        EXPECT_EQ(decode_error<ExecutionCompleted>(text),
                  "ExecutionCompleted: key \"completed_at\": expected an RFC 3339 timestamp, got " +
                      boost::json::serialize(boost::json::value(boost::json::string_view(bad))));
    }
    EXPECT_EQ(decode_error<ExecutionCompleted>(R"({"duration_ms":1,"completed_at":1770296493})"),
              "ExecutionCompleted: key \"completed_at\": expected an RFC 3339 timestamp string, "
              "got number");
}

// ---- optional keys ------------------------------------------------------------------------

TEST(PayloadTest, OptionalKeysMayBeAbsentOrNull) {
    const auto absent = decode<ExecutionDispatched>(R"({"device_id":"01D"})");
    EXPECT_EQ(absent.device_id, "01D");
    EXPECT_FALSE(absent.gateway_id.has_value());

    const auto null = decode<ExecutionDispatched>(R"({"device_id":"01D","gateway_id":null})");
    EXPECT_FALSE(null.gateway_id.has_value());
    // Re-encoding drops the null: absent is the one spelling of "not given".
    EXPECT_EQ(boost::json::serialize(to_json(null)), R"({"device_id":"01D"})");

    const auto present = decode<ExecutionDispatched>(R"({"device_id":"01D","gateway_id":"gw1"})");
    EXPECT_EQ(present.gateway_id, "gw1");

    const auto params = decode<ActionParamsUpdated>(R"({"params":{},"schedule":null})");
    EXPECT_FALSE(params.schedule.has_value());
    EXPECT_FALSE(params.timeout_seconds.has_value());
}

TEST(PayloadTest, RequiredKeysMustNotBeNull) {
    EXPECT_EQ(decode_error<TokenRenamed>(R"({"name":null})"),
              "TokenRenamed: key \"name\": expected a string, got null");
}

TEST(PayloadTest, UnknownKeysAreIgnored) {
    const auto event =
        decode<DeviceLabelSet>(R"({"key":"env","value":"prod","since":"2026","extra":{"a":1}})");
    EXPECT_EQ(event.key, "env");
    EXPECT_EQ(event.value, "prod");
}

// ---- decode errors ------------------------------------------------------------------------

TEST(PayloadTest, MissingRequiredKeyIsNamed) {
    EXPECT_EQ(decode_error<UserCreated>(R"({"password_hash":"h","role":"user"})"),
              "UserCreated: key \"email\" is missing");
    EXPECT_EQ(decode_error<SecurityAlert>(R"({"alert_type":"t","message":"m"})"),
              "SecurityAlert: key \"details\" is missing");
}

TEST(PayloadTest, WrongJsonTypeIsNamed) {
    EXPECT_EQ(decode_error<UserCreated>(R"({"email":5,"password_hash":"h","role":"user"})"),
              "UserCreated: key \"email\": expected a string, got number");
    EXPECT_EQ(decode_error<UserSelectionChanged>(
                  R"({"device_id":"d","source_type":"action","source_id":"a","selected":"yes"})"),
              "UserSelectionChanged: key \"selected\": expected a bool, got string");
    EXPECT_EQ(decode_error<ActionSetMemberAdded>(R"({"action_id":"a","sort_order":"1"})"),
              "ActionSetMemberAdded: key \"sort_order\": expected a 32-bit integer, got string");
    EXPECT_EQ(decode_error<DeviceHeartbeat>(R"({"cpu_percent":"high"})"),
              "DeviceHeartbeat: key \"cpu_percent\": expected a number, got string");
    EXPECT_EQ(decode_error<SecurityAlert>(R"({"alert_type":"t","message":"m","details":[]})"),
              "SecurityAlert: key \"details\": expected an object, got array");
    EXPECT_EQ(decode_error<DeviceGroupMembershipEvaluated>(R"({"added":"01A","removed":[]})"),
              "DeviceGroupMembershipEvaluated: key \"added\": expected an array, got string");
}

TEST(PayloadTest, ContainerElementErrorsNameTheElement) {
    EXPECT_EQ(decode_error<DeviceGroupMembershipEvaluated>(R"({"added":["01A",7],"removed":[]})"),
              "DeviceGroupMembershipEvaluated: key \"added\": element 1: expected a string, got "
              "number");
    EXPECT_EQ(decode_error<DeviceRegistered>(
                  R"({"hostname":"h","agent_version":"1","cert_fingerprint":"f","cert_serial":"s",)"
                  R"("cert_not_after":"2026-02-05T13:01:33Z","registration_token_id":"t",)"
                  R"("labels":{"env":true}})"),
              "DeviceRegistered: key \"labels\": entry \"env\": expected a string, got bool");
}

TEST(PayloadTest, IntegersAcceptInRangeNumbersOnly) {
    using Interval = DeviceSyncIntervalSet;
    EXPECT_EQ(decode<Interval>(R"({"sync_interval_minutes":2147483647})").sync_interval_minutes,
              2147483647);
    EXPECT_EQ(decode<Interval>(R"({"sync_interval_minutes":-2147483648})").sync_interval_minutes,
              -2147483647 - 1);
    // Integral doubles are integers still (other writers may produce them).
    EXPECT_EQ(decode<Interval>(R"({"sync_interval_minutes":15.0})").sync_interval_minutes, 15);
    EXPECT_EQ(decode<Interval>(R"({"sync_interval_minutes":1e3})").sync_interval_minutes, 1000);

    EXPECT_EQ(decode_error<Interval>(R"({"sync_interval_minutes":2147483648})"),
              "DeviceSyncIntervalSet: key \"sync_interval_minutes\": expected a 32-bit integer, "
              "got 2147483648 (out of range)");
    EXPECT_EQ(decode_error<Interval>(R"({"sync_interval_minutes":-2147483649})"),
              "DeviceSyncIntervalSet: key \"sync_interval_minutes\": expected a 32-bit integer, "
              "got -2147483649 (out of range)");
    EXPECT_EQ(decode_error<Interval>(R"({"sync_interval_minutes":1.5})"),
              "DeviceSyncIntervalSet: key \"sync_interval_minutes\": expected a 32-bit integer, "
              "got 1.5E0 (not an integer)");
    EXPECT_EQ(decode_error<Interval>(R"({"sync_interval_minutes":3e9})"),
              "DeviceSyncIntervalSet: key \"sync_interval_minutes\": expected a 32-bit integer, "
              "got 3E9 (out of range)");

    using Chunk = OutputChunk;
    const auto big =
        decode<Chunk>(R"({"stream":"stdout","data":"x","sequence":9223372036854775807})");
    EXPECT_EQ(big.sequence, 9223372036854775807);
    EXPECT_EQ(
        decode_error<Chunk>(R"({"stream":"stdout","data":"x","sequence":9223372036854775808})"),
        "OutputChunk: key \"sequence\": expected a 64-bit integer, got 9223372036854775808 "
        "(out of range)");
    EXPECT_EQ(decode_error<Chunk>(R"({"stream":"stdout","data":"x","sequence":1e19})"),
              "OutputChunk: key \"sequence\": expected a 64-bit integer, got 1E19 (out of range)");
    EXPECT_EQ(decode_error<Chunk>(R"({"stream":"stdout","data":"x","sequence":true})"),
              "OutputChunk: key \"sequence\": expected a 64-bit integer, got bool");
}

TEST(PayloadTest, DoublesAcceptAnyNumber) {
    const auto event = decode<DeviceHeartbeat>(
        R"({"cpu_percent":50,"memory_percent":18446744073709551615,"disk_percent":0.25})");
    EXPECT_EQ(event.cpu_percent, 50.0);
    EXPECT_EQ(event.memory_percent, 18446744073709551615.0);
    EXPECT_EQ(event.disk_percent, 0.25);
}

TEST(PayloadTest, RawJsonMembersKeepTheirContent) {
    const auto event = decode<ActionCreated>(
        R"({"name":"n","description":"","action_type":3,"desired_state":1,)"
        R"("params":{"script":"echo hi","env":{"A":"1"},"args":[1,"two",null]},)"
        R"("timeout_seconds":300,"schedule":{"cron":"0 3 * * *","runOnAssign":true}})");
    EXPECT_EQ(event.action_type, 3);
    EXPECT_EQ(event.desired_state, 1);
    EXPECT_EQ(event.params, parse_object(R"({"script":"echo hi","env":{"A":"1"},)"
                                         R"("args":[1,"two",null]})"));
    EXPECT_EQ(event.schedule, parse_object(R"({"cron":"0 3 * * *","runOnAssign":true})"));
}

// ---- the catalogue ------------------------------------------------------------------------

TEST(PayloadTest, KnownEventTypesMatchTheCatalogue) {
    // docs/events.md, counted by hand: user 9, token 6, device 12 (incl. SecurityAlert),
    // action 6, action_set 7, definition 7, device_group 9, assignment 3, execution 9
    // (incl. OutputChunk), user_selection 1.
    constexpr std::size_t kCatalogueSize = 9 + 6 + 12 + 6 + 7 + 7 + 9 + 3 + 9 + 1;
    static_assert(kCatalogueSize == 69);
    const auto types = known_event_types();
    EXPECT_EQ(types.size(), kCatalogueSize);
    EXPECT_EQ(std::set<std::string_view>(types.begin(), types.end()).size(), types.size());
    EXPECT_EQ(types.front(), "UserCreated");
    EXPECT_EQ(types.back(), "UserSelectionChanged");
    for (const std::string_view type : types) {
        EXPECT_TRUE(is_known_event_type(type)) << type;
    }
}

TEST(PayloadTest, KnownStreamTypesMatchTheCatalogue) {
    const auto streams = known_stream_types();
    EXPECT_EQ(std::vector<std::string_view>(streams.begin(), streams.end()),
              (std::vector<std::string_view>{"user", "token", "device", "action", "action_set",
                                             "definition", "device_group", "assignment",
                                             "execution", "user_selection"}));
    for (const std::string_view type : known_event_types()) {
        EXPECT_NE(std::find(streams.begin(), streams.end(), stream_of_event_type(type)),
                  streams.end())
            << type;
    }
}

TEST(PayloadTest, StreamOfEventType) {
    EXPECT_EQ(stream_of_event_type("UserCreated"), "user");
    EXPECT_EQ(stream_of_event_type("TokenUsed"), "token");
    EXPECT_EQ(stream_of_event_type("SecurityAlert"), "device");
    EXPECT_EQ(stream_of_event_type("ActionSigned"), "action");
    EXPECT_EQ(stream_of_event_type("ActionSetMemberReordered"), "action_set");
    EXPECT_EQ(stream_of_event_type("DefinitionMemberAdded"), "definition");
    EXPECT_EQ(stream_of_event_type("DeviceGroupMembershipEvaluated"), "device_group");
    EXPECT_EQ(stream_of_event_type("AssignmentModeChanged"), "assignment");
    EXPECT_EQ(stream_of_event_type("OutputChunk"), "execution");
    EXPECT_EQ(stream_of_event_type("UserSelectionChanged"), "user_selection");

    EXPECT_EQ(stream_of_event_type(""), "");
    EXPECT_EQ(stream_of_event_type("usercreated"), "");
    EXPECT_EQ(stream_of_event_type("UserCreatedX"), "");
    EXPECT_FALSE(is_known_event_type("NoSuchEvent"));
    EXPECT_FALSE(is_known_event_type(""));
}

}  // namespace
}  // namespace pm::eventstore
