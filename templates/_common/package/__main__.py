"""`python -m <package> ...`: run the command line (see `cli.py` beside this file)."""

import sys

from .cli import main


def run() -> int:
    """Run `main`; a function not written yet is reported in one line, no traceback."""
    try:
        return main()
    except NotImplementedError as missing:
        print(f"not written yet: {missing}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
