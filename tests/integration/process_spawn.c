/* Integration: how cio starts and reaps children (posix_spawn, a SIGCHLD
 * watcher per loop). A new process group without a new session; the child
 * gets exactly the descriptors asked for (not cio's, but what the program
 * left inheritable), even when a caller's 0, 1 or 2 goes to another slot;
 * default signal dispositions and an empty mask in the child; a script
 * without #! runs under /bin/sh; the program is looked up in the PATH of
 * the child's environment; a child reaped by someone else is -ECHILD with
 * a sentence; a SIGCHLD handler of the program's own runs beside cio's
 * reaping; two loops on two threads each reap their own children. */
#include "../cio_test.h"
#include "../process_helpers.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Run argv with stdout to a pipe; its output (malloc'd), exit code in
 * *code. */
static char *output_of(const char *const argv[], cio_process_options o,
                       int *code) {
    o.out = CIO_STDIO_PIPE;
    cio_process *p = cio_create_subprocess_exec(argv, &o);
    if (!p) {
        print_error("spawn failed: %s\n", cio_last_error_message());
        return NULL;
    }
    char *out = NULL;
    CHECK_INT(cio_process_communicate(p, NULL, 0, &out, NULL, NULL, NULL), 0);
    CHECK(cio_process_returncode(p, code));
    CHECK_INT(cio_process_free(p), 0);
    return out;
}

static void *group_main(void *arg) {
    (void)arg;
    cio_process *p = cio_create_subprocess_exec(
        ARGV("sleep", "30"), &(cio_process_options){.new_process_group = true});
    CHECK(p != NULL);
    int pid = cio_process_pid(p);
    CHECK_INT(getpgid(pid), pid);      /* a group of its own */
    CHECK_INT(getsid(pid), getsid(0)); /* in our session */
    CHECK(getpgid(pid) != getpgid(0));
    CHECK_INT(kill(-pid, SIGTERM), 0); /* the group can be signalled */
    int code = 0;
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -SIGTERM);
    cio_process_free(p);

    /* the child's own children are in its group */
    p = cio_create_subprocess_shell(
        "sleep 30 & wait", &(cio_process_options){.new_process_group = true,
                                                  .out = CIO_STDIO_DEVNULL});
    pid = cio_process_pid(p);
    cio_sleep(0.1); /* the shell has started its sleep */
    CHECK_INT(kill(-pid, SIGKILL), 0);
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, -SIGKILL);
    cio_process_free(p);

    /* with new_session as well: a session (and group) of its own */
    p = cio_create_subprocess_exec(
        ARGV("sleep", "30"),
        &(cio_process_options){.new_session = true, .new_process_group = true});
    CHECK(p != NULL);
    pid = cio_process_pid(p);
    CHECK_INT(getsid(pid), pid);
    CHECK_INT(getpgid(pid), pid);
    cio_process_kill(p);
    CHECK_INT(cio_process_wait(p, &code), 0);
    cio_process_free(p);

    /* without either: our group */
    p = cio_create_subprocess_exec(ARGV("sleep", "30"), NULL);
    pid = cio_process_pid(p);
    CHECK_INT(getpgid(pid), getpgid(0));
    cio_process_kill(p);
    CHECK_INT(cio_process_wait(p, &code), 0);
    cio_process_free(p);
    return NULL;
}

static void test_new_process_group(void **state) {
    (void)state;
    assert_int_equal(cio_run(group_main, NULL, NULL), 0);
    checks_assert();
}

/* Whether ls's listing of its /proc/self/fd is what the child should
 * have: 0, 1, 2 and every descriptor of ours without close-on-exec (those
 * the program left inheritable), plus one for the directory ls reads,
 * which takes the lowest free number. None of cio's. */
static bool exactly_inherited(const char *listing) {
    bool want[1024] = {false}, got[1024] = {false};
    want[0] = want[1] = want[2] = true;
    for (int fd = 3; fd < 1024; fd++) {
        int flags = fcntl(fd, F_GETFD);
        want[fd] = flags >= 0 && !(flags & FD_CLOEXEC);
    }
    for (const char *s = listing; s && *s;) {
        char *end;
        long fd = strtol(s, &end, 10);
        if (end == s || *end != '\n' || fd < 0 || fd >= 1024)
            return false;
        got[fd] = true;
        s = end + 1;
    }
    int dir = 0;
    while (want[dir])
        dir++;
    want[dir] = true;
    for (int fd = 0; fd < 1024; fd++)
        if (want[fd] != got[fd]) {
            print_error("fd %d: %s in the child\n", fd,
                        got[fd] ? "unexpected" : "missing");
            return false;
        }
    return true;
}

