/* stop_on_ctrl_c - a program that runs a worker process and stops cleanly
 * on Ctrl-C: cio_run's first SIGINT cancels the main task, which then stops
 * its child (SIGTERM, then waits for it) before it returns; the program
 * ends with status 130, as a shell expects after Ctrl-C. A second Ctrl-C
 * during the clean-up would end it at once.
 *
 * The asyncio program it mirrors (asyncio.run does the same with SIGINT):
 *
 *     async def main():
 *         p = await asyncio.create_subprocess_exec(
 *             "sh", "-c", "while :; do echo tick; sleep 0.2; done",
 *             stdout=PIPE)
 *         try:
 *             while line := await p.stdout.readline():
 *                 print("child says", line.decode(), end="")
 *         except asyncio.CancelledError:
 *             print("Ctrl-C: stopping the child")
 *             p.terminate()
 *             print("child ended with", await p.wait())
 *             raise
 *
 *     asyncio.run(main())
 */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

static void *amain(void *arg) {
    (void)arg;
    const char *const argv[] = {"sh", "-c",
                                "while :; do echo tick; sleep 0.2; done", NULL};
    cio_process *p = cio_create_subprocess_exec(
        argv, &(cio_process_options){.out = CIO_STDIO_PIPE});
    if (!p)
        return cio_raise(cio_last_error(), "%s", cio_last_error_message());
    char *line;
    ssize_t n;
    while ((n = cio_stream_readline(cio_process_stdout(p), &line)) > 0) {
        printf("child says %s", line);
        fflush(stdout);
        free(line);
    }
    if (n == CIO_ECANCELED) {
        puts("Ctrl-C: stopping the child");
        cio_process_terminate(p);
        int code;
        if (cio_process_wait(p, &code) == 0)
            printf("child ended with %d\n", code);
    }
    cio_process_free(p);
    return n == 0 ? NULL : cio_raise((int)n, NULL);
}

int main(void) {
    int rc = cio_run(amain, NULL, NULL);
    if (rc == CIO_EINTERRUPTED)
        puts("stopped cleanly");
    return cio_exit_status(rc);
}
