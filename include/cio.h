/* cio.h - asyncio for C. The one header a program includes.
 *
 * cio gives C what Python's asyncio gives Python: an event loop (libuv),
 * tasks that run on their own stacks so that cio_await() is a plain call,
 * futures with asyncio's states, cancellation and ordering rules.
 *
 *     #include <cio.h>
 *
 *     static void *hello(void *arg) {
 *         cio_sleep(1.0);
 *         printf("hello, %s\n", (char *)arg);
 *         return NULL;
 *     }
 *
 *     int main(void) { return cio_run(hello, "world", NULL) ? 1 : 0; }
 *
 * Each area has a header of its own under cio/; see docs/api.md for a guide.
 */
#ifndef CIO_H
#define CIO_H

#define CIO_VERSION_MAJOR 0
#define CIO_VERSION_MINOR 1
#define CIO_VERSION_PATCH 0
#define CIO_VERSION_STRING "0.1.0"

#include "cio/core.h"
#include "cio/combine.h"
#include "cio/sync.h"
#include "cio/thread.h"
#include "cio/net.h"
#include "cio/tls.h"
#include "cio/web.h"
#include "cio/http.h"
/* The short forms (CIO_MAIN, CIO_TRY, cio_gather_all, cio_close...). */
#include "cio/sugar.h"
#include "cio/process.h"

#endif /* CIO_H */
