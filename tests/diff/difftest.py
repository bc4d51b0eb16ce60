#!/usr/bin/env python3
"""difftest.py - the differential tester: random programs on asyncio and cio.

    python3 difftest.py --diffrun BUILD/tests/diff/diffrun [--seed S]
                        [--count N | --seconds T] [--show K] [--per-task]
                        [--avoid OP,...]

Generates programs (gen.py) from a seed, runs each on CPython's asyncio
(run_asyncio.py) and on cio (diffrun), and compares the event logs line for
line (--per-task: from main's end on, the clean-up of asyncio.run and
cio_run, only each task's own lines are compared, not their interleaving).
A program whose logs differ is run again
with the asyncio runner emulating cio's known, documented differences
(KNOWN.md; run_asyncio.py's EMULATIONS): if the logs then agree it counts as
a known difference, else as a new one. New differences are shrunk (delta
debugging: tasks, statements, flags and durations are removed or reduced
while the logs still differ) and printed with the seed: the smallest program
and both logs. Exit status: 0 if no new difference, 1 otherwise.
"""

import argparse
import copy
import difflib
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402
from run_asyncio import EMULATIONS  # noqa: E402

BATCH = 100


def split_logs(text):
    logs, cur = {}, None
    for line in text.splitlines():
        if line.startswith("=== ") and line[4:].isdigit():
            cur = int(line[4:])
            logs[cur] = []
        elif cur is not None:
            logs[cur].append(line)
    return logs


PER_TASK = False


def normal(log):
    """The log as compared: all of it in order, or with --per-task: in order
    up to main's end, then each task's own lines, then the final states."""
    if not PER_TASK or "=== main done" not in log:
        return (tuple(log),)
    k = log.index("=== main done")
    head, tail = log[:k], log[k + 1:]
    finals = tuple(x for x in tail if x.startswith(("final ", "deadlock")))
    per = {}
    for x in tail:
        if not x.startswith(("final ", "deadlock")):
            per.setdefault(x.split(" ", 1)[0], []).append(x)
    return (tuple(head), tuple(sorted((t, tuple(v)) for t, v in per.items())),
            finals)


class Runner:
    def __init__(self, diffrun, python):
        self.diffrun = diffrun
        self.python = python

    def _run(self, cmd, progs, timeout):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl",
                                         delete=False) as f:
            for p in progs:
                f.write(json.dumps(p, separators=(",", ":")) + "\n")
            path = f.name
        try:
            r = subprocess.run(cmd + [path], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               timeout=timeout)
            logs = split_logs(r.stdout)
            if r.returncode != 0:
                # A crash: the program it was running has a partial log.
                last = max(logs) if logs else 0
                logs.setdefault(last, []).append(
                    f"CRASH exit {r.returncode}: {r.stderr.strip()[-300:]}")
            return logs
        except subprocess.TimeoutExpired:
            return {}
        finally:
            os.unlink(path)

    def asyncio(self, progs, emulate=()):
        cmd = [self.python, os.path.join(HERE, "run_asyncio.py")]
        if emulate:
            cmd.append("--emulate=" + ",".join(sorted(emulate)))
        return self._run(cmd, progs, 30 + len(progs))

    def _asyncio_each(self, progs, sets):
        """Each program under its own set of emulations (grouped)."""
        out = [None] * len(progs)
        groups = {}
        for k, st in enumerate(sets):
            groups.setdefault(tuple(sorted(st)), []).append(k)
        for st, ks in groups.items():
            e = self.asyncio([progs[k] for k in ks], set(st))
            for j, k in enumerate(ks):
                out[k] = e.get(j, [])
        return out

    def cio(self, progs):
        logs = self._run([self.diffrun], progs, 30 + len(progs))
        if len(progs) > 1 and len(logs) < len(progs):
            # diffrun died on one program: run the others one by one.
            for k in range(len(progs)):
                if k not in logs or k == max(logs):
                    logs[k] = self._run([self.diffrun], [progs[k]],
                                        30).get(0, ["NO OUTPUT (hang?)"])
        return logs

    def verdicts(self, progs):
        """For each program: ("same"|"known"|"new", detail)."""
        a, c = self.asyncio(progs), self.cio(progs)
        out = []
        for k in range(len(progs)):
            if normal(a.get(k, [])) == normal(c.get(k, [])):
                out.append(("same", None))
            else:
                out.append(("new", None))
        bad = [k for k, v in enumerate(out) if v[0] == "new"]
        # Known differences: a set of emulations under which the logs agree
        # (run_asyncio.py's EMULATIONS, KNOWN.md). All of them first, then
        # each alone, then all but one; the set found is then trimmed to the
        # emulations it needs.
        names = sorted(EMULATIONS)
        tries = [tuple(names)] + [(n,) for n in names] + \
            [tuple(m for m in names if m != n) for n in names]
        found = {}
        for subset in tries:
            if not bad:
                break
            e = self.asyncio([progs[k] for k in bad], set(subset))
            left = []
            for j, k in enumerate(bad):
                if normal(e.get(j, [])) == normal(c.get(k, [])):
                    found[k] = set(subset)
                else:
                    left.append(k)
            bad = left
        for n in names:  # trim: drop what is not needed
            group = [k for k in found if n in found[k] and len(found[k]) > 1]
            if not group:
                continue
            e = self._asyncio_each([progs[k] for k in group],
                                   [found[k] - {n} for k in group])
            for j, k in enumerate(group):
                if normal(e[j]) == normal(c.get(k, [])):
                    found[k].discard(n)
        for k, subset in found.items():
            out[k] = ("known", "+".join(sorted(subset)))
        return out, a, c


