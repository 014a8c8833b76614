"""`showcase.build`: the gallery's pages, read back the way a browser's parser would read them.

A store is filled through real intake with a few sample submissions, one of them carrying HTML and
script in every field a learner controls; the built pages must show all of it as text.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from climb_kit.showcase.intake import add_bundle
from climb_kit.showcase.samples import Sample, sample_bundle, tiny_png
from climb_kit.showcase.site import SiteError, build_site, journal_blocks
from tests.showcase_helpers import JS_LINK, ONERROR, PROJECTS, SCRIPT, good

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)
REPORT = b'[{"workers": 1, "records_per_second": 5120.5}, {"workers": 2, "records_per_second": 9870.25}]'
SAMPLES = [
    Sample(handle="ada", name="Ada Lovelace", cohort="spring-2026", passed=7),
    Sample(
        handle="grace",
        name="Grace Hopper",
        project="dataproc",
        cohort="autumn-2026",
        passed=2,
        changed_templates=["tests/test_1_sensors.py"],
        extra_files={
            "benchmarks/report.json": REPORT,
            "benchmarks/report.png": tiny_png(),
        },
    ),
    Sample(
        handle="eve",
        name=f"Eve {SCRIPT}",
        project="portscan",
        cohort=f"cohort {ONERROR}",
        summary=f"My scanner {JS_LINK}",
        highlights=[SCRIPT, ONERROR, JS_LINK],
        journal=(
            f"# Journal\n\n## The project\n\nSummary: My scanner {JS_LINK}\n\n"
            f"## Stage 1 · Ports (`ports`)\n\n> A prompt\n\nHighlight: {SCRIPT}\n"
            f"Highlight: {ONERROR}\nHighlight: {JS_LINK}\n\n```\n{SCRIPT}\n```\n"
        ),
        readme=f"# Scanner\n\nIt scans. {SCRIPT}\n",
    ),
]


class Page(HTMLParser):
    """The tags, attributes and text of a page as an HTML parser sees them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def body_text(self) -> str:
        return " ".join(self.text)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for sample in SAMPLES:
        bundle = root / f"{sample.handle}.tar.gz"
        bundle.write_bytes(sample_bundle(sample))
        assert add_bundle(bundle, root / "store", PROJECTS).accepted
    built = build_site(root / "store", root / "site")
    assert (built.entries, built.pages) == (3, 4)
    return root / "site"


def pages(site: Path) -> list[Path]:
    return [site / "index.html", *sorted((site / "entries").glob("*.html"))]


def test_the_index_lists_every_submission_with_badges_versions_and_filters(site):
    page = Page((site / "index.html").read_text())
    cards = [a for a in page.all("li") if "card" in a.get("class", "")]
    assert sorted(card["data-id"] for card in cards) == [
        "ada-scheduler",
        "eve-portscan",
        "grace-dataproc",
    ]
    assert {card["data-project"] for card in cards} == {
        "scheduler",
        "dataproc",
        "portscan",
    }
    links = {a["href"] for a in page.all("a")}
    assert {
        "entries/ada-scheduler.html",
        "entries/eve-portscan.html",
        "entries/grace-dataproc.html",
    } <= links
    text = page.body_text
    assert "Ada Lovelace" in text and "template v1.0.0" in text
    assert "7 of 7 stages passed" in text and "2 of 8 stages passed" in text
    badges = [a for a in page.all("li") if "stage " in a.get("class", "")]
    assert sum("stage-passed" in b["class"] for b in badges) == 7 + 2 + 3
    assert text.count("tests modified") == 1, "only Grace changed template files"
    options = [o["value"] for o in page.all("option")]
    assert options == [
        "",
        "dataproc",
        "portscan",
        "scheduler",
        "",
        "autumn-2026",
        f"cohort {ONERROR}",
        "spring-2026",
    ]


