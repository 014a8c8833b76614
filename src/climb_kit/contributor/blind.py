"""Blind rounds: wrong solutions written by someone who never saw the tests, judged by them.

Curated mutants and mutmut come from people who know the tests, so they measure how well the tests
catch the bugs their authors imagined. A blind round measures the rest: a session that reads only
what a learner reads (README, stage goals, PROTOCOL.md / openapi.yaml, skeleton docstrings, hints)
and the reference solution writes plausible wrong solutions, each shown to misbehave by a
demonstration of its own, never by the tests. They live in
`reference/<project>/blind/round-<n>/<id>.yml`, in the mutants' format plus `rule` (the sentence
broken and where the learner reads it) and `shown_by` (the demonstration and what it printed).

Judging applies each one to the reference and runs the project's whole suite, stopping at the first
failure: a wrong solution is caught when any test fails. A test that errors instead of failing
still catches it, but is listed: the house rule is that tests fail by assertion. The verdicts are
written to the round's RESULTS.md, so every round's "caught / written" stays on record.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..layout import KIT_ROOT, KitError, reference_dir
from ..learner.runner import run_pytest
from .mutants import Mutant, MutantError, apply_mutant, load_mutant_folder
from .reference import solved_render

BLIND = "blind"
ROUND = re.compile(r"round-(\d+)")
RESULTS = "RESULTS.md"
# A wrong solution can make the suite wait on every deadline it breaks; a whole suite that has
# not finished in this time is reported, not waited for.
SUITE_TIMEOUT_SECONDS = 1200


@dataclass(frozen=True)
class Verdict:
    mutant: Mutant
    rule: str
    caught_by: str  # the first failing test's node id; "" when nothing failed
    trouble: str = ""  # why it could not be judged, or how it was caught badly

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


def round_folders(project: str, kit_root: Path = KIT_ROOT) -> list[Path]:
    """The project's rounds, in number order."""
    folder = reference_dir(project, kit_root) / BLIND
    rounds = [
        path
        for path in folder.glob("round-*")
        if path.is_dir() and ROUND.fullmatch(path.name)
    ]
    return sorted(rounds, key=lambda path: int(ROUND.fullmatch(path.name).group(1)))


def find_round(project: str, number: int | None, kit_root: Path = KIT_ROOT) -> Path:
    """Round `number`, or the newest round when it is None."""
    rounds = round_folders(project, kit_root)
    where = (reference_dir(project, kit_root) / BLIND).relative_to(kit_root)
    if not rounds:
        raise KitError(
            f"{project} has no blind rounds yet: write them in {where}/round-1/"
        )
    if number is None:
        return rounds[-1]
    for folder in rounds:
        if int(ROUND.fullmatch(folder.name).group(1)) == number:
            return folder
    have = ", ".join(folder.name for folder in rounds)
    raise KitError(f"{project} has no round {number} in {where} (it has {have})")


def _rules(folder: Path) -> dict[str, str]:
    rules = {}
    for path in folder.glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rules[path.stem] = " ".join(str(data.get("rule", "")).split())
    return rules


def judge_round(
    project: str,
    folder: Path,
    workdir: Path,
    kit_root: Path = KIT_ROOT,
    on_verdict: Callable[[Verdict], None] = lambda verdict: None,
) -> list[Verdict]:
    """Apply each wrong solution in `folder` to the reference and run the whole suite on it."""
    try:
        mutants = load_mutant_folder(folder)
    except MutantError as err:
        raise KitError(str(err)) from None
    if not mutants:
        raise KitError(f"{folder} holds no <id>.yml wrong solutions")
    rules = _rules(folder)
    solved = solved_render(project, workdir, kit_root=kit_root)

    def judge(index_mutant: tuple[int, Mutant]) -> Verdict:
        index, mutant = index_mutant
        copy = workdir / f"wrong-{index}"
        shutil.copytree(solved, copy, symlinks=True)
        rule = rules.get(mutant.id, "")
        try:
            apply_mutant(mutant, copy)
        except MutantError as err:
            return Verdict(mutant, rule, "", f"not judged: {err}")
        try:
            result = run_pytest(
                copy, ["--maxfail=1", "tests"], timeout=SUITE_TIMEOUT_SECONDS
            )
        finally:
            shutil.rmtree(copy, ignore_errors=True)
        failed = [t.nodeid for t in result.tests if t.outcome == "failed"]
        errored = [t.nodeid for t in result.tests if t.outcome == "error"]
        if failed:
            return Verdict(mutant, rule, failed[0])
        if errored:
            return Verdict(
                mutant, rule, errored[0], "caught by an error, not an assertion"
            )
        if result.collection_errors:
            return Verdict(mutant, rule, "(collection)", "caught by a collection error")
        if result.timed_out_after:
            return Verdict(
                mutant,
                rule,
                "",
                f"not judged: the suite ran over {result.timed_out_after:.0f} s",
            )
        if not result.tests:
            return Verdict(
                mutant, rule, "", f"not judged: {result.output.strip()[-300:]}"
            )
        return Verdict(mutant, rule, "")

    verdicts = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for verdict in pool.map(judge, enumerate(mutants)):
            on_verdict(verdict)
            verdicts.append(verdict)
    return verdicts


def tally(verdicts: list[Verdict]) -> str:
    judged = [v for v in verdicts if not v.trouble.startswith("not judged")]
    caught = sum(v.caught for v in judged)
    unjudged = len(verdicts) - len(judged)
    return f"{caught} of {len(judged)} caught" + (
        f" ({unjudged} could not be judged)" if unjudged else ""
    )


def record_results(
    project: str, folder: Path, verdicts: list[Verdict], commit: str
) -> Path:
    """Append this judging to the round's RESULTS.md: the first section is the round before any
    strengthening, each later one a judging after the tests changed."""
    path = folder / RESULTS
    text = (
        path.read_text(encoding="utf-8")
        if path.exists()
        else (
            f"# {project}, blind {folder.name}\n\n"
            "Written from the learner's files and the reference alone (see "
            "src/climb_kit/contributor/blind.py). Each section is one judging by "
            f"`python3 kit.py blind {project} --round {folder.name.split('-')[1]}`: every "
            "wrong solution applied to the reference, the whole suite run to its first "
            "failure. The first section is the round before the tests were strengthened.\n"
        )
    )
    lines = [
        "",
        f"## Kit at {commit}: {tally(verdicts)}",
        "",
        "| wrong solution | stage | rule it breaks | caught by |",
        "| --- | --- | --- | --- |",
    ]
    for v in sorted(verdicts, key=lambda v: (v.caught, v.mutant.stage, v.mutant.id)):
        by = f"`{v.caught_by}`" if v.caught else "**not caught**"
        if v.trouble:
            by = f"{by} ({v.trouble})" if v.caught else v.trouble
        rule = v.rule.replace("|", "\\|")
        lines.append(f"| {v.mutant.id} | {v.mutant.stage} | {rule} | {by} |")
    path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    return path
