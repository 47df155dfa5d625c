"""ST-DA at 224x224 with the front of keras.applications' VGG-16 (weights=None: nothing downloads).

The large-image case: the decoder is trained a few steps through `fit` and the
augmentation layer stylises a 224x224 RGB batch in `[0, 255]` (a user would pass a VGG-16
weights file; the shapes and the pipeline are what this checks).
"""

import keras
import numpy as np

from tfgenaug.layers import StyleTransferAugment
from tfgenaug.styletransfer.encoder import encoder_from_classifier
from tfgenaug.trainers.style_decoder import StyleDecoderTrainer

SHAPE = (224, 224, 3)


def test_vgg16_front_trains_a_decoder_and_stylises_224_pixel_images():
    keras.utils.set_random_seed(0)
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=SHAPE)
    encoder = encoder_from_classifier(vgg, "block2_conv1")  # 112x112x128 features
    trainer = StyleDecoderTrainer(encoder, seed=0)
    assert trainer.style_layers == ["block1_conv1", "block1_conv2", "block2_conv1"]
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    images = np.random.default_rng(0).uniform(-1, 1, (4, *SHAPE)).astype("float32")
    history = trainer.fit(images, batch_size=2, epochs=1, verbose=0).history
    assert trainer.train_steps == 2 and np.isfinite(history["loss"]).all()

    styles = np.random.default_rng(1).uniform(0, 255, (2, *SHAPE)).astype("float32")
    layer = StyleTransferAugment(encoder, trainer.decoder, styles, rate=0.5, seed=0)
    batch = np.full((2, *SHAPE), 128.0, "float32")
    out_images, out_labels = layer((batch, np.array([0, 1])))
    assert out_images.shape == (2, *SHAPE)
    out_images = np.asarray(out_images)
    assert out_images.min() >= 0.0 and out_images.max() <= 255.0
    changed = np.any(out_images != batch, axis=(1, 2, 3))
    assert changed.sum() == 1  # rate 0.5 of 2 rows
    np.testing.assert_array_equal(out_labels, [0, 1])
