#include "messages.hpp"

#include <iostream>

#include <powermanage/common/ulid.hpp>

namespace pm::agent {

void note(const std::string& line) {
    std::cerr << "pm-agent: " << line << std::endl;
}

pm::v1::AgentMessage message_with_id() {
    pm::v1::AgentMessage message;
    message.set_id(new_ulid());
    return message;
}

std::string as_utf8(const std::string& bytes) {
    std::string out;
    out.reserve(bytes.size());
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    for (std::size_t i = 0; i < bytes.size();) {
        const unsigned char lead = at(i);
        // The length of the sequence and the range its second byte must be in (RFC 3629):
        // these bounds exclude overlong forms, surrogates and code points above U+10FFFF,
        // which protobuf's UTF-8 check refuses too.
        std::size_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (lead < 0x80) {
            length = 1;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            low = lead == 0xE0 ? 0xA0 : 0x80;
            high = lead == 0xED ? 0x9F : 0xBF;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            low = lead == 0xF0 ? 0x90 : 0x80;
            high = lead == 0xF4 ? 0x8F : 0xBF;
        }
        bool valid = length > 0 && i + length <= bytes.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            const unsigned char next = at(i + k);
            valid = k == 1 ? next >= low && next <= high : (next & 0xC0) == 0x80;
        }
        if (valid) {
            out.append(bytes, i, length);
            i += length;
        } else {
            out += '?';
            ++i;
        }
    }
    return out;
}

pm::v1::AgentMessage make_result(const std::string& execution_id, pm::v1::ExecutionStatus status,
                                 const std::string& error,
                                 std::chrono::steady_clock::time_point started) {
    auto message = message_with_id();
    auto* result = message.mutable_action_result();
    result->mutable_action_id()->set_value(execution_id);
    result->set_status(status);
    result->set_error(error);
    if (status == pm::v1::EXECUTION_STATUS_RUNNING) {
        return message;  // not over yet: no duration, no completion time
    }
    result->set_duration_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count());
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
    result->mutable_completed_at()->set_seconds(seconds.count());
    result->mutable_completed_at()->set_nanos(static_cast<std::int32_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds).count()));
    return message;
}

}  // namespace pm::agent