static void *fds_main(void *arg) {
    (void)arg;
    /* other children with pipes, and cio's own descriptors, are open */
    cio_process *cats[3];
    for (int i = 0; i < 3; i++)
        cats[i] = cio_create_subprocess_exec(
            ARGV("cat"), &(cio_process_options){.in = CIO_STDIO_PIPE,
                                                .out = CIO_STDIO_PIPE});
    int code = -1;
    char *out = output_of(
        ARGV("ls", "-1", "/proc/self/fd"),
        (cio_process_options){.in = CIO_STDIO_DEVNULL, .err = CIO_STDIO_STDOUT},
        &code);
    CHECK(exactly_inherited(out));
    CHECK_INT(code, 0);
    free(out);

    /* what the program itself leaves inheritable is inherited */
    int keep = open("/dev/null", O_RDONLY); /* no O_CLOEXEC */
    CHECK(keep > 2);
    out = output_of(ARGV("ls", "-1", "/proc/self/fd"), (cio_process_options){0},
                    &code);
    char probe[64];
    snprintf(probe, sizeof probe, "\n%d\n", keep);
    CHECK(out && strstr(out, probe) != NULL);
    CHECK(exactly_inherited(out));
    free(out);
    close(keep);

    for (int i = 0; i < 3; i++) {
        cio_stream_close(cio_process_stdin(cats[i]));
        CHECK_INT(
            cio_process_communicate(cats[i], NULL, 0, NULL, NULL, NULL, NULL),
            0);
        cio_process_free(cats[i]);
    }
    return NULL;
}

static void test_exact_descriptors(void **state) {
    (void)state;
    int fds = count_fds();
    assert_int_equal(cio_run(fds_main, NULL, NULL), 0);
    checks_assert();
    assert_int_equal(count_fds(), fds);
}

/* Our fd 0 given as the child's stdout, with stdin from /dev/null: the
 * child's dup2 onto 0 must not clobber it before it becomes 1. */
static void *low_fd_main(void *arg) {
    (void)arg;
    cio_process *p = cio_create_subprocess_exec(
        ARGV("echo", "swapped"), &(cio_process_options){.in = CIO_STDIO_DEVNULL,
                                                        .out = CIO_STDIO_FD,
                                                        .out_fd = 0});
    int code = -1;
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 0);
    cio_process_free(p);
    return NULL;
}

static void test_low_descriptor_moved(void **state) {
    (void)state;
    char path[] = "/tmp/cio-spawn-XXXXXX";
    int file = mkstemp(path);
    assert_true(file >= 0);
    int saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
    assert_true(saved >= 0);
    assert_int_equal(dup2(file, 0), 0);
    int fds = count_fds();
    int rc = cio_run(low_fd_main, NULL, NULL);
    int after = count_fds();
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    assert_int_equal(rc, 0);
    checks_assert();
    assert_int_equal(after, fds);
    char buf[32] = "";
    assert_int_equal(pread(file, buf, sizeof buf - 1, 0), 8);
    assert_string_equal(buf, "swapped\n");
    close(file);
    unlink(path);
}

static void *signals_main(void *arg) {
    (void)arg;
    int code = -1;
    char *out =
        output_of(ARGV("grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"),
                  (cio_process_options){0}, &code);
    CHECK_STR(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
    free(out);
    return NULL;
}

static void test_child_signal_state(void **state) {
    (void)state;
    /* ignored and blocked here: neither in the child */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old1, old2;
    sigaction(SIGUSR1, &ign, &old1);
    sigaction(SIGPIPE, &ign, &old2);
    sigset_t set, oldset;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &oldset);
    int rc = cio_run(signals_main, NULL, NULL);
    pthread_sigmask(SIG_SETMASK, &oldset, NULL);
    sigaction(SIGUSR1, &old1, NULL);
    sigaction(SIGPIPE, &old2, NULL);
    assert_int_equal(rc, 0);
    checks_assert();
}

typedef struct tree {
    char dir[64];
} tree;

