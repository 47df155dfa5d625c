"""Starts the tests' Python subprocesses as forks of an interpreter that imported TensorFlow.

A test that runs `python -m tfgenaug.bin.train ...` pays for a new interpreter importing
TensorFlow, Keras and tfgenaug (about 6 s of CPU on two cores) before the binary does
anything; the end-to-end tests start dozens of them. Here one *zygote* process per test
worker imports those once and never runs an op (so TensorFlow's runtime, its thread pools
and devices are not yet created); each launch is a `fork` of it that sets its working
directory, environment and `sys.argv`, then runs the module as `python -m` would
(`runpy.run_module(..., run_name="__main__")`) or the `-c` source. The child is a real
process: its own pid, exit code, signals (`kill()` gives -9 as for a `Popen`), stdout and
stderr pipes, and `os.environ` as the test passed it (`TF_CONFIG`, `XLA_FLAGS` and the
like are read when the runtime starts, after the fork).

What a fork does not renew: environment variables read at import time and `python -I`
isolation. A launch whose environment sets one of `READ_AT_IMPORT` (TensorFlow's oneDNN
switch, Python's string-hash seed) unlike the zygote's starts a real interpreter instead
(`subprocess`), so the child computes as it asked (a fork of a zygote with oneDNN on kept
oneDNN on under `TF_ENABLE_ONEDNN_OPTS=0`). TensorFlow's log level
(`TF_CPP_MIN_LOG_LEVEL`) is the zygote's in every child: it changes only what is logged.
Python's and NumPy's global random states are reseeded from the OS in each child, as a
new interpreter's are.

Example:
```python
from tests import launch

result = launch.run([sys.executable, "-m", "tfgenaug.bin.train", "--steps=2"],
                    timeout=240)
assert result.returncode == 0, result.stderr[-3000:]
```
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Environment variables that change what a child computes and that a process reads once,
# while importing TensorFlow or starting Python: a forked child would keep the zygote's.
READ_AT_IMPORT = ("TF_ENABLE_ONEDNN_OPTS", "PYTHONHASHSEED")

# The zygote: imports, then forks a child per request line on stdin and reports each
# child's pid and, when it ends, its exit code (as Popen.returncode) on stdout.
ZYGOTE = r"""
import json, os, select, sys
import numpy, tensorflow, keras, tfgenaug  # what every child would import again

def child(request, stdio):
    code = 1
    try:
        for fd, target in enumerate(stdio):
            os.dup2(target, fd)
            os.close(target)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for entry in reversed(request["env"].get("PYTHONPATH", "").split(os.pathsep)):
            if entry and entry not in sys.path:
                sys.path.insert(1, entry)
        import random
        random.seed()
        numpy.random.seed()
        import atexit, runpy, traceback
        try:
            if request["module"]:
                sys.argv = [request["module"], *request["args"]]
                runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
            else:
                sys.argv = ["-c", *request["args"]]
                exec(compile(request["source"], "<string>", "exec"), {"__name__": "__main__"})
            code = 0
        except SystemExit as exit:
            if exit.code is None or isinstance(exit.code, int):
                code = exit.code or 0
            else:
                print(exit.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)

def reply(message):
    os.write(1, (json.dumps(message) + "\n").encode())

children, pending = {}, b""
reply({"id": "ready", "ready": True})
while True:
    ready, _, _ = select.select([0], [], [], 0.02)
    if ready:
        chunk = os.read(0, 65536)
        if not chunk:
            break  # the test worker is gone
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            sys.stdout.flush()
            sys.stderr.flush()
            # Opened here, before the fork and before the pid is reported: the test reads
            # a pipe only once a writer holds it (a pipe without one reads as ended).
            stdio = [os.open(path, flags) for path, flags in request["stdio"]]
            pid = os.fork()
            if pid == 0:
                child(request, stdio)
            for fd in stdio:
                os.close(fd)
            children[pid] = request["id"]
            reply({"id": request["id"], "pid": pid})
    while children:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            break
        reply({"id": children.pop(pid), "returncode": os.waitstatus_to_exitcode(status)})
