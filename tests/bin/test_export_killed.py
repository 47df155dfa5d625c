"""SIGKILLed `python -m tfgenaug.bin.export` runs: a loader only ever sees complete versions."""

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests import launch
from tests.runs.test_model_dir import fake_run
from tests.savedmodels.test_export import tiny_trainer
from tfgenaug import savedmodels

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The export binary, with its SavedModel write slowed down: it announces the temporary
# directory it writes to, writes, then lingers 1.5 s before the publishing rename, so a
# kill at a random moment after the announcement lands mid-export.
SLOW_EXPORT = """
import os, runpy, sys, time
import tensorflow as tf
real_save = tf.saved_model.save

def slow_save(obj, export_dir, signatures=None, options=None):
    print("WRITING", export_dir, flush=True)
    real_save(obj, export_dir, signatures=signatures, options=options)
    time.sleep(float(os.environ["EXPORT_PAUSE"]))  # still unpublished: a kill now is mid-write

tf.saved_model.save = slow_save
sys.argv = ["export", *sys.argv[1:]]
runpy.run_module("tfgenaug.bin.export", run_name="__main__")
"""


class Loader(threading.Thread):
    """Loads `base_dir` and each listed version over and over; records what went wrong."""

    def __init__(self, base_dir):
        super().__init__(daemon=True)
        self.base_dir = base_dir
        self.stop = threading.Event()
        self.problems: list[str] = []
        self.loads = 0

    def run(self):
        while not self.stop.is_set():
            versions = savedmodels.list_versions(self.base_dir)
            for path in [self.base_dir] + [os.path.join(self.base_dir, str(v)) for v in versions]:
                try:
                    savedmodels.load(path)
                    self.loads += 1
                except Exception as error:  # noqa: BLE001 - any failure is a finding
                    self.problems.append(f"{path}: {type(error).__name__}: {error}")
            time.sleep(0.05)


def test_killed_exports_never_show_an_incomplete_version(tmp_path):
    model_dir = str(tmp_path / "run")
    fake_run(model_dir, tiny_trainer(seed=1))
    base = str(tmp_path / "exports")
    savedmodels.export(tiny_trainer(seed=2), base, metadata={"tag": "complete"})
    loader = Loader(base)
    loader.start()
    rng = random.Random(0)
    command = [sys.executable, "-c", SLOW_EXPORT, f"--model_dir={model_dir}",
               f"--export_dir={base}"]
    # Three exports at once; the first two are killed at a random moment mid-write.
    # The two to be killed pause long after writing so that a loaded machine cannot let
    # them publish before the kill; the third pauses briefly and completes.
    procs = [launch.popen(command, cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL,
                          env={**os.environ, "EXPORT_PAUSE": pause})
             for pause in ("60", "60", "1.5")]
    written = []
    delays = [rng.uniform(0.0, 1.5) for _ in range(2)]

    def kill_mid_write(proc, delay):
        line = proc.stdout.readline()
        if line.startswith("WRITING "):
            written.append(line.split(maxsplit=1)[1].strip())
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)

    killers = [threading.Thread(target=kill_mid_write, args=(proc, delay))
               for proc, delay in zip(procs[:2], delays, strict=True)]
    try:
        for killer in killers:
            killer.start()
        for killer in killers:
            killer.join(timeout=300)
        assert len(written) == 2, "a killed export never started writing"
        for proc in procs[:2]:
            proc.wait(timeout=60)
            assert proc.returncode == -signal.SIGKILL
        out, _ = procs[2].communicate(timeout=300)
        assert procs[2].returncode == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        loader.stop.set()
        loader.join(timeout=60)

    assert loader.problems == [] and loader.loads > 0
    published = out.split()[-1]
    assert savedmodels.list_versions(base) == [1, 2]
    assert published == os.path.join(base, "2")
    assert savedmodels.load(base).path == published
    assert savedmodels.load(base).metadata["training_data"]["model_dir"] == model_dir
    # The killed exports left only hidden temporary directories, which nothing lists.
    for path in written:
        assert os.path.basename(path).startswith(".tmp-") and os.path.isdir(path)
    # Given explicitly, a leftover either loads (killed after its write) or fails with
    # an error naming it (killed mid-write): never a half-loaded generator.
    for path in written:
        try:
            assert savedmodels.load(path).num_classes == 3
        except (ValueError, FileNotFoundError) as error:
            assert path in str(error)


@pytest.mark.parametrize("damage", ["saved_model.pb", "assets/tfgenaug.json", "variables"])
def test_partial_version_given_explicitly_names_the_path(tmp_path, damage):
    base = str(tmp_path / "exports")
    version = savedmodels.export(tiny_trainer(), base)
    target = os.path.join(version, damage)
    if damage == "variables":
        data = [n for n in os.listdir(target) if n.startswith("variables.data")][0]
        with open(os.path.join(target, data), "r+b") as f:
            f.truncate(8)  # truncated variables
    elif os.path.isdir(target):
        shutil.rmtree(target)
    else:
        os.remove(target)
    with pytest.raises(ValueError, match="partial or corrupt|is not a tfgenaug export") as raised:
        savedmodels.load(version)
    assert repr(version) in str(raised.value)