def test_a_submission_page_shows_readme_highlights_tests_benchmark_and_journal(site):
    page = Page((site / "entries" / "grace-dataproc.html").read_text())
    text = page.body_text
    assert "Grace Hopper" in text and "autumn-2026" in text
    assert "A project built one tested stage at a time." in text, "README excerpt"
    assert "Round robin trades response time for turnaround." in text, "highlight"
    assert "Tests: 6 passed, 3 failed" in " ".join(text.split())
    assert "Template files changed" in text and "tests/test_1_sensors.py" in text
    assert ["workers", "records_per_second"] == [
        t for t in text.split() if t in ("workers", "records_per_second")
    ][:2]
    assert "9,870" in text and "5,120" in text, "large floats are rounded"
    (chart,) = page.all("img")
    assert (site / "entries" / chart["src"]).read_bytes() == tiny_png()
    assert "What I learned in sensors." in text, "the journal"
    assert "Simulate sensors, and read one over TCP" in text


def test_learner_html_is_text_everywhere_and_only_our_script_is_loaded(site):
    for path in pages(site):
        page = Page(path.read_text())
        where = path.relative_to(site)
        scripts = page.all("script")
        assert len(scripts) == 1 and scripts[0]["src"].endswith("assets/showcase.js"), (
            where
        )
        assert page.all("img") == [] or all(
            set(img) == {"class", "src", "alt"} for img in page.all("img")
        ), where
        for _, attrs in page.tags:
            assert not any(name.startswith("on") for name in attrs), (where, attrs)
            for name in ("href", "src"):
                value = attrs.get(name) or ""
                assert not value.lower().startswith(
                    ("javascript:", "http:", "https:")
                ), (
                    where,
                    attrs,
                )
        (meta,) = [m for m in page.all("meta") if m.get("http-equiv")]
        assert meta["content"] == CSP, where

    eve = Page((site / "entries" / "eve-portscan.html").read_text()).body_text
    for payload in (SCRIPT, ONERROR, JS_LINK):
        assert payload in eve, f"{payload} must be shown as text"
    assert "It scans. " + SCRIPT in eve, "README excerpt, as text"
    index = Page((site / "index.html").read_text()).body_text
    assert f"Eve {SCRIPT}" in index


def test_the_site_needs_nothing_outside_its_folder(site):
    for path in pages(site):
        page = Page(path.read_text())
        for _, attrs in page.tags:
            for name in ("href", "src"):
                target = (attrs.get(name) or "").split("#")[0]
                if target:
                    assert (path.parent / target).resolve().is_file(), (path, target)
                    assert (path.parent / target).resolve().is_relative_to(site)


def test_a_rebuild_replaces_the_old_site_and_a_foreign_folder_is_refused(tmp_path):
    store = tmp_path / "store"
    for handle in ("one", "two"):
        bundle = tmp_path / f"{handle}.tar.gz"
        bundle.write_bytes(good(handle=handle))
        add_bundle(bundle, store, PROJECTS)
    out = tmp_path / "site"
    build_site(store, out)
    assert (out / "entries" / "two-scheduler.html").exists()
    for leftover in (store / "entries" / "two-scheduler").iterdir():
        leftover.unlink()
    (store / "entries" / "two-scheduler").rmdir()
    build_site(store, out)
    assert sorted(p.name for p in (out / "entries").iterdir()) == ["one-scheduler.html"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    mine = tmp_path / "my-documents"
    mine.mkdir()
    (mine / "thesis.txt").write_text("precious")
    with pytest.raises(SiteError, match="did not build"):
        build_site(store, mine)
    assert [p.name for p in mine.iterdir()] == ["thesis.txt"]


def test_an_empty_store_builds_an_empty_gallery(tmp_path):
    site = build_site(tmp_path / "nothing-yet", tmp_path / "site")
    assert site.entries == 0
    assert "0 submissions" in (tmp_path / "site" / "index.html").read_text()


def test_journal_blocks_keep_the_shape_and_never_the_html():
    text = (
        "# Title\n\nThe template's introduction.\n\n## The project\n\n> The prompt,\n> on two lines.\n\n_Write here._\n\n"
        "### 2026-10-30\n\nFirst line\nsecond <b>line</b>\n\n```\ncode <i>\n```\n"
    )
    assert journal_blocks(text) == [
        ("heading", "The project"),
        ("prompt", "The prompt, on two lines."),
        ("subheading", "2026-10-30"),
        ("paragraph", "First line\nsecond <b>line</b>"),
        ("code", "code <i>"),
    ]
