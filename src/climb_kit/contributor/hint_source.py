"""Each template's hints: written in plain YAML by maintainers, shipped encoded to learners.

Authors write a project's hints in `reference/<project>/hints.yml` (the kit never renders
reference/): a mapping of stage id to its hints, gentle to specific. The template carries them as
`templates/<project>/.climb-hints`, encoded so that reading a rendered project does not show them
(`climb_kit.learner.stages` says how and why; it is not secrecy). That file is template-owned, so a
learner's `invoke update` brings changed hints. `invoke checksums` regenerates it together with
the checksums (which cover it), and a kit test and `invoke verify` fail while it is stale.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..layout import KIT_ROOT, KitError, reference_dir, template_dir
from ..learner.stages import (
    HINTS_HEADER,
    STAGE_FILE,
    STAGE_HINTS,
    StageFileError,
    decode_hints,
    encode_hints,
    parse_stages,
)

HINTS_SOURCE = "hints.yml"


def source_hints(project: str, kit_root: Path = KIT_ROOT) -> dict[str, list[str]]:
    """The hints as written in reference/<project>/hints.yml, checked against the stage file
    and put in ladder order; KitError says what is wrong and where."""
    source = reference_dir(project, kit_root) / HINTS_SOURCE
    stage_path = template_dir(project, kit_root) / STAGE_FILE
    shown = source.relative_to(kit_root).as_posix()
    try:
        hints = yaml.safe_load(source.read_text(encoding="utf-8"))
        stages = yaml.safe_load(stage_path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise KitError(f"{err.filename} not found") from None
    except yaml.YAMLError as err:
        raise KitError(f"not valid YAML: {err}") from None
    inline = [
        stage.get("id")
        for stage in (stages or {}).get("stages") or []
        if isinstance(stage, dict) and "hints" in stage
    ]
    if inline:
        raise KitError(
            f"templates/{project}/{STAGE_FILE} has hints for {', '.join(map(str, inline))}: "
            f"hints live in {shown} (learners would read them in plain sight); move them there"
        )
    try:
        ladder = parse_stages(stages, f"templates/{project}/{STAGE_FILE}", hints, shown)
    except StageFileError as err:
        raise KitError(str(err)) from None
    return {stage.id: hints[stage.id] for stage in ladder.stages if stage.id in hints}


def write_hints(project: str, kit_root: Path = KIT_ROOT) -> bool:
    """Write templates/<project>/.climb-hints; True when it changed."""
    if not stale_hints(project, kit_root):
        return False
    target = template_dir(project, kit_root) / STAGE_HINTS
    target.write_text(encode_hints(source_hints(project, kit_root)), encoding="utf-8")
    return True


def stale_hints(project: str, kit_root: Path = KIT_ROOT) -> str:
    """A problem message when the template's hints file does not hold the source's hints, else "".

    The decoded content is compared, not the bytes: another zlib may compress the same hints
    differently, and that is no reason to regenerate."""
    target = template_dir(project, kit_root) / STAGE_HINTS
    try:
        expected = source_hints(project, kit_root)
    except KitError as err:
        return f"hints for {project}: {err}"
    try:
        text = target.read_text(encoding="utf-8")
        current = decode_hints(text) if text.startswith(HINTS_HEADER) else None
    except (FileNotFoundError, ValueError):
        current = None
    if current == expected:
        return ""
    return (
        f"templates/{project}/{STAGE_HINTS} is out of date with "
        f"reference/{project}/{HINTS_SOURCE}; run `invoke checksums {project}` and commit it"
    )
