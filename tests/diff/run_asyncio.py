"""run_asyncio.py - run programs of the differential tester on asyncio.

    python3 run_asyncio.py [--emulate=NAME,...] FILE
        (one JSON program per line, as gen.py writes them; - for stdin;
        --emulate: see EMULATIONS)

Prints, for each program, a line "=== K" (K: the line's index) and then its
event log; tests/diff/diffrun.c prints the same log for cio. The language is
described in gen.py.

The loop runs on a virtual clock: its selector never sleeps, it moves the
clock to the next timer instead. Timers due at the same time run in the
order they were scheduled (asyncio's heap leaves that order to the heap's
shape; cio orders by (when, sequence), which is one of asyncio's orders).
The tasks still pending when main ends are cancelled in the order they were
created (asyncio.run cancels them in the order of a set, which changes from
run to run; cio's order is creation order, again one of asyncio's).
"""

import asyncio
import collections
import heapq
import itertools
import json
import logging
import selectors
import sys
from asyncio import events

# Known differences (tests/diff/KNOWN.md, docs/design.md): each name switches
# this runner to cio's behaviour, so that the driver can tell a known
# difference from a new one.
EMULATIONS = {
    # A cio task that returns while a cancellation request stands (one it
    # caught and did not take back with cio_task_uncancel) ends CANCELLED;
    # an asyncio task that caught CancelledError and returns ends DONE.
    "cancel-stands",
    # cio_wait_for is Python 3.12's wait_for (async with timeout(): await);
    # 3.11's suspends even for a future already done, and its timer wakes
    # the waiting task, which cancels the future one pass later.
    "wait-for-3.12",
    # A cio task whose sleep is due runs in the pass its timer fires, at the
    # timer's place among the due timers; asyncio's sleep timer only sets a
    # future, and the task runs one pass later (docs/design.md).
    "sleep-wakes-directly",
    # cio_timeout_end turns an expiry into CIO_ETIMEDOUT when no
    # cancellation request is left beyond those the task had when the scope
    # began, as asyncio.timeout does from 3.11.3 and in 3.12; Debian's
    # 3.11.2 wants none left at all.
    "timeout-3.12",
}


class Deadlock(BaseException):
    pass


# ---- the virtual loop --------------------------------------------------------

class VirtualSelector(selectors.DefaultSelector):
    def __init__(self):
        super().__init__()
        self.now = 0.0

    def select(self, timeout=None):
        if timeout is None:
            # Nothing ready, no timer: only I/O could wake the loop, and
            # these programs do none.
            raise Deadlock()
        self.now += timeout
        return super().select(0)


class SeqTimerHandle(events.TimerHandle):
    __slots__ = ("_seq",)

    def __lt__(self, other):
        return (self._when, self._seq) < (other._when, other._seq)


class DirectSleepTimer(SeqTimerHandle):
    """The timer of an asyncio.sleep, under "sleep-wakes-directly"."""
    __slots__ = ()


class DirectSleepReady(collections.deque):
    """The ready queue under "sleep-wakes-directly": when the loop moves a
    due sleep timer here, the sleep's future is set at once, so the task's
    wake-up takes the timer's place in the queue, as a cio sleep's step
    does."""

    def append(self, handle):
        if isinstance(handle, DirectSleepTimer):
            if not handle._cancelled:
                handle._run()
        else:
            super().append(handle)


class VirtualLoop(asyncio.SelectorEventLoop):
    sleep_wakes_directly = False

    def __init__(self):
        self._vsel = VirtualSelector()
        super().__init__(self._vsel)
        self._seqs = itertools.count()
        self._clock_resolution = 1e-9
        if self.sleep_wakes_directly:
            self._ready = DirectSleepReady()

    def time(self):
        return self._vsel.now

    def call_at(self, when, callback, *args, context=None):
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        cls = SeqTimerHandle
        if (self.sleep_wakes_directly
                and callback is asyncio.futures._set_result_unless_cancelled):
            cls = DirectSleepTimer
        timer = cls(when, callback, args, self, context)
        timer._seq = next(self._seqs)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer


class DirectSleepLoop(VirtualLoop):
    sleep_wakes_directly = True


# ---- emulations of cio's combinators ----------------------------------------

class Timeout312(asyncio.timeouts.Timeout):
    """asyncio.timeout with the exit rule of Python 3.11.3+ and 3.12."""

    async def __aenter__(self):
        await super().__aenter__()
        self._cancelling = self._task.cancelling()
        return self

    async def __aexit__(self, exc_type, exc_val, exc_tb):
        st = asyncio.timeouts._State
        if self._timeout_handler is not None:
            self._timeout_handler.cancel()
            self._timeout_handler = None
        if self._state is st.EXPIRING:
            self._state = st.EXPIRED
            if (self._task.uncancel() <= self._cancelling
                    and exc_type is asyncio.CancelledError):
                raise TimeoutError from exc_val
        elif self._state is st.ENTERED:
            self._state = st.EXITED
        return None


