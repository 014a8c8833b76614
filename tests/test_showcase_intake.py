"""`showcase.add`: bundles are checked completely before anything is written.

Every hostile bundle below is rejected with one line saying why, and leaves the store (which
already holds an entry) byte for byte as it was, with no temporary files anywhere. What a hostile
bundle may legitimately carry (HTML in a journal) is accepted as data and escaped by the site
(test_showcase_site.py).
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import tempfile

import pytest

from climb_kit.learner.bundle import MAX_FILE_BYTES
from climb_kit.showcase.intake import (
    MAX_BUNDLE_BYTES,
    MAX_EXPANDED_BYTES,
    MAX_JOURNAL_BYTES,
    add_bundle,
    load_entries,
    read_submission,
)
from climb_kit.showcase.samples import Sample, sample_bundle, tiny_png
from tests.showcase_helpers import (
    JS_LINK,
    ONERROR,
    PROJECTS,
    SCRIPT,
    adding,
    dropping,
    good,
    rebuild,
    replacing,
    tree,
)

# Built from pieces so the kit's own repository holds no secret-shaped text.
AWS_KEY = "AKIA" + "Z3MSJV4WQ7PXRTQD"


def bomb() -> bytes:
    """A valid bundle's tar followed by 40 MiB of zeros: a few dozen KiB once compressed."""
    with tarfile.open(fileobj=io.BytesIO(good()), mode="r:gz") as tar:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as out:
            for info in tar.getmembers():
                out.addfile(info, tar.extractfile(info))
    return gzip.compress(raw.getvalue() + b"\0" * (40 << 20), compresslevel=9)


def edit_showcase_handle(body: bytes) -> bytes:
    return body.replace(b"github_handle: ada", b"github_handle: someone-else")


