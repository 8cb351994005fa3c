/* The C ABI's event store on a real PostgreSQL: a private database made here from
 * PM_TEST_DATABASE_URL (like tests/support does for the C++ tests), then append and read back,
 * subscribe and receive, and the error paths (bad URL, no schema, closed handles). */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int check_failures = 0;

static char admin_url[1024];
static char database_name[64];
static char database_url[1100];

static int admin_exec(const char* sql) {
    PGconn* conn = PQconnectdb(admin_url);
    PGresult* result;
    int ok;
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect to PM_TEST_DATABASE_URL: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 0;
    }
    result = PQexec(conn, sql);
    ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok) {
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(conn));
    }
    PQclear(result);
    PQfinish(conn);
    return ok;
}

/* admin_url with its database name replaced by database_name. */
static void make_database_url(void) {
    const char* scheme = strstr(admin_url, "://");
    const char* query = scheme ? strchr(scheme + 3, '?') : NULL;
    const char* slash = scheme ? strchr(scheme + 3, '/') : NULL;
    size_t host_end;
    if (slash == NULL || (query != NULL && slash > query)) {
        slash = query != NULL ? query : admin_url + strlen(admin_url);
    }
    host_end = (size_t)(slash - admin_url);
    snprintf(database_url, sizeof database_url, "%.*s/%s%s", (int)host_end, admin_url,
             database_name, query != NULL ? query : "");
}

static void test_open_errors(void) {
    pm_error* err = NULL;
    pm_event_store* store = NULL;
    /* Nothing listens on port 1: an outage, reported as such. */
    CHECK_STATUS(
        PM_ERR_UNAVAILABLE,
        pm_event_store_open("postgresql://127.0.0.1:1/none?connect_timeout=2", 1, &store, &err),
        err);
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT, pm_event_store_open(NULL, 1, &store, &err), err);
    /* The database exists but has no schema yet. */
    CHECK_STATUS(PM_ERR_SCHEMA, pm_event_store_open(database_url, 1, &store, &err), err);
    CHECK(store == NULL);
    CHECK_STATUS(PM_ERR_UNAVAILABLE,
                 pm_database_migrate("postgresql://127.0.0.1:1/none?connect_timeout=2", &err), err);
}

