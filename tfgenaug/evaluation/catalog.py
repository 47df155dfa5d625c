"""The efficacy benchmark's conditions: each one defined here, once, in the table's order.

Every condition feeds the same classifier the same number of batches of the same size;
only what is in the batches (or, for a few, the classifier) differs. A record says what
the condition needs (a generator run, the unlabelled pool), how its batches are made
(`batches.BatchStream`) and how its classifier is made (`train`, `network`, `wrap`);
the modules of `tfgenaug.evaluation.conditions` hold what needs more than a stream.

Adding a condition is one `register(Condition(...))` below (plus, if it needs new
behaviour, a module in `conditions/`); the `EvalConfig` check, `training_batches`,
`evaluate_condition`, the `evaluate` binary's help and the benchmark's rows follow.
"""

from tfgenaug.evaluation.batches import PLAIN
from tfgenaug.evaluation.batches import BatchStream
from tfgenaug.evaluation.classifier import train_on_batches
from tfgenaug.evaluation.conditions import dada
from tfgenaug.evaluation.conditions import filtered
from tfgenaug.evaluation.conditions import self_training
from tfgenaug.evaluation.conditions import ssgan
from tfgenaug.evaluation.conditions import ssgan_augment
from tfgenaug.evaluation.conditions import ssgan_self_training
from tfgenaug.evaluation.conditions import stda
from tfgenaug.evaluation.conditions.adversarial import AdversarialWrap
from tfgenaug.evaluation.registry import BOTH_CASES
from tfgenaug.evaluation.registry import IMBALANCE
from tfgenaug.evaluation.registry import LOW_DATA
from tfgenaug.evaluation.registry import TRANSFER
from tfgenaug.evaluation.registry import Condition
from tfgenaug.evaluation.registry import names
from tfgenaug.evaluation.registry import register

_GAN = BatchStream(generated=True)
# Truncation of `wgan_gp_truncated`: on digits' n10 generators t = 1.5 kept label agreement
# (0.998) and coverage (0.66) while raising precision (0.76 -> 0.88) at half the recall
# (benchmarks/results/truncation/truncation.md).
TRUNCATION = 1.5
# Judge epochs of the run `wgan_gp_quality` reads its quality from (TrainConfig's default).
QUALITY_JUDGE_EPOCHS = 30
_LOW_DATA_ONLY = (LOW_DATA,)
_EVERY_CASE = (LOW_DATA, IMBALANCE, TRANSFER)
_RARE_CLASS_CASES = (IMBALANCE, TRANSFER)

register(Condition(
    "plain", "The real training images, shuffled.",
    train=train_on_batches, batches=PLAIN,
    benchmark_cases=_EVERY_CASE))
register(Condition(
    "classic", "Keras 3's image layers (rotation, translation, zoom, contrast; no flips) on "
    "every batch (`batches.classic_augmentation`).",
    train=train_on_batches, batches=BatchStream(classic=True),
    benchmark_cases=_EVERY_CASE))
register(Condition(
    "oversample", "Random oversampling: every class resampled with replacement up to the "
    "largest class.",
    train=train_on_batches, batches=BatchStream(resample="oversample"),
    benchmark_cases=_RARE_CLASS_CASES))
register(Condition(
    "smote", "SMOTE (imbalanced-learn) on flattened pixels: every class filled up to the "
    "largest with interpolations between same-class nearest neighbours.",
    train=train_on_batches, batches=BatchStream(resample="smote"),
    benchmark_cases=_RARE_CLASS_CASES))
register(Condition(
    "wgan_gp", "`GANAugment` with a WGAN-GP generator trained on the same images: uniform "
    "classes on balanced data, ∝ 1 / count on imbalanced data.",
    train=train_on_batches, batches=_GAN, generator_run="wgan_gp",
    benchmark_cases=_EVERY_CASE))
register(Condition(
    "wgan_gp_quality", "Like `wgan_gp`, with each class's share of generated rows also "
    "weighted by its label agreement in the generator's export (`GANAugment(class_quality="
    "'label_agreement')`, issue 23): classes whose samples the run's judge rejects get fewer.",
    train=train_on_batches, batches=BatchStream(generated=True, class_quality="label_agreement"),
    generator_run="wgan_gp", run_options={"judge_epochs": QUALITY_JUDGE_EPOCHS},
    benchmark_cases=_RARE_CLASS_CASES))
register(Condition(
    "wgan_gp_truncated", f"Like `wgan_gp`, with the generator's noise truncated at "
    f"{TRUNCATION} (`GANAugment(truncation={TRUNCATION})`, issue 23): samples nearer its "
    "typical output, less varied.",
    train=train_on_batches, batches=BatchStream(generated=True, truncation=TRUNCATION),
    generator_run="wgan_gp", benchmark_cases=BOTH_CASES))
register(Condition(
    "dcgan", "Like `wgan_gp`, with a DCGAN generator.",
    train=train_on_batches, batches=_GAN, generator_run="dcgan"))
register(Condition(
    "classic+wgan_gp", "`GANAugment` (the `wgan_gp` run), then the classic layers on every row.",
    train=train_on_batches, batches=BatchStream(generated=True, classic=True),
    generator_run="wgan_gp",
    benchmark_cases=_EVERY_CASE))
register(Condition(
    "dagan", "`GANAugment` with a DAGAN run (issue 21): each generated row transforms a real "
    "training image of the class drawn (uniform, or ∝ 1 / count on imbalanced data) and "
    "carries its label; the variation is learned on every class.",
    train=train_on_batches, batches=_GAN, generator_run="dagan",
    benchmark_cases=_RARE_CLASS_CASES))
