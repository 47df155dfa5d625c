"""`tests/launch.py`: forked children behave as the subprocesses they replace."""

import os
import signal
import subprocess
import sys

import pytest

from tests import launch


def python(source: str, *args: str) -> list[str]:
    return [sys.executable, "-c", source, *args]


def test_exit_code_output_arguments_and_working_directory(tmp_path):
    result = launch.run(python("import os, sys; print(sys.argv[1:], os.getcwd()); "
                               "print('to stderr', file=sys.stderr); sys.exit(3)", "a", "b"),
                        cwd=str(tmp_path), timeout=120)
    assert result.returncode == 3
    assert result.stdout == f"['a', 'b'] {tmp_path}\n"
    assert result.stderr == "to stderr\n"


def test_an_exception_prints_its_traceback_and_exits_1():
    result = launch.run(python("raise ValueError('boom')"), timeout=120)
    assert result.returncode == 1 and "ValueError: boom" in result.stderr


def test_a_module_runs_as_main_with_the_given_environment():
    result = launch.run([sys.executable, "-m", "json.tool", "--help"], timeout=120)
    assert result.returncode == 0 and "json.tool" in result.stdout
    result = launch.run(python("import os; print(os.environ.get('ONLY'), 'HOME' in os.environ)"),
                        env={"ONLY": "this"}, timeout=120)
    assert result.stdout == "this False\n"


def test_more_output_than_a_pipe_holds_does_not_block():
    result = launch.run(python("import sys; print('e' * 200_000, file=sys.stderr); "
                               "print('o' * 200_000)"), timeout=120)
    assert (len(result.stdout), len(result.stderr)) == (200_001, 200_001)


def test_a_killed_child_reports_minus_9_and_a_timeout_kills():
    child = launch.popen(python("import time; print('ready', flush=True); time.sleep(60)"),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout.readline() == "ready\n" and child.poll() is None
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    with pytest.raises(subprocess.TimeoutExpired):
        launch.run(python("import time; time.sleep(60)"), timeout=0.5)


def test_each_child_draws_new_random_numbers_and_writes_to_a_log_file(tmp_path):
    source = "import random, numpy; print(random.random(), numpy.random.rand())"
    draws = {launch.run(python(source), timeout=120).stdout for _ in range(2)}
    assert len(draws) == 2
    with open(tmp_path / "log.txt", "w") as log:
        child = launch.popen(python("import sys; print('out'); print('err', file=sys.stderr)"),
                             stdout=log, stderr=subprocess.STDOUT)
        assert child.wait(timeout=120) == 0
    assert sorted((tmp_path / "log.txt").read_text().split()) == ["err", "out"]


def test_only_python_command_lines_are_launched():
    with pytest.raises(ValueError, match=r"launch needs \[sys.executable, '-m' or '-c'"):
        launch.run(["ls", "-l"])


def test_a_variable_read_at_import_gets_a_real_interpreter():
    """A fork keeps the zygote's oneDNN switch (TensorFlow reads it while importing):
    a child asking for another one must be, and is, a new interpreter (its parent is
    this process, not the zygote), and computes with the switch it asked for."""
    source = ("import os; from tensorflow.python.util import _pywrap_util_port as port; "
              "print(os.getppid() == int(os.environ['PARENT']), port.IsMklEnabled())")
    ours = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    other = "1" if ours == "0" else "0"
    env = {**os.environ, "PARENT": str(os.getpid())}
    forked = launch.run(python(source), env=env, timeout=120)
    assert forked.returncode == 0, forked.stderr[-3000:]
    assert forked.stdout.startswith("False ")  # a fork: its parent is the zygote
    assert not launch.needs_interpreter(env)
    env["TF_ENABLE_ONEDNN_OPTS"] = other
    assert launch.needs_interpreter(env)
    result = launch.run(python(source), env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("True ")
    if other == "0":
        assert result.stdout == "True False\n"
