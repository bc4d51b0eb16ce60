/* The install test's program: built against an installed cio with
 * pkg-config (shared and static) and with find_package(cio). */
#include <cio.h>
#include <stdio.h>

static void *task(void *arg) {
    const char *answer = arg;
    if (cio_sleep(0.001) != 0)
        return cio_raise(CIO_EINVAL, "cio_sleep failed");
    return (void *)answer;
}

int main(void) {
    void *res = NULL;
    int err = cio_run(task, "slept 1 ms", &res);
    if (err != 0) {
        fprintf(stderr, "cio_run failed: %s\n", cio_strerror(err));
        return 1;
    }
    printf("hello from cio %s: %s\n", CIO_VERSION_STRING, (const char *)res);
    return 0;
}
