"""k-NN situation testing (Luong, Ruggieri & Turini, KDD 2011) as a minority collective's strategy."""
from fairbench_situation_testing.plugin import DEFAULT_K, K_GRID, SituationTesting

__version__ = "0.1.0"
__all__ = ["DEFAULT_K", "K_GRID", "SituationTesting", "__version__"]
