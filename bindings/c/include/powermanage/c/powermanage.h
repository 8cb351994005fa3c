/**
 * @file
 * @brief The C ABI of libpowermanage: the event store (append, read, subscribe), the
 * certificate authority (sign CSRs, sign and verify actions), JSON Web Tokens (issue, verify)
 * and ULIDs.
 *
 * Rules that hold for every function of this header:
 * - Every function that can fail returns a pm_status; PM_OK (0) is success. On failure its
 *   out-parameters are left untouched (an out handle or pointer stays as the caller set it).
 * - The last parameter of those functions, `pm_error** error`, is optional. When it is not
 *   NULL and the call fails, `*error` receives a pm_error the caller reads with
 *   pm_error_status() / pm_error_message() and releases with pm_error_free(). On success it is
 *   set to NULL. An explicit error object (rather than a thread-local "last error") survives
 *   the next call, can be handed to another thread, and needs no per-thread state in a
 *   library whose callers (Python's ctypes, Go's cgo) may move between threads.
 * - No C++ exception crosses this ABI: everything, out-of-memory included, is caught at the
 *   boundary and turned into a status.
 * - Everything this library allocates and hands out is released by the function its
 *   documentation names: pm_free() for strings and byte buffers, pm_event_list_free(),
 *   pm_event_free(), pm_certificate_free(), pm_claims_free(), pm_error_free(), and the
 *   *_free() of each handle. Never release them with free().
 * - Strings are UTF-8 and NUL-terminated unless a length is passed next to them.
 * - Handles (pm_event_store, pm_subscription, pm_ca, pm_jwt) may be used from any thread at
 *   once, except that their *_free() must not race with any other call on the same handle.
 */
#ifndef POWERMANAGE_C_POWERMANAGE_H
#define POWERMANAGE_C_POWERMANAGE_H

#include <stddef.h>
#include <stdint.h>

/** Marks the functions the shared library exports; every other symbol stays hidden. */
#if defined(PM_C_BUILDING)
#define PM_C_API __attribute__((visibility("default")))
#else
#define PM_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and errors ------------------------------------------------------------------ */

/** What a call returned. Values are stable: new ones are only ever added at the end. */
typedef enum pm_status {
    PM_OK = 0,                       /**< success */
    PM_ERR_INVALID_ARGUMENT = 1,     /**< a NULL where a value is needed, bad JSON, bad value */
    PM_ERR_OUT_OF_MEMORY = 2,        /**< an allocation failed; nothing was changed */
    PM_ERR_UNAVAILABLE = 3,          /**< the database cannot be reached; retry later */
    PM_ERR_DATABASE = 4,             /**< the database refused the statement (see the message) */
    PM_ERR_SCHEMA = 5,               /**< the database lacks the schema: run pm_database_migrate */
    PM_ERR_VERSION_CONFLICT = 6,     /**< the stream was not at the expected version */
    PM_ERR_ALREADY_EXISTS = 7,       /**< a projection's uniqueness rule refused the append */
    PM_ERR_CLOSED = 8,               /**< the handle was closed */
    PM_ERR_TIMEOUT = 9,              /**< nothing arrived within the timeout */
    PM_ERR_CSR_MALFORMED = 10,       /**< not a PEM or DER PKCS#10 request */
    PM_ERR_CSR_BAD_SIGNATURE = 11,   /**< the request's self-signature does not verify */
    PM_ERR_CSR_UNSUPPORTED_KEY = 12, /**< not ECDSA P-256/P-384 or RSA >= 2048 bits */
    PM_ERR_CA = 13,                  /**< the CA certificate or key is unusable */
    PM_ERR_BAD_SIGNATURE = 14,       /**< an action signature or a token's HMAC does not match */
    PM_ERR_TOKEN_MALFORMED = 15,     /**< not a well-formed JWT */
    PM_ERR_TOKEN_ALGORITHM = 16,     /**< the token's alg is not HS256 */
    PM_ERR_TOKEN_EXPIRED = 17,       /**< the token's exp has passed */
    PM_ERR_TOKEN_TYPE = 18,          /**< an access token where a refresh one was expected, or so */
    PM_ERR_TOKEN_ISSUER = 19,        /**< the token's iss is not "power-manage" */
    PM_ERR_SUBSCRIPTION = 20,        /**< the subscription stopped on an error (see the message) */
    PM_ERR_INTERNAL = 21             /**< a bug in libpowermanage: please report the message */
} pm_status;

