#pragma once
/// @file
/// @brief Reading projection rows into pm.v1 messages, pagination, and the errors handlers
/// throw.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <powermanage/common/clock.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/rpc/status.hpp>

#include "pm/v1/control.pb.h"

namespace pm::control {

/// Throws rpc::RpcError(code, message).
[[noreturn]] void fail(rpc::Code code, std::string message);

/// SQL for `column` (a timestamptz) as microseconds since the epoch.
std::string epoch_us(std::string_view column);
/// Lower-case hex SHA-256 of `data` (how registration token values are stored).
std::string sha256_hex(std::string_view data);
/// Sets `out` from microseconds since the epoch.
void set_timestamp(google::protobuf::Timestamp* out, std::int64_t micros);
/// Sets `out` from a time point.
void set_timestamp(google::protobuf::Timestamp* out, Clock::TimePoint t);
/// A protobuf timestamp as a time point.
Clock::TimePoint to_time_point(const google::protobuf::Timestamp& t);

/// The live (not deleted) user `id` as the caller's transaction sees it.
std::optional<pm::v1::User> find_user(db::Transaction& tx, const std::string& id);
/// The live device `id`; `now` decides its status (online: seen within 5 minutes).
std::optional<pm::v1::Device> find_device(db::Transaction& tx, const std::string& id,
                                          Clock::TimePoint now);
/// The live token `id` (its secret value is never stored, so `value` stays empty).
std::optional<pm::v1::RegistrationToken> find_token(db::Transaction& tx, const std::string& id);

/// The stream version of the live (not deleted) row `id` of projection `table`, whose stream
/// type is `stream_type`, as `tx` sees it (so out-of-scope rows count as missing); nullopt if
/// there is none. Commands append with this version expected, so a concurrent change or delete
/// makes them fail instead of acting on what they did not see.
std::optional<std::int32_t> live_version(db::Transaction& tx, std::string_view table,
                                         std::string_view stream_type, const std::string& id);

/// Column lists and row readers for the list RPCs.
extern const char* const kUserColumns;    ///< for read_user()
extern const char* const kDeviceColumns;  ///< for read_device()
extern const char* const kTokenColumns;   ///< for read_token()
void read_user(const db::Result& rows, int row, pm::v1::User* out);
void read_device(const db::Result& rows, int row, Clock::TimePoint now, pm::v1::Device* out);
void read_token(const db::Result& rows, int row, pm::v1::RegistrationToken* out);

/// How long after its last contact a device still counts as online.
inline constexpr std::chrono::minutes kOnlineWindow{5};

/// One page of a list: `limit` rows after skipping `offset`.
struct Page {
    int limit = 50;
    std::int64_t offset = 0;
    /// The page token of the next page, or "" when this page reaches `total`.
    std::string next_token(std::int64_t total) const;
};
/// The page a request asks for: page_size 1..100 (0 = 50), page_token a decimal offset
/// returned by a previous call. Throws invalid_argument for a token that is not one.
Page parse_page(std::int32_t page_size, const std::string& page_token);

}  // namespace pm::control