HOSTILE = {
    "traversal": (lambda: rebuild(good(), adding("{top}/../../evil.py", b"x")), "a `..` component"),
    "absolute-path": (lambda: rebuild(good(), adding("/etc/cron.d/evil", b"x")), "an absolute path"),
    "symlink": (lambda: rebuild(good(), adding("{top}/link", kind=tarfile.SYMTYPE, link="/etc/passwd")), "a symbolic link (to '/etc/passwd')"),
    "hard-link": (lambda: rebuild(good(), adding("{top}/hard", kind=tarfile.LNKTYPE, link="/etc/shadow")), "a hard link"),
    "device-file": (lambda: rebuild(good(), adding("{top}/tty", kind=tarfile.CHRTYPE)), "a device file"),
    "fifo": (lambda: rebuild(good(), adding("{top}/pipe", kind=tarfile.FIFOTYPE)), "a FIFO"),
    "decompression-bomb": (bomb, f"expands to more than {MAX_EXPANDED_BYTES >> 20} MiB"),
    "wrong-hash": (lambda: rebuild(good(), replacing("JOURNAL.md", lambda b: b.replace(b"learned", b"LEARNED"), relist=False)), "JOURNAL.md: sha256 differs from the manifest"),
    "missing-manifest": (lambda: rebuild(good(), dropping("/manifest.json")), "manifest.json is missing"),
    "unlisted-file": (lambda: rebuild(good(), adding("{top}/run_me.py", b"import os\n")), "run_me.py: in the bundle but not listed"),
    "oversized-member": (lambda: rebuild(good(), adding("{top}/big.bin", b"\0" * (MAX_FILE_BYTES + 1))), "over the limit of 1 MiB"),
    "oversized-journal": (lambda: good(journal="Summary: long\n\n" + "I wrote a lot. " * 5000), f"over the showcase's limit of {MAX_JOURNAL_BYTES >> 10} KiB"),
    "oversized-bundle": (lambda: b"\x1f\x8b" + b"\0" * MAX_BUNDLE_BYTES, f"over the limit of {MAX_BUNDLE_BYTES >> 20} MiB"),
    "secret-in-code": (lambda: good(extra_files={"src/scheduler/settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'.encode()}), "src/scheduler/settings.py, line 1: AWS Access Key"),
    "secret-file-name": (lambda: good(extra_files={".env": b"DEBUG=1\n"}), ".env: a file of this name usually holds keys"),
    "showcase-disagrees": (lambda: rebuild(good(), replacing("showcase.yml", edit_showcase_handle, relist=True)), "showcase.yml does not agree with manifest.json"),
    "summary-too-long": (lambda: good(summary="x" * 5000), "the summary is 5,000 characters"),
    "file-and-folder-clash": (lambda: good(extra_files={"notes": b"x", "notes/a.txt": b"y"}), "notes/a.txt: cannot be laid out as a project"),
    "not-an-archive": (lambda: b"<html><script>alert(1)</script></html>\n", "not a gzip-compressed tar archive"),
    "truncated": (lambda: good()[:300], "not a bundle"),
}  # fmt: skip


@pytest.fixture
def store(tmp_path):
    """A store that already holds one accepted entry."""
    folder = tmp_path / "store"
    bundle = tmp_path / "first.tar.gz"
    bundle.write_bytes(good(handle="first", name="First Learner"))
    assert add_bundle(bundle, folder, PROJECTS).status == "added"
    return folder


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Intake's scratch files go here, so a test can see that none are left behind."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_bundle_is_rejected_with_one_reason_and_nothing_written(
    case, store, private_tmp, tmp_path
):
    make, expected = HOSTILE[case]
    bundle = tmp_path / "incoming" / f"{case}.tar.gz"
    bundle.parent.mkdir()
    bundle.write_bytes(make())
    before = tree(store)

    outcome = add_bundle(bundle, store, PROJECTS)

    assert outcome.status == "rejected", outcome
    assert expected in outcome.reason, outcome.reason
    assert "\n" not in outcome.reason and "Traceback" not in outcome.reason
    assert tree(store) == before, "a rejected bundle must leave the store as it was"
    assert list(private_tmp.iterdir()) == [], "no scratch files left behind"
    assert sorted(p.name for p in bundle.parent.iterdir()) == [bundle.name], (
        "nothing is extracted beside the bundle"
    )


def test_a_project_this_kit_does_not_have_is_rejected(store, tmp_path):
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(good())
    outcome = add_bundle(bundle, store, ["portscan"])
    assert outcome.status == "rejected"
    assert outcome.reason == "project 'scheduler' is not one of this kit's: portscan"


def test_a_good_bundle_becomes_a_data_only_entry(tmp_path):
    sample = Sample(
        handle="Grace-H",
        name="Grace Hopper",
        project="dataproc",
        cohort="autumn-2026",
        passed=4,
        highlights=["Backpressure is a promise you keep to the producer."],
        changed_templates=["tests/test_2_pipeline.py"],
        extra_files={
            "benchmarks/report.json": b'[{"workers": 1, "records_per_second": 10.5}]',
            "benchmarks/report.png": tiny_png(),
            "src/dataproc/evil.py": b"import os\nos.system('rm -rf /')\n",
        },
    )
    bundle = tmp_path / "in.tar.gz"
    bundle.write_bytes(sample_bundle(sample))
    store = tmp_path / "store"

    outcome = add_bundle(bundle, store, PROJECTS)

    assert (outcome.status, outcome.entry_id) == ("added", "grace-h-dataproc")
    folder = store / "entries" / "grace-h-dataproc"
    assert sorted(p.name for p in folder.iterdir()) == [
        "chart.png",
        "entry.json",
        "journal.md",
    ], "data only: no code from the bundle is kept"
    assert (folder / "chart.png").read_bytes() == tiny_png()
    entry = json.loads((folder / "entry.json").read_text())
    assert entry["learner"] == {"name": "Grace Hopper", "github_handle": "Grace-H"}
    assert entry["cohort"] == "autumn-2026"
    assert entry["template_version"] == "v1.0.0"
    assert entry["highlights"] == [
        "Backpressure is a promise you keep to the producer."
    ]
    assert [s["status"] for s in entry["stages"]][:6] == ["passed"] * 4 + [
        "failing",
        "locked",
    ]
    assert entry["tests"] == {"failed": 3, "passed": 12}
    assert entry["tampered"]["changed"] == ["tests/test_2_pipeline.py"]
    assert entry["benchmark"] == {
        "columns": ["workers", "records_per_second"],
        "rows": [[1, 10.5]],
    }
    assert entry["readme_excerpt"] == "A project built one tested stage at a time."
    assert load_entries(store)[0]["id"] == "grace-h-dataproc"


def test_html_in_a_bundle_is_accepted_as_text_for_the_site_to_escape(tmp_path):
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(good(name=f"Eve {SCRIPT}", highlights=[ONERROR, JS_LINK]))
    outcome = add_bundle(bundle, tmp_path / "store", PROJECTS)
    assert outcome.status == "added", outcome
    entry = load_entries(tmp_path / "store")[0]
    assert entry["learner"]["name"] == f"Eve {SCRIPT}", "stored exactly, as data"
    assert entry["highlights"] == [ONERROR, JS_LINK]


def test_a_chart_that_is_not_a_png_and_a_malformed_report_are_left_out(tmp_path):
    bundle = tmp_path / "b.tar.gz"
    fake_chart = b"<svg onload=alert(1)>"
    bundle.write_bytes(
        good(
            extra_files={
                "benchmarks/report.png": fake_chart,
                "benchmarks/report.json": b'{"rows": "<script>"}',
            }
        )
    )
    outcome = add_bundle(bundle, tmp_path / "store", PROJECTS)
    assert outcome.status == "added"
    assert any("report.png left out: not a PNG" in note for note in outcome.notes)
    assert any("report.json left out" in note for note in outcome.notes)
    entry = load_entries(tmp_path / "store")[0]
    assert entry["chart"] is None and entry["benchmark"] is None
    assert not (entry["folder"] / "chart.png").exists()


def test_the_same_bundle_twice_is_unchanged_and_a_new_commit_replaces_the_entry(
    tmp_path,
):
    store = tmp_path / "store"
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    first.write_bytes(good(seed=1, passed=2))
    second.write_bytes(good(seed=2, passed=5))
    assert add_bundle(first, store, PROJECTS).status == "added"
    snapshot = tree(store)
    assert add_bundle(first, store, PROJECTS).status == "unchanged"
    assert tree(store) == snapshot
    assert add_bundle(second, store, PROJECTS).status == "updated"
    (entry,) = load_entries(store)
    assert sum(s["status"] == "passed" for s in entry["stages"]) == 5
    assert sorted(p.name for p in (store / "entries").iterdir()) == ["ada-scheduler"]


def test_a_bundle_that_changes_after_its_check_is_read_once(tmp_path, monkeypatch):
    """The verifier and the entry see the same bytes, even if the file is swapped meanwhile."""
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(good(summary="The checked summary."))
    from climb_kit.showcase import intake

    real = intake.check_bundle

    def swap_then_check(path):
        bundle.write_bytes(good(summary="A swapped summary."))
        return real(path)

    monkeypatch.setattr(intake, "check_bundle", swap_then_check)
    entry = read_submission(bundle, PROJECTS)[0]
    assert entry["summary"] == "The checked summary."