static void test_append_and_read(pm_event_store* store) {
    pm_error* err = NULL;
    pm_append_result appended;
    pm_event_list* list = NULL;
    int32_t version = -1;
    pm_actor device = {PM_ACTOR_DEVICE, "01HVDEVICE0000000000000000"};
    pm_new_event events[3] = {{"Booted", "{\"n\":1}", NULL},
                              {"Heartbeat", "{\"n\":2}", "{\"correlation\":\"abc\"}"},
                              {"Heartbeat", NULL, NULL}};
    pm_new_event bad_json = {"Heartbeat", "{\"n\":", NULL};
    pm_new_event not_object = {"Heartbeat", "[1]", NULL};

    CHECK_STATUS(PM_OK,
                 pm_event_store_append(store, "sensor", "s-1", PM_EXPECT_NO_STREAM, events, 3,
                                       &device, &appended, &err),
                 err);
    CHECK(appended.first_version == 1 && appended.last_version == 3);
    CHECK(appended.last_position > 0);
    CHECK_STATUS(PM_ERR_VERSION_CONFLICT,
                 pm_event_store_append(store, "sensor", "s-1", PM_EXPECT_NO_STREAM, events, 1, NULL,
                                       NULL, &err),
                 err);
    CHECK_STATUS(PM_ERR_VERSION_CONFLICT,
                 pm_event_store_append(store, "sensor", "s-1", 2, events, 1, NULL, NULL, &err),
                 err);
    CHECK_STATUS(
        PM_OK, pm_event_store_append(store, "sensor", "s-1", 3, events, 1, NULL, NULL, &err), err);
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT,
                 pm_event_store_append(store, "sensor", "s-1", PM_EXPECT_ANY, &bad_json, 1, NULL,
                                       NULL, &err),
                 err);
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT,
                 pm_event_store_append(store, "sensor", "s-1", PM_EXPECT_ANY, &not_object, 1, NULL,
                                       NULL, &err),
                 err);
    CHECK_STATUS(
        PM_ERR_INVALID_ARGUMENT,
        pm_event_store_append(store, "sensor", "s-1", PM_EXPECT_ANY, events, 0, NULL, NULL, &err),
        err);
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT,
                 pm_event_store_append(store, "sensor", "s-1", -7, events, 1, NULL, NULL, &err),
                 err);

    CHECK_STATUS(PM_OK, pm_event_store_stream_version(store, "sensor", "s-1", &version, &err), err);
    CHECK(version == 4);
    CHECK_STATUS(PM_OK, pm_event_store_stream_version(store, "sensor", "none", &version, &err),
                 err);
    CHECK(version == 0);

    CHECK_STATUS(PM_OK, pm_event_store_read_stream(store, "sensor", "s-1", 2, &list, &err), err);
    if (list != NULL) {
        CHECK(list->count == 3);
        if (list->count == 3) {
            CHECK(list->events[0].version == 2);
            CHECK(strcmp(list->events[0].type, "Heartbeat") == 0);
            CHECK(strstr(list->events[0].data_json, "\"n\":2") != NULL);
            CHECK(strstr(list->events[0].metadata_json, "\"correlation\":\"abc\"") != NULL);
            CHECK(strcmp(list->events[0].actor_type, "device") == 0);
            CHECK(strcmp(list->events[0].actor_id, device.id) == 0);
            CHECK(strcmp(list->events[0].stream_type, "sensor") == 0);
            CHECK(strcmp(list->events[1].data_json, "{}") == 0);
            CHECK(strcmp(list->events[2].actor_type, "system") == 0);
            CHECK(list->events[0].occurred_at_us > 1600000000LL * 1000000);
            CHECK(list->events[0].position.position < list->events[1].position.position);
        }
    }
    pm_event_list_free(list);
    list = NULL;

    {
        /* read_all holds back what committed after a transaction still open anywhere in the
           cluster (the commit-safe horizon), and the suite runs other tests beside this one:
           wait, boundedly, until the first page holds two events. */
        pm_position start = {0, 0};
        for (int attempt = 0; attempt < 400; ++attempt) {
            pm_event_list_free(list);
            list = NULL;
            CHECK_STATUS(PM_OK, pm_event_store_read_all(store, start, 2, &list, &err), err);
            if (list == NULL || list->count == 2) {
                break;
            }
            usleep(50 * 1000);
        }
        if (list != NULL) {
            pm_event_list* rest = NULL;
            CHECK(list->count == 2);
            CHECK(list->count == 2 && list->next.position == list->events[1].position.position);
            /* Four events in all: the rest once the horizon has passed them too. */
            for (int attempt = 0; attempt < 400; ++attempt) {
                pm_event_list_free(rest);
                rest = NULL;
                CHECK_STATUS(PM_OK, pm_event_store_read_all(store, list->next, 100, &rest, &err),
                             err);
                if (rest == NULL || rest->count == 2) {
                    break;
                }
                usleep(50 * 1000);
            }
            CHECK(rest != NULL && rest->count == 2);
            CHECK(rest != NULL && rest->count == 2 && rest->events[1].version == 4);
            pm_event_list_free(rest);
        }
        pm_event_list_free(list);
        list = NULL;
        CHECK_STATUS(PM_ERR_INVALID_ARGUMENT, pm_event_store_read_all(store, start, 0, &list, &err),
                     err);
    }
}

/* A projection's uniqueness rule: two live users with one email. */
static void test_already_exists(pm_event_store* store) {
    pm_error* err = NULL;
    char first[PM_ULID_LENGTH + 1];
    char second[PM_ULID_LENGTH + 1];
    pm_new_event created = {"UserCreated",
                            "{\"email\":\"ada@example.com\",\"password_hash\":\"x\","
                            "\"role\":\"user\"}",
                            NULL};
    pm_ulid_new(first, NULL);
    pm_ulid_new(second, NULL);
    CHECK_STATUS(PM_OK,
                 pm_event_store_append(store, "user", first, PM_EXPECT_NO_STREAM, &created, 1, NULL,
                                       NULL, &err),
                 err);
    CHECK_STATUS(PM_ERR_ALREADY_EXISTS,
                 pm_event_store_append(store, "user", second, PM_EXPECT_NO_STREAM, &created, 1,
                                       NULL, NULL, &err),
                 err);
}

static void* close_later(void* subscription) {
    usleep(200 * 1000);
    pm_subscription_close((pm_subscription*)subscription);
    return NULL;
}

