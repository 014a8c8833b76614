"""The showcase end to end in a real browser: package, add, build, then open it from file://.

A learner's finished scheduler project, whose journal carries a <script>, an onerror= attribute and
a javascript: link, is packaged with the real `invoke package`; it and a few generated submissions
go through `invoke showcase.add` and `invoke showcase.build` at the kit root; Debian's Chromium,
driven by Playwright, opens the site from disk with every non-file request blocked. Screenshots are
saved under artifacts/showcase/ (gitignored) and their paths printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from climb_kit.layout import KIT_ROOT
from climb_kit.showcase.samples import Sample, tiny_png, write_sample
from tests.helpers import run_in
from tests.showcase_helpers import JS_LINK, ONERROR, SCRIPT

CHROMIUM = Path(os.environ.get("CLIMB_CHROMIUM", "/usr/bin/chromium"))
# As the machine's notes say: no sandbox as root, and no background calls to Google's hosts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = KIT_ROOT / "artifacts" / "showcase"
UNIQUE = "Preemption means deciding again at every tick, which is cheap if the queue is a heap."
REAL_ID = "sample-learner-scheduler"
OTHERS = [
    Sample(handle="grace", name="Grace Hopper", project="dataproc", cohort="autumn-2026", passed=8,
           extra_files={"benchmarks/report.json": b'[{"workers": 1, "records_per_second": 5120.5}]',
                        "benchmarks/report.png": tiny_png()}),
    Sample(handle="linus", name="Linus T", project="dataproc", cohort="spring-2026", passed=3),
    Sample(handle="barbara", name="Barbara Liskov", project="portscan", cohort="autumn-2026", passed=5),
    Sample(handle="eve", name=f"Eve {SCRIPT}", project="portscan", cohort="spring-2026",
           highlights=[SCRIPT, ONERROR, JS_LINK]),
]  # fmt: skip


def write_journal(project: Path) -> None:
    """A learner's journal: a summary, an entry per stage, and hostile highlights."""
    out, first = [], True
    for line in (project / "JOURNAL.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("Summary:"):
            line = (
                "Summary: Six scheduling policies, and why a heap beats a sorted list."
            )
        elif line == "_Write here._":
            if first:
                line = "\n".join(
                    [UNIQUE, "", f"Highlight: {SCRIPT}", f"Highlight: {ONERROR}"]
                    + [f"Highlight: {JS_LINK}"]
                )
                first = False
            else:
                line = "What I learned, in my own words."
        out.append(line)
    (project / "JOURNAL.md").write_text("\n".join(out) + "\n", encoding="utf-8")


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


def kit(*args: str):
    done = run_in(KIT_ROOT, sys.executable, "-m", "invoke", *args)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def site(solved_render, tmp_path_factory) -> Path:
    """The gallery built by the kit's own tasks from a real bundle and four generated ones."""
    root = tmp_path_factory.mktemp("showcase-e2e")
    project = root / "learner"
    shutil.copytree(solved_render, project, symlinks=True)
    write_journal(project)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Finished")
    packaged = run_in(project, sys.executable, "-m", "invoke", "package")
    assert packaged.returncode == 0, packaged.stdout + packaged.stderr
    inbox = root / "inbox"
    inbox.mkdir()
    for archive in (project / "dist").glob("*.tar.gz"):
        shutil.copy(archive, inbox)
    for sample in OTHERS:
        write_sample(sample, inbox)

    added = kit("showcase.add", "--store", str(root / "store"), str(inbox))
    assert added.returncode == 0, added.stdout + added.stderr
    assert "5 accepted, 0 rejected" in added.stdout, added.stdout
    built = kit(
        "showcase.build", "--store", str(root / "store"), "--out", str(root / "site")
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "for 5 submissions" in built.stdout
    return root / "site"


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Playwright for Python is missing: `python3 kit.py test` installs it "
            '(pip install -e ".[dev]")',
            pytrace=False,
        )
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `apt-get update && apt-get install "
            "-y chromium` (as .ci/run does), or set CLIMB_CHROMIUM to a Chromium binary. "
            "Never `playwright install`: it downloads a browser, which this network refuses.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page that may load only file:// URLs; what it tried otherwise is recorded."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    blocked: list[str] = []
    problems: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    opened = context.new_page()
    opened.on(
        "dialog",
        lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()),
    )
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on(
        "console",
        lambda message: (
            message.type == "error" and problems.append(f"console: {message.text}")
        ),
    )
    yield opened
    context.close()
    assert blocked == [], f"the site tried the network: {blocked}"
    assert problems == [], problems


