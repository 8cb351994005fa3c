/* Builds against an installed libpowermanage_c (pkg-config powermanage-c, or
 * find_package(powermanage) -> powermanage::c) and uses one function of each area. */
#include <stdio.h>
#include <string.h>

#include <powermanage/c/powermanage.h>

int main(void) {
    char id[PM_ULID_LENGTH + 1];
    pm_error* error = NULL;
    pm_ca* ca = NULL;
    pm_jwt* jwt = NULL;
    pm_event_store* store = NULL;
    static const char secret[] = "consumer secret of 32 bytes or more";
    if (pm_ulid_new(id, &error) != PM_OK || !pm_ulid_is_valid(id)) {
        fprintf(stderr, "ulid: %s\n", pm_error_message(error));
        return 1;
    }
    if (pm_ca_create("consumer CA", PM_CA_KEY_ECDSA_P256, 60, &ca, &error) != PM_OK) {
        fprintf(stderr, "ca: %s\n", pm_error_message(error));
        return 1;
    }
    pm_ca_free(ca);
    if (pm_jwt_open(secret, strlen(secret), &jwt, &error) != PM_OK) {
        fprintf(stderr, "jwt: %s\n", pm_error_message(error));
        return 1;
    }
    pm_jwt_free(jwt);
    /* The event store needs a database; without one it must say so with a status. */
    if (pm_event_store_open("postgresql://127.0.0.1:1/none?connect_timeout=1", 1, &store, &error) !=
        PM_ERR_UNAVAILABLE) {
        fprintf(stderr, "event store: expected PM_ERR_UNAVAILABLE\n");
        return 1;
    }
    pm_error_free(error);
    printf("powermanage C consumer %s: ok (%s)\n", pm_version(), id);
    return 0;
}