/** A failure's status and message; opaque, released with pm_error_free(). */
typedef struct pm_error pm_error;

/** The status of `error` (PM_OK for NULL). */
PM_C_API pm_status pm_error_status(const pm_error* error);
/** What went wrong and what to do, owned by `error` (an empty string for NULL). */
PM_C_API const char* pm_error_message(const pm_error* error);
/** Releases `error`; NULL is allowed. */
PM_C_API void pm_error_free(pm_error* error);
/** The name of `status`, e.g. "PM_ERR_TIMEOUT"; a static string, never NULL. */
PM_C_API const char* pm_status_name(pm_status status);

/** Releases a string or byte buffer this library returned; NULL is allowed. */
PM_C_API void pm_free(void* memory);

/** The library's version, e.g. "0.1.0"; a static string. */
PM_C_API const char* pm_version(void);

/* ---- ULID ------------------------------------------------------------------------------- */

/** Length of a ULID's text form, without the terminating NUL. */
#define PM_ULID_LENGTH 26

/**
 * Writes a new ULID (26 characters and a NUL) into `out`, which must hold
 * PM_ULID_LENGTH + 1 bytes. ULIDs from one process strictly increase, also within one
 * millisecond. Fails only if the operating system's random source does (PM_ERR_INTERNAL).
 */
PM_C_API pm_status pm_ulid_new(char out[PM_ULID_LENGTH + 1], pm_error** error);
/** 1 if `text` is a well-formed ULID (Crockford base32, 26 characters), else 0. */
PM_C_API int pm_ulid_is_valid(const char* text);
/** The Unix milliseconds in the ULID `text`; PM_ERR_INVALID_ARGUMENT if it is not one. */
PM_C_API pm_status pm_ulid_timestamp_ms(const char* text, uint64_t* out, pm_error** error);

/* ---- the database and the event store --------------------------------------------------- */

/**
 * Applies libpowermanage's schema migrations to the database at `url` (a postgresql:// URL or
 * a libpq key=value string), once; concurrent callers wait for each other. Run it before
 * pm_event_store_open() on a new database.
 */
PM_C_API pm_status pm_database_migrate(const char* url, pm_error** error);

/** An event store on one database; opaque. Thread-safe. */
typedef struct pm_event_store pm_event_store;

/**
 * Opens the event store on the database at `url` with up to `pool_size` reading connections
 * (0 for 4). Connects once to check the database is reachable (PM_ERR_UNAVAILABLE otherwise)
 * and migrated (PM_ERR_SCHEMA otherwise). Release with pm_event_store_free().
 */
PM_C_API pm_status pm_event_store_open(const char* url, size_t pool_size, pm_event_store** out,
                                       pm_error** error);
/**
 * Waits for the calls running on `store` in other threads, finishes the appends in flight and
 * closes the store: later calls on it return PM_ERR_CLOSED. Subscriptions already made keep
 * running (they have their own connection). Idempotent, callable from any thread; NULL is
 * allowed.
 */
PM_C_API void pm_event_store_close(pm_event_store* store);
/** Closes `store` if it is open and releases it; NULL is allowed. */
PM_C_API void pm_event_store_free(pm_event_store* store);

/** The kinds of actor an append is recorded as done by. */
typedef enum pm_actor_type {
    PM_ACTOR_SYSTEM = 0, /**< the server itself or an integrator's process */
    PM_ACTOR_ADMIN = 1,  /**< an administrator */
    PM_ACTOR_USER = 2,   /**< a console user */
    PM_ACTOR_DEVICE = 3  /**< an agent */
} pm_actor_type;

/** Who appends. */
typedef struct pm_actor {
    pm_actor_type type; /**< the kind */
    const char* id;     /**< user or device ULID, or a label for PM_ACTOR_SYSTEM; not NULL */
} pm_actor;

/** An event to append. */
typedef struct pm_new_event {
    const char* type;          /**< event type, e.g. "UserCreated"; not empty */
    const char* data_json;     /**< payload, a JSON object; NULL for {} */
    const char* metadata_json; /**< metadata, a JSON object; NULL for {} */
} pm_new_event;

