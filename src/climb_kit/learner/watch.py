"""`invoke watch`: rerun the current stage's tests every time a file is saved (like rustlings' watch).

Each run is what `invoke test` does: the current stage, then the earlier ones as a regression check,
then on to the next stage while they pass. Ctrl-C (or SIGTERM) stops watching, also mid-run.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from rich.text import Text
from watchfiles import watch

from . import display
from .runner import remembered_stage
from .stages import StageFileError, load_stages

WATCHED = ("src", "tests", "stages.yml")
FOOTER = "Watching src/, tests/ and stages.yml — save a file to rerun; Ctrl-C to stop."
GOODBYE = "Stopped watching. `invoke watch` starts it again."

# Written by Python, pytest, Hypothesis and the runner during a run, or by editors while saving:
# rerunning on these would rerun for ever, or run half-saved files.
IGNORED_DIRS = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".hypothesis",
        ".climb",
        ".ruff_cache",
        ".mypy_cache",
    }
)
IGNORED_NAMES = re.compile(
    r"\.py[cod]$"  # bytecode
    r"|\.sw.$|^4913$"  # vim's swap files and the file it writes to test a folder
    r"|~$|^\.#|^#.*#$"  # backups; emacs's locks and autosaves
    r"|___jb_\w+___$"  # JetBrains' safe-write copies
    r"|^\.DS_Store$"
)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# How soon the first run starts: watchfiles reports the watcher listening by timing out once.
LISTENING_AFTER_MS = 250


def is_relevant(path: str | Path, project_root: Path) -> bool:
    """Whether a change to `path` is the learner's (not a cache, bytecode or an editor's scratch)."""
    try:
        parts = Path(path).relative_to(project_root).parts
    except ValueError:
        return False
    return (
        bool(parts)
        and not IGNORED_DIRS.intersection(parts)
        and not IGNORED_NAMES.search(parts[-1])
    )


def changed_files(project_root: Path) -> Iterator[list[str]]:
    """Yield [] once the watcher listens, then the files (relative, sorted) each save changed.

    Changes made while the caller is busy (a test run) are kept and come with the next batch.
    """
    pending: set[str] | None = set()  # to report as soon as a (new) watcher listens
    while True:
        paths = [
            project_root / name for name in WATCHED if (project_root / name).exists()
        ]
        batches = watch(
            *paths,
            watch_filter=lambda _change, path: is_relevant(path, project_root),
            rust_timeout=LISTENING_AFTER_MS,
            yield_on_timeout=True,
        )
        with closing(batches):
            for changes in batches:
                changed = {
                    Path(path).relative_to(project_root).as_posix()
                    for _, path in changes
                }
                if "stages.yml" in changed:
                    # Editors often save by renaming a new file over the old one, which ends a
                    # watch on the file itself: watch the new one, then report the change.
                    pending = (pending or set()) | changed
                    break
                if pending is not None:
                    changed |= pending
                    pending = None
                elif not changed:
                    continue  # a timeout: nothing was saved
                yield sorted(changed)


def rerun(project_root: Path, changed: list[str]) -> None:
    """Clear the screen and run from the remembered stage on, as `invoke test` does."""
    console = display.console
    console.clear()  # only on a terminal; piped output keeps every run, split by the rule below
    cause = "started" if not changed else f"{changed[0]} changed"
    if len(changed) > 1:
        cause += f" (and {len(changed) - 1} more)"
    console.rule(Text(f"{time.strftime('%H:%M:%S')} · {cause}"), style="dim")
    try:
        stage_file = load_stages(project_root)
    except StageFileError as err:
        console.print(Text(f"error: {err}", style="red"))
    else:
        display.climb_and_report(
            project_root, stage_file, remembered_stage(project_root, stage_file)
        )
    console.print(FOOTER, style="dim")


def _stop(signum, frame) -> None:
    # Ignore a second Ctrl-C: it must not interrupt the goodbye with a traceback.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def watch_project(project_root: Path) -> None:
    """Rerun the current stage now and after every save, until Ctrl-C or SIGTERM."""
    project_root = project_root.resolve()
    previous = {sig: signal.signal(sig, _stop) for sig in STOP_SIGNALS}
    try:
        for changed in changed_files(project_root):
            rerun(project_root, changed)
    except KeyboardInterrupt:
        # How a learner leaves watch mode, not an error. A test run it cut short has been
        # stopped by subprocess.run, which kills its pytest before re-raising.
        if display.console.is_terminal:
            display.console.print()  # past the ^C the terminal echoed
        display.console.print(GOODBYE)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
