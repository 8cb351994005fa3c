#pragma once

// The one place where C++ meets the C ABI: runs a body, turns whatever it throws into a
// pm_status and a pm_error, and copies results into memory the caller releases with pm_free.

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include <powermanage/c/powermanage.h>

namespace pm::capi {

/// A failure the binding itself detects (a NULL argument, a closed handle, ...), with the
/// status to return.
class Failure : public std::runtime_error {
public:
    Failure(pm_status status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    pm_status status() const { return status_; }

private:
    pm_status status_;
};

/// Translates the exception in flight (call only inside a catch block) into a status and fills
/// `*error` (when not NULL) with "<function>: <what happened>". Never throws.
pm_status translate_current_exception(const char* function, pm_error** error) noexcept;

/// Runs `body` and returns PM_OK, or the translated failure. `*error` is NULL on success.
template <class Body>
pm_status guarded(const char* function, pm_error** error, Body&& body) noexcept {
    if (error != nullptr) {
        *error = nullptr;
    }
    try {
        body();
        return PM_OK;
    } catch (...) {
        return translate_current_exception(function, error);
    }
}

/// Throws Failure(PM_ERR_INVALID_ARGUMENT) naming `name` when `pointer` is NULL.
inline void require(const void* pointer, const char* name) {
    if (pointer == nullptr) {
        throw Failure(PM_ERR_INVALID_ARGUMENT, std::string(name) + " must not be NULL");
    }
}

/// A malloc'ed, NUL-terminated copy of `text` (so that pm_free can release it); throws
/// std::bad_alloc.
char* copy_string(std::string_view text);

/// A malloc'ed copy of `size` bytes; throws std::bad_alloc.
void* copy_bytes(const void* data, std::size_t size);

}  // namespace pm::capi
