"""`cohort.collect`: every learner's showcase bundle, verified, in one folder with one CSV.

A bundle the learner already built for their last commit (`dist/<handle>-<project>-<commit>.tar.gz`
in their repository) is taken as it is; otherwise it is built with the learner runtime's own
`invoke package`, inside the sandbox (packaging runs the learner's tests), from a clone of the
repository. Either way it is checked with the runtime's bundle verifier (one definition of the
format) and must belong to this learner and this commit.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import shutil
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..learner.bundle import bundle_stem, check_bundle
from ..learner.integrity import sha256_of
from .record import learner_repos, learner_scratch, read_cohort, run_git
from .sandbox import (
    Isolation,
    Limits,
    prepare_scratch,
    run_sandboxed,
    sandbox_env,
)
from .status import write_atomically

CSV_COLUMNS = (
    "handle",
    "result",
    "bundle",
    "sha256",
    "commit",
    "stages_passed",
    "stages_total",
    "reason",
)


@dataclass(frozen=True)
class Collected:
    handle: str
    result: str  # collected (found in dist/), built, refused or invalid
    bundle: str = ""  # file name in the output folder
    sha256: str = ""
    commit: str = ""
    stages_passed: int = 0
    stages_total: int = 0
    reason: str = ""


def collect_cohort(
    into: Path,
    out: Path,
    isolation: Isolation,
    limits: Limits | None = None,
    jobs: int | None = None,
    on_done: Callable[[Collected], None] = lambda collected: None,
) -> list[Collected]:
    """Gather and verify every learner's bundle into `out`, with `out/results.csv`."""
    into = Path(into).resolve()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cohort = read_cohort(into)
    repos = learner_repos(into)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(repos) or 1))
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)

    def collect(repo: Path) -> Collected:
        slot = slots.get()
        try:
            collected = collect_learner(
                repo, cohort.project, out, isolation, limits or Limits(), slot
            )
        except Exception as err:  # one learner's failure must not stop the cohort
            collected = Collected(
                repo.name, "failed", reason=f"{type(err).__name__}: {err}"
            )
        finally:
            slots.put(slot)
        on_done(collected)
        return collected

    with ThreadPoolExecutor(jobs) as pool:
        results = sorted(pool.map(collect, repos), key=lambda c: c.handle.lower())
    write_atomically(out / "results.csv", collect_csv(results))
    return results


def collect_learner(
    repo: Path, project: str, out: Path, isolation: Isolation, limits: Limits, slot: int
) -> Collected:
    handle = repo.name
    commit = run_git(repo, "rev-parse", "HEAD").strip()
    stem = bundle_stem(handle, project, commit)
    found = repo / "dist" / f"{stem}.tar.gz"
    if found.is_file():
        return _accept(found, handle, commit, out, "collected")
    with learner_scratch("collect", handle) as scratch:
        run_git(
            scratch.parent, "clone", "-q", "--no-hardlinks", str(repo), str(scratch)
        )
        prepare_scratch(scratch, isolation.level, slot)
        env = sandbox_env(scratch, COLUMNS="200", GIT_CONFIG_NOSYSTEM="1")
        outcome = run_sandboxed(
            [sys.executable, "-m", "invoke", "package"],
            scratch,
            env,
            limits,
            isolation,
            slot,
        )
        built = scratch / "dist" / f"{stem}.tar.gz"
        if outcome.limit:
            return Collected(
                handle,
                "refused",
                commit=commit,
                reason=f"limit exceeded: {outcome.limit}",
            )
        if outcome.exit_code or not built.is_file():
            lines = [
                line.strip() for line in outcome.output.splitlines() if line.strip()
            ]
            why = (
                " ".join(lines[:6])[:400]
                or f"invoke package exited {outcome.exit_code}"
            )
            return Collected(handle, "refused", commit=commit, reason=why)
        return _accept(built, handle, commit, out, "built")


def _accept(bundle: Path, handle: str, commit: str, out: Path, how: str) -> Collected:
    verdict = check_bundle(bundle)
    problems = [verdict.unreadable] if verdict.unreadable else list(verdict.problems)
    manifest = verdict.manifest or {}
    if manifest and manifest.get("commit") != commit:
        problems.append(
            f"the bundle is of commit {manifest.get('commit')}, not HEAD {commit}"
        )
    owner = (manifest.get("learner") or {}).get("github_handle", "")
    if manifest and owner.lower() != handle.lower():
        problems.append(f"the bundle belongs to {owner!r}, not {handle!r}")
    if problems:
        return Collected(
            handle, "invalid", commit=commit, reason="; ".join(problems)[:400]
        )
    target = out / bundle.name
    shutil.copyfile(bundle, target)
    stages = manifest.get("stages", [])
    return Collected(
        handle,
        how,
        bundle=target.name,
        sha256=sha256_of(target),
        commit=commit,
        stages_passed=sum(stage.get("status") == "passed" for stage in stages),
        stages_total=len(stages),
    )


def collect_csv(results: list[Collected]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in results:
        writer.writerow([getattr(c, column) for column in CSV_COLUMNS])
    return buffer.getvalue()
