"""The efficacy table and its goals, from hand-made cells with known numbers."""

import pytest

from benchmarks import efficacy_report as report


def cell(case, condition, seed, **values):
    base = {"accuracy": 0.5, "balanced_accuracy": 0.5, "minority_recall": 0.5, "macro_f1": 0.5}
    base.update(values)
    return {"case": case, "config": {"condition": condition, "seed": seed}, **base}


def cells_of(*reports):
    out = {}
    for r in reports:
        out.setdefault((r["case"], r["config"]["condition"]), {})[r["config"]["seed"]] = r
    return out


def by_goal(results):
    return {r["goal"]: r for r in results}


def test_low_data_goals_use_the_best_generative_row_paired_by_seed():
    cells = cells_of(
        cell("n5", "plain", 0, accuracy=0.70), cell("n5", "plain", 1, accuracy=0.80),
        cell("n5", "classic", 0, accuracy=0.76), cell("n5", "classic", 1, accuracy=0.84),
        cell("n5", "wgan_gp", 0, accuracy=0.79), cell("n5", "wgan_gp", 1, accuracy=0.90),
        cell("n5", "dcgan", 0, accuracy=0.60), cell("n5", "dcgan", 1, accuracy=0.60),
        cell("n5", "classic+wgan_gp", 0, accuracy=0.80), cell("n5", "classic+wgan_gp", 1,
                                                                accuracy=0.88),
    )
    goals = by_goal(report.goals(cells, ["n5"]))
    plain = goals["n5: best generative ≥ plain + 8 points"]
    assert "wgan_gp − plain = +9.5 ± 0.7 points" in plain["measured"]
    assert plain["met"] is True
    classic = goals["n5: best generative ≥ classic + 3 points"]
    assert "+4.5" in classic["measured"] and classic["met"] is True
    # classic+wgan_gp: +4.0 over classic, but -0.5 over wgan_gp (+0.01 and -0.02).
    assert goals["n5: classic + generative beats classic alone"]["met"] is True
    assert goals["n5: classic + generative beats wgan_gp alone"]["met"] is False


def test_beating_needs_a_paired_interval_above_zero_not_just_a_positive_mean():
    # classic+wgan_gp − classic: +3, −1, +1 points: mean +1.0, sd 2.0, 95 % interval
    # 1.0 ± 4.303 * 2.0 / sqrt(3) = −4.0 to +6.0: a tie.
    rows = {"classic": (0.90, 0.92, 0.91), "classic+wgan_gp": (0.93, 0.91, 0.92),
            "wgan_gp": (0.80, 0.81, 0.79)}
    cells = cells_of(*(cell("n10", name, seed, accuracy=value)
                       for name, values in rows.items() for seed, value in enumerate(values)))
    goals = by_goal(report.goals(cells, ["n10"]))
    tie = goals["n10: classic + generative beats classic alone"]
    assert tie["met"] is False
    assert "+1.0 ± 2.0 points" in tie["measured"]
    assert "95 % interval -4.0 to +6.0" in tie["measured"]
    assert goals["n10: classic + generative beats wgan_gp alone"]["met"] is True
    low, high = report.confidence_interval(0.01, 0.02, 3)
    assert (low, high) == pytest.approx((0.01 - 0.0496828, 0.01 + 0.0496828), abs=1e-6)


def test_imbalance_goals_compare_with_plain_and_both_resamplers():
    cells = cells_of(
        cell("imbalance20", "plain", 0, minority_recall=0.60, balanced_accuracy=0.80),
        cell("imbalance20", "oversample", 0, balanced_accuracy=0.85),
        cell("imbalance20", "smote", 0, balanced_accuracy=0.88),
        cell("imbalance20", "wgan_gp", 0, minority_recall=0.80, balanced_accuracy=0.885),
    )
    goals = by_goal(report.goals(cells, ["imbalance20"]))
    assert goals["imbalance20: minority recall ≥ plain + 15 points"]["met"] is True
    assert goals["imbalance20: balanced accuracy ≥ oversample + 2 points"]["met"] is True
    assert goals["imbalance20: balanced accuracy ≥ smote + 2 points"]["met"] is False