/** Expected version for appends whatever the stream's version. */
#define PM_EXPECT_ANY (-1)
/** Expected version for appends that create the stream. */
#define PM_EXPECT_NO_STREAM 0

/** What an append wrote. */
typedef struct pm_append_result {
    int32_t first_version; /**< version of the first event appended */
    int32_t last_version;  /**< the stream's version now */
    int64_t last_position; /**< global position of the last event */
} pm_append_result;

/**
 * Appends `count` events (at least one) to the stream `stream_type`/`stream_id` if it is at
 * `expected_version` (PM_EXPECT_ANY, PM_EXPECT_NO_STREAM or an exact version), as `actor`
 * (NULL for a system actor labelled "c-api"); the projections are updated in the same
 * transaction. Blocks until committed. PM_ERR_VERSION_CONFLICT when the stream is elsewhere,
 * PM_ERR_ALREADY_EXISTS when a projection refuses a duplicate. `out` may be NULL.
 */
PM_C_API pm_status pm_event_store_append(pm_event_store* store, const char* stream_type,
                                         const char* stream_id, int64_t expected_version,
                                         const pm_new_event* events, size_t count,
                                         const pm_actor* actor, pm_append_result* out,
                                         pm_error** error);

/** The stream's current version (0 if it has no events) into `out`. */
PM_C_API pm_status pm_event_store_stream_version(pm_event_store* store, const char* stream_type,
                                                 const char* stream_id, int32_t* out,
                                                 pm_error** error);

/** A place in the global event order: by appending transaction, then by position. */
typedef struct pm_position {
    uint64_t transaction_id; /**< the appending transaction's id; 0 with position 0 = start */
    int64_t position;        /**< the event's global number */
} pm_position;

/** An event as stored. Its strings belong to the list or event that holds it. */
typedef struct pm_recorded_event {
    pm_position position;      /**< global order */
    const char* event_id;      /**< unique id (a UUID) */
    const char* stream_type;   /**< the stream's type */
    const char* stream_id;     /**< the stream's id */
    int32_t version;           /**< 1-based place in the stream */
    const char* type;          /**< event type */
    const char* data_json;     /**< payload, a JSON object */
    const char* metadata_json; /**< metadata, a JSON object */
    const char* actor_type;    /**< "system", "admin", "user" or "device" */
    const char* actor_id;      /**< who */
    int64_t occurred_at_us;    /**< when it was appended, Unix microseconds */
} pm_recorded_event;

/** Events read in one call; released with pm_event_list_free(). */
typedef struct pm_event_list {
    pm_recorded_event* events; /**< `count` events, in order */
    size_t count;              /**< how many */
    pm_position next;          /**< pm_event_store_read_all: where to continue */
} pm_event_list;

/** Releases `list` and every string of its events; NULL is allowed. */
PM_C_API void pm_event_list_free(pm_event_list* list);

/**
 * The events of one stream from `from_version` (1 = the first) on, in version order, into a
 * new list `*out` (empty if the stream has none); `out->next` is unset (zero).
 */
PM_C_API pm_status pm_event_store_read_stream(pm_event_store* store, const char* stream_type,
                                              const char* stream_id, int32_t from_version,
                                              pm_event_list** out, pm_error** error);

/**
 * Up to `limit` events after `after` in the global order, into a new list `*out`, whose `next`
 * is the position to pass to the next call (equal to `after` if none). Only final events are
 * returned: an empty list means "nothing final yet", not "nothing more" (a transaction still
 * running elsewhere holds younger commits back).
 */
PM_C_API pm_status pm_event_store_read_all(pm_event_store* store, pm_position after, size_t limit,
                                           pm_event_list** out, pm_error** error);

/* ---- subscriptions ---------------------------------------------------------------------- */

/**
 * A live subscription to the global event order; opaque.
 *
 * Poll-based: a thread of the library reads the events into a bounded queue, and the caller
 * takes them with pm_subscription_next(); no user code ever runs on the library's threads, so
 * the caller's locks, its interpreter's lock (Python's GIL) and its thread-local state are
 * never touched by us. When the queue is full the reading thread waits, so a slow consumer
 * holds the reader back instead of growing memory. Any thread may call next() or close();
 * pm_subscription_free() must not race with other calls on the handle.
 */
