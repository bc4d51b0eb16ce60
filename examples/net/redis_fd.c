/* redis_fd.c - driving a non-blocking C library from tasks: hiredis
 * against a redis-server, with cio_wait_readable / cio_wait_writable.
 *
 * hiredis's non-blocking context never waits; it says what it needs. Each
 * task gives it a connection of its own and waits on the fd with cio, so
 * the code reads as blocking code while eight clients run at once.
 *
 *     ./net_redis_fd [port]        (redis-server on 127.0.0.1:port, 6379)
 */
#include <cio.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>

#define CLIENTS 8
#define INCRS 1000

static int port = 6379;

/* Send what the context has buffered, waiting while the socket is full. */
static int flush(redisContext *c) {
    int done = 0;
    while (!done) {
        if (redisBufferWrite(c, &done) != REDIS_OK)
            return -1;
        if (!done && cio_wait_writable(c->fd, -1) < 0)
            return -1;
    }
    return 0;
}

/* One command, one reply: what redisCommand does, but suspending. */
static redisReply *command(redisContext *c, const char *fmt, const char *arg) {
    void *reply = NULL;
    if (redisAppendCommand(c, fmt, arg) != REDIS_OK || flush(c) < 0)
        return NULL;
    while (redisGetReplyFromReader(c, &reply) == REDIS_OK && !reply)
        if (cio_wait_readable(c->fd, -1) < 0 || redisBufferRead(c) != REDIS_OK)
            return NULL;
    return reply;
}

static void *client(void *arg) {
    const char *key = arg;
    redisContext *c = redisConnectNonBlock("127.0.0.1", port);
    if (!c || c->err)
        return cio_raise(-ECONNREFUSED, "connect: %s", c ? c->errstr : "?");
    int err = cio_wait_writable(c->fd, 5.0); /* the connect's outcome */
    for (int i = 0; err == 0 && i < INCRS; i++) {
        redisReply *r = command(c, "INCR %s", key);
        if (!r || r->type != REDIS_REPLY_INTEGER)
            err = -EPROTO;
        if (r)
            freeReplyObject(r);
    }
    if (err)
        fprintf(stderr, "client: %s\n", c->err ? c->errstr : cio_strerror(err));
    redisFree(c);
    return err ? cio_raise(err, NULL) : NULL;
}

static void *amain(void *arg) {
    (void)arg;
    cio_future *t[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        t[i] = cio_create_task(client, "cio:counter");
    int err = cio_gather(t, CLIENTS, NULL);
    cio_release_all(t, CLIENTS);
    if (err)
        return cio_raise(err, "a client failed");
    redisContext *c = redisConnectNonBlock("127.0.0.1", port);
    cio_wait_writable(c->fd, 5.0);
    redisReply *r = command(c, "GET %s", "cio:counter");
    if (r && r->type == REDIS_REPLY_STRING)
        printf("cio:counter = %s\n", r->str);
    freeReplyObject(r);
    redisFree(c);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1)
        port = atoi(argv[1]);
    int rc = cio_run(amain, NULL, NULL);
    if (rc)
        fprintf(stderr, "redis_fd: %s\n", cio_last_error_message());
    return rc ? 1 : 0;
}
