"""`benchmarks/stall_watch.py`: CPU from /proc, the idle rule, the dumps and their summary."""

import io
import os
import subprocess
import sys

import pytest

from benchmarks import stall_watch


def test_cpu_seconds_are_counted_after_the_last_parenthesis():
    ticks = stall_watch.CLOCK_TICKS
    line = (f"42 (python (gw0) x) S 1 42 42 0 -1 4194560 100 0 0 0 {3 * ticks} {ticks} "
            f"{2 * ticks} {ticks} 20 0 5 0")
    assert stall_watch.process_cpu_seconds(line) == 4.0
    assert stall_watch.process_cpu_seconds(line, reaped=True) == 7.0  # + cutime, cstime


def test_this_process_uses_cpu_and_a_gone_one_is_none():
    assert stall_watch.cpu_seconds(os.getpid()) > 0
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert stall_watch.cpu_seconds(child.pid) is None


def test_a_worker_running_a_subprocess_is_not_idle():
    assert stall_watch.is_idle(0.01, 0.0, 0.15)
    assert not stall_watch.is_idle(0.01, 2.5, 0.15)
    assert not stall_watch.is_idle(1.0, 0.0, 0.15)


def test_the_watch_dumps_idle_children_until_the_parent_exits():
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys; subprocess.run([sys.executable, '-c', "
                               "'import time; time.sleep(1.5)'])"])
    out = io.StringIO()
    dumps = stall_watch.watch(parent.pid, 0.3, 0.15, out, dump=lambda pid: f"stack of {pid}")
    parent.wait()
    assert dumps and all(d.startswith("stack of ") for d in dumps)
    assert "idle (cpu" in out.getvalue()


def test_frame_counts_name_the_shared_native_frames():
    dumps = ["    Foo::~Foo (tensorflow/libtf.so)\n    bar (x.py:1)",
             "    Foo::~Foo (tensorflow/libtf.so)\n    Wait (tensorflow/libfw.so)"]
    assert stall_watch.frame_counts(dumps).most_common(1) == [("Foo::~Foo", 2)]


@pytest.mark.parametrize("argv", [["--pid=999999999"], ["--pid=1", "--interval=0"]])
def test_bad_flags_are_a_usage_error(argv, capsys, monkeypatch):
    monkeypatch.setattr(stall_watch.shutil, "which", lambda name: "/usr/bin/py-spy")
    with pytest.raises(SystemExit) as exit_info:
        stall_watch.main(argv)
    assert exit_info.value.code == 2
    assert "--" in capsys.readouterr().err


def test_with_gdb_needs_gdb(capsys, monkeypatch):
    monkeypatch.setattr(stall_watch.shutil, "which",
                        lambda name: None if name == "gdb" else "/usr/bin/py-spy")
    with pytest.raises(SystemExit) as exit_info:
        stall_watch.main(["--pid=1", "--with_gdb"])
    assert exit_info.value.code == 2
    assert "--with_gdb: gdb is not installed" in capsys.readouterr().err


def test_the_gdb_dump_follows_the_py_spy_dump(monkeypatch):
    def fake_run(command, **kwargs):
        return subprocess.CompletedProcess(command, 0, stdout=f"<{command[0]}>")

    monkeypatch.setattr(stall_watch.subprocess, "run", fake_run)
    dump = stall_watch.py_spy_and_gdb_dump(123)
    assert dump.index("<py-spy>") < dump.index("--- gdb: thread apply all bt ---") < dump.index(
        "<gdb>")
