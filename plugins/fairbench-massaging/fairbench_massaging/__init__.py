"""Kamiran & Calders' massaging as a firm-side pre-processing plugin for fairbench."""
from fairbench_massaging.plugin import STRENGTHS, Massaging, massaging_pairs

__version__ = "0.1.0"
__all__ = ["STRENGTHS", "Massaging", "massaging_pairs", "__version__"]
