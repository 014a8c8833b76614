"""Argument types the benchmarks share, so a mistyped flag ends in one usage line, not a traceback.

Use as `parser.add_argument("--sizes", type=counts, ...)`: argparse turns the error below into
`bench.py: error: argument --sizes: ...` and exit status 2.
"""

import argparse


def counts(text: str) -> list[int]:
    """'1000,3000' -> [1000, 3000]: comma-separated whole numbers, each at least 1."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, like 100,1000; got {text!r}"
        ) from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"every number must be at least 1; got {text!r}"
        )
    return values