typedef struct pm_subscription pm_subscription;

/**
 * Subscribes to every event after `after` (a zeroed pm_position for all of them): first
 * catching up, then live, each event exactly once and in order, reconnecting on its own after
 * a lost connection. The subscription connects to the store's database by itself and outlives
 * pm_event_store_close(). Release with pm_subscription_free().
 */
PM_C_API pm_status pm_event_store_subscribe(pm_event_store* store, pm_position after,
                                            pm_subscription** out, pm_error** error);
/**
 * Takes the next event into a new `*out` (release with pm_event_free()), waiting up to
 * `timeout_ms` milliseconds (0: do not wait; negative: wait for ever). PM_ERR_TIMEOUT when
 * none arrived in time, PM_ERR_CLOSED once the subscription is closed (also when it is closed
 * while waiting).
 */
PM_C_API pm_status pm_subscription_next(pm_subscription* subscription, int64_t timeout_ms,
                                        pm_recorded_event** out, pm_error** error);
/** The position of the last event pm_subscription_next() returned, into `out`. */
PM_C_API pm_status pm_subscription_position(pm_subscription* subscription, pm_position* out,
                                            pm_error** error);
/** Stops reading and wakes a waiting next(); later next() calls return PM_ERR_CLOSED. NULL ok. */
PM_C_API void pm_subscription_close(pm_subscription* subscription);
/** Closes `subscription` and releases it; NULL is allowed. */
PM_C_API void pm_subscription_free(pm_subscription* subscription);
/** Releases an event from pm_subscription_next() and its strings; NULL is allowed. */
PM_C_API void pm_event_free(pm_recorded_event* event);

/* ---- the certificate authority ---------------------------------------------------------- */

/** A certificate authority: a CA certificate and its private key; opaque. Thread-safe. */
typedef struct pm_ca pm_ca;

/** The key a new CA gets. */
typedef enum pm_ca_key_type {
    PM_CA_KEY_ECDSA_P256 = 0, /**< ECDSA on P-256 */
    PM_CA_KEY_ECDSA_P384 = 1, /**< ECDSA on P-384 */
    PM_CA_KEY_RSA_3072 = 2    /**< RSA, 3072 bits */
} pm_ca_key_type;

/**
 * A new self-signed CA for development and tests: CN `common_name`, valid from a minute ago for
 * `validity_seconds`. Release with pm_ca_free().
 */
PM_C_API pm_status pm_ca_create(const char* common_name, pm_ca_key_type key_type,
                                int64_t validity_seconds, pm_ca** out, pm_error** error);
/**
 * A CA from its certificate and unencrypted private key, both PEM. PM_ERR_CA when either does
 * not parse, the key is unsupported or not the certificate's, or the certificate is not a CA.
 */
PM_C_API pm_status pm_ca_from_pem(const char* certificate_pem, const char* key_pem, pm_ca** out,
                                  pm_error** error);
/** Releases `ca`; NULL is allowed. */
PM_C_API void pm_ca_free(pm_ca* ca);
/** The CA certificate, PEM, into a new string `*out` (release with pm_free()). */
PM_C_API pm_status pm_ca_certificate_pem(const pm_ca* ca, char** out, pm_error** error);
/** The CA private key, PKCS#8 PEM, into a new string `*out` (release with pm_free()). */
PM_C_API pm_status pm_ca_private_key_pem(const pm_ca* ca, char** out, pm_error** error);

/** A certificate the CA issued; released with pm_certificate_free(). */
typedef struct pm_certificate {
    const char* pem;                /**< the certificate, PEM */
    const char* serial_hex;         /**< serial, upper-case hex */
    const char* sha256_fingerprint; /**< SHA-256 of the DER, lower-case hex */
    int64_t not_before;             /**< start of validity, Unix seconds */
    int64_t not_after;              /**< end of validity, Unix seconds */
} pm_certificate;

/** Releases `certificate` and its strings; NULL is allowed. */
PM_C_API void pm_certificate_free(pm_certificate* certificate);

