"""gen.py - random programs for the differential tester (seeded, deterministic).

A program is a JSON object:

    {"tasks": [TASK, ...],          # tasks[0] is main
     "locks": N, "sems": [V, ...],  # how many locks; semaphore values
     "queues": [MAXSIZE, ...], "events": N}

    TASK = {"body": [STMT, ...], "end": {"ret": V} | {"raise": K}}

A statement is an object with "op" and its arguments; "c": 1 marks a
statement whose failure (cancellation, timeout, error) is caught, logged and
forgotten; without it the failure ends the task (or the enclosing timeout
block) as an exception would. Durations are whole seconds of a virtual clock.

    sleep d             asyncio.sleep(d)
    spawn t             create task t (each task is spawned once, by a task
                        of lower index)
    cancel t            t.cancel()
    await t             await t
    shield t            await asyncio.shield(t)
    wait_for t d        await asyncio.wait_for(t, d)
    gather ts r         await asyncio.gather(*ts, return_exceptions=r)
    wait ts when d      await asyncio.wait(ts, timeout=d (null: none), ...)
    lock l body         async with lock l: body (sleeps only)
    sem s body          async with semaphore s: body (sleeps only)
    timeout d body      async with asyncio.timeout(d): body
    put q v / get q     await queue.put(v) / await queue.get()
    set e / clear e / evwait e   event.set() / clear() / await wait()

The rules that keep every program finite (no deadlock, whatever the
interleaving): a task awaits only tasks of higher index; lock and semaphore
bodies only sleep; queue and event waits only appear inside timeout blocks,
and nothing inside a timeout block catches (the timeout fires once).
So every statement ends within a bounded virtual time.
"""

import random

WHENS = ["FIRST_COMPLETED", "ALL_COMPLETED", "FIRST_EXCEPTION"]


class Gen:
    def __init__(self, seed, avoid=()):
        self.r = random.Random(seed)
        self.avoid = set(avoid)

    def dur(self):
        return self.r.choice([0, 1, 1, 2, 2, 3, 4, 5])

    def catch(self, st):
        if self.r.random() < 0.3:
            st["c"] = 1
        return st

    def later(self, i, n):
        return self.r.randrange(i + 1, n) if i + 1 < n else None

    def some_later(self, i, n):
        c = list(range(i + 1, n))
        self.r.shuffle(c)
        return sorted(c[: self.r.randint(1, min(3, len(c)))]) if c else None

    def sleeps(self):
        return [self.catch({"op": "sleep", "d": self.dur()})
                for _ in range(self.r.randint(0, 2))]

    def stmt(self, i, n, prog, depth, in_timeout):
        r = self.r
        kinds = ["sleep", "sleep", "cancel", "await", "await", "shield",
                 "wait_for", "gather", "wait", "timeout"]
        if prog["locks"]:
            kinds.append("lock")
        if prog["sems"]:
            kinds.append("sem")
        if prog["events"]:
            kinds += ["set", "clear"]
        if in_timeout:
            if prog["queues"]:
                kinds += ["put", "get", "get"]
            if prog["events"]:
                kinds.append("evwait")
        kinds = [k for k in kinds if k not in self.avoid]
        k = r.choice(kinds)
        t = self.later(i, n)
        if k in ("await", "shield", "wait_for") and t is None:
            k = "sleep"
        if k in ("gather", "wait") and t is None:
            k = "sleep"
        if k == "timeout" and depth >= 2:
            k = "sleep"
        if k == "sleep":
            return self.catch({"op": "sleep", "d": self.dur()})
        if k == "cancel":
            return {"op": "cancel", "t": r.randrange(1, n)}
        if k in ("await", "shield"):
            return self.catch({"op": k, "t": t})
        if k == "wait_for":
            return self.catch({"op": k, "t": t, "d": self.dur()})
        if k == "gather":
            return self.catch({"op": k, "ts": self.some_later(i, n),
                               "r": r.randint(0, 1)})
        if k == "wait":
            d = self.dur() if r.random() < 0.5 else None
            return self.catch({"op": k, "ts": self.some_later(i, n),
                               "when": r.choice(WHENS), "d": d})
        if k in ("lock", "sem"):
            cnt = prog["locks"] if k == "lock" else len(prog["sems"])
            return self.catch({"op": k, "l": r.randrange(cnt),
                               "body": self.sleeps()})
        if k == "timeout":
            body = [strip_catch(self.stmt(i, n, prog, depth + 1, True))
                    for _ in range(r.randint(1, 3))]
            return self.catch({"op": k, "d": self.dur(), "body": body})
        if k == "put":
            return self.catch({"op": k, "q": r.randrange(len(prog["queues"])),
                               "v": r.randint(1, 99)})
        if k == "get":
            return self.catch({"op": k, "q": r.randrange(len(prog["queues"]))})
        if k in ("set", "clear"):
            return {"op": k, "e": r.randrange(prog["events"])}
        if k == "evwait":
            return self.catch({"op": k, "e": r.randrange(prog["events"])})
        raise AssertionError(k)

    def program(self):
        r = self.r
        n = r.randint(2, 6)
        prog = {"locks": r.randint(0, 2),
                "sems": [r.randint(1, 2) for _ in range(r.randint(0, 1))],
                "queues": [r.choice([0, 1, 2]) for _ in range(r.randint(0, 2))],
                "events": r.randint(0, 1), "tasks": []}
        for i in range(n):
            body = [self.stmt(i, n, prog, 0, False)
                    for _ in range(r.randint(1, 6))]
            if i > 0 and r.random() < 0.2:
                end = {"raise": r.randint(1, 3)}
            else:
                end = {"ret": i * 10 + r.randint(0, 9)}
            prog["tasks"].append({"body": body, "end": end})
        # Task j is spawned once, by a task of lower index (main, mostly).
        for j in range(1, n):
            i = 0 if r.random() < 0.6 else r.randrange(0, j)
            body = prog["tasks"][i]["body"]
            body.insert(r.randint(0, len(body)), {"op": "spawn", "t": j})
        return prog


def strip_catch(st):
    """A timeout fires once: a statement of its body that caught the
    timeout's cancellation would let the next queue or event wait of the
    body wait forever. So nothing inside a timeout block catches."""
    st.pop("c", None)
    for s in st.get("body", []):
        strip_catch(s)
    return st


def program(seed, k, avoid=()):
    """Program k of a seed: each one can be regenerated alone."""
    return Gen(seed * 1000003 + k, avoid).program()
