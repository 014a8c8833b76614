"""How strong is a project's test suite? Mutation testing of its reference solution with mutmut.

mutmut makes hundreds of small changes to the reference solution (an operator flipped, a constant
changed, a call dropped), runs the tests that reach each changed function, and counts the changes
no test noticed. Our hand-written mutants (reference/<project>/mutants/) are the plausible mistakes
a learner makes; this measures the suite against everything else.

The score is caught / (caught + survived + untested): a timeout counts as caught (the test did not
pass), a mutant in code no in-process test reaches counts against the suite.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .layout import KIT_ROOT, KitError, package_name
from .reference import solved_render

CAUGHT = {"killed", "timeout", "caught by type check"}
MISSED = {"survived", "no tests"}
# Lines (regular expressions) whose statements are not mutated, and why: see write_mutmut_config.
NOT_MUTATED = [r"\bhelp=", r"\bdescription=", r"\bepilog="]
RESULT_LINE = re.compile(r"^\s*(\S+): (.+)$")


@dataclass
class MutationReport:
    project: str
    statuses: Counter = field(default_factory=Counter)
    survivors: dict[str, str] = field(default_factory=dict)  # name -> status
    diffs: dict[str, str] = field(
        default_factory=dict
    )  # name -> diff, for the first few

    @property
    def caught(self) -> int:
        return sum(self.statuses[s] for s in CAUGHT)

    @property
    def judged(self) -> int:
        return self.caught + sum(self.statuses[s] for s in MISSED)

    @property
    def score(self) -> float:
        return self.caught / self.judged if self.judged else 0.0


def write_mutmut_config(project_dir: Path, package: str) -> None:
    """Mutate the package only; copy everything else the tests read (stage file, climb/, data)."""
    also_copy = sorted(
        p.name
        for p in project_dir.iterdir()
        if p.name not in {"src", "tests", ".git", "mutants"}
        and not p.name.startswith(".")
    )
    config = configparser.ConfigParser()
    config["mutmut"] = {
        "source_paths": f"src/{package}",
        "also_copy": "\n" + "\n".join(also_copy),
        # The `python -m` wrapper is shared by every project and has no logic of its own.
        "do_not_mutate": f"src/{package}/__main__.py",
        # --help prose: no test should pin it word for word (this skips the whole statement).
        "do_not_mutate_patterns": "\n" + "\n".join(NOT_MUTATED),
    }
    with (project_dir / "setup.cfg").open("w", encoding="utf-8") as out:
        config.write(out)


def mutation_test(
    project: str,
    workdir: Path,
    kit_root: Path = KIT_ROOT,
    max_children: int | None = None,
    only: list[str] | None = None,
    show: int = 20,
) -> MutationReport:
    """Render PROJECT with its reference solution in WORKDIR, mutate it, and report the score."""
    solved = solved_render(project, workdir, kit_root=kit_root)
    write_mutmut_config(solved, package_name(project))
    mutmut = [sys.executable, "-m", "mutmut"]
    run = [
        *mutmut,
        "run",
        *(["--max-children", str(max_children)] if max_children else []),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["src", "."])}
    code = subprocess.run([*run, *(only or [])], cwd=solved, env=env).returncode
    if code not in (0, 1):
        raise KitError(
            f"mutmut run failed in {solved} (exit {code}); see its output above"
        )
    listed = subprocess.run(
        [*mutmut, "results", "--all", "true"],
        cwd=solved,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    report = MutationReport(project)
    for line in listed.splitlines():
        match = RESULT_LINE.match(line)
        if not match:
            continue
        name, status = match.groups()
        report.statuses[status] += 1
        if status in MISSED:
            report.survivors[name] = status
    for name in list(report.survivors)[:show]:
        shown = subprocess.run(
            [*mutmut, "show", name], cwd=solved, env=env, capture_output=True, text=True
        )
        report.diffs[name] = shown.stdout.strip()
    return report