# ---- shrinking --------------------------------------------------------------

def walk(stmts):
    """Every statement list of a body, nested ones included."""
    yield stmts
    for st in stmts:
        if "body" in st:
            yield from walk(st["body"])


def drop_task(prog, j):
    p = copy.deepcopy(prog)
    del p["tasks"][j]

    def fix(stmts):
        out = []
        for st in stmts:
            if st.get("t") == j:
                continue
            if "t" in st and st["t"] > j:
                st["t"] -= 1
            if "ts" in st:
                st["ts"] = [t - (t > j) for t in st["ts"] if t != j]
            if "body" in st:
                st["body"] = fix(st["body"])
            out.append(st)
        return out
    for t in p["tasks"]:
        t["body"] = fix(t["body"])
    return p


def candidates(prog):
    """Smaller variants of prog, biggest cuts first."""
    for j in range(len(prog["tasks"]) - 1, 0, -1):
        yield drop_task(prog, j)
    for ti in range(len(prog["tasks"])):
        n_lists = sum(1 for _ in walk(prog["tasks"][ti]["body"]))
        for li in range(n_lists):
            lst = list(walk(prog["tasks"][ti]["body"]))[li]
            for si in range(len(lst)):
                p = copy.deepcopy(prog)
                target = list(walk(p["tasks"][ti]["body"]))[li]
                st = target.pop(si)
                yield p
                if st["op"] in ("lock", "sem"):  # the block by its body
                    # (not a timeout's: its queue and event waits would
                    # then wait for ever, outside the language's rules)
                    p = copy.deepcopy(prog)
                    target = list(walk(p["tasks"][ti]["body"]))[li]
                    target[si:si + 1] = target[si]["body"]
                    yield p
    for ti, t in enumerate(prog["tasks"]):
        if "raise" in t["end"]:
            p = copy.deepcopy(prog)
            p["tasks"][ti]["end"] = {"ret": ti * 10}
            yield p
        for li, lst in enumerate(walk(t["body"])):
            for si, st in enumerate(lst):
                for key in ("c", "d", "ts", "r"):
                    if key not in st:
                        continue
                    v = st[key]
                    smaller = []
                    if key == "c" or key == "r":
                        smaller = [None] if key == "c" else ([0] if v else [])
                    elif key == "d" and v:
                        smaller = [0, v - 1] if v > 1 else [0]
                    elif key == "ts" and len(v) > 1:
                        smaller = [v[:i] + v[i + 1:] for i in range(len(v))]
                    for sv in smaller:
                        p = copy.deepcopy(prog)
                        s2 = list(walk(p["tasks"][ti]["body"]))[li][si]
                        if sv is None:
                            del s2[key]
                        else:
                            s2[key] = sv
                        yield p


