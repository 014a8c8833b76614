"""nox sessions: `nox -l` lists them. Each installs the kit from pyproject.toml and calls it."""

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.default_venv_backend = "venv"

# Every finished template: a folder under templates/ (the kit's own layout rule, read without
# importing the kit, which nox's own environment does not have).
PROJECTS = sorted(
    p.name
    for p in (Path(__file__).parent / "templates").iterdir()
    if p.is_dir() and not p.name.startswith("_")
)


@nox.session
def tests(session: nox.Session) -> None:
    """The kit's whole test suite."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and format-check the kit's code (template code is linted inside renders by verify)."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(default=False, tags=["verify"])
@nox.parametrize("project", PROJECTS, ids=PROJECTS)
def verify(session: nox.Session, project: str) -> None:
    """Verify one template, as `invoke verify PROJECT --repeat 5`: `nox -s "verify(scheduler)"`."""
    session.install("-e", ".[dev]")
    session.run("invoke", "verify", project, "--repeat", "5")


@nox.session(default=False, tags=["bench"])
@nox.parametrize("project", PROJECTS, ids=PROJECTS)
def bench(session: nox.Session, project: str) -> None:
    """Benchmark the reference solution (`nox -s "bench(scheduler)" -- --sizes 10000,100000`)."""
    session.install("-e", ".[dev]")
    session.run("invoke", "bench", "--project", project, *session.posargs)


@nox.session(default=False, tags=["bench"])
def showcase(session: nox.Session) -> None:
    """Benchmark the showcase: intake and site build for 200 submissions (`-- --count N`)."""
    session.install("-e", ".[dev]")
    session.run("python", "benchmarks/showcase_build.py", *session.posargs)


@nox.session(default=False, tags=["strength"])
def mutation(session: nox.Session) -> None:
    """Mutation-test a project's reference with mutmut: `nox -s mutation -- scheduler`."""
    if not session.posargs:
        session.error(
            f"name a project: nox -s mutation -- PROJECT ({', '.join(PROJECTS)})"
        )
    session.install("-e", ".[dev]")
    session.run("invoke", "mutation", *session.posargs)


@nox.session(default=False, tags=["strength"])
def flakes(session: nox.Session) -> None:
    """Run a reference suite N times, half loaded: `nox -s flakes -- scheduler --runs 50`."""
    if not session.posargs:
        session.error(
            f"name a project: nox -s flakes -- PROJECT [--runs N] ({', '.join(PROJECTS)})"
        )
    session.install("-e", ".[dev]")
    session.run("invoke", "flakes", *session.posargs)


@nox.session(default=False, tags=["bench"])
def cohort_bench(session: nox.Session) -> None:
    """cohort.create (100 learners) vs a loop of `copier copy` calls, then cohort.status (30)."""
    session.install("-e", ".[dev]")
    session.run("invoke", "cohort.bench", *session.posargs)
