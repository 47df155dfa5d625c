"""Style transfer for data augmentation (ST-DA): AdaIN, Gatys, pseudo-labels.

ST-DA (Mikołajczyk, Grochowski, Kwasigroch) renders the content of training images in the
styles of other training images, labels the results with a teacher classifier's
pseudo-labels (dropping unconfident ones), trains on them, and validates and tests on
real images only. Two style transfers are offered: AdaIN with a trained decoder (fast,
used by `layers.StyleTransferAugment` and `stda_training_set`) and Gatys et al.'s
optimisation (`gatys_transfer`, slow and exact; the paper's reference setting).

End to end on digits, offline:

```python
import keras
import tfgenaug
from tfgenaug import styletransfer
from tfgenaug.trainers.style_decoder import StyleDecoderTrainer

train, test, info = tfgenaug.data.load("digits", image_size=16)
x, y = tfgenaug.data.as_numpy(tfgenaug.data.few_shot(train, 10))  # images in [-1, 1]

# 1. A classifier trained here: the teacher, and the front of it the encoder. Give it
#    enough steps (here 400 epochs of 2 batches) for batch norm's moving statistics.
teacher = tfgenaug.metrics.train_reference_classifier(x, y, info.num_classes, epochs=400)
encoder = styletransfer.encoder_from_classifier(teacher, "block1_relu0")

# 2. The AdaIN decoder, trained with the frozen encoder.
trainer = StyleDecoderTrainer(encoder, style_weight=1.0)
trainer.compile(optimizer=keras.optimizers.Adam(1e-3))
trainer.fit(x, epochs=50, batch_size=32)

# 3. The synthetic set: every image in the styles of other classes, pseudo-labelled.
x_syn, y_syn, dropped = styletransfer.stda_training_set(
    x, y, encoder=encoder, decoder=trainer.decoder, teacher=teacher,
    num_per_image=10, threshold=0.9, seed=0)

# 4. Train on it (with the real images if you like); validate and test on real ones.
classifier = tfgenaug.networks.small_cnn(info.image_shape, info.num_classes)
classifier.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   metrics=["accuracy"])
classifier.fit(x_syn, y_syn, epochs=30, validation_data=tfgenaug.data.as_numpy(test))

# 5. What did it learn? Deep Taylor relevance on the digits' ink.
from tfgenaug import explain
x_test, _ = tfgenaug.data.as_numpy(test)
share = explain.relevance_on_object_share(
    explain.deep_taylor(classifier, x_test), explain.ink_mask(x_test))
```
Or on the fly: `ds.map(tfgenaug.layers.StyleTransferAugment(encoder, trainer.decoder, x,
style_labels=y, value_range=(-1, 1), teacher=teacher, threshold=0.9))`.
"""

from tfgenaug.styletransfer.adain import adain
from tfgenaug.styletransfer.adain import channel_statistics
from tfgenaug.styletransfer.encoder import encoder_from_classifier
from tfgenaug.styletransfer.encoder import mirror_decoder
from tfgenaug.styletransfer.gatys import gatys_transfer
from tfgenaug.styletransfer.pseudo_labels import pseudo_label
from tfgenaug.styletransfer.stda import stda_dataset
from tfgenaug.styletransfer.stda import stda_training_set
from tfgenaug.styletransfer.stda import stylise

__all__ = [
    "adain",
    "channel_statistics",
    "encoder_from_classifier",
    "gatys_transfer",
    "mirror_decoder",
    "pseudo_label",
    "stda_dataset",
    "stda_training_set",
    "stylise",
]
