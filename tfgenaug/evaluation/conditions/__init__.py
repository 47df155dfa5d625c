"""The behaviour of the conditions that need more than a batch stream, one module a family.

`adversarial` (FGSM/PGD training), `dada` (DADA's discriminator as the classifier, or its
network trained plainly), `filtered` (GAN samples kept where a teacher agrees),
`self_training` (pseudo-labels from the unlabelled pool, by `tfgenaug.selftrain`) and
`stda` (style-transfer augmentation). The records naming them are in
`tfgenaug.evaluation.catalog`.
"""
