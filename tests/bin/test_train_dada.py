"""`python -m tfgenaug.bin.train --trainer=dada` with the reference's flags."""

import json
import pathlib
import sys

from tests import launch


def test_dada_flags_run_both_stages(tmp_path):
    model_dir = str(tmp_path / "dada")
    result = launch.run(
        [sys.executable, "-m", "tfgenaug.bin.train", "--trainer=dada", "--dataset=digits",
         "--count=5", "--batch_size=16", "--gan_epochs=1", "--epochs=2", "--aug",
         "--image_size=8", "--width_multiplier=0.05", "--noise_dim=8", "--judge_epochs=0",
         "--checkpoint_every=3", "--nojit_compile", f"--model_dir={model_dir}"],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "DADA: 3 GAN steps, then 3 classifier steps" in result.stdout
    metrics = json.loads((pathlib.Path(model_dir) / "metrics.json").read_text())
    assert metrics["step"] == 6 and 0.0 <= metrics["classifier_test_accuracy"] <= 1.0
