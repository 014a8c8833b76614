"""Stage 7 (cli): the command line, `python -m scheduler run|compare WORKLOAD [...]`.

    run WORKLOAD --policy P [--quantum N] [--aging N] [--queues N] [--allotment N]
                            [--boost N] [--gaming] [--json]
    compare WORKLOAD [the same options, without --policy]

Three readers: a person (a Gantt chart and tables), a script (`--json`: one JSON
document on stdout and nothing else) and a shell (exit code 0 on success, 2 on bad input
with one line `error: ...` on stderr, never a traceback).
"""

import argparse
import json  # noqa: F401 (used by code you write)
import sys  # noqa: F401 (used by code you write)
from dataclasses import asdict  # noqa: F401 (used by code you write)
from typing import Any, NoReturn

from .fcfs import fcfs
from .gantt import gantt  # noqa: F401 (used by code you write)
from .metrics import Report, Slice, compute_metrics, merge_slices  # noqa: F401 (used by code you write)
from .mlfq import mlfq
from .priority import priority
from .rr import round_robin
from .sjf import sjf, stcf
from .workload import Job, load_workload  # noqa: F401 (used by code you write)

POLICIES = {
    "fcfs": fcfs,
    "sjf": sjf,
    "stcf": stcf,
    "rr": round_robin,
    "priority": priority,
    "mlfq": mlfq,
}
"""Policy name -> function, in the order `compare` shows them."""

PARAMS = {
    "fcfs": (),
    "sjf": (),
    "stcf": (),
    "rr": ("quantum",),
    "priority": ("aging",),
    "mlfq": ("queues", "quantum", "allotment", "boost", "gaming"),
}
"""Policy name -> the parameters it takes (keyword arguments and --options alike)."""


class UsageError(Exception):
    """A bad command line: unknown option, missing argument, a value not a number."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of printing usage and exiting,
    so that `main` can report every kind of bad input the same way and return 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def per_level_option(text: str) -> int | list[int]:
    """Read the value of --quantum or --allotment (the `type=` argparse calls).

    "10" is 10, the same for every level. "10,20,30" is [10, 20, 30], one value per
    MLFQ level, top first (like mlfq.py's -Q and -A). Raises
    argparse.ArgumentTypeError, which argparse reports naming the option, if a piece
    is not an integer. Whether there is one value per queue and each is at least 1 is
    for the policy to check: mlfq raises ValueError for those.
    """
    raise NotImplementedError(
        "Stage 7 (cli): turn '10' into 10 and '10,20,30' into [10, 20, 30]"
    )


def build_parser() -> Parser:
    """The parser for the sub-commands `run` and `compare` (required; in `command`).

    Both take WORKLOAD and the options --quantum (default 10), --aging (0), --queues
    (3), --allotment (1), --boost (0), all integers, and the flags --gaming and --json.
    --quantum and --allotment may also be a comma list, one value per MLFQ level, read
    by `per_level_option`. `run` also requires --policy, one of POLICIES.
    """
    raise NotImplementedError(
        "Stage 7 (cli): build the argparse parser with `run` and `compare`"
    )


def policy_params(policy: str, args: argparse.Namespace) -> dict[str, Any]:
    """The parameters `policy` takes (see PARAMS), valued from the parsed options.

    Raises UsageError if --quantum is a comma list and `policy` is not mlfq: a list
    gives one value per MLFQ level, and rr takes a single quantum.
    """
    raise NotImplementedError(
        "Stage 7 (cli): pick this policy's parameters from the options"
    )


def run_document(
    policy: str, params: dict[str, Any], slices: list[Slice], report: Report
) -> dict:
    """One run as a JSON-ready dict, with exactly these keys:

    {"policy", "params", "slices": [{"job", "start", "end"}] (merged), "jobs": [{"id",
    "arrival", "burst", "first_run", "completion", "response", "turnaround", "wait"}],
    "averages": {"response", "turnaround", "wait"}, "cpu_utilisation",
    "context_switches", "makespan"}
    """
    raise NotImplementedError("Stage 7 (cli): build the JSON document of one run")


def format_run(
    policy: str,
    params: dict[str, Any],
    jobs: list[Job],
    slices: list[Slice],
    report: Report,
) -> str:
    """One run for a person: a title (the policy and its params), the Gantt chart, a
    table of per-job metrics with a line of averages, then utilisation, context switches
    and makespan."""
    raise NotImplementedError(
        "Stage 7 (cli): format the chart and the metrics table of one run"
    )


def format_comparison(reports: dict[str, Report], skipped: list[str]) -> str:
    """Policies side by side: one row per policy in `reports` with the columns policy,
    avg response, avg turnaround, avg wait, utilisation, switches; then a note naming
    the `skipped` ones."""
    raise NotImplementedError("Stage 7 (cli): format one row per policy, then the note")


def main(argv: list[str] | None = None) -> int:
    """Run the command line (`argv` without the program name; None means sys.argv[1:]).

    `run` prints `format_run` (or, with --json, `run_document` as JSON). `compare` runs
    every policy that can run the workload (all of them, or only mlfq when some job does
    I/O) and prints `format_comparison` (or, with --json, a JSON list of run documents).
    Bad input (bad options, a missing or malformed workload file, a parameter a policy
    rejects) prints one line `error: <message>` to stderr and returns 2. Success returns
    0.
    """
    raise NotImplementedError(
        "Stage 7 (cli): parse the arguments, run the policies, print, return 0 or 2"
    )
