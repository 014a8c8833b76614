"""Build the showcase gallery: a static site that works from file:// with no server or network.

`index.html` lists every entry (stage badges, template version, a flag when template files were
changed) with filters by project and cohort done by our own small script; `entries/<id>.html` is
one submission's page. Every value that came from a learner goes through Jinja's autoescaping and
is shown as text; the pages' Content-Security-Policy allows only our own script and stylesheet,
so even a value that slipped through unescaped could not run.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .intake import CHART_COPY, JOURNAL_COPY, load_entries

HERE = Path(__file__).resolve().parent
# The file that marks a folder as a site this module built, so a rebuild may replace it.
MARKER = ".climb-showcase-site"
ENTRY_ID = re.compile(r"^[a-z0-9-]+$")
STATUS_LABELS = {"passed": "passed", "failing": "failing", "locked": "not started"}


class SiteError(Exception):
    """The site cannot be built; the message says why and what to do."""


@dataclass(frozen=True)
class Site:
    out: Path
    entries: int
    pages: int


def build_site(store: Path, out: Path) -> Site:
    """Write the gallery for every entry in `store` into `out` (replacing a previous build)."""
    store, out = Path(store), Path(out)
    try:
        entries = load_entries(store)
    except (OSError, ValueError, KeyError) as err:
        raise SiteError(
            f"the store {store} has an unreadable entry ({err}); add its bundle again"
        ) from None
    for entry in entries:
        if not ENTRY_ID.match(entry["id"]) or entry["folder"].name != entry["id"]:
            raise SiteError(
                f"{entry['folder']}: the entry's id {entry['id']!r} does not match its folder"
            )
    if out.exists() and not (out / MARKER).exists() and any(out.iterdir()):
        raise SiteError(
            f"{out} is a folder this command did not build; give an empty or new --out"
        )
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = _cell
    env.globals["status_label"] = STATUS_LABELS
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-building-", dir=out.parent))
    try:
        (staging / MARKER).write_text("built by `invoke showcase.build`\n")
        shutil.copytree(HERE / "static", staging / "assets")
        (staging / "entries").mkdir()
        projects = sorted({entry["project"] for entry in entries})
        cohorts = sorted({entry["cohort"] for entry in entries if entry["cohort"]})
        for entry in entries:
            entry["passed"] = sum(s["status"] == "passed" for s in entry["stages"])
            entry["tampered_any"] = bool(
                entry["tampered"]["changed"]
                or entry["tampered"]["missing"]
                or entry["tampered"]["problem"]
            )
        index = env.get_template("index.html").render(
            entries=entries,
            projects=[(p, sum(e["project"] == p for e in entries)) for p in projects],
            cohorts=cohorts,
            learners=len({e["learner"]["github_handle"].lower() for e in entries}),
        )
        (staging / "index.html").write_text(index, encoding="utf-8")
        page = env.get_template("entry.html")
        for entry in entries:
            try:
                journal = (entry["folder"] / JOURNAL_COPY).read_text(encoding="utf-8")
            except (OSError, ValueError) as err:
                raise SiteError(
                    f"{entry['folder']}: its journal cannot be read ({err}); add its bundle "
                    "again"
                ) from None
            chart = None
            if entry.get("chart"):
                chart = f"{entry['id']}.png"
                shutil.copyfile(
                    entry["folder"] / CHART_COPY, staging / "entries" / chart
                )
            html = page.render(
                entry=entry, journal=journal_blocks(journal), chart=chart
            )
            (staging / "entries" / f"{entry['id']}.html").write_text(
                html, encoding="utf-8"
            )
        os.chmod(staging, 0o755)
        if out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
            os.replace(out, retired / "old")
            os.replace(staging, out)
            shutil.rmtree(retired)
        else:
            os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return Site(out=out, entries=len(entries), pages=len(entries) + 1)


def journal_blocks(text: str) -> list[tuple[str, str]]:
    """The journal as (kind, text) blocks: heading, subheading, prompt, code or paragraph.

    Only the shape of the Markdown is read, never its HTML: every block is shown as plain text.
    What comes before the first `## ` heading is the template's introduction, not the learner's
    words, and is left out.
    """
    blocks: list[tuple[str, str]] = []
    paragraph: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if paragraph:
            # The learner's line breaks are kept (CSS pre-line): journals are often lists.
            blocks.append(("paragraph", "\n".join(paragraph)))
            paragraph.clear()

    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("## ")), 0)
    for line in lines[first:]:
        stripped = line.strip()
        if code is not None:
            if stripped.startswith("```"):
                blocks.append(("code", "\n".join(code)))
                code = None
            else:
                code.append(line)
            continue
        if stripped.startswith("```"):
            flush()
            code = []
        elif not stripped or stripped == "_Write here._":
            flush()
        elif stripped.startswith("# "):
            flush()  # the journal's own title: the page has one already
        elif stripped.startswith("## "):
            flush()
            blocks.append(("heading", stripped[3:].strip()))
        elif stripped.startswith("###"):
            flush()
            blocks.append(("subheading", stripped.lstrip("#").strip()))
        elif stripped.startswith(">"):
            flush()
            prompt = stripped[1:].strip()
            if blocks and blocks[-1][0] == "prompt":
                blocks[-1] = ("prompt", f"{blocks[-1][1]} {prompt}".strip())
            elif prompt:
                blocks.append(("prompt", prompt))
        else:
            paragraph.append(stripped)
    flush()
    if code is not None:
        blocks.append(("code", "\n".join(code)))
    return blocks


def _cell(value) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)
