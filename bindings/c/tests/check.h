/* A few assertion macros for the C tests: print where and what, count the failure, go on. */
#ifndef PM_C_TEST_CHECK_H
#define PM_C_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include <powermanage/c/powermanage.h>

/** Failures so far in this process. */
extern int check_failures;

/** Fails the test (without stopping it) when `cond` is false. */
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++check_failures;                                                        \
        }                                                                            \
    } while (0)

/**
 * Checks that `call` returned `expected`, and that a failure came with a message; releases
 * the error. `err` must be a pm_error* variable passed as &err in `call`.
 */
#define CHECK_STATUS(expected, call, err)                                                          \
    do {                                                                                           \
        pm_status got_ = (call);                                                                   \
        if (got_ != (expected)) {                                                                  \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s: %s\n", __FILE__, __LINE__, #call, \
                    pm_status_name(got_), pm_status_name(expected), pm_error_message(err));        \
            ++check_failures;                                                                      \
        } else if (got_ != PM_OK && (err == NULL || pm_error_status(err) != got_ ||                \
                                     strlen(pm_error_message(err)) < 10)) {                        \
            fprintf(stderr, "%s:%d: %s failed without a useful message\n", __FILE__, __LINE__,     \
                    #call);                                                                        \
            ++check_failures;                                                                      \
        } else if (got_ == PM_OK && err != NULL) {                                                 \
            fprintf(stderr, "%s:%d: %s succeeded but left an error\n", __FILE__, __LINE__, #call); \
            ++check_failures;                                                                      \
        }                                                                                          \
        pm_error_free(err);                                                                        \
        err = NULL;                                                                                \
    } while (0)

#endif