"""


class Zygote:
    """One zygote process and the thread that reads its replies."""

    def __init__(self):
        # What the zygote imported TensorFlow under (it inherits this process's environment).
        self.import_environment = {name: os.environ.get(name) for name in READ_AT_IMPORT}
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], cwd=REPO, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.lock = threading.Condition()
        self.replies: dict[int | str, dict] = {}
        self.next_id = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            message = json.loads(line)
            with self.lock:
                self.replies.setdefault(message["id"], {}).update(message)
                self.lock.notify_all()
        with self.lock:
            self.replies[-1] = {"gone": True}
            self.lock.notify_all()

    def request(self, **request) -> int:
        with self.lock:
            request_id = self.next_id
            self.next_id += 1
        self.process.stdin.write((json.dumps({"id": request_id, **request}) + "\n").encode())
        self.process.stdin.flush()
        return request_id

    def wait_for(self, request_id: int | str, key: str, timeout: float | None) -> dict | None:
        """The reply holding `key` for `request_id`, or None after `timeout` seconds."""
        with self.lock:
            self.lock.wait_for(lambda: key in self.replies.get(request_id, {})
                               or -1 in self.replies, timeout)
            reply = self.replies.get(request_id, {})
            if key not in reply and -1 in self.replies:
                raise RuntimeError("the test zygote process exited")
            return reply if key in reply else None

    def wait_until_ready(self, timeout: float = 300) -> None:
        """Returns once the zygote has imported what its children share."""
        if self.wait_for("ready", "ready", timeout) is None:
            raise TimeoutError(f"the test zygote did not start within {timeout} s")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def zygote() -> Zygote:
    """This process's zygote, started on first use (and stopped at exit)."""
    global _zygote
    with _zygote_lock:
        if _zygote is None or _zygote.process.poll() is not None:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        return _zygote


def needs_interpreter(env: dict | None) -> bool:
    """Whether a child with environment `env` (None: this process's) must be a real
    interpreter: it sets a variable of `READ_AT_IMPORT` unlike the zygote's."""
    env = os.environ if env is None else env
    imported_under = (_zygote.import_environment if _zygote is not None
                      else {name: os.environ.get(name) for name in READ_AT_IMPORT})
    return any(env.get(name) != value for name, value in imported_under.items())


def _split(args: list[str]) -> tuple[str | None, str | None, list[str]]:
    """(module, source, arguments) of `[sys.executable, "-m", module | "-c", source, ...]`."""
    if len(args) >= 3 and args[0] == sys.executable and args[1] in ("-m", "-c"):
        if args[1] == "-m":
            return args[2], None, list(args[3:])
        return None, args[2], list(args[3:])
    raise ValueError(f"launch needs [sys.executable, '-m' or '-c', ...]; got {args[:3]}")