def test_transfer_goals_judge_dagan_against_classic_and_the_stack_against_both():
    rows = {"classic": (0.80, 0.82, 0.81), "dagan": (0.84, 0.85, 0.86),
            "classic+dagan": (0.85, 0.86, 0.85), "oversample": (0.84, 0.86, 0.85)}
    cells = cells_of(*(cell("transfer5", name, seed, balanced_accuracy=value)
                       for name, values in rows.items() for seed, value in enumerate(values)))
    goals = by_goal(report.goals(cells, ["transfer5"]))
    assert goals["transfer5: dagan beats classic"]["met"] is True
    assert goals["transfer5: classic+dagan beats classic alone"]["met"] is True
    # +0.3 points over dagan with sd 1.2 over three seeds: a tie.
    assert goals["transfer5: classic+dagan beats dagan alone"]["met"] is False
    assert goals["transfer5: (readout) dagan ahead of oversample"]["met"] is False
    assert goals["transfer5: (readout) dagan ahead of smote"]["measured"] == "cells missing"
    assert report.headline("transfer5") == "balanced_accuracy"


def test_missing_cells_are_reported_as_missing_not_as_a_result():
    goals = report.goals(cells_of(cell("n10", "plain", 0)), ["n10"])
    assert goals and all(g["met"] is None and g["measured"] == "cells missing" for g in goals)


def test_table_shows_mean_sd_and_seed_count_and_dashes_for_missing():
    cells = cells_of(cell("n5", "plain", 0, accuracy=0.9), cell("n5", "plain", 1, accuracy=0.8))
    table = report.table_markdown(cells, ["n5", "imbalance20"], ["plain", "smote"])
    assert "| plain | 85.0 ± 7.1 (n=2) | — |" in table
    assert "| smote | — | — |" in table


def test_cells_round_trip_through_the_cache(tmp_path):
    import json
    import os

    path = report.cell_path(str(tmp_path), "n5", "classic+wgan_gp", 3)
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as f:
        json.dump(cell("n5", "classic+wgan_gp", 3, accuracy=0.7), f)
    loaded = report.load_cells(str(tmp_path))
    assert loaded[("n5", "classic+wgan_gp")][3]["accuracy"] == pytest.approx(0.7)


def test_dada_goal_compares_its_best_classifier_with_the_best_augmented_one():
    cells = cells_of(
        cell("n10", "plain", 0, accuracy=0.90),
        cell("n10", "classic", 0, accuracy=0.93),
        cell("n10", "self_training", 0, accuracy=0.96),
        cell("n10", "dada_classifier", 0, accuracy=0.91),
        cell("n10", "dada_classifier_aug", 0, accuracy=0.945),
    )
    goals = by_goal(report.goals(cells, ["n10"]))
    within = goals["n10: DADA's D as classifier within 2 points of the best augmented classifier"]
    assert "dada_classifier_aug − self_training = -1.5" in within["measured"]
    assert within["met"] is True
    assert goals["n10: DADA's D as classifier ahead of plain"]["met"] is True


def stda_cell(case, seed, accuracy, kept, dropped, teacher):
    return {**cell(case, "stda", seed, accuracy=accuracy),
            "stda": {"kept": kept, "dropped": dropped, "teacher_accuracy": teacher}}


def test_stda_counts_as_an_augmented_classifier_in_the_dada_goal():
    cells = cells_of(
        cell("n5", "plain", 0, accuracy=0.80),
        cell("n5", "classic", 0, accuracy=0.85),
        stda_cell("n5", 0, 0.90, 150, 50, 0.80),
        cell("n5", "dada_classifier", 0, accuracy=0.87),
    )
    within = by_goal(report.goals(cells, ["n5"]))[
        "n5: DADA's D as classifier within 2 points of the best augmented classifier"]
    assert "dada_classifier − stda = -3.0" in within["measured"] and within["met"] is False


