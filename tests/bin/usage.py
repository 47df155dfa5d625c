"""Runs a binary's flag parsing and `main` on many command lines in one interpreter.

A subprocess per command line would import TensorFlow once per case (5-8 s each on
two cores); one process per binary runs them all, and it is a fork of the tests' zygote
(`tests/launch.py`), which imported TensorFlow already. Binaries cannot share a process:
their absl flags clash.
"""

import json
import subprocess
import sys

from tests import launch

DRIVER = """
import importlib, json, sys
from absl import app, flags
module = importlib.import_module(sys.argv[1])
results = []
for argv in json.loads(sys.argv[2]):
    flags.FLAGS.unparse_flags()
    try:
        module.main(flags.FLAGS(["prog", *argv]))
        results.append(["ok", ""])
    except (app.UsageError, flags.Error) as error:
        results.append([type(error).__name__, str(error)])
print("RESULTS " + json.dumps(results))
"""

USAGE_KINDS = ("UsageError", "IllegalFlagValueError")


def start(module: str, command_lines: list[list[str]], cwd: str | None = None):
    """Starts the driver for `module` on `command_lines`; pass the result to `results`."""
    return launch.popen([sys.executable, "-c", DRIVER, module, json.dumps(command_lines)],
                        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def results(process: launch.Launched, timeout: float = 400) -> list[tuple[str, str]]:
    """The error kind ("ok" without one) and message of each command line."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return [tuple(x) for x in json.loads(out.split("RESULTS ", 1)[1])]


def usage_errors(module: str, command_lines: list[list[str]]) -> list[tuple[str, str]]:
    """Runs `module` on each command line; returns each error kind and message."""
    return results(start(module, command_lines))


def assert_usage_errors(module: str, cases: list[tuple[list[str], str]]) -> None:
    """Each `(command line, message)` of `cases` fails with a usage error holding `message`."""
    found = usage_errors(module, [argv for argv, _ in cases])
    for (argv, message), (kind, text) in zip(cases, found, strict=True):
        assert kind in USAGE_KINDS, (argv, kind, text)
        assert message in text, (argv, text)