class Launched:
    """A forked child, used as a `subprocess.Popen` in text mode."""

    def __init__(self, args: list[str], *, env: dict | None = None, cwd: str | None = None,
                 stdout=None, stderr=None):
        module, source, arguments = _split(args)
        self.args = args
        self.returncode: int | None = None
        self._dir = tempfile.mkdtemp(prefix="launch-")
        stdio = [(os.devnull, os.O_RDONLY)]
        self._pipes = {}
        for name, kind in (("stdout", stdout), ("stderr", stderr)):
            if name == "stderr" and kind == subprocess.STDOUT:
                stdio.append(stdio[1])
            elif hasattr(kind, "fileno") and hasattr(kind, "name"):  # an open log file
                kind.flush()
                stdio.append((os.path.abspath(kind.name), os.O_WRONLY | os.O_APPEND))
            elif kind == subprocess.PIPE:
                path = os.path.join(self._dir, name)
                os.mkfifo(path)
                # Opened before the child, non-blocking, so neither side waits for the other.
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                os.set_blocking(fd, True)
                self._pipes[name] = os.fdopen(fd, "r", errors="replace")
                stdio.append((path, os.O_WRONLY))
            elif kind in (None, subprocess.DEVNULL):
                stdio.append((os.devnull, os.O_WRONLY))
            else:
                raise ValueError(f"{name} must be None, subprocess.PIPE, DEVNULL, a file opened "
                                 f"by name (or STDOUT for stderr); got {kind!r}")
        self.stdout = self._pipes.get("stdout")
        self._stdout_reader: threading.Thread | None = None
        self._stdout_text: list[str] = []
        self.stderr = self._pipes.get("stderr")
        self._zygote = zygote()
        self._id = self._zygote.request(
            module=module, source=source, args=arguments, stdio=stdio,
            cwd=os.path.abspath(cwd or os.getcwd()),
            env=dict(os.environ if env is None else env))
        self.pid = self._zygote.wait_for(self._id, "pid", timeout=120)["pid"]
        # stderr is drained as it comes (the child holds the pipe now), so a child writing
        # much of it never blocks.
        self._stderr_text: list[str] = []
        self._drain = None
        if self.stderr is not None:
            self._drain = threading.Thread(
                target=lambda: self._stderr_text.append(self.stderr.read()), daemon=True)
            self._drain.start()

    def poll(self) -> int | None:
        reply = self._zygote.wait_for(self._id, "returncode", timeout=0)
        if reply is not None:
            self.returncode = reply["returncode"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        reply = self._zygote.wait_for(self._id, "returncode", timeout)
        if reply is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        self.returncode = reply["returncode"]
        # The pipes' names can go: whoever reads them holds them open already.
        shutil.rmtree(self._dir, ignore_errors=True)
        return self.returncode

    def send_signal(self, signal_number: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal_number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[str | None, str | None]:
        """Waits for the child; returns what it wrote to its piped stdout and stderr.

        Stdout is read while the child runs (a full pipe would stop it otherwise).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.stdout is not None and self._stdout_reader is None:
            self._stdout_reader = threading.Thread(
                target=lambda: self._stdout_text.append(self.stdout.read()), daemon=True)
            self._stdout_reader.start()
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        out = err = None
        if self._stdout_reader is not None:
            self._stdout_reader.join(timeout=60)
            out = "".join(self._stdout_text)
        if self._drain is not None:
            self._drain.join(timeout=60)
            err = "".join(self._stderr_text)
        return out, err


def run(args: list[str], *, env: dict | None = None, cwd: str | None = None,
        timeout: float | None = None, capture_output: bool = True,
        text: bool = True, check: bool = False) -> subprocess.CompletedProcess:
    """`subprocess.run(args, capture_output=True, text=True, ...)` on a forked child.

    Args:
        args: `[sys.executable, "-m", module, *arguments]` or `[sys.executable, "-c",
            source, *arguments]`.
        env: the child's environment (default: this process's).
        cwd: the child's working directory (default: this process's).
        timeout: seconds before the child is killed and `subprocess.TimeoutExpired` raised.
        capture_output: must be True (the output is always captured).
        text: must be True (the output is always text).
        check: raise `subprocess.CalledProcessError` on a non-zero exit code.

    Returns:
        A `subprocess.CompletedProcess` with the exit code, stdout and stderr.
    """
    if not (capture_output and text):
        raise ValueError("launch.run always captures the output as text")
    _split(args)
    if needs_interpreter(env):
        return subprocess.run(args, env=env, cwd=cwd, timeout=timeout, capture_output=True,
                              text=True, check=check)
    child = Launched(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=60)
        raise
    if check and child.returncode:
        raise subprocess.CalledProcessError(child.returncode, args, out, err)
    return subprocess.CompletedProcess(args, child.returncode, out, err)


def popen(args: list[str], **kwargs) -> Launched | subprocess.Popen:
    """`subprocess.Popen(args, text=True, ...)` on a forked child (see `Launched`), or a
    real interpreter when `needs_interpreter`."""
    kwargs.pop("text", None)
    if needs_interpreter(kwargs.get("env")):
        _split(args)
        return subprocess.Popen(args, text=True, **kwargs)
    return Launched(args, **kwargs)
