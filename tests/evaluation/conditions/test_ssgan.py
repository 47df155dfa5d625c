"""The ssgan condition: a SemiSupervisedGAN's EMA classifier, on the labelled and the pool."""

from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation.conditions import ssgan


def test_the_condition_trains_on_labels_and_the_whole_pool_and_reports_the_classifier(
        monkeypatch):
    monkeypatch.setattr(ssgan, "SSGAN_WIDTH_MULTIPLIER", 0.05)
    monkeypatch.setattr(ssgan, "SSGAN_BATCH_SIZE", 20)
    report = evaluate_condition(EvalConfig(condition="ssgan", count=2, seed=0, image_size=8,
                                           steps=2, width=4, batch_size=16))
    details = report["ssgan"]
    assert details["steps"] == 2 * ssgan.SSGAN_STEPS_PER
    assert details["unlabelled_images"] == 1258  # the 20 labelled and the 1238 left out
    assert set(details["final_losses"]) >= {"labelled_loss", "unlabelled_loss", "g_loss"}
    assert 0.0 <= report["accuracy"] <= 1.0 and len(report["confusion_matrix"]) == 10
