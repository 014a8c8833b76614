"""`invoke package` and `invoke package --verify` in a learner's project.

A finished project (the reference solution, a written journal, two hints revealed) is committed
once per module and cloned for each scenario. Packaging it must give the same bytes every time, on
any clone; each refusal must name the file or stage, say what to do and write nothing; and the
verifier must reject every hostile bundle built below with tarfile, naming the member.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from climb_kit.layout import ALL_PROJECTS, reference_dir
from climb_kit.learner.bundle import MAX_FILE_BYTES, check_bundle, verify_bundle
from climb_kit.learner.package import (
    Tracked,
    find_secrets,
    runtime_data,
    secret_file_names,
)
from tests.helpers import run_in

HIGHLIGHT = "Preemption is just a decision point you choose to revisit."
SUMMARY = "A scheduler emulator with six policies, and why queues need them."


def invoke(project: Path, *args: str):
    return run_in(project, sys.executable, "-m", "invoke", *args)


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, check=True, capture_output=True, text=True
    ).stdout


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-qm", message)


def clone(source: Path, target: Path) -> Path:
    subprocess.run(
        ["git", "clone", "-q", str(source), str(target)],
        check=True,
        capture_output=True,
    )
    return target


def write_journal(project: Path) -> None:
    """Write the summary, a highlight and an entry for every stage, as a learner would."""
    lines = (project / "JOURNAL.md").read_text(encoding="utf-8").splitlines()
    out, first = [], True
    for line in lines:
        if line.startswith("Summary:"):
            line = f"Summary: {SUMMARY}"
        elif line == "_Write here._":
            line = (
                f"Highlight: {HIGHLIGHT}"
                if first
                else "What I learned, in my own words."
            )
            first = False
        out.append(line)
    (project / "JOURNAL.md").write_text("\n".join(out) + "\n", encoding="utf-8")


def output(done) -> str:
    text = done.stdout + done.stderr
    assert "Traceback" not in text, text
    return text


@pytest.fixture(scope="module")
def finished(solved_render, tmp_path_factory) -> Path:
    """A committed, finished project (do not modify: clone it)."""
    project = tmp_path_factory.mktemp("package") / "finished"
    shutil.copytree(solved_render, project, symlinks=True)
    write_journal(project)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "Start")
    for _ in range(2):
        assert invoke(project, "hint", "--stage", "fcfs").returncode == 0
    commit_all(project, "Finished, with two hints for fcfs")
    return project


@pytest.fixture(scope="module")
def packaged(finished, tmp_path_factory):
    """One `invoke package` run on a clone of `finished`: (project, the run, the archive)."""
    project = clone(finished, tmp_path_factory.mktemp("package") / "learner")
    done = invoke(project, "package")
    assert done.returncode == 0, output(done)
    archives = list((project / "dist").glob("*.tar.gz"))
    assert len(archives) == 1, archives
    return project, done, archives[0]


@pytest.fixture
def learner(finished, tmp_path) -> Path:
    """A fresh clone of the finished project, for a scenario to change."""
    return clone(finished, tmp_path / "learner")


def members(archive: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(archive) as tar:
        return {member.name: member for member in tar.getmembers()}


def read_member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        return tar.extractfile(name).read()


# --- building -------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_archive_is_named_after_handle_project_and_commit_and_the_run_says_so(
    packaged,
):
    project, done, archive = packaged
    head = git(project, "rev-parse", "HEAD").strip()
    assert archive.name == f"sample-learner-scheduler-{head[:12]}.tar.gz"
    text = output(done)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert f"Packaged dist/{archive.name}" in text
    assert digest in text
    assert "stages passed: 7 of 7" in text
    assert "warning" not in text, "a fresh project's template files match its checksums"


@pytest.mark.slow
def test_packaging_twice_and_on_another_clone_gives_byte_identical_archives(
    packaged, finished, tmp_path
):
    project, _, archive = packaged
    first = archive.read_bytes()
    again = invoke(project, "package")
    assert again.returncode == 0, output(again)
    assert archive.read_bytes() == first, "same tree, same bytes"

    other = clone(finished, tmp_path / "elsewhere" / "another-name")
    for path in other.rglob("*"):
        if ".git" not in path.parts:
            os.utime(path, (1_000_000_000, 1_000_000_000))
    done = invoke(other, "package")
    assert done.returncode == 0, output(done)
    assert (other / "dist" / archive.name).read_bytes() == first, (
        "another path and other file times must not change a byte"
    )


@pytest.mark.slow
def test_entries_are_sorted_with_fixed_owners_modes_and_times(packaged):
    project, _, archive = packaged
    head_time = int(git(project, "log", "-1", "--format=%ct").strip())
    raw = archive.read_bytes()
    assert raw[3] == 0, "no file name (or other optional field) in the gzip header"
    assert raw[4:8] == b"\0\0\0\0", "gzip mtime is 0"
    with tarfile.open(archive) as tar:
        infos = tar.getmembers()
    names = [info.name for info in infos]
    assert names == sorted(names)
    top = archive.name.removesuffix(".tar.gz")
    assert {name.split("/")[0] for name in names} == {top}
    for info in infos:
        assert info.isreg(), info.name
        assert (info.uid, info.gid, info.uname, info.gname) == (0, 0, "", ""), info.name
        assert info.mtime == head_time, info.name
        assert info.mode in (0o644, 0o755), info.name


@pytest.mark.slow
def test_the_manifest_reports_stages_hints_tests_and_every_tracked_file(packaged):
    project, _, archive = packaged
    top = archive.name.removesuffix(".tar.gz")
    manifest = json.loads(read_member(archive, f"{top}/manifest.json"))
    head, seconds = git(project, "log", "-1", "--format=%H %ct").split()

    assert manifest["format_version"] == 1
    assert manifest["commit"] == head
    assert manifest["created_at"] == (
        datetime.fromtimestamp(int(seconds), UTC).isoformat().replace("+00:00", "Z")
    )
    assert manifest["project"] == "scheduler"
    assert manifest["template"] == {"version": "v1.0.0"}
    assert manifest["learner"]["github_handle"] == "sample-learner"
    assert manifest["journal"] == "JOURNAL.md"
    assert "_src_path" not in json.dumps(manifest), "no path from the learner's machine"

    stages = manifest["stages"]
    assert [s["id"] for s in stages] == [
        "workload", "fcfs", "sjf", "rr", "priority", "mlfq", "cli"
    ]  # fmt: skip
    for stage in stages:
        assert stage["status"] == "passed", stage
        assert stage["passed"] == stage["total"] > 0, stage
        assert stage["journal_written"] is True, stage
    hints = {s["id"]: s["hints_revealed"] for s in stages}
    assert hints == {**dict.fromkeys(hints, 0), "fcfs": 2}
    assert len(manifest["tests"]) == sum(s["total"] for s in stages)
    assert {t["outcome"] for t in manifest["tests"]} == {"passed"}
    assert all("duration" not in t for t in manifest["tests"])

    tracked = sorted(git(project, "ls-files", "-z").strip("\0").split("\0"))
    assert [f["path"] for f in manifest["files"]] == tracked
    for entry in manifest["files"]:
        data = (project / entry["path"]).read_bytes()
        assert entry["size"] == len(data), entry["path"]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), entry["path"]
        assert read_member(archive, f"{top}/{entry['path']}") == data, entry["path"]

    checks = manifest["template_files"]
    assert checks["checked"] > 0 and checks["changed"] == checks["missing"] == []
    sums = (project / "tests" / "SHA256SUMS").read_bytes()
    assert checks["checksums_sha256"] == hashlib.sha256(sums).hexdigest()


@pytest.mark.slow
def test_the_showcase_entry_quotes_the_journal_and_sits_beside_the_archive(packaged):
    project, _, archive = packaged
    top = archive.name.removesuffix(".tar.gz")
    inside = read_member(archive, f"{top}/showcase.yml")
    beside = (project / "dist" / f"{top}.showcase.yml").read_bytes()
    assert inside == beside
    entry = yaml.safe_load(inside)
    assert (
        entry["title"] == yaml.safe_load((project / "stages.yml").read_text())["title"]
    )
    assert entry["learner"] == {
        "name": "Sample Learner",
        "github_handle": "sample-learner",
    }
    assert entry["project"] == "scheduler"
    assert entry["template_version"] == "v1.0.0"
    assert entry["stages_passed"] == "7 of 7" and len(entry["stages"]) == 7
    assert entry["summary"] == SUMMARY
    assert entry["highlights"] == [HIGHLIGHT]


@pytest.mark.slow
def test_an_edited_template_test_is_packaged_but_recorded_and_warned_about(learner):
    test_file = learner / "tests" / "test_2_fcfs.py"
    test_file.write_text(test_file.read_text() + "\n# I made this easier.\n")
    commit_all(learner, "Edit a test")
    done = invoke(learner, "package")
    text = output(done)
    assert done.returncode == 0, text
    assert "warning" in text and "tests/test_2_fcfs.py" in text, text
    (archive,) = (learner / "dist").glob("*.tar.gz")
    top = archive.name.removesuffix(".tar.gz")
    manifest = json.loads(read_member(archive, f"{top}/manifest.json"))
    assert manifest["template_files"]["changed"] == ["tests/test_2_fcfs.py"]


# --- refusals ------------------------------------------------------------------------------


def refused(project: Path, *expected: str) -> str:
    done = invoke(project, "package")
    text = output(done)
    assert done.returncode == 2, text
    for part in expected:
        assert part in text, f"{part!r} not in:\n{text}"
    assert "Nothing was written." in text
    assert not (project / "dist").exists(), "a refusal writes nothing"
    return text


@pytest.mark.slow
def test_uncommitted_changes_are_refused_naming_each_file(learner):
    (learner / "src" / "scheduler" / "fcfs.py").write_text("# half done\n")
    (learner / "notes.txt").write_text("to do\n")
    refused(
        learner,
        "uncommitted changes",
        "src/scheduler/fcfs.py",
        "notes.txt",
        "commit first",
    )


@pytest.mark.slow
def test_committed_conflict_markers_are_refused_naming_file_and_line(learner):
    path = learner / "src" / "scheduler" / "notes.md"
    path.write_text("intro\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> other\n")
    commit_all(learner, "Oops")
    refused(learner, "merge conflict markers", "src/scheduler/notes.md, line 2")


@pytest.mark.slow
def test_a_passed_stage_without_a_journal_entry_is_refused(learner, skeleton_render):
    shutil.copy(skeleton_render / "JOURNAL.md", learner / "JOURNAL.md")
    commit_all(learner, "Lose the journal")
    refused(
        learner,
        "a stage you passed has no journal entry",
        "Stage 1 (workload)",
        "Stage 7 (cli)",
        "invoke journal --stage workload",
    )


# Built from pieces so the kit's own repository holds no secret-shaped text.
PRIVATE_KEY = (
    "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\n"
)
AWS_KEY = "AKIA" + "Z3MSJV4WQ7PXRTQD"


@pytest.mark.slow
def test_a_planted_secret_is_refused_naming_file_line_and_kind(learner):
    settings = learner / "src" / "scheduler" / "settings.py"
    settings.write_text(f'"""Settings."""\n\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    (learner / "deploy-notes.txt").write_text("ssh key:\n" + PRIVATE_KEY)
    commit_all(learner, "Add settings")
    text = refused(
        learner,
        "look like they hold secrets",
        "src/scheduler/settings.py, line 3: AWS Access Key",
        "deploy-notes.txt, line 2: Private Key",
        "rotate the secret",
    )
    assert AWS_KEY not in text, "the secret itself is never printed"


@pytest.mark.slow
def test_a_tracked_env_file_is_refused_but_an_example_is_not(learner):
    (learner / ".env").write_text("DEBUG=1\n")
    (learner / ".env.example").write_text("DEBUG=0\n")
    commit_all(learner, "Add env")
    text = refused(learner, ".env: a file of this name usually holds keys")
    assert ".env.example" not in text


@pytest.mark.slow
def test_a_file_over_the_size_limit_is_refused_naming_it_and_its_size(learner):
    (learner / "workloads" / "huge.csv").write_bytes(b"0" * (MAX_FILE_BYTES + 1))
    commit_all(learner, "Big data")
    refused(learner, "over the limit of 1 MiB", "workloads/huge.csv (1,048,577 bytes)")


def test_secret_file_names_spare_examples_and_public_keys():
    paths = {
        ".env",
        "config/.env.local",
        ".env.example",
        "id_rsa",
        "id_rsa.pub",
        "tls/x.pem",
    }
    flagged = {line.split(":")[0] for line in secret_file_names(paths)}
    assert flagged == {".env", "config/.env.local", "id_rsa", "tls/x.pem"}


def files_under(root: Path, folder: str = ".") -> list[Tracked]:
    return [
        Tracked(path.relative_to(root).as_posix(), False, path.read_bytes())
        for path in sorted((root / folder).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]


@pytest.mark.slow
@pytest.mark.parametrize("project", ALL_PROJECTS)
def test_fresh_renders_and_references_raise_no_false_alarms(project, render_of):
    # http-service is about API keys: its reference makes them, and that is no secret.
    for root, folder in (
        (render_of(project), "."),
        (reference_dir(project) / "solution", "src"),
    ):
        files = files_under(root, folder)
        assert files, root
        assert find_secrets(root, files) == [], root
        assert secret_file_names({f.path for f in files}) == [], root
        assert runtime_data(files) == [], root


# The value part of each key is built from pieces so the kit's own repository holds no
# secret-shaped text; in the learner's file each is one plain literal.
STRIPE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcX9Fq2b"
KEY_MAKERS = {
    2: 'secret = "sk_" + secrets.token_urlsafe(32)',
    3: 'api_key = "sk_%s" % secrets.token_hex(16)',
    4: 'api_key = "sk_{}".format(secrets.token_hex(16))',
    5: 'password = "pw_" + generated',
    6: 'return {"secret": "sk_" + secrets.token_urlsafe(32)}',
}
WRITTEN_KEYS = {
    7: f'API_KEY = "{STRIPE_KEY}"',
    8: 'secret = "hunter2" + "hunter2"',
    9: f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"',
    10: 'password = "tr0ub4dor&3".strip()',
}


def test_code_that_makes_a_key_is_no_secret_but_a_key_written_in_a_file_is(tmp_path):
    lines = {1: "import secrets", **KEY_MAKERS, **WRITTEN_KEYS}
    (tmp_path / "keys.py").write_text("\n".join(lines[n] for n in sorted(lines)) + "\n")
    found = find_secrets(tmp_path, [Tracked("keys.py", False, b"")])
    flagged = {int(line.split("line ")[1].split(":")[0]) for line in found}
    assert not flagged & set(KEY_MAKERS), (
        f"code that makes a key was reported as a secret: {found}"
    )
    assert flagged == set(WRITTEN_KEYS), f"every written key is reported: {found}"


def test_the_key_maker_filter_reads_python_only(tmp_path):
    # The same text in a YAML file is a value, not code: the keyword plugin keeps it.
    (tmp_path / "config.yml").write_text('secret: "sk_" + secrets.token_urlsafe(32)\n')
    assert find_secrets(tmp_path, [Tracked("config.yml", False, b"")]) == [
        "config.yml, line 1: Secret Keyword"
    ]


@pytest.mark.slow
def test_a_key_maker_is_packaged_and_a_written_key_is_refused(learner):
    keys = learner / "src" / "scheduler" / "keys.py"
    maker = (
        '"""Keys."""\n\nimport secrets\n\nsecret = "sk_" + secrets.token_urlsafe(32)\n'
    )
    keys.write_text(maker)
    commit_all(learner, "A key maker")
    done = invoke(learner, "package")
    assert done.returncode == 0, output(done)
    shutil.rmtree(learner / "dist")
    keys.write_text(maker + f'API_KEY = "{STRIPE_KEY}"\n')
    commit_all(learner, "A key, written down")
    text = refused(
        learner,
        "look like they hold secrets",
        "src/scheduler/keys.py, line 6: Secret Keyword",
        "src/scheduler/keys.py, line 6: Stripe Access Key",
    )
    assert "keys.py, line 5" not in text, text
    assert STRIPE_KEY not in text, "the secret itself is never printed"


def sqlite_database(path: Path) -> Path:
    """A real SQLite database holding a hashed key, as http-service's store writes one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE keys (id TEXT, hash TEXT)")
        db.execute(
            "INSERT INTO keys VALUES (?, ?)", ("k1", hashlib.sha256(b"k").hexdigest())
        )
    db.close()
    return path


