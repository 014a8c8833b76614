"""The `showcase.*` kit tasks: add bundles, build the gallery, preview it, benchmark the build.

The root tasks.py adds this collection and sets `kit_root` in its configuration, so the store
(`showcase/`) and the default output (`site/`) are always the kit checkout's own folders.
"""

from __future__ import annotations

import functools
import http.server
import shlex
import subprocess
import sys
import time
from pathlib import Path

from invoke import Collection, Exit, task
from rich.console import Console
from rich.markup import escape
from rich.progress import track

from climb_kit.layout import KIT_ROOT, finished_projects

from .intake import add_bundles
from .site import SiteError, build_site

STORE = "showcase"
SITE = "site"
console = Console(highlight=False)


def _kit_root(c) -> Path:
    return Path(c.config.get("kit_root") or KIT_ROOT)


def _where(c, path: str | None, default: str) -> Path:
    # Relative paths are the user's, from where they typed the command.
    return Path(path).resolve() if path else _kit_root(c) / default


@task(
    help={
        "bundle": "a bundle (.tar.gz) or a folder of them; more after `--` (required)",
        "store": "the showcase store to add to (default: showcase/ in the kit)",
    },
    positional=["bundle"],
)
def add(c, bundle, store=None):
    """Verify submission bundles and add the good ones to the showcase (one reason per rejection)."""
    # Invoke reads further words as task names, so more bundles come after `--`.
    named = [bundle, *shlex.split(c.remainder or "")]
    bundles: list[Path] = []
    for name in named:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.tar.gz"))
            if not found:
                raise Exit(f"error: no .tar.gz bundle in the folder {name}", code=2)
            bundles += found
        else:
            bundles.append(path)
    target = _where(c, store, STORE)
    projects = finished_projects(_kit_root(c))
    outcomes = []
    for path in track(
        bundles, description="Checking bundles", console=console, transient=True
    ):
        outcomes += add_bundles([path], target, projects)
    for outcome in outcomes:
        name = escape(str(outcome.bundle))
        if outcome.accepted:
            console.print(f"[green]✓[/] {name}: {outcome.status} ({outcome.entry_id})")
            for note in outcome.notes:
                console.print(f"    note: {escape(note)}")
        else:
            console.print(f"[red]✗[/] {name}: rejected: {escape(outcome.reason)}")
    rejected = sum(not outcome.accepted for outcome in outcomes)
    console.print(
        f"{len(outcomes) - rejected} accepted, {rejected} rejected; store: {target}"
    )
    if rejected:
        raise Exit(code=1)


def _build(c, out, store) -> Path:
    target = _where(c, out, SITE)
    started = time.perf_counter()
    try:
        site = build_site(_where(c, store, STORE), target)
    except SiteError as err:
        raise Exit(f"error: {err}", code=2) from None
    seconds = time.perf_counter() - started
    console.print(
        f"Built {site.pages} pages for {site.entries} submissions in {seconds:.2f} s: "
        f"{(target / 'index.html').as_uri()}"
    )
    return target


@task(
    help={
        "out": "the folder to write the site into (default: site/ in the kit)",
        "store": "the showcase store to build from (default: showcase/ in the kit)",
    }
)
def build(c, out=None, store=None):
    """Build the static gallery site (works from file://, no server or network needed)."""
    _build(c, out, store)


@task(
    help={
        "port": "the port on 127.0.0.1 to serve on; 0 for any free port (default: 8000)",
        "out": "the folder to build the site into and serve (default: site/ in the kit)",
        "store": "the showcase store to build from (default: showcase/ in the kit)",
    }
)
def serve(c, port=8000, out=None, store=None):
    """Build the gallery and serve it on 127.0.0.1 for a local preview (Ctrl-C stops)."""
    folder = _build(c, out, store)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler)
    except OSError as err:
        raise Exit(
            f"error: cannot listen on 127.0.0.1:{port} ({err.strerror}); try --port 0",
            code=2,
        ) from None
    host, bound = server.server_address[:2]
    console.print(f"Serving http://{host}:{bound}/ (Ctrl-C stops)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per request is noise in a preview
        pass


@task(
    help={
        "count": "how many submissions to build the site for (default: 200)",
    }
)
def bench(c, count=200):
    """Benchmark intake and the site build for COUNT generated submissions (target: < 10 s)."""
    script = _kit_root(c) / "benchmarks" / "showcase_build.py"
    code = subprocess.run([sys.executable, str(script), "--count", str(count)])
    if code.returncode:
        raise Exit(code=code.returncode)


showcase = Collection("showcase", add, build, serve, bench)
