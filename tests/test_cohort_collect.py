"""cohort.collect: each learner's bundle, found or built in the sandbox, verified, in one CSV."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from climb_kit.cohort.collect import collect_cohort
from climb_kit.cohort.create import create_cohort
from climb_kit.cohort.roster import Learner
from climb_kit.cohort.sandbox import probe
from climb_kit.learner.bundle import check_bundle
from climb_kit.learner.package import build_package

from .helpers import climb

pytestmark = pytest.mark.slow


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def test_bundles_are_found_or_built_then_verified_into_one_csv(kit_source, tmp_path):
    into, out = tmp_path / "cohort", tmp_path / "collected"
    names = ["builder", "packer", "forger", "silent"]
    create_cohort(
        [Learner(i, n, n) for i, n in enumerate(names)], "scheduler", into, kit_source
    )
    # packer built their bundle already; forger hands in packer's bundle under their own name.
    packed = build_package(into / "packer").archive
    forged = (
        into
        / "forger"
        / "dist"
        / f"forger-scheduler-{git(into / 'forger', 'rev-parse', 'HEAD')[:12]}.tar.gz"
    )
    forged.parent.mkdir()
    forged.write_bytes(packed.read_bytes())
    # silent passed two stages but wrote nothing in the journal: packaging refuses.
    climb("scheduler", into / "silent", 2)
    git(into / "silent", "commit", "-qam", "Stages 1 and 2")

    results = {c.handle: c for c in collect_cohort(into, out, probe(), jobs=2)}

    assert results["builder"].result == "built"
    assert results["packer"].result == "collected"
    assert results["forger"].result == "invalid"
    assert "belongs to 'packer'" in results["forger"].reason
    assert results["silent"].result == "refused"
    assert "journal" in results["silent"].reason.lower()
    for handle in ("builder", "packer"):
        bundle = out / results[handle].bundle
        assert check_bundle(bundle).ok
        assert results[handle].commit == git(into / handle, "rev-parse", "HEAD").strip()
        assert results[handle].stages_total == 7
    assert sorted(p.name for p in out.glob("*.tar.gz")) == sorted(
        results[h].bundle for h in ("builder", "packer")
    )
    # Building happened in a clone: the learner's own repository gained nothing.
    assert git(into / "builder", "status", "--porcelain", "--ignored") == ""
    rows = list(csv.DictReader((out / "results.csv").open(encoding="utf-8")))
    assert [(r["handle"], r["result"]) for r in rows] == [
        ("builder", "built"),
        ("forger", "invalid"),
        ("packer", "collected"),
        ("silent", "refused"),
    ]
