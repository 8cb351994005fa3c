#include "control/records.hpp"

#include <charconv>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

namespace pm::control {

void fail(rpc::Code code, std::string message) {
    throw rpc::RpcError(code, std::move(message));
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xf];
    }
    return out;
}

std::string epoch_us(std::string_view column) {
    return fmt::format("floor(extract(epoch FROM {}) * 1000000)::int8", column);
}

void set_timestamp(google::protobuf::Timestamp* out, std::int64_t micros) {
    std::int64_t seconds = micros / 1000000;
    std::int64_t rest = micros % 1000000;
    if (rest < 0) {
        rest += 1000000;
        --seconds;
    }
    out->set_seconds(seconds);
    out->set_nanos(static_cast<std::int32_t>(rest * 1000));
}

void set_timestamp(google::protobuf::Timestamp* out, Clock::TimePoint t) {
    set_timestamp(
        out, std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

Clock::TimePoint to_time_point(const google::protobuf::Timestamp& t) {
    return Clock::TimePoint(std::chrono::duration_cast<Clock::TimePoint::duration>(
        std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

namespace {

// Takes the field's mutable accessor rather than its pointer: calling mutable_x() makes the
// field present, and a NULL (a user who never logged in, a token that never expires) must
// leave it absent instead of answering the epoch.
template <class MutableField>
void set_optional_timestamp(const db::Result& rows, int row, int column,
                            MutableField&& mutable_field) {
    if (!rows.is_null(row, column)) {
        set_timestamp(mutable_field(), rows.int64(row, column));
    }
}

std::string columns(std::initializer_list<std::string_view> plain,
                    std::initializer_list<std::string_view> times) {
    std::string out;
    for (auto c : plain) {
        out += out.empty() ? "" : ", ";
        out += c;
    }
    for (auto c : times) {
        out += ", " + epoch_us(c) + " AS " + std::string(c);
    }
    return out;
}

}  // namespace

const char* const kUserColumns = [] {
    static const std::string s =
        columns({"id", "email", "role", "disabled"}, {"created_at", "last_login_at"});
    return s.c_str();
}();

const char* const kDeviceColumns = [] {
    static const std::string s =
        columns({"id", "hostname", "agent_version", "labels::text AS labels",
                 "coalesce(assigned_user_id, '') AS assigned_user_id", "sync_interval_minutes"},
                {"registered_at", "last_seen_at", "cert_not_after"});
    return s.c_str();
}();

const char* const kTokenColumns = [] {
    static const std::string s =
        columns({"id", "name", "one_time", "max_uses", "current_uses", "created_by", "disabled",
                 "coalesce(owner_id, '') AS owner_id"},
                {"expires_at", "created_at"});
    return s.c_str();
}();

void read_user(const db::Result& rows, int row, pm::v1::User* out) {
    out->set_id(std::string(rows.text(row, 0)));
    out->set_email(std::string(rows.text(row, 1)));
    out->set_role(std::string(rows.text(row, 2)));
    out->set_disabled(rows.boolean(row, 3));
    set_optional_timestamp(rows, row, 4, [out] { return out->mutable_created_at(); });
    set_optional_timestamp(rows, row, 5, [out] { return out->mutable_last_login_at(); });
}

void read_device(const db::Result& rows, int row, Clock::TimePoint now, pm::v1::Device* out) {
    out->set_id(std::string(rows.text(row, 0)));
    out->set_hostname(std::string(rows.text(row, 1)));
    out->set_agent_version(std::string(rows.text(row, 2)));
    auto labels = boost::json::parse(rows.text(row, 3)).as_object();
    for (const auto& [key, value] : labels) {
        if (value.is_string()) {
            (*out->mutable_labels())[std::string(key)] = std::string(value.as_string());
        }
    }
    out->set_assigned_user_id(std::string(rows.text(row, 4)));
    out->set_sync_interval_minutes(static_cast<std::int32_t>(rows.int64(row, 5)));
    set_optional_timestamp(rows, row, 6, [out] { return out->mutable_registered_at(); });
    set_optional_timestamp(rows, row, 7, [out] { return out->mutable_last_seen_at(); });
    set_optional_timestamp(rows, row, 8, [out] { return out->mutable_cert_expires_at(); });
    bool online = false;
    if (!rows.is_null(row, 7)) {
        auto seen = Clock::TimePoint(std::chrono::microseconds(rows.int64(row, 7)));
        online = now - seen < kOnlineWindow;
    }
    out->set_status(online ? "online" : "offline");
}

void read_token(const db::Result& rows, int row, pm::v1::RegistrationToken* out) {
    out->set_id(std::string(rows.text(row, 0)));
    out->set_name(std::string(rows.text(row, 1)));
    out->set_one_time(rows.boolean(row, 2));
    out->set_max_uses(static_cast<std::int32_t>(rows.int64(row, 3)));
    out->set_current_uses(static_cast<std::int32_t>(rows.int64(row, 4)));
    out->set_created_by(std::string(rows.text(row, 5)));
    out->set_disabled(rows.boolean(row, 6));
    out->set_owner_id(std::string(rows.text(row, 7)));
    set_optional_timestamp(rows, row, 8, [out] { return out->mutable_expires_at(); });
    set_optional_timestamp(rows, row, 9, [out] { return out->mutable_created_at(); });
}

std::optional<pm::v1::User> find_user(db::Transaction& tx, const std::string& id) {
    auto rows = tx.exec(fmt::format("SELECT {} FROM users_projection WHERE id = $1 AND NOT "
                                    "is_deleted",
                                    kUserColumns),
                        {id});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    pm::v1::User user;
    read_user(rows, 0, &user);
    return user;
}

std::optional<pm::v1::Device> find_device(db::Transaction& tx, const std::string& id,
                                          Clock::TimePoint now) {
    auto rows = tx.exec(fmt::format("SELECT {} FROM devices_projection WHERE id = $1 AND NOT "
                                    "is_deleted",
                                    kDeviceColumns),
                        {id});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    pm::v1::Device device;
    read_device(rows, 0, now, &device);
    return device;
}

std::optional<pm::v1::RegistrationToken> find_token(db::Transaction& tx, const std::string& id) {
    auto rows = tx.exec(fmt::format("SELECT {} FROM tokens_projection WHERE id = $1 AND NOT "
                                    "is_deleted",
                                    kTokenColumns),
                        {id});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    pm::v1::RegistrationToken token;
    read_token(rows, 0, &token);
    return token;
}

std::optional<std::int32_t> live_version(db::Transaction& tx, std::string_view table,
                                         std::string_view stream_type, const std::string& id) {
    auto rows =
        tx.exec(fmt::format("SELECT s.version FROM {} p JOIN streams s ON s.stream_type = "
                            "$2 AND s.stream_id = p.id WHERE p.id = $1 AND NOT p.is_deleted",
                            table),
                {id, std::string(stream_type)});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    return static_cast<std::int32_t>(rows.int64(0, 0));
}

Page parse_page(std::int32_t page_size, const std::string& page_token) {
    Page page;
    if (page_size > 0) {
        page.limit = std::min(page_size, 100);
    }
    if (!page_token.empty()) {
        const char* end = page_token.data() + page_token.size();
        auto [ptr, ec] = std::from_chars(page_token.data(), end, page.offset);
        if (ec != std::errc() || ptr != end || page.offset < 0) {
            fail(rpc::Code::invalid_argument,
                 "invalid page token: pass the next_page_token of the previous response, or "
                 "nothing for the first page");
        }
    }
    return page;
}

std::string Page::next_token(std::int64_t total) const {
    return offset + limit < total ? std::to_string(offset + limit) : std::string();
}

}  // namespace pm::control
