"""`benchmarks/novelty.py` on a hand-made efficacy work directory (an untrained export)."""

import re

from benchmarks import novelty
from tests.benchmarks.usage import assert_usage_error
from tfgenaug import savedmodels
from tfgenaug.trainers import WGANGP


def test_every_export_gets_a_row_with_its_ratio(tmp_path, capsys):
    work = tmp_path / "work"
    trainer = WGANGP((8, 8, 1), 10, noise_dim=8, width=4, critic_width=4)
    for seed in (0, 1):
        savedmodels.export(trainer, str(work / "n5" / "wgan_gp" / f"seed{seed}" / "export"))
    (work / "n5" / "wgan_gp" / "seed2").mkdir()  # no export yet: skipped
    assert [found[:3] for found in novelty.find_exports(str(work))] == [
        ("n5", "wgan_gp", 0), ("n5", "wgan_gp", 1)]

    out = tmp_path / "novelty.md"
    assert novelty.main([f"--work_dir={work}", f"--out={out}", "--per_class=3"]) == 0
    text = out.read_text()
    assert re.search(r"^Machine: \d+ cores .*TensorFlow ", text, re.MULTILINE)
    row = re.search(r"^\| n5 \| wgan_gp \| (\d+\.\d+) ± \d+\.\d+ \| \d+ ± \d+ \| .* \| 2 \|$",
                    text, re.MULTILINE)
    assert row, text
    # An untrained generator draws near-constant images, far from any digit.
    assert float(row.group(1)) > 0.5
    assert "[novelty] n5           wgan_gp          seed 1: ratio" in capsys.readouterr().out


def test_an_empty_work_dir_and_bad_counts_are_usage_errors(tmp_path, capsys):
    assert_usage_error(novelty.main, [f"--work_dir={tmp_path}"],
                       f"--work_dir={tmp_path} holds no generator export", capsys)
    assert_usage_error(novelty.main, ["--per_class=0"], "--per_class must be >= 1; got 0",
                       capsys)
