"""Installs tfgenaug: generative data augmentation for TensorFlow and Keras 3."""

import pathlib
import re

from setuptools import find_packages
from setuptools import setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "tfgenaug" / "version.py").read_text()
).group(1)

setup(
    name="tfgenaug",
    version=VERSION,
    description=(
        "Generative data augmentation for TensorFlow/Keras: conditional GAN "
        "trainers (WGAN-GP, DCGAN, DADA, DFG), augmentation layers for tf.data, "
        "SavedModel export."
    ),
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["tfgenaug", "tfgenaug.*"]),
    install_requires=[
        "tensorflow>=2.16",
        "keras>=3.0",
        "tensorflow-datasets>=4.9",
        "absl-py>=1.0",
        "tensorboard>=2.16",
        "numpy>=1.26",
        "scikit-learn>=1.3",
    ],
    extras_require={
        "test": [
            "pytest>=7", "pytest-xdist>=3", "ruff>=0.4", "imbalanced-learn>=0.12",
            "matplotlib>=3.7",
        ],
        "gpu": ["tensorflow[and-cuda]>=2.16"],
        # The PyTorch peer of benchmarks/throughput.py (benchmarks/torch_reference.py),
        # run on CPU; where the index's default wheel is a CUDA build, a `+cpu` wheel
        # (e.g. `pip install "torch==2.13.0+cpu"` from a find-links) is much smaller.
        "bench": ["torch>=2.2"],
    },
    entry_points={
        "console_scripts": [
            "tfgenaug-train=tfgenaug.bin.train:run",
            "tfgenaug-export=tfgenaug.bin.export:run",
            "tfgenaug-generate=tfgenaug.bin.generate:run",
            "tfgenaug-evaluate=tfgenaug.bin.evaluate:run",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3.11",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