register(Condition(
    "classic+dagan", "`GANAugment` (the `dagan` run), then the classic layers on every row.",
    train=train_on_batches, batches=BatchStream(generated=True, classic=True),
    generator_run="dagan",
    benchmark_cases=_RARE_CLASS_CASES))
register(Condition(
    "same_class_mix", "`SameClassMix`: each image interpolated with another of its class in "
    "the batch (w ~ U(0, 1)).",
    train=train_on_batches, batches=BatchStream(same_class_mix=True)))
register(Condition(
    "fgsm", "Half of each plain batch replaced by FGSM examples against the classifier being "
    "trained (ε = 16/255 of the range).",
    train=train_on_batches, batches=PLAIN, wrap=AdversarialWrap("fgsm"),
    module="tfgenaug.evaluation.conditions.adversarial"))
register(Condition(
    "pgd", "Like `fgsm`, with PGD examples (3 steps).",
    train=train_on_batches, batches=PLAIN, wrap=AdversarialWrap("pgd"),
    module="tfgenaug.evaluation.conditions.adversarial"))
register(Condition(
    "self_training", "The rest of the train pool, unlabelled, pseudo-labelled over rounds by "
    "the classifier (`tfgenaug.selftrain.self_train`); each fit is a plain one.",
    train=self_training.train_self_training, batches=PLAIN, needs_pool=True,
    module="tfgenaug.evaluation.conditions.self_training"))
register(Condition(
    "ssgan", "No classifier is trained on batches: the EMA discriminator of a semi-supervised "
    "GAN (Improved-GAN) trained on the labelled images and, unlabelled, the whole train pool.",
    train=ssgan.train_ssgan, needs_pool=True, benchmark_cases=_LOW_DATA_ONLY,
    module="tfgenaug.evaluation.conditions.ssgan"))
register(Condition(
    "ssgan_self_training", "Like `classic`, on the labelled images and the pool images the "
    "`ssgan` row's EMA classifier labels with probability >= 0.95 (class-balanced).",
    train=ssgan_self_training.train_ssgan_self_training, needs_pool=True,
    benchmark_cases=_LOW_DATA_ONLY,
    module="tfgenaug.evaluation.conditions.ssgan_self_training"))
register(Condition(
    "ssgan_augment", "Like `classic+wgan_gp` on `ssgan_self_training`'s images: `GANAugment` "
    "from a WGAN-GP trained on the labelled and the ssgan-pseudo-labelled images.",
    train=ssgan_augment.train_ssgan_augment, needs_pool=True, benchmark_cases=_LOW_DATA_ONLY,
    module="tfgenaug.evaluation.conditions.ssgan_augment"))
register(Condition(
    "wgan_gp_diffaug", "Like `wgan_gp`, with a generator whose critic saw DiffAugment'ed "
    "images (`diffaugment=\"color,translation,cutout\"`, Zhao et al. 2020).",
    train=train_on_batches, batches=_GAN, generator_run="wgan_gp_diffaug",
    benchmark_cases=_LOW_DATA_ONLY))
register(Condition(
    "wgan_gp_long", "Like `wgan_gp`, with a generator trained 4x as many steps.",
    train=train_on_batches, batches=_GAN, generator_run="wgan_gp_long",
    benchmark_cases=_LOW_DATA_ONLY))
register(Condition(
    "wgan_gp_filtered", "The `wgan_gp` generator's samples kept only where a plain teacher "
    "trained on the same images agrees with confidence; half of each batch real, half kept.",
    train=filtered.train_filtered_condition, generator_run="wgan_gp",
    benchmark_cases=_LOW_DATA_ONLY, module="tfgenaug.evaluation.conditions.filtered"))
register(Condition(
    "dada", "`GANAugment` with the generator of a DADA run.",
    train=train_on_batches, batches=_GAN, generator_run="dada",
    benchmark_cases=_LOW_DATA_ONLY))
register(Condition(
    "dada_classifier", "No classifier is trained: a DADA run's own EMA discriminator is the "
    "classifier reported.",
    train=dada.train_dada_classifier, generator_run="dada", reads_run=True,
    benchmark_cases=_LOW_DATA_ONLY, module="tfgenaug.evaluation.conditions.dada"))
register(Condition(
    "dada_classifier_aug", "Like `dada_classifier`, with a DADA run trained with `aug`.",
    train=dada.train_dada_classifier, generator_run="dada", reads_run=True,
    run_options={"aug": True}, benchmark_cases=_LOW_DATA_ONLY,
    module="tfgenaug.evaluation.conditions.dada"))
register(Condition(
    "dada_semi", "Like `dada_classifier_aug`, with a DADA run that also learns from the rest "
    "of the train pool, unlabelled (`DADA(semi_supervised=True)`, beyond the paper).",
    train=dada.train_dada_classifier, generator_run="dada_semi", reads_run=True,
    run_options={"aug": True}, benchmark_cases=_LOW_DATA_ONLY,
    module="tfgenaug.evaluation.conditions.dada"))
register(Condition(
    "dada_network_plain", "DADA's discriminator network (its widths, weight-norm "
    "initialisation, class head, Adam(3e-4, 0.5)) trained as a plain classifier.",
    train=train_on_batches, batches=PLAIN, network=dada.dada_network,
    benchmark_cases=_LOW_DATA_ONLY, module="tfgenaug.evaluation.conditions.dada"))
register(Condition(
    "stda", "Style-transfer augmentation with pseudo-labels: the real images and their "
    "renderings in other classes' styles, labelled by a plain teacher, shuffled together.",
    train=stda.train_stda_condition, batches=PLAIN, benchmark_cases=_LOW_DATA_ONLY,
    module="tfgenaug.evaluation.conditions.stda"))

CONDITIONS = names()