/**
 * Signs an agent's PKCS#10 request (`csr_size` bytes of PEM or DER) for the device
 * `device_id` (the certificate's CN), valid for `validity_seconds`, client authentication
 * only. PM_ERR_CSR_MALFORMED, PM_ERR_CSR_BAD_SIGNATURE or PM_ERR_CSR_UNSUPPORTED_KEY when the
 * request is refused. Release `*out` with pm_certificate_free().
 */
PM_C_API pm_status pm_ca_sign_csr(const pm_ca* ca, const void* csr, size_t csr_size,
                                  const char* device_id, int64_t validity_seconds,
                                  pm_certificate** out, pm_error** error);

/**
 * Signs an action as agents verify it: over `<action_id>:<action_type>:<base64 of params>`,
 * SHA-256, with the CA key. The raw signature goes into a new buffer `*signature` of
 * `*signature_size` bytes (release with pm_free()).
 */
PM_C_API pm_status pm_ca_sign_action(const pm_ca* ca, const char* action_id, int action_type,
                                     const void* params, size_t params_size, void** signature,
                                     size_t* signature_size, pm_error** error);
/**
 * PM_OK if `signature` is this CA's signature over the action, PM_ERR_BAD_SIGNATURE if not
 * (tampered action, other CA, garbage).
 */
PM_C_API pm_status pm_ca_verify_action(const pm_ca* ca, const char* action_id, int action_type,
                                       const void* params, size_t params_size,
                                       const void* signature, size_t signature_size,
                                       pm_error** error);

/* ---- JSON Web Tokens -------------------------------------------------------------------- */

/** Issues and verifies HS256 tokens with one secret; opaque. Thread-safe. */
typedef struct pm_jwt pm_jwt;

/** What a token is for. */
typedef enum pm_token_type {
    PM_TOKEN_ACCESS = 0, /**< an access token */
    PM_TOKEN_REFRESH = 1 /**< a refresh token */
} pm_token_type;

/**
 * The claims of a token. Given to pm_jwt_issue() with the caller's strings; returned by
 * pm_jwt_verify() with strings owned by the claims (release with pm_claims_free()).
 */
typedef struct pm_claims {
    const char* jti;         /**< unique token id; NULL or "" in pm_jwt_issue for a new ULID */
    const char* user_id;     /**< `sub` and `uid` */
    const char* email;       /**< `email`; NULL for "" */
    const char* role;        /**< "admin", "user" or "device" */
    pm_token_type type;      /**< `type` */
    int32_t session_version; /**< `sv` (left out when 0) */
    const char* family;      /**< `fam` of refresh tokens; NULL for "" */
    int64_t issued_at;       /**< `iat`, Unix seconds */
    int64_t expires_at;      /**< `exp`, Unix seconds */
} pm_claims;

/** A codec for `secret` (at least 32 bytes: PM_ERR_INVALID_ARGUMENT otherwise). */
PM_C_API pm_status pm_jwt_open(const void* secret, size_t secret_size, pm_jwt** out,
                               pm_error** error);
/** Releases `jwt`; NULL is allowed. */
PM_C_API void pm_jwt_free(pm_jwt* jwt);
/** Signs `claims` into a new compact token `*out` (release with pm_free()). */
PM_C_API pm_status pm_jwt_issue(const pm_jwt* jwt, const pm_claims* claims, char** out,
                                pm_error** error);
/**
 * Verifies `token` as a token of type `expected` at `now` (Unix seconds; 0 for the current
 * time). On success `*out` (if `out` is not NULL) receives its claims (release with
 * pm_claims_free()); otherwise the first reason it fails: PM_ERR_TOKEN_MALFORMED,
 * PM_ERR_TOKEN_ALGORITHM, PM_ERR_BAD_SIGNATURE, PM_ERR_TOKEN_EXPIRED, PM_ERR_TOKEN_TYPE or
 * PM_ERR_TOKEN_ISSUER.
 */
PM_C_API pm_status pm_jwt_verify(const pm_jwt* jwt, const char* token, pm_token_type expected,
                                 int64_t now, pm_claims** out, pm_error** error);
/** Releases claims returned by pm_jwt_verify(); NULL is allowed. */
PM_C_API void pm_claims_free(pm_claims* claims);

#ifdef __cplusplus
}
#endif

#endif /* POWERMANAGE_C_POWERMANAGE_H */