def visible_ids(page) -> list[str]:
    return sorted(
        page.locator("#cards .card:visible").evaluate_all(
            "cards => cards.map(c => c.dataset.id)"
        )
    )


def screenshot(page, name: str, capsys) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG"), path
    with capsys.disabled():
        print(f"\n  screenshot: {path}")
    return path


@pytest.mark.slow
def test_the_index_lists_every_submission_and_the_filters_work(site, page, capsys):
    page.goto((site / "index.html").as_uri())
    everyone = [
        "barbara-portscan",
        "eve-portscan",
        "grace-dataproc",
        "linus-dataproc",
        REAL_ID,
    ]
    assert visible_ids(page) == everyone
    assert page.locator("#shown-count").inner_text() == "5"
    assert page.get_by_text("Sample Learner").is_visible()

    page.select_option("#filter-project", "dataproc")
    assert visible_ids(page) == ["grace-dataproc", "linus-dataproc"]
    assert page.locator("#shown-count").inner_text() == "2"
    page.select_option("#filter-cohort", "autumn-2026")
    assert visible_ids(page) == ["grace-dataproc"]
    page.select_option("#filter-project", "")
    assert visible_ids(page) == ["barbara-portscan", "grace-dataproc"]
    assert page.url.endswith("#cohort=autumn-2026"), "the filter is kept in the address"
    screenshot(page, "index-filtered.png", capsys)

    # A link to a filtered view opens filtered.
    page.goto((site / "index.html").as_uri() + "#project=portscan&cohort=spring-2026")
    assert visible_ids(page) == ["eve-portscan"]
    page.select_option("#filter-cohort", "")
    page.select_option("#filter-project", "")
    assert visible_ids(page) == everyone
    screenshot(page, "index.png", capsys)


@pytest.mark.slow
def test_a_submission_page_shows_the_journal_and_injected_code_never_runs(
    site, page, capsys
):
    page.goto((site / "index.html").as_uri())
    page.click(f"a[href='entries/{REAL_ID}.html']")
    page.wait_for_load_state()
    assert page.url.endswith(f"/entries/{REAL_ID}.html")
    journal = page.locator("#journal").inner_text()
    assert UNIQUE in journal
    for payload in (SCRIPT, ONERROR, JS_LINK):
        assert payload in journal, "hostile HTML is shown as text"
        assert page.locator("#highlights").get_by_text(payload, exact=True).is_visible()
    assert "7 of 7 passed" in page.locator("#stages h2").inner_text()
    expected_title = page.title()
    assert expected_title.startswith("Sample Learner: ")
    screenshot(page, "submission.png", capsys)

    for entry in (REAL_ID, "eve-portscan"):
        page.goto((site / "entries" / f"{entry}.html").as_uri())
        for text in page.get_by_text("see my work").all():
            text.click()  # where a javascript: link would be, click it
        page.wait_for_timeout(300)  # an onerror handler would have fired by now
        assert page.evaluate("typeof window.__pwned") == "undefined", entry
        assert page.title() != "pwned", entry
        assert (
            page.locator("main script, img[onerror], a[href^='javascript:']").count()
            == 0
        )
    assert "Eve <script>" in page.title(), (
        "the learner's name, as text, even in the title"
    )


@pytest.mark.slow
def test_the_payloads_do_run_where_nothing_escapes_them(browser):
    """The control: in a bare page, each payload sets window.__pwned, so the checks above bite."""
    context = browser.new_context()
    try:
        bare = context.new_page()
        for payload, mark in (
            (SCRIPT, "script"),
            (ONERROR, "onerror"),
            (JS_LINK, "link"),
        ):
            bare.set_content(f"<body>{payload}</body>")
            if mark == "link":
                bare.click("a")
            bare.wait_for_function(f"window.__pwned === {mark!r}", timeout=5_000)
    finally:
        context.close()