static void test_subscribe(pm_event_store* store) {
    pm_error* err = NULL;
    pm_subscription* sub = NULL;
    pm_recorded_event* event = NULL;
    pm_position start = {0, 0};
    pm_position at = {0, 0};
    pm_new_event live = {"Alarm", "{\"level\":9}", NULL};
    int32_t expected_version = 1;
    pthread_t closer;

    CHECK_STATUS(PM_OK, pm_event_store_subscribe(store, start, &sub, &err), err);
    if (sub == NULL) {
        return;
    }
    /* Catching up: the four events of test_append_and_read, in order. */
    for (; expected_version <= 4; ++expected_version) {
        CHECK_STATUS(PM_OK, pm_subscription_next(sub, 10000, &event, &err), err);
        CHECK(event != NULL && event->version == expected_version);
        pm_event_free(event);
        event = NULL;
    }
    CHECK_STATUS(PM_ERR_TIMEOUT, pm_subscription_next(sub, 0, &event, &err), err);
    /* Live. */
    CHECK_STATUS(PM_OK,
                 pm_event_store_append(store, "sensor", "s-2", PM_EXPECT_NO_STREAM, &live, 1, NULL,
                                       NULL, &err),
                 err);
    CHECK_STATUS(PM_OK, pm_subscription_next(sub, 10000, &event, &err), err);
    if (event != NULL) {
        CHECK(strcmp(event->stream_id, "s-2") == 0);
        CHECK(strcmp(event->type, "Alarm") == 0);
        CHECK_STATUS(PM_OK, pm_subscription_position(sub, &at, &err), err);
        CHECK(at.position == event->position.position &&
              at.transaction_id == event->position.transaction_id);
    }
    pm_event_free(event);
    event = NULL;

    /* Closing from another thread wakes a next() waiting for ever. */
    pthread_create(&closer, NULL, close_later, sub);
    CHECK_STATUS(PM_ERR_CLOSED, pm_subscription_next(sub, -1, &event, &err), err);
    pthread_join(closer, NULL);
    CHECK_STATUS(PM_ERR_CLOSED, pm_subscription_next(sub, 0, &event, &err), err);
    pm_subscription_free(sub);

    /* A subscription from a later position sees only what follows it. */
    CHECK_STATUS(PM_OK, pm_event_store_subscribe(store, at, &sub, &err), err);
    CHECK_STATUS(PM_ERR_TIMEOUT, pm_subscription_next(sub, 300, &event, &err), err);
    pm_subscription_free(sub);
}

static void test_closed(pm_event_store* store) {
    pm_error* err = NULL;
    pm_subscription* sub = NULL;
    pm_event_list* list = NULL;
    pm_position start = {0, 0};
    pm_new_event e = {"Heartbeat", NULL, NULL};
    pm_event_store_close(store);
    pm_event_store_close(store); /* idempotent */
    CHECK_STATUS(
        PM_ERR_CLOSED,
        pm_event_store_append(store, "sensor", "s-1", PM_EXPECT_ANY, &e, 1, NULL, NULL, &err), err);
    CHECK_STATUS(PM_ERR_CLOSED, pm_event_store_read_all(store, start, 10, &list, &err), err);
    CHECK_STATUS(PM_ERR_CLOSED, pm_event_store_subscribe(store, start, &sub, &err), err);
    CHECK(sub == NULL && list == NULL);
}

int main(void) {
    const char* url = getenv("PM_TEST_DATABASE_URL");
    pm_error* err = NULL;
    pm_event_store* store = NULL;
    char sql[256];
    if (url == NULL || *url == '\0') {
        fprintf(stderr,
                "PM_TEST_DATABASE_URL is not set: run through scripts/test, or set it to the URL "
                "of a role that may create databases\n");
        return 1;
    }
    snprintf(admin_url, sizeof admin_url, "%s", url);
    snprintf(database_name, sizeof database_name, "pm_capi_%ld_%d", (long)getpid(),
             rand() % 100000);
    make_database_url();
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", database_name);
    if (!admin_exec(sql)) {
        return 1;
    }

    test_open_errors();
    CHECK_STATUS(PM_OK, pm_database_migrate(database_url, &err), err);
    CHECK_STATUS(PM_OK, pm_event_store_open(database_url, 2, &store, &err), err);
    if (store != NULL) {
        test_append_and_read(store);
        test_subscribe(store);
        test_already_exists(store);
        test_closed(store);
    }
    pm_event_store_free(store);

    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", database_name);
    admin_exec(sql);
    if (check_failures != 0) {
        fprintf(stderr, "%d check(s) failed\n", check_failures);
        return 1;
    }
    puts("capi_store_test: all checks passed");
    return 0;
}
