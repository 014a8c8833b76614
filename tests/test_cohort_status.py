"""cohort.status in a sandbox: hostile learner code costs that learner a limit entry, nothing more."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import pytest

from climb_kit.cohort import sandbox
from climb_kit.cohort.create import create_cohort
from climb_kit.cohort.dashboard import dashboard_html
from climb_kit.cohort.roster import Learner
from climb_kit.cohort.sandbox import UID_BASE, Isolation, Limits, probe, run_sandboxed
from climb_kit.cohort.status import grade_cohort, status_csv

from .helpers import climb

pytestmark = pytest.mark.slow

# Code each hostile learner puts at the top of src/scheduler/workload.py (imported by every test).
HOSTILE = {
    "looper": "while True:\n    pass\n",
    "forker": (
        "import os\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        pass\n"
    ),
    "hog": "_blocks = []\nwhile True:\n    _blocks.append(bytearray(1 << 26))\n",
    # Each process stays under the per-process cap; together they pass the run's memory cgroup.
    "swarm": (
        "import os, time\n"
        "for _ in range(8):\n"
        "    if os.fork() == 0:\n"
        "        block = b'x' * (512 << 20)\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "time.sleep(60)\n"
    ),
    "shouter": "while True:\n    print('x' * 1_000_000, flush=True)\n",
    # 192.0.2.1 is TEST-NET-1 (documentation only); inside the sandbox nothing is routed anyway.
    "caller": "import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=3)\n",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def commit_code(repo: Path, code: str, message: str) -> None:
    module = repo / "src" / "scheduler" / "workload.py"
    module.write_text(code + module.read_text("utf-8"), encoding="utf-8")
    git(repo, "commit", "-qam", message)


def wait_for_no_sandbox_processes(seconds: float = 15) -> list[dict]:
    deadline = time.monotonic() + seconds
    while True:
        leftovers = [
            p.info
            for p in psutil.process_iter(["pid", "uids", "status", "cmdline"])
            if p.info["uids"] and UID_BASE <= p.info["uids"].real < UID_BASE + 100
        ]
        if not leftovers or time.monotonic() > deadline:
            return leftovers
        time.sleep(0.2)


@pytest.fixture(scope="module")
def isolation() -> Isolation:
    found = probe()
    assert found.level != "limits only" and not found.warning, found.warning
    return found


def test_hostile_learners_each_cost_a_limit_entry_and_everyone_else_is_graded(
    kit_source, tmp_path, isolation
):
    into = tmp_path / "cohort"
    names = ["calm", "cheat", "vandal", *HOSTILE]
    create_cohort(
        [Learner(i, n, n) for i, n in enumerate(names)], "scheduler", into, kit_source
    )
    climb("scheduler", into / "calm", 2)
    git(into / "calm", "commit", "-qam", "Stages 1 and 2")
    for handle, code in HOSTILE.items():
        commit_code(into / handle, code, "hostile")
    # A learner who makes stage 1's tests pass by rewriting them.
    (into / "cheat" / "tests" / "test_1_workload.py").write_text(
        "import pytest\n\n\n@pytest.mark.stage('workload')\ndef test_ok():\n    pass\n"
    )
    git(into / "cheat", "commit", "-qam", "easier tests")
    # A learner whose code tries to write outside its copy: another learner's code, the kit,
    # its own repository, and /tmp.
    victim = into / "calm" / "src" / "scheduler" / "fcfs.py"
    victim_before = victim.read_bytes()
    escape = Path("/tmp") / f"climb-vandal-{uuid.uuid4().hex}"
    targets = [
        victim,
        kit_source / "copier.yml",
        into / "vandal" / "JOURNAL.md",
        escape,
    ]
    attempts = "".join(
        f"try:\n    open({str(t)!r}, 'w').write('vandalised')\nexcept OSError:\n    pass\n"
        for t in targets
    )
    commit_code(into / "vandal", attempts, "vandal")
    kit_before = (kit_source / "copier.yml").read_bytes()

    # Each stage gets 3 s: a hostile run is stopped after 21 s. An honest one needs a few seconds
    # on a quiet machine but 10-13 s on a heavily loaded one (measured at load 14 on 2 cores), and
    # the hog must reach its memory limit before the clock stops it.
    statuses = grade_cohort(into, isolation, stage_seconds=3, jobs=2)
    by = {s.handle: s for s in statuses}

    assert by["calm"].stages_passed == 2
    assert by["calm"].current_stage == "sjf"
    assert (
        by["calm"].limit == ""
        and by["calm"].problem == ""
        and by["calm"].tampered == []
    )
    assert by["calm"].tests_passed > 0 and by["calm"].tests_failed > 0
    assert by["looper"].limit.startswith("time limit")
    assert by["forker"].limit  # the process cap or the clock, whichever bites first
    assert by["hog"].limit == "memory limit"
    assert by["swarm"].limit == "memory limit (3072 MiB in all)"
    assert by["shouter"].limit.startswith("output limit")
    assert by["caller"].limit == "network blocked"
    for handle in HOSTILE:
        assert by[handle].stages_passed == 0, handle
    assert by["cheat"].tampered == ["tests/test_1_workload.py"]
    assert by["vandal"].limit == "" and by["vandal"].stages_passed == 0

    assert victim.read_bytes() == victim_before
    assert (kit_source / "copier.yml").read_bytes() == kit_before
    assert not escape.exists()
    assert git(into / "vandal", "status", "--porcelain") == ""
    # Nothing the learners started is still running (the last killed ones may take a moment).
    assert wait_for_no_sandbox_processes() == []
    # The furthest learner is listed first.
    assert statuses[0].handle in ("calm", "cheat")

    rows = list(csv.DictReader(io.StringIO(status_csv(statuses))))
    assert {r["handle"]: r["limit"] for r in rows}["caller"] == "network blocked"
    assert {r["handle"]: r["tampered"] for r in rows}[
        "cheat"
    ] == "tests/test_1_workload.py"
    html = dashboard_html(statuses, "scheduler", isolation.level)
    assert 'data-handle="calm"' in html and "memory limit" in html
    assert "<script" not in html and "http" not in html.split("</head>")[0].lower()


def test_without_isolation_one_warning_says_so_and_the_limits_still_hold(
    tmp_path, monkeypatch
):
    monkeypatch.setenv(
        "PATH", str(tmp_path)
    )  # no unshare, setpriv, ip or bwrap to be found
    found = probe()
    assert found.level == "limits only"
    assert found.warning.startswith("warning: learner code runs WITHOUT network")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    limits = Limits(wall_seconds=5, output_bytes=64 << 10)
    env = {"PATH": "/usr/bin:/bin"}
    shouted = run_sandboxed(["/bin/sh", "-c", "yes"], scratch, env, limits, found)
    assert shouted.limit == "output limit (64 KiB)"
    assert len(shouted.output) <= 64 << 10
    slept = run_sandboxed(["/bin/sh", "-c", "sleep 60"], scratch, env, limits, found)
    assert slept.limit == "time limit (5 s)"


def test_the_sandbox_blocks_the_network_but_keeps_loopback(tmp_path, isolation):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    os.chmod(tmp_path, 0o755)
    code = (
        "import socket\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=3).close()\n"
        "print('loopback ok')\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 80), timeout=3)\n"
        "except OSError as err:\n"
        "    print('blocked', err.errno)\n"
    )
    done = run_sandboxed(
        [sys.executable, "-c", code],
        scratch,
        {"PATH": os.environ["PATH"]},
        Limits(wall_seconds=60),
        isolation,
    )
    assert done.exit_code == 0, done.output
    assert done.output.split() == ["loopback", "ok", "blocked", "101"]


def test_status_with_fetch_grades_what_the_learner_pushed(
    kit_source, tmp_path, isolation
):
    remote = tmp_path / "remotes" / "scheduler-ada.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    into = tmp_path / "cohort"
    url = str(tmp_path / "remotes") + "/{project}-{handle}.git"
    create_cohort([Learner(2, "Ada", "ada")], "scheduler", into, kit_source, url)
    # Ada works in her own clone and pushes; the facilitator's copy is one commit behind.
    laptop = tmp_path / "laptop"
    subprocess.run(
        ["git", "clone", "-q", "-b", "main", str(remote), str(laptop)], check=True
    )
    climb("scheduler", laptop, 1)
    git(laptop, "commit", "-qam", "Stage 1")
    git(laptop, "push", "-q", "origin", "main")

    [local] = grade_cohort(into, isolation, stage_seconds=20, jobs=1)
    [fetched] = grade_cohort(into, isolation, stage_seconds=20, jobs=1, fetch=True)
    assert (local.stages_passed, fetched.stages_passed) == (0, 1)
    assert fetched.current_stage == "fcfs"


BWRAP_CHECK = """
import json, sys
from pathlib import Path
from sandbox_copy import Limits, probe, run_sandboxed