RUNTIME_DATA = {
    # path: the kind the refusal names
    "data/links.sqlite3": "in data/",
    "data/rooms/lobby.jsonl": "in data/",
    "cache.bin": "an SQLite database",
    "notes.db": "a database file",
    "store.sqlite3-wal": "SQLite's write-ahead log",
    "store.db-journal": "SQLite's rollback journal",
    "dump.rdb": "a Redis snapshot (RDB)",
    "appendonlydir/appendonly.aof.1.incr.aof": "a Redis append-only file",
}


def write_runtime_data(project: Path) -> None:
    for path in RUNTIME_DATA:
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(("sqlite3", ".bin")):
            sqlite_database(target)
        elif path.endswith(".rdb"):
            target.write_bytes(b"REDIS0011\xfa\tredis-ver")
        else:
            target.write_text('{"type": "message", "room": "lobby", "text": "hi"}\n')


@pytest.mark.slow
def test_runtime_data_is_refused_naming_each_file_and_kind(learner):
    write_runtime_data(learner)
    # .gitignore keeps all but the SQLite file with a name of its own out: force them in.
    git(learner, "add", "-f", *RUNTIME_DATA)
    commit_all(learner, "Everything on disk")
    text = refused(
        learner,
        "runtime data",
        *(f"{path}: {kind}" for path, kind in RUNTIME_DATA.items()),
        "git rm --cached FILE",
        "git rm -r --cached data",
    )
    assert "secrets" not in text, "a database is refused whole, not scanned for keys"


