"""The `showcase.*` kit tasks as a facilitator types them at the kit root."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request

from climb_kit.layout import KIT_ROOT
from climb_kit.showcase.samples import Sample, write_sample
from tests.helpers import run_in
from tests.showcase_helpers import adding, good, rebuild, tree


def kit(*args: str):
    done = run_in(KIT_ROOT, sys.executable, "-m", "invoke", *args, timeout=120)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def test_add_reports_each_bundle_and_exits_1_when_any_is_rejected(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    accepted = write_sample(Sample(handle="ada"), inbox)
    hostile = tmp_path / "hostile.tar.gz"
    hostile.write_bytes(rebuild(good(handle="bob"), adding("{top}/../x", b"x")))
    store = tmp_path / "store"

    done = kit("showcase.add", "--store", str(store), str(inbox), "--", str(hostile))

    assert done.returncode == 1, done.stdout
    assert f"{accepted}: added (ada-scheduler)" in done.stdout
    assert re.search(
        r"hostile\.tar\.gz: rejected: not a valid bundle: .*`\.\.`", done.stdout
    )
    assert "1 accepted, 1 rejected" in done.stdout
    assert sorted(p.name for p in (store / "entries").iterdir()) == ["ada-scheduler"]


def test_add_with_an_empty_folder_is_one_clear_error(tmp_path):
    done = kit("showcase.add", "--store", str(tmp_path / "store"), str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: no .tar.gz bundle in the folder {tmp_path}"
    assert tree(tmp_path / "store") == {}


def test_build_refuses_to_overwrite_a_folder_it_did_not_build(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    done = kit("showcase.build", "--store", str(tmp_path / "s"), "--out", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"error: {tmp_path} is a folder this command")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def take_ctrl_c() -> None:
    """In the child before exec: Ctrl-C as in a terminal. A shell that started the tests in the
    background set SIGINT to be ignored, and a child inherits that, so it would never stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_serve_builds_and_serves_the_site_on_loopback_until_interrupted(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_sample(Sample(handle="ada", name="Ada Lovelace"), inbox)
    store, out = tmp_path / "store", tmp_path / "site"
    assert kit("showcase.add", "--store", str(store), str(inbox)).returncode == 0
    server = subprocess.Popen(
        [sys.executable, "-m", "invoke", "showcase.serve", "--port", "0"]
        + ["--store", str(store), "--out", str(out)],
        cwd=KIT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=take_ctrl_c,
    )
    try:
        url = None
        for line in server.stdout:
            if match := re.search(r"Serving (http://127\.0\.0\.1:\d+/)", line):
                url = match.group(1)
                break
        assert url, "the server never said where it listens"
        with urllib.request.urlopen(url + "index.html", timeout=10) as response:
            index = response.read().decode()
        assert "Ada Lovelace" in index and 'href="entries/ada-scheduler.html"' in index
        with urllib.request.urlopen(
            url + "entries/ada-scheduler.html", timeout=10
        ) as response:
            assert response.status == 200
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=15)
        assert server.returncode == 0, rest
        assert "Stopped." in rest
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
