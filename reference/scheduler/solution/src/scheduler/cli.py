"""Stage 7 (cli): the command line, `python -m scheduler run|compare WORKLOAD [...]`.

    run WORKLOAD --policy P [--quantum N] [--aging N] [--queues N] [--allotment N]
                            [--boost N] [--gaming] [--json]
    compare WORKLOAD [the same options, without --policy]

Three readers: a person (a Gantt chart and tables), a script (`--json`: one JSON
document on stdout and nothing else) and a shell (exit code 0 on success, 2 on bad input
with one line `error: ...` on stderr, never a traceback).
"""

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any, NoReturn

from .fcfs import fcfs
from .gantt import gantt
from .metrics import Report, Slice, compute_metrics, merge_slices
from .mlfq import mlfq
from .priority import priority
from .rr import round_robin
from .sjf import sjf, stcf
from .workload import Job, load_workload

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
    try:
        values = [int(piece) for piece in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or a comma list of integers, got {text!r}"
        ) from None
    return values[0] if len(values) == 1 else values


def build_parser() -> Parser:
    """The parser for the sub-commands `run` and `compare` (required; in `command`).

    Both take WORKLOAD and the options --quantum (default 10), --aging (0), --queues
    (3), --allotment (1), --boost (0), all integers, and the flags --gaming and --json.
    --quantum and --allotment may also be a comma list, one value per MLFQ level, read
    by `per_level_option`. `run` also requires --policy, one of POLICIES.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("workload", help="a .csv or .json workload file")
    common.add_argument(
        "--quantum",
        type=per_level_option,
        default=10,
        help="time slice (rr, mlfq); mlfq: N or one per level, top first",
    )
    common.add_argument("--aging", type=int, default=0, help="ticks per level of aging")
    common.add_argument("--queues", type=int, default=3, help="mlfq: number of queues")
    common.add_argument(
        "--allotment",
        type=per_level_option,
        default=1,
        help="mlfq: slices per level; N or one per level, top first",
    )
    common.add_argument(
        "--boost", type=int, default=0, help="mlfq: boost period (0: off)"
    )
    common.add_argument(
        "--gaming", action="store_true", help="mlfq: I/O resets the slice"
    )
    common.add_argument(
        "--json", action="store_true", help="print JSON instead of tables"
    )

    parser = Parser(
        prog="python -m scheduler", description="Mini OS scheduler emulator"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", parents=[common], help="run one policy")
    run.add_argument("--policy", required=True, choices=list(POLICIES))
    commands.add_parser("compare", parents=[common], help="run every policy that can")
    return parser


def policy_params(policy: str, args: argparse.Namespace) -> dict[str, Any]:
    """The parameters `policy` takes (see PARAMS), valued from the parsed options.

    Raises UsageError if --quantum is a comma list and `policy` is not mlfq: a list
    gives one value per MLFQ level, and rr takes a single quantum.
    """
    params = {name: getattr(args, name) for name in PARAMS[policy]}
    quantum = params.get("quantum")
    if isinstance(quantum, list) and policy != "mlfq":
        listed = ",".join(map(str, quantum))
        raise UsageError(
            f"--quantum {listed} gives one value per mlfq level, but {policy} takes "
            "a single integer"
        )
    return params


def run_document(
    policy: str, params: dict[str, Any], slices: list[Slice], report: Report
) -> dict:
    """One run as a JSON-ready dict, with exactly these keys:

    {"policy", "params", "slices": [{"job", "start", "end"}] (merged), "jobs": [{"id",
    "arrival", "burst", "first_run", "completion", "response", "turnaround", "wait"}],
    "averages": {"response", "turnaround", "wait"}, "cpu_utilisation",
    "context_switches", "makespan"}
    """
    return {
        "policy": policy,
        "params": params,
        "slices": [asdict(piece) for piece in merge_slices(slices)],
        "jobs": [asdict(job) for job in report.jobs],
        "averages": {
            "response": report.avg_response,
            "turnaround": report.avg_turnaround,
            "wait": report.avg_wait,
        },
        "cpu_utilisation": report.cpu_utilisation,
        "context_switches": report.context_switches,
        "makespan": report.makespan,
    }


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
    title = " ".join([policy, *(f"{name}={value}" for name, value in params.items())])
    lines = [title, "", gantt(jobs, slices), ""]
    lines.append(
        f"{'job':>4} {'arrival':>8} {'burst':>6} {'first run':>10} {'completion':>11}"
        f" {'response':>9} {'turnaround':>11} {'wait':>8}"
    )
    for m in report.jobs:
        lines.append(
            f"{m.id:>4} {m.arrival:>8} {m.burst:>6} {m.first_run:>10}"
            f" {m.completion:>11} {m.response:>9} {m.turnaround:>11} {m.wait:>8}"
        )
    lines.append(
        f"{'avg':>4} {'':>8} {'':>6} {'':>10} {'':>11} {report.avg_response:>9.2f}"
        f" {report.avg_turnaround:>11.2f} {report.avg_wait:>8.2f}"
    )
    lines.append("")
    lines.append(
        f"cpu utilisation {report.cpu_utilisation:.1%}, "
        f"context switches {report.context_switches}, makespan {report.makespan}"
    )
    return "\n".join(lines)


def format_comparison(reports: dict[str, Report], skipped: list[str]) -> str:
    """Policies side by side: one row per policy in `reports` with the columns policy,
    avg response, avg turnaround, avg wait, utilisation, switches; then a note naming
    the `skipped` ones."""
    lines = [
        f"{'policy':<9} {'avg response':>12} {'avg turnaround':>14} {'avg wait':>9}"
        f" {'utilisation':>11} {'switches':>8}"
    ]
    for policy, report in reports.items():
        lines.append(
            f"{policy:<9} {report.avg_response:>12.2f} {report.avg_turnaround:>14.2f}"
            f" {report.avg_wait:>9.2f} {report.cpu_utilisation:>11.1%}"
            f" {report.context_switches:>8}"
        )
    if skipped:
        lines.append("")
        names = ", ".join(skipped)
        lines.append(f"skipped {names}: the workload does I/O, which only mlfq models")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command line (`argv` without the program name; None means sys.argv[1:]).

    `run` prints `format_run` (or, with --json, `run_document` as JSON). `compare` runs
    every policy that can run the workload (all of them, or only mlfq when some job does
    I/O) and prints `format_comparison` (or, with --json, a JSON list of run documents).
    Bad input (bad options, a missing or malformed workload file, a parameter a policy
    rejects) prints one line `error: <message>` to stderr and returns 2. Success returns
    0.
    """
    try:
        args = build_parser().parse_args(argv)
        jobs = load_workload(args.workload)
        if args.command == "run":
            chosen = [args.policy]
        elif any(job.io_every > 0 for job in jobs):
            chosen = ["mlfq"]
        else:
            chosen = list(POLICIES)
        runs = []
        for policy in chosen:
            params = policy_params(policy, args)
            runs.append((policy, params, POLICIES[policy](jobs, **params)))
    except (UsageError, ValueError) as err:  # a WorkloadError is a ValueError too
        print(f"error: {err}", file=sys.stderr)
        return 2

    documents = []
    reports = {}
    for policy, params, slices in runs:
        reports[policy] = compute_metrics(jobs, slices)
        documents.append(run_document(policy, params, slices, reports[policy]))
    if args.command == "run":
        policy, params, slices = runs[0]
        if args.json:
            print(json.dumps(documents[0], indent=2))
        else:
            print(format_run(policy, params, jobs, slices, reports[policy]))
    elif args.json:
        print(json.dumps(documents, indent=2))
    else:
        skipped = [policy for policy in POLICIES if policy not in reports]
        print(format_comparison(reports, skipped))
    return 0
