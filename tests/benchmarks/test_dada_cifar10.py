"""benchmarks.dada_cifar10 on TensorFlow Datasets' mock CIFAR-10: both rows, resume, report."""

import re

import pytest
import tensorflow_datasets as tfds

from benchmarks import dada_cifar10
from tests.benchmarks.usage import assert_usage_error


def test_quick_run_on_mock_cifar10_writes_both_rows_next_to_the_paper(tmp_path, capsys):
    out, work = tmp_path / "out", tmp_path / "work"
    flags = ["--quick", "--no_jit", f"--data_dir={tmp_path / 'tfds'}", f"--out_dir={out}",
             f"--work_dir={work}"]
    with tfds.testing.mock_data(num_examples=200):
        assert dada_cifar10.main(flags) == 0
        first = capsys.readouterr().out
        assert dada_cifar10.main(flags) == 0  # everything cached: trains nothing
        assert "accuracy" not in capsys.readouterr().out.replace("report", "")
    assert "n=2     plain     seed 0: accuracy" in first
    assert "n=2     dada_aug  seed 0: accuracy" in first
    text = (out / "dada_cifar10.md").read_text()
    assert re.search(r"^\| plain \(tfgenaug\) \| 0\.\d{3} \(1 seed\) \|$", text, re.MULTILINE)
    assert re.search(r"^\| dada_aug \(tfgenaug\) \| 0\.\d{3} \(1 seed\) \|$", text,
                     re.MULTILINE)
    assert "| dada_aug (paper) | — |" in text  # the paper has no n = 2
    assert re.search(r"^Machine: \d+ cores", text, re.MULTILINE)


def test_the_plain_row_gets_as_many_steps_as_dadas_whole_run():
    assert dada_cifar10.classifier_steps(dada_cifar10.FULL, 50) == 700 * 5
    assert dada_cifar10.classifier_steps(dada_cifar10.FULL, 1000) == 700 * 100
    assert dada_cifar10.classifier_steps(dada_cifar10.FULL, 5) == 700  # < one batch


@pytest.mark.parametrize("flag, message", [
    ("--counts=50,x", "--counts and --seeds must be comma-separated ints"),
    ("--counts=0", "--counts must be positive"),
    ("--rows=dada", "--rows must be a subset of plain,dada_aug"),
])
def test_bad_flags_are_usage_errors(flag, message, capsys, tmp_path):
    assert_usage_error(dada_cifar10.main, [flag, f"--out_dir={tmp_path}"], message, capsys)
