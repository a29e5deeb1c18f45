"""An example fairbench dataset plugin: synthetic hiring data whose training labels carry historical bias."""
from fairbench_dataset_example.plugin import load_label_bias

__version__ = "0.1.0"
__all__ = ["load_label_bias", "__version__"]