def timeout_312(delay):
    loop = asyncio.get_running_loop()
    return Timeout312(loop.time() + delay if delay is not None else None)


async def wait_for_312(fut, timeout, timeout_cm):
    """Python 3.12's asyncio.wait_for (Lib/asyncio/tasks.py)."""
    if timeout is not None and timeout <= 0:
        fut = asyncio.ensure_future(fut)
        if fut.done():
            return fut.result()
        await asyncio.tasks._cancel_and_wait(fut, asyncio.get_running_loop())
        try:
            return fut.result()
        except asyncio.CancelledError as exc:
            raise TimeoutError from exc
    async with timeout_cm(timeout):
        return await fut


# ---- the interpreter --------------------------------------------------------

class Err(Exception):
    def __init__(self, k):
        super().__init__(f"E{k}")
        self.k = k


def outcome_of_exc(e):
    if isinstance(e, asyncio.CancelledError):
        return "cancelled"
    if isinstance(e, TimeoutError):
        return "timeout"
    if isinstance(e, Err):
        return f"err E{e.k}"
    raise e


def fmt_val(v):
    if isinstance(v, list):
        return "[" + ",".join(fmt_val(x) for x in v) + "]"
    if isinstance(v, BaseException):
        return outcome_of_exc(v)
    return str(v)


def tname(ts):
    return "[" + ",".join(f"T{t}" for t in ts) + "]"


FAILURES = (asyncio.CancelledError, TimeoutError, Err)