def test_runtime_data_is_known_by_content_name_and_folder():
    sqlite = b"SQLite format 3\x00" + bytes(84)
    files = [
        Tracked("src/app/store.py", False, b'DB_NAME = "links.sqlite3"\n'),
        Tracked("workloads/sample.csv", False, b"a,b\n"),
        Tracked("src/data/table.py", False, b"# a data/ folder deeper down is code\n"),
        Tracked("database.md", False, b"# notes\n"),
        Tracked("db-wal.txt", False, b"not beside a database\n"),
        Tracked("blob", False, sqlite),
        Tracked("Data.DB", False, b""),
        Tracked("x.SQLITE-shm", False, b""),
        Tracked("snapshot", False, b"REDIS0009\xfa"),
    ]
    assert runtime_data(files) == [
        "blob: an SQLite database",
        "Data.DB: a database file",
        "x.SQLITE-shm: SQLite's shared-memory index",
        "snapshot: a Redis snapshot (RDB)",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("project", ["http-service", "chat"])
def test_the_gitignore_keeps_the_readmes_data_folder_and_databases_out(
    project, render_of, copy_project
):
    # Both READMEs run the service with `--data data`: what it writes must not be committed.
    learner = copy_project(render_of(project), git_init=True)
    write_runtime_data(learner)
    status = git(learner, "status", "--porcelain", "--untracked-files=all")
    assert status.split() == ["??", "cache.bin"], (
        "only the SQLite file with a name of its own shows (package refuses it by its header); "
        f"git status:\n{status}"
    )


# --- verifying -----------------------------------------------------------------------------


def rebuild(good: Path, target: Path, change) -> Path:
    """A copy of the `good` bundle whose member list `change` edits: [(TarInfo, bytes)]."""
    with tarfile.open(good) as tar:
        entries = [(info, tar.extractfile(info).read()) for info in tar.getmembers()]
    top = entries[0][0].name.split("/")[0]
    entries = change(entries, top)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in entries:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    target.write_bytes(buffer.getvalue())
    return target


def member(name: str, data: bytes = b"", kind=tarfile.REGTYPE, link: str = ""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info, data


def tamper(entries, top):
    def flip(info, data):
        if info.name == f"{top}/src/scheduler/fcfs.py":
            return info, data.replace(b"def ", b"def_", 1)
        return info, data

    return [flip(*entry) for entry in entries]


def add(*extra):
    return lambda entries, top: (
        entries
        + [
            member(name.format(top=top), data, kind, link)
            for name, data, kind, link in extra
        ]
    )


def drop(suffix):
    return lambda entries, top: [e for e in entries if not e[0].name.endswith(suffix)]


def many_megabytes(entries, top):
    return entries + [
        member(f"{top}/data/{n:03}.bin", b"\0" * MAX_FILE_BYTES) for n in range(70)
    ]


def bad_schema(entries, top):
    def edit(info, data):
        if info.name == f"{top}/manifest.json":
            manifest = json.loads(data)
            manifest["files"][0]["size"] = "big"
            del manifest["commit"]
            return info, json.dumps(manifest).encode()
        return info, data

    return [edit(*entry) for entry in entries]


HOSTILE = {
    "tampered-hash": (tamper, "src/scheduler/fcfs.py: sha256 differs from the manifest"),
    "absolute-path": (add(("/etc/cron.d/evil", b"x", tarfile.REGTYPE, "")), "'/etc/cron.d/evil': an absolute path"),
    "dot-dot-path": (add(("{top}/../../evil.py", b"x", tarfile.REGTYPE, "")), "evil.py': a `..` component"),
    "symlink": (add(("{top}/link", b"", tarfile.SYMTYPE, "/etc/passwd")), "link': a symbolic link (to '/etc/passwd')"),
    "hard-link": (add(("{top}/hard", b"", tarfile.LNKTYPE, "/etc/passwd")), "hard': a hard link"),
    "device": (add(("{top}/tty", b"", tarfile.CHRTYPE, "")), "tty': a device file"),
    "fifo": (add(("{top}/pipe", b"", tarfile.FIFOTYPE, "")), "pipe': a FIFO"),
    "oversized-member": (add(("{top}/big.bin", b"\0" * (MAX_FILE_BYTES + 1), tarfile.REGTYPE, "")), "big.bin': 1,048,577 bytes, over the limit of 1 MiB"),
    "decompression-bomb": (many_megabytes, "decompresses to more than 64 MiB"),
    "missing-manifest": (drop("/manifest.json"), "manifest.json is missing"),
    "file-not-in-manifest": (add(("{top}/extra.py", b"print(1)\n", tarfile.REGTYPE, "")), "extra.py: in the bundle but not listed in the manifest"),
    "listed-file-missing": (drop("/src/scheduler/fcfs.py"), "fcfs.py: listed in the manifest but missing from the bundle"),
    "second-top-folder": (add(("elsewhere/x.py", b"x", tarfile.REGTYPE, "")), "'elsewhere/x.py': outside the bundle's single top folder"),
    "bad-schema": (bad_schema, "manifest.json: manifest: missing 'commit'"),
}  # fmt: skip


@pytest.mark.slow
def test_a_good_bundle_verifies(packaged):
    project, _, archive = packaged
    assert verify_bundle(archive) == []
    done = invoke(project, "package", "--verify", str(archive))
    text = output(done)
    assert done.returncode == 0, text
    count = len(git(project, "ls-files", "-z").strip("\0").split("\0"))
    assert f"is a valid bundle: {count} files, scheduler, Sample Learner" in text


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_bundle_is_rejected_naming_the_member(packaged, tmp_path, case):
    _, _, archive = packaged
    change, expected = HOSTILE[case]
    bad = rebuild(archive, tmp_path / f"{case}.tar.gz", change)
    problems = verify_bundle(bad)
    assert any(expected in problem for problem in problems), problems
    assert len(problems) <= 2, "one line per fault, no follow-on noise"
    assert not list(tmp_path.glob("*/**")), "the verifier never extracts anything"


@pytest.mark.slow
def test_a_truncated_bundle_is_reported_as_damaged(packaged, tmp_path):
    _, _, archive = packaged
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    problems = verify_bundle(cut)
    assert len(problems) == 1 and "the archive is damaged after" in problems[0], (
        problems
    )


@pytest.mark.slow
def test_verify_on_the_command_line_lists_problems_and_exits_1(packaged, tmp_path):
    project, _, archive = packaged
    bad = rebuild(archive, tmp_path / "bad.tar.gz", HOSTILE["symlink"][0])
    done = invoke(project, "package", "--verify", str(bad))
    text = output(done)
    assert done.returncode == 1, text
    assert "is not a valid bundle" in text and "a symbolic link" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.write_text("not an archive\n"), "not a gzip-compressed tar archive"),
        (lambda p: p.write_bytes(gzip.compress(b"plain text, not tar\n" * 40)), "not a gzip-compressed tar archive"),
    ],
    ids=["missing", "text", "gzip-not-tar"],
)  # fmt: skip
def test_verify_on_a_file_that_is_no_bundle_says_so_in_one_line(
    packaged, tmp_path, make, expected
):
    project, _, _ = packaged
    path = tmp_path / "bundle.tar.gz"
    make(path)
    done = invoke(project, "package", "--verify", str(path))
    text = output(done)
    assert done.returncode == 2, text
    assert expected in text and len(text.strip().splitlines()) == 1, text


def test_an_empty_archive_is_not_a_bundle(tmp_path):
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    verdict = check_bundle(empty)
    assert "not a bundle" in verdict.unreadable and not verdict.ok
    assert verify_bundle(empty) == [verdict.unreadable]
