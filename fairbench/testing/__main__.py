"""``python -m fairbench.testing``: run the kit from a shell (fairbench.testing.cli)."""
import sys

from fairbench.testing.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
