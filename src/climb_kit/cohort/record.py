"""The cohort folder: one git repository per learner, named by handle, and `cohort.yml` saying
which project, from which template, pushed where. Every cohort command reads it from there."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from ..layout import KitError
from ..snapshot import GIT_ENV

RECORD = "cohort.yml"
# Work in progress lives here, invisible to every reader, until it is moved into place whole.
STAGING = ".staging"


@dataclass(frozen=True)
class Cohort:
    project: str
    template: (
        str  # absolute path or URL of the kit, as recorded in every learner's answers
    )
    remote_url_template: str = ""

    def remote_url(self, handle: str) -> str:
        if not self.remote_url_template:
            return ""
        return self.remote_url_template.format(handle=handle, project=self.project)


def read_cohort(into: Path) -> Cohort:
    path = Path(into) / RECORD
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Cohort(**data)
    except FileNotFoundError:
        raise KitError(
            f"{into} holds no cohort ({RECORD} is missing); create one with "
            "`invoke cohort.create --roster ROSTER --project P --into DIR`"
        ) from None
    except (yaml.YAMLError, TypeError) as err:
        raise KitError(f"{path} is not a cohort record: {err}") from None


def write_cohort(into: Path, cohort: Cohort) -> None:
    path = Path(into) / RECORD
    temporary = path.with_suffix(".tmp")
    temporary.write_text(yaml.safe_dump(asdict(cohort), sort_keys=False), "utf-8")
    temporary.replace(path)


def learner_repos(into: Path) -> list[Path]:
    """The learners' repositories in the cohort folder, sorted by handle."""
    return sorted(
        (p for p in Path(into).iterdir() if p.is_dir() and (p / ".git").exists()),
        key=lambda p: p.name.lower(),
    )


def run_git(cwd: Path, *args: str, text: bool = True, timeout: float = 120):
    """git's output; RuntimeError with git's message when it fails. Identity and config are the
    kit's own (GIT_ENV), never the facilitator's."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=text,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode:
        err = done.stderr if text else done.stderr.decode(errors="replace")
        out = done.stdout if text else ""
        raise RuntimeError(f"git {args[0]}: {err.strip() or out.strip()}")
    return done.stdout


def fast_scratch() -> str | None:
    """A memory-backed folder for short-lived scratch copies and Copier's template clones, if any.

    Copier clones the template into a temporary folder for every render (an update: five times)
    and deletes it afterwards; on a disk mounted with online discard each deletion costs over half
    a second, on tmpfs a hundredth. Used only with room to spare (container /dev/shm is often small).
    """
    shm = Path("/dev/shm")
    try:
        roomy = shutil.disk_usage(shm).free >= 1 << 30
    except OSError:
        return None
    return str(shm) if roomy and os.access(shm, os.W_OK | os.X_OK) else None


@contextmanager
def learner_scratch(purpose: str, name: str) -> Iterator[Path]:
    """Where a sandboxed run gets its own copy of one learner's work, removed afterwards.

    Yields the path for the copy (not yet created) inside a fresh temporary folder, memory-backed
    when there is room (fast_scratch).
    """
    with tempfile.TemporaryDirectory(
        prefix=f"climb-{purpose}-{name}-", dir=fast_scratch()
    ) as root:
        os.chmod(root, 0o755)  # the sandbox's own user must reach its copy
        yield Path(root) / name


def use_fast_scratch() -> None:
    """Point this process's temporary files (tempfile, and so Copier's clones) at fast_scratch()."""
    import tempfile

    if folder := fast_scratch():
        os.environ["TMPDIR"] = folder
        tempfile.tempdir = None  # forget the cached choice, so the new TMPDIR counts
