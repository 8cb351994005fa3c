#include <cstring>

#include <powermanage/common/ulid.hpp>

#include "boundary.hpp"

extern "C" {

pm_status pm_ulid_new(char out[PM_ULID_LENGTH + 1], pm_error** error) {
    return pm::capi::guarded("pm_ulid_new", error, [&] {
        pm::capi::require(out, "out");
        const std::string id = pm::new_ulid();
        std::memcpy(out, id.c_str(), PM_ULID_LENGTH + 1);
    });
}

int pm_ulid_is_valid(const char* text) {
    try {
        return text != nullptr && pm::Ulid::is_valid(text) ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

pm_status pm_ulid_timestamp_ms(const char* text, uint64_t* out, pm_error** error) {
    return pm::capi::guarded("pm_ulid_timestamp_ms", error, [&] {
        pm::capi::require(text, "text");
        pm::capi::require(out, "out");
        const auto id = pm::Ulid::parse(text);
        if (!id) {
            throw pm::capi::Failure(
                PM_ERR_INVALID_ARGUMENT,
                "'" + std::string(text) + "' is not a ULID (26 Crockford base32 characters)");
        }
        *out = id->timestamp_ms();
    });
}

}  // extern "C"