def size(prog):
    return len(json.dumps(prog))


def shrink(runner, prog, budget_s=60):
    """Greedy delta debugging: take the first smaller variant whose logs
    still differ in a new way, until none does or the budget is spent."""
    t0 = time.time()
    while time.time() - t0 < budget_s:
        cands = [c for c in candidates(prog) if size(c) < size(prog)]
        found = None
        for i in range(0, len(cands), BATCH):
            found = first_new(runner, cands[i:i + BATCH])
            if found or time.time() - t0 >= budget_s:
                break
        if found is None:
            break
        prog = found
    return prog


def first_new(runner, chunk):
    """The first program of chunk that differs in a new way. A quick filter
    first (plain asyncio, and all emulations at once), then the full check
    of run.verdicts on the survivors, one at a time."""
    a, c = runner.asyncio(chunk), runner.cio(chunk)
    e = runner.asyncio(chunk, EMULATIONS)
    for k, prog in enumerate(chunk):
        if normal(a.get(k, [])) == normal(c.get(k, [])) or \
                normal(e.get(k, [])) == normal(c.get(k, [])):
            continue
        if runner.verdicts([prog])[0][0][0] == "new":
            return prog
    return None


def show(runner, prog):
    a = runner.asyncio([prog]).get(0, [])
    e = runner.asyncio([prog], EMULATIONS).get(0, [])
    c = runner.cio([prog]).get(0, [])
    print("  program: " + json.dumps(prog, separators=(",", ":")))
    for title, log in (("asyncio", a), ("asyncio emulating every known "
                                         "difference", e)):
        print(f"  diff (--- {title}, +++ cio):")
        for line in difflib.unified_diff(log, c, "asyncio", "cio",
                                         lineterm="", n=20):
            print("    " + line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--diffrun", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--count", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--show", type=int, default=3,
                    help="new differences to shrink and print")
    ap.add_argument("--shrink-seconds", type=float, default=60)
    ap.add_argument("--avoid", default="",
                    help="statements the generator leaves out (op,op,...)")
    ap.add_argument("--per-task", action="store_true",
                    help="after main, compare each task's lines alone")
    args = ap.parse_args()
    global PER_TASK
    PER_TASK = args.per_task
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    count = args.count
    if count is None and args.seconds is None:
        count = 300
    print(f"difftest: seed {seed}, "
          + (f"{count} programs" if count else f"{args.seconds:g} s"),
          flush=True)
    runner = Runner(args.diffrun, args.python)
    t0 = time.time()
    k, stats, known, new = 0, {"same": 0, "known": 0, "new": 0}, {}, []
    while (count is not None and k < count) or \
            (count is None and time.time() - t0 < args.seconds):
        n = BATCH if count is None else min(BATCH, count - k)
        avoid = [a for a in args.avoid.split(",") if a]
        progs = [gen.program(seed, k + j, avoid) for j in range(n)]
        verdicts, alog, clog = runner.verdicts(progs)
        for j, (v, detail) in enumerate(verdicts):
            stats[v] += 1
            if v == "known":
                known[detail] = known.get(detail, 0) + 1
            elif v == "new":
                new.append((k + j, progs[j], alog.get(j), clog.get(j)))
        k += n
    took = time.time() - t0
    print(f"difftest: {k} programs in {took:.1f} s: {stats['same']} same, "
          f"{stats['known']} known differences, {stats['new']} new")
    for name, cnt in sorted(known.items()):
        print(f"  known {name}: {cnt}")
    for idx, prog, a, c in new[:args.show]:
        print(f"NEW DIFFERENCE: seed {seed}, program {idx}; smallest found:")
        small = shrink(runner, prog, args.shrink_seconds)
        show(runner, small)
    if new:
        print(f"difftest: FAILED: {len(new)} new differences (seed {seed}); "
              f"rerun: {sys.argv[0]} --diffrun {args.diffrun} --seed {seed} "
              f"--count {k}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
