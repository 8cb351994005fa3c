#include "boundary.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include <powermanage/ca/authority.hpp>
#include <powermanage/db/errors.hpp>
#include <powermanage/eventstore/payload.hpp>
#include <powermanage/eventstore/types.hpp>

struct pm_error {
    pm_status status;
    char* message;
};

namespace pm::capi {
namespace {

// Handed out when even the pm_error cannot be allocated; pm_error_free leaves it alone.
char oom_message[] = "out of memory: an allocation failed, nothing was changed";
pm_error oom_error{PM_ERR_OUT_OF_MEMORY, oom_message};

pm_status fail(const char* function, pm_error** error, pm_status status,
               const char* what) noexcept {
    if (error == nullptr) {
        return status;
    }
    if (status == PM_ERR_OUT_OF_MEMORY) {
        *error = &oom_error;
        return status;
    }
    const std::size_t prefix = std::strlen(function);
    const std::size_t length = std::strlen(what);
    auto* e = static_cast<pm_error*>(std::malloc(sizeof(pm_error)));
    auto* message = static_cast<char*>(std::malloc(prefix + 2 + length + 1));
    if (e == nullptr || message == nullptr) {
        std::free(e);
        std::free(message);
        *error = &oom_error;
        return status;
    }
    std::memcpy(message, function, prefix);
    std::memcpy(message + prefix, ": ", 2);
    std::memcpy(message + prefix + 2, what, length + 1);
    e->status = status;
    e->message = message;
    *error = e;
    return status;
}

pm_status csr_status(ca::CsrError::Reason reason) {
    switch (reason) {
        case ca::CsrError::Reason::malformed:
            return PM_ERR_CSR_MALFORMED;
        case ca::CsrError::Reason::bad_signature:
            return PM_ERR_CSR_BAD_SIGNATURE;
        case ca::CsrError::Reason::unsupported_key:
            return PM_ERR_CSR_UNSUPPORTED_KEY;
    }
    return PM_ERR_INVALID_ARGUMENT;
}

}  // namespace

pm_status translate_current_exception(const char* function, pm_error** error) noexcept {
    // Most specific first: several of these derive from std::invalid_argument or
    // std::runtime_error.
    try {
        throw;
    } catch (const Failure& e) {
        return fail(function, error, e.status(), e.what());
    } catch (const std::bad_alloc&) {
        return fail(function, error, PM_ERR_OUT_OF_MEMORY, "");
    } catch (const eventstore::VersionConflict& e) {
        return fail(function, error, PM_ERR_VERSION_CONFLICT, e.what());
    } catch (const eventstore::AlreadyExists& e) {
        return fail(function, error, PM_ERR_ALREADY_EXISTS, e.what());
    } catch (const ca::CsrError& e) {
        return fail(function, error, csr_status(e.reason()), e.what());
    } catch (const ca::CaError& e) {
        return fail(function, error, PM_ERR_CA, e.what());
    } catch (const db::DatabaseError& e) {
        // An outage is something to retry, not a bug or a refusal.
        return fail(function, error,
                    e.is_connection_failure() ? PM_ERR_UNAVAILABLE : PM_ERR_DATABASE, e.what());
    } catch (const db::SchemaTooNewError& e) {
        return fail(function, error, PM_ERR_SCHEMA, e.what());
    } catch (const db::SchemaTooOldError& e) {
        return fail(function, error, PM_ERR_SCHEMA, e.what());
    } catch (const eventstore::PayloadError& e) {
        return fail(function, error, PM_ERR_INVALID_ARGUMENT, e.what());
    } catch (const std::invalid_argument& e) {
        return fail(function, error, PM_ERR_INVALID_ARGUMENT, e.what());
    } catch (const std::exception& e) {
        return fail(function, error, PM_ERR_INTERNAL, e.what());
    } catch (...) {
        return fail(function, error, PM_ERR_INTERNAL, "an exception of unknown type");
    }
}

char* copy_string(std::string_view text) {
    auto* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out == nullptr) {
        throw std::bad_alloc();
    }
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    return out;
}

void* copy_bytes(const void* data, std::size_t size) {
    // malloc(0) may return NULL; one byte keeps "NULL means failure" true.
    void* out = std::malloc(size == 0 ? 1 : size);
    if (out == nullptr) {
        throw std::bad_alloc();
    }
    if (size != 0) {
        std::memcpy(out, data, size);
    }
    return out;
}

}  // namespace pm::capi

extern "C" {

pm_status pm_error_status(const pm_error* error) {
    return error == nullptr ? PM_OK : error->status;
}

const char* pm_error_message(const pm_error* error) {
    return error == nullptr ? "" : error->message;
}

void pm_error_free(pm_error* error) {
    if (error == nullptr || error == &pm::capi::oom_error) {
        return;
    }
    std::free(error->message);
    std::free(error);
}

void pm_free(void* memory) {
    std::free(memory);
}

const char* pm_version(void) {
    return PM_C_VERSION;
}

const char* pm_status_name(pm_status status) {
    switch (status) {
        case PM_OK:
            return "PM_OK";
        case PM_ERR_INVALID_ARGUMENT:
            return "PM_ERR_INVALID_ARGUMENT";
        case PM_ERR_OUT_OF_MEMORY:
            return "PM_ERR_OUT_OF_MEMORY";
        case PM_ERR_UNAVAILABLE:
            return "PM_ERR_UNAVAILABLE";
        case PM_ERR_DATABASE:
            return "PM_ERR_DATABASE";
        case PM_ERR_SCHEMA:
            return "PM_ERR_SCHEMA";
        case PM_ERR_VERSION_CONFLICT:
            return "PM_ERR_VERSION_CONFLICT";
        case PM_ERR_ALREADY_EXISTS:
            return "PM_ERR_ALREADY_EXISTS";
        case PM_ERR_CLOSED:
            return "PM_ERR_CLOSED";
        case PM_ERR_TIMEOUT:
            return "PM_ERR_TIMEOUT";
        case PM_ERR_CSR_MALFORMED:
            return "PM_ERR_CSR_MALFORMED";
        case PM_ERR_CSR_BAD_SIGNATURE:
            return "PM_ERR_CSR_BAD_SIGNATURE";
        case PM_ERR_CSR_UNSUPPORTED_KEY:
            return "PM_ERR_CSR_UNSUPPORTED_KEY";
        case PM_ERR_CA:
            return "PM_ERR_CA";
        case PM_ERR_BAD_SIGNATURE:
            return "PM_ERR_BAD_SIGNATURE";
        case PM_ERR_TOKEN_MALFORMED:
            return "PM_ERR_TOKEN_MALFORMED";
        case PM_ERR_TOKEN_ALGORITHM:
            return "PM_ERR_TOKEN_ALGORITHM";
        case PM_ERR_TOKEN_EXPIRED:
            return "PM_ERR_TOKEN_EXPIRED";
        case PM_ERR_TOKEN_TYPE:
            return "PM_ERR_TOKEN_TYPE";
        case PM_ERR_TOKEN_ISSUER:
            return "PM_ERR_TOKEN_ISSUER";
        case PM_ERR_SUBSCRIPTION:
            return "PM_ERR_SUBSCRIPTION";
        case PM_ERR_INTERNAL:
            return "PM_ERR_INTERNAL";
    }
    return "PM_ERR_UNKNOWN";
}

}  // extern "C"
