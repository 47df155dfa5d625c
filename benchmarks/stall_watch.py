"""Catches test workers that wait without computing, and dumps where they wait.

The suite profile (`benchmarks/suite_profile.py`) finds part of the cores' time idle while
both pytest-xdist workers are inside tests. This watches the workers of a running pytest
(the children of its main process): every `--interval` seconds, a worker that used less
than `--min_cpu` seconds of CPU in the interval, while its own subprocesses used none
either, gets its stacks dumped with `py-spy dump --native` (install py-spy first; it is
not a dependency of the package):

    python -m pytest -q -n 2 tests/runs &
    python -m benchmarks.stall_watch --pid=$! --out=/tmp/stalls.txt

Add `--with_gdb` to append every native thread's backtrace (`gdb -p <pid> -batch -ex "thread
apply all bt"`): py-spy shows only the threads that hold a Python thread state, and the
TensorFlow thread a Python thread waits for is usually one of TensorFlow's own.

The dump file holds one `=== <time> pid <pid> idle ...` header per sample, then py-spy's
output; the summary printed at the end counts the samples and the native frames that
most of them share.
"""

import argparse
import collections
import os
import shutil
import subprocess
import sys
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(stat_line: str, reaped: bool = False) -> float:
    """User + system CPU seconds from one `/proc/<pid>/stat` line.

    The command name (field 2) may hold spaces and parentheses, so fields are counted
    after its last `)`: utime and stime are the 12th and 13th from there, and the CPU of
    the children the process waited for (cutime, cstime) the next two, added if `reaped`.
    """
    fields = stat_line.rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15 if reaped else 13]) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds used so far by process `pid`, or None once it has exited (or is a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            line = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if line.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
        return None
    return process_cpu_seconds(line)


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (from `/proc/<pid>/task/*/children`)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
        except FileNotFoundError:
            continue
    return found


def is_idle(cpu_delta: float, children_delta: float, min_cpu: float) -> bool:
    """Whether a worker waited: little CPU of its own and none in its subprocesses."""
    return cpu_delta < min_cpu and children_delta < min_cpu


def frame_counts(dumps: list[str], marker: str = "(tensorflow/") -> collections.Counter:
    """How many dumps contain each native TensorFlow frame (function name only)."""
    counts: collections.Counter = collections.Counter()
    for dump in dumps:
        names = {line.strip().split(" (")[0] for line in dump.splitlines() if marker in line}
        counts.update(names)
    return counts


def py_spy_dump(worker: int) -> str:
    """The Python threads of `worker` with their native frames (`py-spy dump --native`)."""
    return subprocess.run(["py-spy", "dump", "--native", "--pid", str(worker)],
                          capture_output=True, text=True).stdout


def py_spy_and_gdb_dump(worker: int) -> str:
    """`py_spy_dump`, then every native thread's backtrace from gdb.

    py-spy shows only threads that hold a Python thread state; the thread a TensorFlow
    destructor waits for is usually one of TensorFlow's own pool threads, which only gdb sees.
    """
    gdb = subprocess.run(["gdb", "-p", str(worker), "-batch", "-ex", "thread apply all bt"],
                         capture_output=True, text=True).stdout
    return py_spy_dump(worker) + "\n--- gdb: thread apply all bt ---\n" + gdb


def watch(pid: int, interval: float, min_cpu: float, out, dump=None) -> list[str]:
    """Samples the workers of pytest `pid` until it exits; returns the dumps taken."""
    dump = dump or py_spy_dump
    previous: dict[int, tuple[float, float]] = {}
    dumps = []
    while cpu_seconds(pid) is not None:
        time.sleep(interval)
        for worker in children(pid):
            own = cpu_seconds(worker)
            if own is None:
                continue
            kids = sum(cpu_seconds(c) or 0.0 for c in children(worker))
            if worker in previous:
                own_delta, kids_delta = own - previous[worker][0], kids - previous[worker][1]
                if is_idle(own_delta, max(kids_delta, 0.0), min_cpu):
                    text = dump(worker)
                    dumps.append(text)
                    out.write(f"=== {time.strftime('%H:%M:%S')} pid {worker} idle (cpu "
                              f"{own_delta:.2f} s, subprocesses {kids_delta:.2f} s)\n{text}\n")
                    out.flush()
            previous[worker] = (own, kids)
    return dumps


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pid", type=int, required=True, help="pytest's main process")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds per sample")
    parser.add_argument("--min_cpu", type=float, default=0.15,
                        help="CPU seconds per interval below which a worker waited")
    parser.add_argument("--out", default="stalls.txt", help="file for the dumps")
    parser.add_argument("--with_gdb", action="store_true",
                        help="also dump every native thread with gdb (slower; needs gdb)")
    args = parser.parse_args(argv)
    if shutil.which("py-spy") is None:
        parser.error("py-spy is not installed: pip install py-spy")
    if args.with_gdb and shutil.which("gdb") is None:
        parser.error("--with_gdb: gdb is not installed")
    if cpu_seconds(args.pid) is None:
        parser.error(f"--pid={args.pid}: no such process")
    if args.interval <= 0 or args.min_cpu <= 0:
        parser.error(f"--interval and --min_cpu must be > 0; got {args.interval}, "
                     f"{args.min_cpu}")
    with open(args.out, "w") as out:
        dump = py_spy_and_gdb_dump if args.with_gdb else py_spy_dump
        dumps = watch(args.pid, args.interval, args.min_cpu, out, dump=dump)
    print(f"[stall_watch] {len(dumps)} idle samples of {args.interval:g} s; dumps in "
          f"{args.out}")
    for name, count in frame_counts(dumps).most_common(8):
        print(f"  {count}/{len(dumps)} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
