"""CI version of `benchmarks/fault_injection.py`: two SIGKILLs, resume, bit-equal weights."""

import dataclasses
import os
import random
import re

import pytest

from tests import launch


def test_quick_mode_survives_two_kills_with_identical_weights(tmp_path):
    # In this process, and the training runs it starts and kills are forks of an
    # interpreter that already imported TensorFlow (`tests/launch.py`): real processes,
    # SIGKILLed as a user's would be, without four more TensorFlow imports.
    from benchmarks import fault_injection

    out = tmp_path / "fault_injection.md"
    result = fault_injection.run(fault_injection.QUICK, str(tmp_path), 0,
                                 random.Random(0), popen=launch.popen)
    text = fault_injection.report(result, "python -m benchmarks.fault_injection --quick")
    out.write_text(text)
    assert fault_injection.check(result) == [], text
    assert re.search(r"^Machine: \d+ cores .*TensorFlow .*Keras ", text, re.MULTILINE)
    # Two kills, each after a new checkpoint, every listed checkpoint readable but at most
    # one older one whose files CheckpointManager was deleting when the kill came.
    rows = re.findall(r"^\| (\d+) \| (\d+) \| (\d+) \| (\d+) \| [\d.]+ \| (\d+)/(\d+)"
                      r"(?: \((\d+) being deleted\))? \|", text, re.MULTILINE)
    assert len(rows) == 2, text
    previous = 0
    for _, resumed, before, after, readable, listed, deleted in rows:
        assert int(resumed) == int(before) == previous
        assert int(after) > int(before)
        assert int(readable) + int(deleted or 0) == int(listed) >= 1
        assert int(deleted or 0) <= 1
        previous = int(after)
    assert "- Kills: 2 of 2\n" in text
    assert f"Final attempt resumed from step {previous}; the run ended at step 60 of 60" in text
    match = re.search(r"Generator weights vs the uninterrupted run: max abs difference (\S+) "
                      r"over (\d+) tensors", text)
    assert match and float(match.group(1)) == 0.0 and int(match.group(2)) >= 8, text
    assert "- Result: PASS" in text


def test_only_an_older_checkpoint_being_deleted_may_be_unreadable():
    from benchmarks import fault_injection as fi

    def result(**kill_fields):
        kill = fi.Kill(attempt=1, resumed_from=0, newest_before=0, newest_after=10,
                       seconds_to_kill=1.0, listed=4, readable=4, leftovers=0)
        kill = dataclasses.replace(kill, **kill_fields)
        return {"settings": fi.QUICK, "kills": [kill], "final_resumed_from": 10,
                "final_step": fi.QUICK.steps, "final_readable": 3, "final_listed": 3,
                "generator_max_abs_diff": 0.0}

    assert fi.check(result()) == []
    assert fi.check(result(readable=3, being_deleted=1)) == []
    assert fi.check(result(readable=3)) == [
        "kill 1: 3 of 4 listed checkpoints readable (0 being deleted)"]
    assert fi.check(result(readable=3, being_deleted=1, newest_readable=False))
    assert fi.check(result(readable=2, being_deleted=2))


def test_a_checkpoint_with_a_file_gone_counts_as_being_deleted(tmp_path):
    import tensorflow as tf

    from benchmarks import fault_injection as fi

    prefix = tf.train.Checkpoint(v=tf.Variable(1.0)).write(str(tmp_path / "ckpt-1"))
    assert fi.readable(prefix) and not fi.files_missing(prefix)
    os.remove(prefix + ".index")
    assert not fi.readable(prefix) and fi.files_missing(prefix)


def test_a_negative_kill_count_is_a_usage_error(capsys):
    from benchmarks import fault_injection

    with pytest.raises(SystemExit) as exit_info:
        fault_injection.main(["--kills=-1"])
    assert exit_info.value.code == 2
    assert "--kills must be >= 0; got -1" in capsys.readouterr().err