def test_stda_details_show_kept_dropped_teacher_and_the_paired_gain_over_plain():
    cells = cells_of(
        cell("n10", "plain", 0, accuracy=0.90), cell("n10", "plain", 1, accuracy=0.92),
        stda_cell("n10", 0, 0.91, 300, 100, 0.90), stda_cell("n10", 1, 0.95, 340, 60, 0.92),
    )
    table = report.stda_markdown(cells, ["n5", "n10"])
    assert "| n10 | 320 ± 28 | 80 ± 28 | 91.0 ± 1.4 | 93.0 ± 2.8 | +2.0 ± 1.4 (2 seeds) |" in table
    assert "| n5 |" not in table
    assert report.stda_markdown(cells, ["n5"]) == ""


def generator(case, trainer, seed, agreement, fid=None):
    record = {"case": case, "trainer": trainer, "seed": seed, "label_agreement": agreement}
    if fid is not None:
        record["fid_judge_features"] = fid
    return record


def test_diffaugment_compares_generators_and_classifiers_paired_by_seed():
    generators = [
        generator("n5", "wgan_gp", 0, 0.90, 2.0), generator("n5", "wgan_gp", 1, 0.80, 3.0),
        generator("n5", "wgan_gp_diffaug", 0, 0.95, 1.5),
        generator("n5", "wgan_gp_diffaug", 1, 0.90, 2.0),
        generator("n5", "wgan_gp_diffaug", 2, 0.50, 9.0),  # unpaired: not in the deltas
        generator("n10", "wgan_gp", 0, 0.9),  # no DiffAugment run: no row
    ]
    cells = cells_of(cell("n5", "wgan_gp", 0, accuracy=0.90),
                     cell("n5", "wgan_gp_diffaug", 0, accuracy=0.93))
    table = report.diffaugment_markdown(cells, generators, ["n5", "n10"])
    rows = [line for line in table.splitlines() if line.startswith("| n")]
    assert rows == ["| n5 | 78.3 ± 24.7 | +7.5 ± 3.5 (2) | 4.17 ± 4.19 | -0.75 ± 0.35 (2) | "
                    "+3.0 ± 0.0 (1) |"]
    assert report.diffaugment_markdown(cells, generators, ["n10"]) == ""


def test_dada_readout_compares_its_discriminator_with_its_network_trained_plainly():
    cells = cells_of(
        cell("n10", "dada_classifier", 0, accuracy=0.86),
        cell("n10", "dada_classifier_aug", 0, accuracy=0.88),
        cell("n10", "dada_network_plain", 0, accuracy=0.82),
    )
    goal = by_goal(report.goals(cells, ["n10"]))[
        "n10: (readout) DADA's D ahead of its network trained plainly"]
    assert goal["met"] is True
    assert goal["measured"].startswith("dada_classifier_aug − dada_network_plain = +6.0")


def test_semi_supervised_goals_take_the_best_row_an_absolute_bar_and_self_training():
    rows = {"self_training": (0.94, 0.95, 0.94), "ssgan": (0.93, 0.92, 0.93),
            "ssgan_self_training": (0.965, 0.97, 0.966)}
    cells = cells_of(*(cell("n5", name, seed, accuracy=value)
                       for name, values in rows.items() for seed, value in enumerate(values)))
    goals = by_goal(report.goals(cells, ["n5"]))
    bar = goals["n5: best semi-supervised row ≥ 96.5 %"]
    assert bar["measured"].startswith("ssgan_self_training: 96.7 ± 0.3 %") and bar["met"]
    above = goals["n5: best semi-supervised row beats self_training"]
    assert "ssgan_self_training − self_training = +2.4" in above["measured"] and above["met"]
    missing = by_goal(report.goals(cells_of(cell("n10", "plain", 0, accuracy=0.9)), ["n10"]))
    assert missing["n10: best semi-supervised row ≥ 97.5 %"]["met"] is None


