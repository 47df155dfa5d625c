"""CI version of `benchmarks/fault_injection.py`: two SIGKILLs, resume, bit-equal weights."""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_mode_survives_two_kills_with_identical_weights(tmp_path):
    out = tmp_path / "fault_injection.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.fault_injection", "--quick", f"--out={out}"],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    text = out.read_text() if out.exists() else ""
    assert completed.returncode == 0, completed.stderr[-3000:] + text
    assert re.search(r"^Machine: \d+ cores .*TensorFlow .*Keras ", text, re.MULTILINE)
    # Two kills, each after a new checkpoint, every listed checkpoint readable.
    rows = re.findall(r"^\| (\d+) \| (\d+) \| (\d+) \| (\d+) \| [\d.]+ \| (\d+)/(\d+) \|",
                      text, re.MULTILINE)
    assert len(rows) == 2, text
    previous = 0
    for _, resumed, before, after, readable, listed in rows:
        assert int(resumed) == int(before) == previous
        assert int(after) > int(before)
        assert readable == listed and int(listed) >= 1
        previous = int(after)
    assert "- Kills: 2 of 2\n" in text
    assert f"Final attempt resumed from step {previous}; the run ended at step 60 of 60" in text
    match = re.search(r"Generator weights vs the uninterrupted run: max abs difference (\S+) "
                      r"over (\d+) tensors", text)
    assert match and float(match.group(1)) == 0.0 and int(match.group(2)) >= 8, text
    assert "- Result: PASS" in text
