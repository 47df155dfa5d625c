"""`python -m tfgenaug.bin.train --trainer=ssgan --unlabelled=rest`: a tiny run."""

import json
import pathlib
import sys

from tests import launch


def test_ssgan_flags_train_on_the_rest_of_the_pool_and_report_the_classifier(tmp_path):
    model_dir = str(tmp_path / "ssgan")
    result = launch.run(
        [sys.executable, "-m", "tfgenaug.bin.train", "--trainer=ssgan", "--count=2",
         "--unlabelled=rest", "--batch_size=20", "--steps=3", "--image_size=8",
         "--width_multiplier=0.05", "--noise_dim=8", "--checkpoint_every=3",
         "--nojit_compile", f"--model_dir={model_dir}"],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # digits' train pool: 1258 images, 20 of them labelled.
    assert "1258 unlabelled images (the 20 labelled ones among them)" in result.stdout
    assert "No label agreement: ssgan's samples do not follow their labels" in result.stdout
    metrics = json.loads((pathlib.Path(model_dir) / "metrics.json").read_text())
    assert metrics["step"] == 3 and 0.0 <= metrics["classifier_test_accuracy"] <= 1.0
    assert "label_agreement" not in metrics
    saved = json.loads((pathlib.Path(model_dir) / "config.json").read_text())
    assert saved["trainer_class"] == "SemiSupervisedGAN"
    assert saved["train_config"]["unlabelled"] == "rest"
