"""How strong is a project's test suite? Mutation testing of its reference solution with mutmut.

mutmut makes hundreds of small changes to the reference solution (an operator flipped, a constant
changed, a call dropped), runs the tests that reach each changed function, and counts the changes
no test noticed. Our hand-written mutants (reference/<project>/mutants/) are the plausible mistakes
a learner makes; this measures the suite against everything else.

The score is caught / (caught + survived + untested): a timeout counts as caught (the test did not
pass), a mutant no test reaches counts against the suite.

mutmut learns which tests reach which function by watching the test process. Much of our code runs
in another process (`python -m <package>` started by a test, worker processes, a service under
test), which that cannot see. So every function is also judged by the tests of the stage that asks
for it, as its skeleton says (`NotImplementedError("Stage N (id): ...")`), and of every later
stage, which build on it (a helper the skeleton gives belongs to its module's first stage). mutmut runs twice: once to generate the
mutants and learn what it can, then, with those stage tests filled in, to judge every mutant.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..layout import KIT_ROOT, KitError, package_name, template_dir
from ..learner.stages import load_stages
from .reference import solved_render

CAUGHT = {"killed", "timeout", "caught by type check"}
MISSED = {"survived", "no tests"}
# Lines (regular expressions) whose statements are not mutated, and why: see write_mutmut_config.
NOT_MUTATED = [r"\bhelp=", r"\bdescription=", r"\bepilog="]
TIMEOUT_MULTIPLIER = 4
RESULT_LINE = re.compile(r"^\s*(\S+): (.+)$")
SKELETON_STAGE = re.compile(r"Stage \d+ \(([a-z0-9-]+)\)")
STATS = Path("mutants") / "mutmut-stats.json"
# A mutant name that matches nothing: mutmut generates mutants and collects its statistics, then
# stops before running any mutant (the first of the two runs).
NO_MUTANT = "no-such-mutant"
# What mutmut says, and stops, when no test reached the package in the test process itself.
NO_HITS = "could not find any test case for any mutant"


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
        # A mutant that hangs is caught once its tests take this many times their clean time
        # (plus a second). mutmut's default, 15, spends most of a run waiting on hung mutants.
        "timeout_multiplier": str(TIMEOUT_MULTIPLIER),
    }
    with (project_dir / "setup.cfg").open("w", encoding="utf-8") as out:
        config.write(out)


def stages_of_functions(skeleton: Path, package: str) -> dict[str, str]:
    """mutmut's name for each skeleton function (`pkg.module.x_func`, `pkg.module.xǁClassǁmethod`,
    and `pkg.module` for the module as a whole) -> the id of the stage that asks for it."""
    stages: dict[str, str] = {}
    for path in sorted(skeleton.glob("*.py")):
        module = f"{package}.{path.stem}"
        source = path.read_text(encoding="utf-8")
        found = []
        for owner, function in _functions(ast.parse(source).body):
            match = SKELETON_STAGE.search(
                ast.get_source_segment(source, function) or ""
            )
            if match:
                name = f"xǁ{owner}ǁ{function.name}" if owner else f"x_{function.name}"
                stages[f"{module}.{name}"] = match.group(1)
                found.append(match.group(1))
        if found:  # helpers the reference adds belong to the module's first stage
            stages[module] = found[0]
    return stages


def _functions(body: list[ast.stmt], owner: str | None = None):
    """(class name or None, function) for every function and method, nested classes included."""
    for node in body:
        if isinstance(node, ast.ClassDef):
            yield from _functions(node.body, node.name)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield owner, node


def write_stats_without_hits(project_dir: Path, env: dict[str, str]) -> None:
    """Write the statistics mutmut gives up on when no test calls the package in its own process
    (http-service's tests reach it only through the service they start): every function mutmut
    mutated, with no tests yet (`fill_in_stage_tests` adds them), and every test's duration, from
    which mutmut sets each mutant's timeout. The tests run once, unmutated, to time them."""
    mutated = project_dir / "mutants"
    hashes: dict[str, str] = {}
    for meta in sorted(mutated.glob("src/**/*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for mutant in data["exit_code_by_key"]:  # `pkg.module.x_name__mutmut_3`
            function = mutant.rsplit("__mutmut_", 1)[0]
            short = function.rsplit(".", 1)[
                1
            ]  # the .meta file names it within its module
            hashes[function] = data["hash_by_function_name"].get(short, "")
    timings = mutated / "test-durations.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "climb_kit.contributor.test_durations",
        ],
        cwd=mutated,
        env={**env, "MUTANT_UNDER_TEST": "", "CLIMB_TEST_DURATIONS": str(timings)},
        capture_output=True,
    )
    if not hashes or not timings.exists():
        return  # the caller reports that there are no statistics
    durations = json.loads(timings.read_text(encoding="utf-8"))
    stats = {
        "tests_by_mangled_function_name": {},
        "duration_by_test": durations,
        "stats_time": sum(durations.values()),
        "function_hashes": hashes,
        "function_dependencies": {},
    }
    (project_dir / STATS).write_text(json.dumps(stats, indent=1), encoding="utf-8")


def fill_in_stage_tests(project_dir: Path, skeleton: Path, package: str) -> int:
    """Add to every function's tests those of its stage and of every later stage (mutmut saw
    only the in-process calls, so a function that the tests reach through `python -m` or a
    service had few or none; a later stage builds on the earlier ones, so its tests reach
    their code too); return how many functions gained tests."""
    stats_path = project_dir / STATS
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    stages = load_stages(project_dir).stages
    by_stage = {}
    for number, stage in enumerate(stages):
        files = {file for later in stages[number:] for file in later.tests}
        by_stage[stage.id] = [
            t for t in stats["duration_by_test"] if t.split("::")[0] in files
        ]
    owners = stages_of_functions(skeleton, package)
    tests_of = stats["tests_by_mangled_function_name"]
    filled = 0
    for function in stats["function_hashes"]:
        module = function.rsplit(".", 1)[0]
        stage = owners.get(function) or owners.get(module)
        missing = set(by_stage.get(stage, ())) - set(tests_of.get(function, ()))
        if missing:
            tests_of[function] = sorted(set(tests_of.get(function, ())) | missing)
            filled += 1
    stats_path.write_text(json.dumps(stats, indent=1), encoding="utf-8")
    return filled


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
    # First run: generate the mutants and learn which tests reach which function.
    first = subprocess.run(
        [*run, NO_MUTANT], cwd=solved, env=env, capture_output=True, text=True
    )
    if not (solved / STATS).exists() and NO_HITS in first.stdout:
        write_stats_without_hits(solved, env)
    if not (solved / STATS).exists():
        raise KitError(
            f"mutmut could not collect its statistics in {solved}:\n"
            + (first.stdout + first.stderr)[-2000:]
        )
    fill_in_stage_tests(
        solved,
        template_dir(project, kit_root) / "src" / package_name(project),
        package_name(project),
    )
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