def test_the_external_classifier_goal_pairs_ssgan_augment_with_its_classifier_without_it():
    rows = {"ssgan_self_training": (0.95, 0.96, 0.95), "ssgan_augment": (0.96, 0.97, 0.97)}
    cells = cells_of(*(cell("n10", name, seed, accuracy=value)
                       for name, values in rows.items() for seed, value in enumerate(values)))
    goal = by_goal(report.goals(cells, ["n10"]))[
        "n10: GANAugment from the semi-supervised generator beats classic + self-training alone"]
    # +1, +1, +2 points: mean 1.33, sd 0.58, interval +1.33 ± 1.43 holds 0: a tie, not met.
    assert goal["measured"].startswith("ssgan_augment − ssgan_self_training = +1.3 ± 0.6")
    assert goal["met"] is False


def test_generators_table_shows_fid_and_prdc_where_measured():
    def run(trainer, seed, agreement, **quality):
        return {"case": "n5", "trainer": trainer, "seed": seed, "label_agreement": agreement,
                "label_agreement_per_class": [agreement, agreement - 0.1], **quality}

    measured = {"fid_judge_features": 2.0, "precision_judge_features": 0.9,
                "recall_judge_features": 0.5, "density_judge_features": 1.1,
                "coverage_judge_features": 0.7}
    generators = [run("wgan_gp", 0, 0.9, **measured),
                  run("wgan_gp", 1, 0.8, **{**measured, "coverage_judge_features": 0.5}),
                  run("dcgan", 0, 0.95),
                  {"case": "n5", "trainer": "ssgan", "seed": 0}]  # no samples judged
    rows = report.generators_markdown(generators).splitlines()[2:]
    assert rows == ["| n5 | dcgan | 95.0 ± 0.0 | 85 | — | — / — / — / — | 1 |",
                    "| n5 | wgan_gp | 85.0 ± 7.1 | 70 | 2.00 | 0.90 / 0.50 / 1.10 / 0.60 | 2 |"]
    assert report.generators_markdown([{"case": "n5", "trainer": "ssgan", "seed": 0}]) == ""


def test_sampling_rows_are_paired_with_wgan_gp_and_ties_are_called_ties():
    cells = cells_of(
        *(cell("imbalance20", "wgan_gp", s, balanced_accuracy=0.90, minority_recall=0.80)
          for s in range(3)),
        cell("imbalance20", "wgan_gp_quality", 0, balanced_accuracy=0.92, minority_recall=0.80),
        cell("imbalance20", "wgan_gp_quality", 1, balanced_accuracy=0.93, minority_recall=0.70),
        cell("imbalance20", "wgan_gp_quality", 2, balanced_accuracy=0.94, minority_recall=0.90),
        cell("n10", "wgan_gp", 0, accuracy=0.9), cell("n10", "wgan_gp_truncated", 0, accuracy=0.8),
    )
    table = report.sampling_markdown(cells, ["imbalance20", "n10"])
    # +2, +3, +4 points: mean +3.0, sd 1.0, t(0.975, 2) = 4.303 -> +3.0 ± 2.5
    assert ("| imbalance20 | wgan_gp_quality | class_quality='label_agreement' | "
            "balanced_accuracy | 93.0 ± 1.0 (n=3) | +3.0 [+0.5, +5.5] (3 seeds) | above |"
            ) in table
    assert "| minority_recall | 80.0 ± 10.0 (n=3) | " in table
    assert "0.0 [-24.8, +24.8] (3 seeds) | tie |" in table
    assert ("| n10 | wgan_gp_truncated | truncation | accuracy | 80.0 ± 0.0 (n=1) | "
            "-10.0 (1 seed) | — |") in table
    assert report.sampling_markdown(cells_of(cell("n5", "wgan_gp", 0)), ["n5"]) == ""