scratch, outside, shared_tmp = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
code = (
    "import socket\\n"
    "server = socket.create_server(('127.0.0.1', 0))\\n"
    "socket.create_connection(server.getsockname(), timeout=3).close()\\n"
    "open('inside.txt', 'w').write('ok')\\n"
    "open(%r, 'w').write('kept in the sandbox')\\n"
    "for attempt in (lambda: socket.create_connection(('192.0.2.1', 80), timeout=3),\\n"
    "                lambda: open(%r, 'w')):\\n"
    "    try:\\n"
    "        attempt()\\n"
    "    except OSError as err:\\n"
    "        print(err.errno)\\n"
) % (shared_tmp, outside)
isolation = probe()
done = run_sandboxed([sys.executable, "-c", code], scratch, {"PATH": "/usr/bin:/bin"},
                     Limits(wall_seconds=60), isolation)
print(json.dumps({"level": isolation.level, "output": done.output, "exit": done.exit_code}))
"""


def test_without_root_bubblewrap_isolates_as_well():
    """As a plain user: loopback works, the network does not, nothing outside is writable."""
    uid = UID_BASE + 99
    # Not under pytest's tmp_path: its root-only parent would stop the plain user at the door.
    home = Path(tempfile.mkdtemp(prefix="climb-bwrap-test-"))
    # A folder the user owns outside /tmp (the sandbox's /tmp is its own): the kit's venv.
    owned = Path(tempfile.mkdtemp(prefix="climb-bwrap-test-", dir=sys.prefix))
    try:
        os.chmod(home, 0o755)
        # The plain user may not be able to list the kit's own folders (a clone under a private
        # temporary folder), so it imports a copy of the sandbox module (standard library only).
        shutil.copy(sandbox.__file__, home / "sandbox_copy.py")
        os.chmod(home / "sandbox_copy.py", 0o644)
        scratch = home / "scratch"
        scratch.mkdir()
        outside, shared_tmp = owned / "outside.txt", home / "in-tmp.txt"
        # A system interpreter where there is one, not the kit's virtualenv, which may sit in a
        # folder only root can enter (a clone under a private temporary folder, or /root); the
        # check needs the standard library only.
        command = [
            shutil.which("python3", path="/usr/bin:/bin") or sys.executable,
            "-c",
            BWRAP_CHECK,
            *map(str, (scratch, outside, shared_tmp)),
        ]
        if os.geteuid() == 0:
            for path in (home, scratch, owned):
                os.chown(path, uid, uid)
            command = [
                "setpriv",
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
            ] + command
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(home)},
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.splitlines()[-1])
        assert result["level"] == "bwrap"
        assert result["exit"] == 0, result["output"]
        network, write = result["output"].split()
        assert network == str(errno.ENETUNREACH)
        # Read-only root; or, where that folder lies under /tmp (a clone in a temporary
        # folder), the sandbox's private /tmp does not even have it.
        assert write in (str(errno.EROFS), str(errno.ENOENT))
        assert (scratch / "inside.txt").read_text() == "ok"
        assert not outside.exists() and not shared_tmp.exists()
    finally:
        shutil.rmtree(home)
        shutil.rmtree(owned)
