"""Generate each template's `tests/SHA256SUMS`: the hashes of the template-owned files it renders
verbatim, so a learner's project can tell (offline, in CI too) whether those files still match the
template version it records. Regenerate after changing a template: `invoke checksums PROJECT`,
which first regenerates the template's encoded hints (`hint_source`), since the checksums cover
them.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import yaml

from ..layout import KIT_ROOT, package_name, template_dir
from ..learner.integrity import CHECKSUMS, format_checksums, sha256_of
from ..learner.ownership import SHARED_FILES, is_learner_path
from ..learner.stages import STAGE_HINTS
from .hint_source import stale_hints, write_hints

TEMPLATE_SUFFIX = ".jinja"


def _excluded(relative: str, patterns: list[str]) -> bool:
    return any(
        fnmatch.fnmatch(part, pattern)
        for part in relative.split("/")
        for pattern in patterns
    )


def verbatim_template_files(project: str, kit_root: Path = KIT_ROOT) -> dict[str, Path]:
    """Template-owned files copied as they are (no Jinja), by their path in a rendered project."""
    config = yaml.safe_load((kit_root / "copier.yml").read_text(encoding="utf-8"))
    excludes = list(config.get("_exclude", []))
    root = template_dir(project, kit_root)
    found = {}
    # Templates link shared files and folders from _common/ (and climb/ from the kit): follow them.
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        for name in files:
            source = Path(folder) / name
            relative = source.relative_to(root).as_posix()
            if (
                name.endswith(TEMPLATE_SUFFIX)
                or "{{" in relative
                or _excluded(relative, excludes)
                or relative == CHECKSUMS
                or relative in SHARED_FILES
                or is_learner_path(relative, package_name(project))
            ):
                continue
            found[relative] = source
    return found


def expected_checksums(project: str, kit_root: Path = KIT_ROOT) -> str:
    files = verbatim_template_files(project, kit_root)
    return format_checksums({path: sha256_of(source) for path, source in files.items()})


def write_checksums(project: str, kit_root: Path = KIT_ROOT) -> list[str]:
    """Regenerate the project's hints file, then its checksum file; return the kit paths of
    those that changed. KitError when the hints' source is malformed."""
    changed = []
    if write_hints(project, kit_root):
        changed.append(f"templates/{project}/{STAGE_HINTS}")
    target = template_dir(project, kit_root) / CHECKSUMS
    text = expected_checksums(project, kit_root)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
        changed.append(f"templates/{project}/{CHECKSUMS}")
    return changed


def stale_checksums(project: str, kit_root: Path = KIT_ROOT) -> str:
    """A problem message for each generated file that is out of date (hints, then checksums),
    one a line, else ""."""
    problems = [stale_hints(project, kit_root)]
    target = template_dir(project, kit_root) / CHECKSUMS
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    if current != expected_checksums(project, kit_root):
        problems.append(
            f"templates/{project}/{CHECKSUMS} is out of date with the template's files; "
            f"run `invoke checksums {project}` and commit it"
        )
    return "\n".join(problem for problem in problems if problem)
