/* Unit tests: misuse and failures of cio/process.h never abort and never
 * leak. NULL and bad options, no loop, suspending calls outside a task, a
 * process of another thread; spawn failures with their codes and messages:
 * no such program, a cwd that does not exist, a file without execute
 * permission, a directory as the program, a directory that may not be
 * searched (as an unprivileged user, in a forked child), EMFILE (a lowered
 * RLIMIT_NOFILE) and EAGAIN (RLIMIT_NPROC of 0, in a forked child); the
 * descriptor count is the same before and after. */
#include "../cio_test.h"
#include "../process_helpers.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Children left to the reaper thread go within a generous bound. */
static bool no_children(void) {
    for (int i = 0; i < 15000 && count_children() > 0; i++)
        usleep(2000);
    return count_children() == 0;
}

static void test_bad_arguments(void **state) {
    (void)state;
    assert_null(cio_create_subprocess_exec(ARGV("true"), NULL));
    assert_int_equal(cio_last_error(), CIO_ENOLOOP);
    cio_loop *loop = cio_loop_new(NULL);
    assert_null(cio_create_subprocess_exec(NULL, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_null(cio_create_subprocess_exec(ARGV(""), NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    assert_null(cio_create_subprocess_shell(NULL, NULL));
    assert_int_equal(cio_last_error(), CIO_EINVAL);
    const cio_process_options bad[] = {
        {.in = CIO_STDIO_STDOUT},
        {.out = CIO_STDIO_STDOUT},
        {.err = (cio_stdio)99},
        {.in = CIO_STDIO_FD, .in_fd = -1},
        {.out = CIO_STDIO_FD, .out_fd = 12345},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(cio_create_subprocess_exec(ARGV("true"), &bad[i]));
        assert_int_equal(cio_last_error(), CIO_EINVAL);
    }
    assert_int_equal(cio_process_pid(NULL), -1);
    assert_false(cio_process_returncode(NULL, NULL));
    assert_null(cio_process_stdin(NULL));
    assert_null(cio_process_stdout(NULL));
    assert_null(cio_process_stderr(NULL));
    assert_int_equal(cio_process_wait(NULL, NULL), CIO_EINVAL);
    assert_int_equal(
        cio_process_communicate(NULL, NULL, 0, NULL, NULL, NULL, NULL),
        CIO_EINVAL);
    assert_int_equal(cio_process_send_signal(NULL, SIGTERM), CIO_EINVAL);
    assert_int_equal(cio_process_terminate(NULL), CIO_EINVAL);
    assert_int_equal(cio_process_kill(NULL), CIO_EINVAL);
    assert_int_equal(cio_process_free(NULL), 0);

    /* outside a task: the suspending calls refuse, the others work */
    cio_process *p = cio_create_subprocess_exec(
        ARGV("cat"), &(cio_process_options){.in = CIO_STDIO_PIPE});
    assert_non_null(p);
    assert_int_equal(cio_process_wait(p, NULL), CIO_ENOTASK);
    assert_int_equal(cio_process_communicate(p, "x", 1, NULL, NULL, NULL, NULL),
                     CIO_ENOTASK);
    assert_int_equal(cio_process_send_signal(p, NSIG), CIO_EINVAL);
    assert_int_equal(cio_process_kill(p), 0);
    assert_int_equal(cio_process_free(p), 0);
    /* the loop never ran, so it never saw the exit: closing it says so
     * and leaves the child to the reaper thread */
    diag_capture();
    assert_int_equal(cio_loop_close(loop), 0);
    diag_restore();
    assert_int_equal(diag_count("was still running when its loop closed"), 1);
    assert_true(no_children());
}

static void *input_without_pipe(void *arg) {
    (void)arg;
    cio_process *p = cio_create_subprocess_exec(ARGV("true"), NULL);
    char *out = (char *)1;
    CHECK_INT(cio_process_communicate(p, "x", 1, &out, NULL, NULL, NULL),
              CIO_EINVAL);
    CHECK(out == NULL);
    CHECK(strstr(cio_last_error_message(), "CIO_STDIO_PIPE") != NULL);
    CHECK_INT(cio_process_communicate(p, NULL, 0, &out, NULL, NULL, NULL), 0);
    CHECK(out == NULL); /* stdout is not a pipe */
    CHECK_INT(cio_process_free(p), 0);
    return NULL;
}

static void test_input_without_pipe(void **state) {
    (void)state;
    assert_int_equal(cio_run(input_without_pipe, NULL, NULL), 0);
    checks_assert();
}

static void *free_elsewhere(void *arg) {
    return IPTR(cio_process_free(arg));
}

static void test_other_thread(void **state) {
    (void)state;
    cio_loop *loop = cio_loop_new(NULL);
    cio_process *p = cio_create_subprocess_exec(ARGV("true"), NULL);
    pthread_t t;
    void *res;
    assert_int_equal(pthread_create(&t, NULL, free_elsewhere, p), 0);
    pthread_join(t, &res);
    assert_int_equal(PINT(res), CIO_EWRONGLOOP);
    assert_int_equal(cio_process_free(p), 0);
    diag_capture();
    cio_loop_close(loop);
    diag_restore();
    assert_true(no_children());
}

/* Expect spawning argv (with cwd) to fail with `code` and a message
 * holding `words`. */
static void expect_failure(const char *const argv[], const char *cwd, int code,
                           const char *words) {
    cio_process *p = cio_create_subprocess_exec(
        argv, &(cio_process_options){.cwd = cwd, .out = CIO_STDIO_PIPE});
    if (p) {
        print_error("'%s' started\n", argv[0]);
        cio_process_kill(p);
        cio_process_free(p);
    }
    assert_null(p);
    if (cio_last_error() != code || !strstr(cio_last_error_message(), words))
        print_error("got %d: %s\n", cio_last_error(), cio_last_error_message());
    assert_int_equal(cio_last_error(), code);
    assert_non_null(strstr(cio_last_error_message(), words));
}

static char tmp[64];

static void make_tree(void) {
    strcpy(tmp, "/tmp/cio-proc-err-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    assert_int_equal(chmod(tmp, 0755), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/plain", tmp); /* not executable */
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);
    snprintf(path, sizeof path, "%s/locked", tmp);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/locked/prog", tmp);
    fd = open(path, O_WRONLY | O_CREAT, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
    close(fd);
    snprintf(path, sizeof path, "%s/locked", tmp);
    assert_int_equal(chmod(path, 0644), 0); /* may not be searched */
}

static void remove_tree(void) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "chmod 755 %s/locked; rm -rf %s", tmp, tmp);
    assert_int_equal(system(cmd), 0);
}

static void test_spawn_failures(void **state) {
    (void)state;
    make_tree();
    cio_loop *loop = cio_loop_new(NULL);
    /* libuv's one-time pipe for signals and its reserved descriptor per
     * loop (taken with the first stream) before counting */
    cio_process *warm = cio_create_subprocess_exec(
        ARGV("true"), &(cio_process_options){.out = CIO_STDIO_PIPE});
    cio_process_free(warm);
    int fds = count_fds();
    expect_failure(ARGV("no-such-program-cio"), NULL, -ENOENT,
                   "no such program (not found in PATH)");
    expect_failure(ARGV("/no/such/program"), NULL, -ENOENT,
                   "no file at that path");
    expect_failure(ARGV("true"), "/no/such/dir", -ENOENT,
                   "working directory '/no/such/dir' does not exist");
    char path[128];
    snprintf(path, sizeof path, "%s/plain", tmp);
    expect_failure(ARGV(path), NULL, -EACCES, "permission denied");
    expect_failure(ARGV(tmp), NULL, -EACCES, "permission denied");
    assert_int_equal(count_fds(), fds);
    diag_capture();
    cio_loop_close(loop);
    diag_restore();
    assert_true(no_children());
    remove_tree();
}

/* In a forked child: run `fn`, exit 0 if it held. As root, first become
 * an unprivileged user, for whom permissions and RLIMIT_NPROC count. */
static void in_child_as_nobody(void (*fn)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(77);
        fn();
        _exit(ct_fail_count ? 1 : 0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip(); /* could not drop privileges */
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void check_failure(const char *const argv[], const char *cwd, int code,
                          const char *words) {
    cio_process *p =
        cio_create_subprocess_exec(argv, &(cio_process_options){.cwd = cwd});
    CHECK(p == NULL);
    CHECK_INT(cio_last_error(), code);
    CHECK(strstr(cio_last_error_message(), words) != NULL);
    if (p) {
        cio_process_kill(p);
        cio_process_free(p);
    }
}

static void locked_directory(void) {
    cio_loop *loop = cio_loop_new(NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/locked/prog", tmp);
    check_failure(ARGV(path), NULL, -EACCES, "permission denied");
    snprintf(path, sizeof path, "%s/locked", tmp);
    check_failure(ARGV("true"), path, -EACCES, "permission denied");
    cio_loop_close(loop);
}

static void test_directory_without_search_permission(void **state) {
    (void)state;
    make_tree();
    in_child_as_nobody(locked_directory);
    remove_tree();
}

static void no_more_processes(void) {
    struct rlimit none = {0, 0};
    CHECK_INT(setrlimit(RLIMIT_NPROC, &none), 0);
    cio_loop *loop = cio_loop_new(NULL);
    check_failure(ARGV("true"), NULL, -EAGAIN, "refuses another process");
    cio_loop_close(loop);
}

static void test_eagain(void **state) {
    (void)state;
    in_child_as_nobody(no_more_processes);
}

static void test_emfile(void **state) {
    (void)state;
    if (under_valgrind())
        skip(); /* valgrind keeps descriptors of its own below the limit */
    cio_loop *loop = cio_loop_new(NULL);
    cio_process_free(cio_create_subprocess_exec(
        ARGV("true"), &(cio_process_options){.out = CIO_STDIO_PIPE}));
    int fds = count_fds();
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    struct rlimit low = {64, old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int held[64], n = 0;
    while (n < 64 && (held[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        n++;
    assert_int_equal(errno, EMFILE);
    /* the pipes cannot be made */
    cio_process *p = cio_create_subprocess_exec(
        ARGV("true"), &(cio_process_options){.out = CIO_STDIO_PIPE});
    assert_null(p);
    assert_int_equal(cio_last_error(), -EMFILE);
    assert_non_null(strstr(cio_last_error_message(), "out of file"));
    /* nor /dev/null for DEVNULL */
    p = cio_create_subprocess_exec(
        ARGV("true"), &(cio_process_options){.in = CIO_STDIO_DEVNULL});
    assert_null(p);
    assert_int_equal(cio_last_error(), -EMFILE);
    assert_non_null(strstr(cio_last_error_message(), "out of file"));
    /* posix_spawn itself needs no descriptor (libuv's uv_spawn needed a
     * pipe): inheriting everything still works, and the child loses our
     * close-on-exec descriptors at its exec */
    p = cio_create_subprocess_exec(ARGV("true"), NULL);
    assert_non_null(p);
    assert_int_equal(cio_process_free(p), 0);
    while (n > 0)
        close(held[--n]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(count_fds(), fds);
    diag_capture();
    cio_loop_close(loop);
    diag_restore();
    assert_true(no_children());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        CIO_TEST(test_bad_arguments),
        CIO_TEST(test_input_without_pipe),
        CIO_TEST(test_other_thread),
        CIO_TEST(test_spawn_failures),
        CIO_TEST(test_directory_without_search_permission),
        CIO_TEST(test_eagain),
        CIO_TEST(test_emfile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
