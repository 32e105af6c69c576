import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":  # the guard keeps spawned scan workers from starting Kappa again
    multiprocessing.freeze_support()
    sys.exit(main())
