/* area.c - the process area's per-loop state, and what happens to it when
 * the loop closes. */
#include "process/internal.h"

#include <stdlib.h>

static void area_hook(cio_loop *loop, int when, void *arg) {
    (void)loop;
    if (when != CIO__AT_CLOSE)
        return;
    cio__proc_area *a = arg;
    cio__signals_close(a);
    cio__processes_close(a);

    free(a);
}

cio__proc_area *cio__proc_area_get(cio_loop *loop, bool create) {
    cio__proc_area *a = cio__loop_hook_arg(loop, area_hook);
    if (a || !create)
        return a;
    a = calloc(1, sizeof *a);
    if (a && cio__loop_add_hook(loop, area_hook, a) != 0) {
        free(a);
        a = NULL;
    }
    return a;
}
