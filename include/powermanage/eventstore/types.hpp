#pragma once

/// @file
/// @brief The vocabulary of the event store: streams, expected versions, positions, events.

#include <compare>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include <powermanage/common/clock.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/payload.hpp>

namespace pm::eventstore {

/// A stream: the events of one aggregate, e.g. {"user", "01HV..."}.
struct StreamId {
    std::string type;  ///< stream type, e.g. "user"
    std::string id;    ///< aggregate id, normally a ULID

    /// "type/id", for messages and logs.
    std::string to_string() const { return type + "/" + id; }
    /// Same type and id.
    friend bool operator==(const StreamId&, const StreamId&) = default;
};

/// What the caller believes the stream's version is; the append fails with VersionConflict
/// if that does not hold when the events would be written.
class ExpectedVersion {
public:
    /// Append whatever the version (blind facts such as heartbeats).
    static constexpr ExpectedVersion any() { return ExpectedVersion(-1); }
    /// The stream must not exist yet (creations).
    static constexpr ExpectedVersion no_stream() { return ExpectedVersion(0); }
    /// The stream must be at exactly `version` (check-then-act invariants). 0 = no stream.
    static constexpr ExpectedVersion exactly(std::int32_t version) {
        return ExpectedVersion(version);
    }

    /// -1 for any, 0 for no stream, N for exactly N.
    constexpr std::int64_t encoded() const { return value_; }
    /// "any", "no stream" or the number.
    std::string to_string() const;
    /// The same expectation.
    friend constexpr bool operator==(ExpectedVersion, ExpectedVersion) = default;

private:
    constexpr explicit ExpectedVersion(std::int64_t value) : value_(value) {}
    std::int64_t value_;
};

/// Where an event sits in the global order readers see: by appending transaction, then by
/// position. Unlike the position alone, this order never puts a late-committing event
/// behind one a reader has already passed.
struct Position {
    std::uint64_t transaction_id = 0;  ///< the appending transaction's id (xid8)
    std::int64_t position = 0;         ///< the event's global number

    /// Before every event.
    static constexpr Position start() { return {}; }
    /// "transaction_id:position".
    std::string to_string() const;
    /// Parses to_string()'s form; nullopt for anything else.
    static std::optional<Position> parse(std::string_view text);
    /// Commit order: by transaction, then by position within it.
    friend constexpr auto operator<=>(const Position&, const Position&) = default;
};

/// An event to append: its type and payload.
struct NewEvent {
    std::string type;              ///< event type, e.g. "UserCreated"
    boost::json::object data;      ///< payload
    boost::json::object metadata;  ///< correlation ids and the like; may be empty
    std::string stream_type;       ///< set by of(): the stream type the payload belongs to

    /// An event from a typed payload.
    template <EventPayload E>
    static NewEvent of(const E& payload, boost::json::object metadata = {}) {
        return {std::string(E::kType), to_json(payload), std::move(metadata),
                std::string(E::kStream)};
    }
};

/// One stream's part of an EventStore::append_in.
struct StreamAppend {
    StreamId stream;               ///< the stream
    ExpectedVersion expected;      ///< the version it must be at
    std::vector<NewEvent> events;  ///< what to append, in order
};

/// An event as stored.
struct RecordedEvent {
    Position position;             ///< global order
    std::string event_id;          ///< unique id (a UUID)
    StreamId stream;               ///< the stream
    std::int32_t version = 0;      ///< 1-based place in the stream
    std::string type;              ///< event type
    boost::json::object data;      ///< payload
    boost::json::object metadata;  ///< metadata
    std::string actor_type;        ///< "system", "admin", "user" or "device"
    std::string actor_id;          ///< who
    Clock::TimePoint occurred_at;  ///< when it was appended

    /// The payload as its C++ type. Throws PayloadError if the type name differs or the data
    /// does not fit.
    template <EventPayload E>
    E as() const {
        if (type != E::kType) {
            throw PayloadError("event " + std::to_string(position.position) + " is a " + type +
                               ", not a " + std::string(E::kType));
        }
        return from_json<E>(data);
    }
};

/// What an append wrote.
struct AppendResult {
    std::int32_t first_version = 0;  ///< version of the first event appended
    std::int32_t last_version = 0;   ///< version of the last one: the stream's version now
    std::int64_t last_position = 0;  ///< global position of the last one
};

/// The stream was not at the expected version. Re-read, re-check, and try again if the
/// command still makes sense.
class VersionConflict : public std::runtime_error {
public:
    /// A conflict on `stream`, which is at `actual` instead of `expected`.
    VersionConflict(StreamId stream, ExpectedVersion expected, std::int32_t actual);

    const StreamId& stream() const { return stream_; }      ///< the stream
    ExpectedVersion expected() const { return expected_; }  ///< what the caller expected
    std::int32_t actual() const { return actual_; }         ///< the stream's real version

private:
    StreamId stream_;
    ExpectedVersion expected_;
    std::int32_t actual_;
};

/// A projection's uniqueness rule refused the append (a live user with that email, an
/// action with that name, ...). Nothing was written.
class AlreadyExists : public std::runtime_error {
public:
    /// `constraint` names the unique index, e.g. "users_projection_email_key".
    AlreadyExists(const std::string& message, std::string constraint)
        : std::runtime_error(message), constraint_(std::move(constraint)) {}
    /// The unique index that refused it.
    const std::string& constraint() const { return constraint_; }

private:
    std::string constraint_;
};

}  // namespace pm::eventstore
