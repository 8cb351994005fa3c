/* Compiled with -std=c11 -Wall -Wextra -Werror -pedantic: the header is pure C. */
#include <powermanage/c/powermanage.h>

/** Uses a name from each area, so the compiler checks the declarations are complete types. */
int pm_header_c11_probe(void);
int pm_header_c11_probe(void) {
    pm_position position = {0, 0};
    pm_new_event event = {"type", NULL, NULL};
    pm_claims claims;
    (void)claims;
    return (int)position.position + (event.type != NULL) + (int)PM_ERR_INTERNAL;
}
