"""Sample submission bundles in the real format, made in memory in milliseconds.

`invoke package` makes a real bundle by running a project's whole test suite, which takes tens of
seconds; the showcase benchmark needs hundreds of bundles and the intake tests dozens of variants.
These are written with the learner runtime's own `archive()` and checked with its own
`manifest_problems`, so they can only be what `invoke package` could have made.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from climb_kit.layout import KIT_ROOT, template_dir
from climb_kit.learner.bundle import (
    FORMAT_VERSION,
    MANIFEST,
    SHOWCASE,
    bundle_stem,
    manifest_problems,
)
from climb_kit.learner.package import archive
from climb_kit.learner.stages import load_stages


@dataclass
class Sample:
    """What goes into one sample bundle; every field has a plausible default."""

    handle: str = "ada"
    project: str = "scheduler"
    name: str = "Ada Lovelace"
    cohort: str = "spring-2026"
    passed: int = 3  # how many stages, from the first, have passed
    summary: str = "A scheduler emulator, and why fairness costs throughput."
    highlights: list[str] = field(
        default_factory=lambda: ["Round robin trades response time for turnaround."]
    )
    journal: str = ""  # default: a journal with an entry per passed stage
    readme: str = ""  # default: a short README with a title and a paragraph
    extra_files: dict[str, bytes] = field(default_factory=dict)
    changed_templates: list[str] = field(default_factory=list)
    seed: int = 0  # changes the commit id

    @property
    def commit(self) -> str:
        text = f"{self.handle}/{self.project}/{self.seed}"
        return hashlib.sha1(text.encode()).hexdigest()

    @property
    def stem(self) -> str:
        return bundle_stem(self.handle, self.project, self.commit)


def sample_bundle(sample: Sample, kit_root: Path = KIT_ROOT) -> bytes:
    """The bytes of a valid .tar.gz bundle described by `sample`."""
    stage_file = load_stages(template_dir(sample.project, kit_root))
    stages = stage_file.stages
    journal = sample.journal or _journal(sample, stages)
    readme = sample.readme or (
        f"# {stage_file.title}\n\nThis copy belongs to {sample.name} (@{sample.handle}).\n\n"
        "## What you will build\n\nA project built one tested stage at a time.\n"
    )
    files = {
        "JOURNAL.md": journal.encode(),
        "README.md": readme.encode(),
        f"src/{sample.project.replace('-', '_')}/__init__.py": b'"""The project."""\n',
        **sample.extra_files,
    }
    tests = []
    statuses = []
    for number, stage in enumerate(stages):
        status = (
            "passed"
            if number < sample.passed
            else "failing"
            if number == sample.passed
            else "locked"
        )
        total = 3
        passed = total if status == "passed" else 0
        statuses.append(
            {
                "id": stage.id,
                "title": stage.title,
                "status": status,
                "passed": passed,
                "total": total,
                "hints_revealed": number % 2,
                "journal_written": status == "passed",
            }
        )
        if status != "locked":
            for n in range(total):
                tests.append(
                    {
                        "nodeid": f"tests/test_{number + 1}_{stage.id}.py::test_{n}",
                        "stage": stage.id,
                        "outcome": "passed" if n < passed else "failed",
                    }
                )
    passed_titles = [s["title"] for s in statuses if s["status"] == "passed"]
    showcase = (
        "# A showcase entry written by `invoke package`.\n"
        + yaml.safe_dump(
            {
                "title": stage_file.title,
                "learner": {"name": sample.name, "github_handle": sample.handle},
                "cohort": sample.cohort,
                "project": sample.project,
                "template_version": "v1.0.0",
                "commit": sample.commit[:12],
                "stages_passed": f"{len(passed_titles)} of {len(stages)}",
                "stages": passed_titles,
                "summary": sample.summary,
                "highlights": sample.highlights,
            },
            sort_keys=False,
            allow_unicode=True,
        )
    ).encode()
    manifest = {
        "format_version": FORMAT_VERSION,
        "project": sample.project,
        "commit": sample.commit,
        "created_at": "2026-11-01T12:00:00Z",
        "journal": "JOURNAL.md",
        "template": {"version": "v1.0.0"},
        "answers": {"project": sample.project, "learner_name": sample.name},
        "learner": {
            "name": sample.name,
            "github_handle": sample.handle,
            "cohort": sample.cohort,
        },
        "stages": statuses,
        "tests": tests,
        "files": [
            {"path": path, "size": len(data), "sha256": _sha256(data)}
            for path, data in sorted(files.items())
        ],
        "showcase": {
            "path": SHOWCASE,
            "size": len(showcase),
            "sha256": _sha256(showcase),
        },
        "template_files": {
            "checked": 20,
            "changed": sample.changed_templates,
            "missing": [],
            "problem": "",
            "checksums_sha256": None,
        },
    }
    if problems := manifest_problems(manifest):
        raise ValueError(f"a sample the real format rejects: {problems}")
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    members = [
        *((f"{sample.stem}/{path}", data, 0o644) for path, data in files.items()),
        (f"{sample.stem}/{MANIFEST}", manifest_bytes, 0o644),
        (f"{sample.stem}/{SHOWCASE}", showcase, 0o644),
    ]
    return archive(members, 1_761_998_400)


def write_sample(sample: Sample, folder: Path, kit_root: Path = KIT_ROOT) -> Path:
    """Write the sample's bundle into `folder` under its real name; return its path."""
    path = Path(folder) / f"{sample.stem}.tar.gz"
    path.write_bytes(sample_bundle(sample, kit_root))
    return path


def _journal(sample: Sample, stages) -> str:
    lines = [
        f"# {sample.project}: reflection journal",
        "",
        "## The project",
        "",
        f"Summary: {sample.summary}",
        "",
    ]
    for number, stage in enumerate(stages):
        lines += [f"## Stage {number + 1} · {stage.title} (`{stage.id}`)", ""]
        lines += ["> What did this stage teach you?", ""]
        if number < sample.passed:
            lines += ["### 2026-10-30", "", f"What I learned in {stage.id}.", ""]
            if number == 0:
                lines += [f"Highlight: {h}" for h in sample.highlights] + [""]
        else:
            lines += ["_Write here._", ""]
    return "\n".join(lines)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tiny_png(width: int = 40, height: int = 20) -> bytes:
    """A real PNG (a two-colour bar chart shape), so the chart path is exercised end to end."""
    rows = b"".join(
        b"\0"
        + b"".join(
            b"\x2f\x8a\x4c" if x < width * (y + 1) // height else b"\xff\xff\xff"
            for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