class Interp:
    def __init__(self, prog, emulate=()):
        self.prog = prog
        self.emulate = set(emulate)
        self.lines = []
        self.tasks = {}
        self.order = []  # the tasks in creation order, main first
        self.main_done = False

    def log(self, s):
        self.lines.append(s)

    async def guarded(self, i, st, desc, aw, fmt=fmt_val):
        """Await aw, log its outcome; re-raise a failure unless caught."""
        try:
            r = await aw
        except FAILURES as e:
            self.log(f"T{i} {desc} -> {outcome_of_exc(e)}")
            if not st.get("c"):
                raise
            return None
        self.log(f"T{i} {desc} -> ok{fmt(r)}")
        return r

    def timeout_cm(self):
        if "timeout-3.12" in self.emulate:
            return timeout_312
        return asyncio.timeout

    def wait_for(self, f, d):
        if "wait-for-3.12" in self.emulate:
            return wait_for_312(f, d, self.timeout_cm())
        return asyncio.wait_for(f, d)

    def gather(self, fs, return_exceptions):
        return asyncio.gather(*fs, return_exceptions=return_exceptions)

    async def stmt(self, i, st):
        op = st["op"]
        g = self.guarded
        if op == "sleep":
            await g(i, st, f"sleep {st['d']}", asyncio.sleep(st["d"]),
                    lambda r: "")
        elif op == "spawn":
            t = st["t"]
            if self.main_done:
                self.log(f"T{i} spawn T{t} refused")
                return
            self.log(f"T{i} spawn T{t}")
            self.tasks[t] = asyncio.get_running_loop().create_task(
                self.task(t))
            self.order.append(self.tasks[t])
        elif op == "cancel":
            t = st["t"]
            r = self.tasks[t].cancel() if t in self.tasks else "unspawned"
            self.log(f"T{i} cancel T{t} -> {r}")
        elif op in ("await", "shield", "wait_for"):
            t = st["t"]
            desc = {"await": f"await T{t}", "shield": f"shield T{t}",
                    "wait_for": f"wait_for T{t} {st.get('d')}"}[op]
            if t not in self.tasks:
                self.log(f"T{i} {desc} -> unspawned")
                return
            f = self.tasks[t]
            aw = {"await": lambda: f, "shield": lambda: asyncio.shield(f),
                  "wait_for": lambda: self.wait_for(f, st["d"])}[op]()
            await g(i, st, desc, aw, lambda r: f" {r}")
        elif op == "gather":
            ts = [t for t in st["ts"] if t in self.tasks]
            desc = f"gather {tname(ts)} {st['r']}"
            await g(i, st, desc,
                    self.gather([self.tasks[t] for t in ts], bool(st["r"])),
                    lambda r: " " + fmt_val(r))
        elif op == "wait":
            ts = [t for t in st["ts"] if t in self.tasks]
            desc = f"wait {tname(ts)} {st['when']} {st['d']}"
            if not ts:
                self.log(f"T{i} {desc} -> empty")
                return
            fs = [self.tasks[t] for t in ts]
            when = getattr(asyncio, st["when"])

            def fmt(r):
                done = r[0]
                return " " + tname([t for t, f in zip(ts, fs) if f in done])
            await g(i, st, desc, asyncio.wait(fs, timeout=st["d"],
                                              return_when=when), fmt)
        elif op in ("lock", "sem"):
            obj = (self.locks if op == "lock" else self.sems)[st["l"]]
            name = f"{op} {'L' if op == 'lock' else 'S'}{st['l']}"
            try:
                await obj.acquire()
            except asyncio.CancelledError:
                self.log(f"T{i} {name} -> cancelled")
                if not st.get("c"):
                    raise
                return
            self.log(f"T{i} {name} -> acquired")
            try:
                await self.body(i, st["body"])
            finally:
                obj.release()
                self.log(f"T{i} {name} released")
        elif op == "timeout":
            self.log(f"T{i} timeout {st['d']} begin")

            async def block():
                async with self.timeout_cm()(st["d"]):
                    await self.body(i, st["body"])
            await g(i, st, f"timeout {st['d']} end", block(), lambda r: "")
        elif op == "put":
            q = self.queues[st["q"]]
            await g(i, st, f"put Q{st['q']} {st['v']}", q.put(st["v"]),
                    lambda r: "")
        elif op == "get":
            q = self.queues[st["q"]]
            await g(i, st, f"get Q{st['q']}", q.get(), lambda r: f" {r}")
        elif op == "set":
            self.events[st["e"]].set()
            self.log(f"T{i} set V{st['e']}")
        elif op == "clear":
            self.events[st["e"]].clear()
            self.log(f"T{i} clear V{st['e']}")
        elif op == "evwait":
            ev = self.events[st["e"]]
            await g(i, st, f"evwait V{st['e']}", ev.wait(), lambda r: "")
        else:
            raise ValueError(f"unknown op {op!r}")

    async def body(self, i, stmts):
        for st in stmts:
            await self.stmt(i, st)

    async def task(self, i):
        t = self.prog["tasks"][i]
        self.log(f"T{i} start")
        try:
            await self.body(i, t["body"])
            end = t["end"]
            if "raise" in end:
                self.log(f"T{i} raise E{end['raise']}")
                raise Err(end["raise"])
            self.log(f"T{i} return {end['ret']}")
            if ("cancel-stands" in self.emulate
                    and asyncio.current_task().cancelling() > 0):
                raise asyncio.CancelledError()
            return end["ret"]
        finally:
            if i == 0:
                self.main_done = True
                self.log("=== main done")

    async def main(self):
        p = self.prog
        self.locks = [asyncio.Lock() for _ in range(p.get("locks", 0))]
        self.sems = [asyncio.Semaphore(v) for v in p.get("sems", [])]
        self.queues = [asyncio.Queue(m) for m in p.get("queues", [])]
        self.events = [asyncio.Event() for _ in range(p.get("events", 0))]
        return await self.task(0)

    def loop_class(self):
        if "sleep-wakes-directly" in self.emulate:
            return DirectSleepLoop
        return VirtualLoop

    def run_main(self):
        """asyncio.run(main()) on the virtual loop, step by step (see the
        module's comment on the order of the last cancellations)."""
        loop = self.loop_class()()
        try:
            events.set_event_loop(loop)
            main = loop.create_task(self.main())
            self.order.append(main)
            try:
                loop.run_until_complete(main)
            except FAILURES:
                pass
            try:
                final0 = f"ok {main.result()}"
            except FAILURES as e:
                final0 = outcome_of_exc(e)
            self.cancel_left(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            return final0
        finally:
            events.set_event_loop(None)
            loop.close()

    def cancel_left(self, loop):
        left = [t for t in self.order if not t.done()]
        for t in left:
            t.cancel()
        if left:
            loop.run_until_complete(
                asyncio.gather(*left, return_exceptions=True))

    def run(self):
        try:
            final0 = self.run_main()
        except Deadlock:
            self.log("deadlock")
            return self.lines
        self.log(f"final T0 {final0}")
        for k in range(1, len(self.prog["tasks"])):
            f = self.tasks.get(k)
            if f is None:
                s = "unspawned"
            elif not f.done():
                s = "pending"
            elif f.cancelled():
                s = "cancelled"
            elif f.exception() is not None:
                s = outcome_of_exc(f.exception())
            else:
                s = f"ok {f.result()}"
            self.log(f"final T{k} {s}")
        return self.lines


def main():
    # The "exception never retrieved" reports are not part of the log.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
    args = sys.argv[1:]
    emulate = ()
    if args and args[0].startswith("--emulate="):
        emulate = [e for e in args.pop(0)[len("--emulate="):].split(",") if e]
        for e in emulate:
            if e not in EMULATIONS:
                sys.exit(f"run_asyncio.py: unknown emulation {e!r}")
    if len(args) != 1:
        sys.exit("usage: run_asyncio.py [--emulate=NAME,...] FILE|-")
    src = sys.stdin if args[0] == "-" else open(args[0])
    out = sys.stdout
    for k, line in enumerate(src):
        if not line.strip():
            continue
        out.write(f"=== {k}\n")
        for s in Interp(json.loads(line), emulate).run():
            out.write(s + "\n")
    out.flush()


if __name__ == "__main__":
    main()
