"""The frozen executable's entry point (packaging/kappa.spec): what `python -m app` runs, as a top-level script."""

import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":  # spawned scan workers start this executable too: freeze_support() turns them into workers
    multiprocessing.freeze_support()
    sys.exit(main())