static void write_file(const char *dir, const char *name, const char *text,
                       mode_t mode) {
    char path[256];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void *lookup_main(void *arg) {
    tree *t = arg;
    int code = -1;
    char path[128];
    /* no #!: /bin/sh runs it, with its arguments */
    snprintf(path, sizeof path, "%s/plain-script", t->dir);
    char *out =
        output_of(ARGV(path, "a1", "a2"), (cio_process_options){0}, &code);
    CHECK_STR(out, "script a1 a2\n");
    CHECK_INT(code, 7);
    free(out);

    /* found in the child's PATH, not ours */
    char pathvar[256];
    snprintf(pathvar, sizeof pathvar, "PATH=/no/such/dir:%s:/usr/bin:/bin",
             t->dir);
    const char *const env[] = {pathvar, NULL};
    out = output_of(ARGV("cio-spawn-test-prog"),
                    (cio_process_options){.env = env}, &code);
    CHECK_STR(out, "found\n");
    free(out);
    cio_process *p =
        cio_create_subprocess_exec(ARGV("cio-spawn-test-prog"), NULL);
    CHECK(p == NULL);
    CHECK_INT(cio_last_error(), -ENOENT);

    /* a PATH without the program: ENOENT even though ours has it */
    const char *const bare[] = {"PATH=/no/such/dir", NULL};
    p = cio_create_subprocess_exec(ARGV("true"),
                                   &(cio_process_options){.env = bare});
    CHECK(p == NULL);
    CHECK_INT(cio_last_error(), -ENOENT);
    CHECK(strstr(cio_last_error_message(), "not found in PATH") != NULL);

    /* a file without the x bit earlier in PATH: skipped, the next found */
    snprintf(pathvar, sizeof pathvar, "PATH=%s/noexec:%s", t->dir, t->dir);
    out = output_of(ARGV("cio-spawn-test-prog"),
                    (cio_process_options){.env = env}, &code);
    CHECK_STR(out, "found\n");
    free(out);
    return NULL;
}

static void test_program_lookup(void **state) {
    (void)state;
    tree t;
    snprintf(t.dir, sizeof t.dir, "/tmp/cio-spawn-XXXXXX");
    assert_non_null(mkdtemp(t.dir));
    write_file(t.dir, "plain-script", "echo script \"$@\"; exit 7\n", 0755);
    write_file(t.dir, "cio-spawn-test-prog", "#!/bin/sh\necho found\n", 0755);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/noexec", t.dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file(sub, "cio-spawn-test-prog", "#!/bin/sh\necho wrong\n", 0644);
    assert_int_equal(cio_run(lookup_main, &t, NULL), 0);
    checks_assert();
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", t.dir);
    assert_int_equal(system(cmd), 0);
}

static void *stolen_main(void *arg) {
    (void)arg;
    cio_process *p = cio_create_subprocess_exec(ARGV("true"), NULL);
    int pid = cio_process_pid(p);
    int status = -1;
    /* the program reaps cio's child itself */
    CHECK_INT(waitpid(pid, &status, 0), pid);
    int code = 1234;
    CHECK_INT(cio_process_wait(p, &code), -ECHILD);
    CHECK(strstr(cio_last_error_message(), "reaped by someone else") != NULL);
    CHECK_INT(code, 1234);
    CHECK(!cio_process_returncode(p, NULL));
    CHECK_INT(cio_process_send_signal(p, 0), -ESRCH);
    CHECK_INT(cio_process_wait(p, NULL), -ECHILD); /* again: at once */
    CHECK_INT(cio_process_free(p), 0);
    return NULL;
}

static void test_reaped_by_someone_else(void **state) {
    (void)state;
    assert_int_equal(cio_run(stolen_main, NULL, NULL), 0);
    checks_assert();
}

static void count_signal(int signum, void *arg) {
    (void)signum;
    ++*(int *)arg;
}

static void *own_handler_main(void *arg) {
    (void)arg;
    int seen = 0;
    CHECK_INT(cio_add_signal_handler(NULL, SIGCHLD, count_signal, &seen), 0);
    for (int i = 0; i < 3; i++) {
        cio_process *p = cio_create_subprocess_shell("exit 5", NULL);
        int code = -1;
        CHECK_INT(cio_process_wait(p, &code), 0);
        CHECK_INT(code, 5);
        cio_process_free(p);
    }
    cio_sleep(0.05); /* the last delivery reaches the handler too */
    CHECK(seen >= 1);
    CHECK_INT(cio_remove_signal_handler(NULL, SIGCHLD), 1);
    /* and reaping goes on without it */
    cio_process *p = cio_create_subprocess_exec(ARGV("false"), NULL);
    int code = -1;
    CHECK_INT(cio_process_wait(p, &code), 0);
    CHECK_INT(code, 1);
    cio_process_free(p);
    return NULL;
}

static void test_own_sigchld_handler(void **state) {
    (void)state;
    assert_int_equal(cio_run(own_handler_main, NULL, NULL), 0);
    checks_assert();
}

/* Each of two loops waits for 20 children of its own at once. */
static void *many_main(void *arg) {
    int *codes = arg;
    cio_process *p[20];
    char cmd[32];
    for (int i = 0; i < 20; i++) {
        snprintf(cmd, sizeof cmd, "sleep 0.0%d; exit %d", i % 5, i);
        p[i] = cio_create_subprocess_shell(cmd, NULL);
    }
    for (int i = 19; i >= 0; i--) {
        CHECK_INT(cio_process_wait(p[i], &codes[i]), 0);
        cio_process_free(p[i]);
    }
    return NULL;
}

static void *thread_main(void *arg) {
    return (void *)(intptr_t)cio_run(many_main, arg, NULL);
}

static void test_two_loops(void **state) {
    (void)state;
    int codes[2][20];
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, thread_main, codes[1]), 0);
    int rc = cio_run(many_main, codes[0], NULL);
    void *other = NULL;
    pthread_join(t, &other);
    assert_int_equal(rc, 0);
    assert_int_equal((int)(intptr_t)other, 0);
    checks_assert();
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 20; i++)
            assert_int_equal(codes[k][i], i);
    assert_int_equal(count_children(), 0); /* each loop reaped its own */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_new_process_group),
        CIO_TEST(test_exact_descriptors),
        CIO_TEST(test_low_descriptor_moved),
        CIO_TEST(test_child_signal_state),
        CIO_TEST(test_program_lookup),
        CIO_TEST(test_reaped_by_someone_else),
        CIO_TEST(test_own_sigchld_handler),
        CIO_TEST(test_two_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
