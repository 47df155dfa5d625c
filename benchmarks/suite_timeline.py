"""A pytest plugin that records each test's wall time and CPU time, per xdist worker.

Loaded by `benchmarks/suite_profile.py` (`python -m pytest -p benchmarks.suite_timeline`);
does nothing unless `SUITE_TIMELINE_DIR` names a directory. Each worker appends one JSON
line per test to `<dir>/<worker>.jsonl`: its node id, start and end (epoch seconds), the
CPU seconds of the worker process itself and of its subprocesses during the test, the
worker's peak resident memory so far, and whether any phase of the test failed.

Subprocess CPU counts both those the worker waited for (`RUSAGE_CHILDREN`) and those still
running: a long-lived child's own CPU and that of the children it reaped, from
`/proc/<pid>/stat` (the tests' zygote, `tests/launch.py`, forks the binaries the tests run
and reaps them itself, so their CPU shows only there).
"""

import json
import os
import resource
import time

import pytest

from benchmarks import stall_watch

ENV = "SUITE_TIMELINE_DIR"


def live_children_cpu(pid: int | None = None) -> float:
    """CPU seconds of the running children of `pid` (default: this process) and of the
    children they reaped; 0 where `/proc` is missing."""
    total = 0.0
    for child in stall_watch.children(os.getpid() if pid is None else pid):
        try:
            with open(f"/proc/{child}/stat") as f:
                total += stall_watch.process_cpu_seconds(f.read(), reaped=True)
        except FileNotFoundError:
            continue
    return total


def _cpu_seconds() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_utime + own.ru_stime,
            children.ru_utime + children.ru_stime + live_children_cpu())


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Marks the test failed if its set-up, call or teardown failed."""
    report = (yield).get_result()
    if report.failed:
        item.stash[FAILED] = True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    directory = os.environ.get(ENV)
    if not directory:
        yield
        return
    start, (own_before, children_before) = time.time(), _cpu_seconds()
    yield
    end, (own_after, children_after) = time.time(), _cpu_seconds()
    record = {
        "id": item.nodeid, "start": start, "end": end,
        "cpu": own_after - own_before, "children_cpu": children_after - children_before,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "failed": item.stash.get(FAILED, False),
    }
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.path.join(directory, f"{worker}.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")
