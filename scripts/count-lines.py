#!/usr/bin/env python3
"""Line ratio of each notebook cell: C code lines / Python code lines.

usage: scripts/count-lines.py [FILE...]   (default: examples/seed/*.c, *.h)

Each examples/seed/NN_name.c (and a header the cells share, such as
services.h, counted once as a row of its own against the Python helpers
it quotes, not again in each cell that includes it) opens with a block comment quoting the Python
cell, indented by four spaces after the " * " of the comment, and ended by
the first unindented line of prose ("Output:", ...). Counted:
  Python: the quoted lines that are not blank, not a # comment and not a
          docstring alone on its line;
  C:      the lines after that opening comment that are not blank and not
          only a comment (/* ... */ or //); braces and #include count.
Prints a Markdown table; exits 1 if a cell is above the goal (--goal, 1.3).
"""
import glob
import os
import re
import sys


def split_cell(text):
    """(python_lines, c_source) of one cell's file."""
    end = text.index("*/")
    head, body = text[:end], text[end + 2:]
    py, started = [], False
    for line in head.splitlines()[1:]:
        line = re.sub(r"^ \*", "", line)
        if line.startswith("    "):
            started = True
            py.append(line[4:])
        elif line.strip() and started:
            break
        elif not line.strip() and started:
            py.append("")
    return py, body


def python_code(lines):
    n = 0
    for line in lines:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if re.fullmatch(r'[rbuRBU]?("""|\'\'\')[^"\']*\1|"[^"]*"', s):
            continue  # a docstring alone on its line
        n += 1
    return n


def c_code(body):
    body = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                  body, flags=re.S)
    body = re.sub(r"//[^\n]*", "", body)
    return sum(1 for line in body.splitlines() if line.strip())


def main(argv):
    goal = 1.3
    if "--goal" in argv:
        i = argv.index("--goal")
        goal = float(argv[i + 1])
        del argv[i:i + 2]
    here = os.path.dirname(os.path.abspath(__file__))
    seed = os.path.join(here, "..", "examples", "seed")
    # a shared header (services.h, for cells 10-13) is a row of its own,
    # counted once against the Python helpers it quotes
    files = argv or (sorted(glob.glob(os.path.join(seed, "*.c"))) +
                     sorted(glob.glob(os.path.join(seed, "*.h"))))
    over = 0
    tpy = tc = 0
    print("| cell | Python lines | C lines | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for f in files:
        py, body = split_cell(open(f).read())
        npy, nc = python_code(py), c_code(body)
        tpy, tc = tpy + npy, tc + nc
        ratio = nc / npy if npy else float("inf")
        over += ratio > goal + 1e-9
        mark = "" if ratio <= goal + 1e-9 else " (over %.1f)" % goal
        print("| %s | %d | %d | %.2f%s |" % (os.path.basename(f), npy, nc,
                                             ratio, mark))
    if tpy:
        print("| all | %d | %d | %.2f |" % (tpy, tc, tc / tpy))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
