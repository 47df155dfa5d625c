"""Export and load of class-conditional generators as SavedModels (TF Serving layout).

`export(trainer_or_generator, base_dir)` writes `base_dir/<version>/` atomically;
`load(path)` returns a `LoadedGenerator`; `export_classifier` and
`export_feature_generator` export a classifier split into extractor and head (DFG's E+C,
the SSGAN's EMA classifier) and DFG's feature generator. The exports need only TensorFlow
to load:
`tf.saved_model.load(path).signatures["generate"](labels=..., noise=...)`.
"""

from tfgenaug.savedmodels.export import export
from tfgenaug.savedmodels.feature_export import export_classifier
from tfgenaug.savedmodels.feature_export import export_feature_generator
from tfgenaug.savedmodels.load import METADATA_PATH
from tfgenaug.savedmodels.load import LoadedGenerator
from tfgenaug.savedmodels.load import list_versions
from tfgenaug.savedmodels.load import load
from tfgenaug.savedmodels.load import read_metadata
from tfgenaug.savedmodels.load import resolve_version_dir

__all__ = [
    "METADATA_PATH",
    "LoadedGenerator",
    "export",
    "export_classifier",
    "export_feature_generator",
    "list_versions",
    "load",
    "read_metadata",
    "resolve_version_dir",
]
