"""What `invoke bench` writes is the learner's to keep or ignore: it never blocks `invoke package`.

On a finished project of every template (the reference solution, a written journal, committed),
`invoke bench` at small sizes writes its reports, git ignores them (the rendered .gitignore), and
`invoke package` then succeeds. A bench rerun keeps what the learner wrote in dataproc's report.md.
A benchmark's external tool (wrk, nmap) missing is said in one line, as the README promises.
dataproc's scaling report measures every cell in rounds and shows the spread, its memory is
each configuration's own (a fresh process, its workers included), and its chart starts at 0.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from climb_kit.contributor.reference import overlay_solution
from climb_kit.layout import finished_projects
from tests.helpers import run_in
from tests.test_package import commit_all, git, output, write_journal

# Per project: `invoke bench` flags that keep the run short, and the reports it must write.
QUICK = {
    "scheduler": (["--sizes", "300,600"], []),
    "portscan": (["--sizes", "300"], []),
    "dataproc": (["--sizes", "8"], ["report.json", "report.md", "report.png"]),
    "http-service": (["--sizes", "2"], ["report.json"]),
    "chat": (["--sizes", "20"], ["report.json"]),
}
# The external program a project's benchmark runs, and what its bench says without it.
TOOLS = {
    "http-service": ("wrk", "error: the benchmark needs wrk"),
    "portscan": ("nmap", "nmap is not installed, so no comparison"),
}
NOTES = "## What I see"


def invoke(project: Path, *args: str):
    return run_in(project, sys.executable, "-m", "invoke", *args)


def finished_project(render: Path, project: str, target: Path) -> Path:
    """A render with the reference solution and a written journal, committed in a new repo."""
    shutil.copytree(render, target, symlinks=True)
    overlay_solution(project, target)
    write_journal(target)
    git(target, "init", "-q", "-b", "main")
    commit_all(target, "Finished")
    return target


def bench(project: Path, name: str):
    """`invoke bench` at small sizes; returns the run, checked to have run to its end."""
    flags, _ = QUICK[name]
    done = invoke(project, "bench", *flags)
    said = output(done)
    tool, without = TOOLS.get(name, (None, None))
    if tool and shutil.which(tool) is None:
        assert without in said, f"{name}: without {tool}, bench must say so:\n{said}"
        assert f"sudo apt-get install {tool}" in said, said
        assert f"brew install {tool}" in said, said
    if name == "http-service" and shutil.which("wrk") is None:
        assert done.returncode == 2, said  # nothing to measure with
        return done
    if name == "portscan" and shutil.which("nmap"):
        assert "nmap -sT:" in said, said
    # 1: a benchmark with a target measured and missed it (a busy machine); still a full run.
    assert done.returncode in (0, 1), said
    return done


def git_status(project: Path) -> str:
    return git(project, "status", "--porcelain", "--untracked-files=all")


@pytest.mark.slow
@pytest.mark.parametrize("name", finished_projects())
def test_bench_outputs_are_ignored_and_package_succeeds_after_bench(
    render_of, tmp_path, name
):
    assert name in QUICK, f"add {name}'s quick bench flags and reports to QUICK"
    project = finished_project(render_of(name), name, tmp_path / name)
    done = bench(project, name)
    _, reports = QUICK[name]
    if done.returncode != 2:  # http-service without wrk measures nothing
        for report in reports:
            path = project / "benchmarks" / report
            assert path.is_file() and path.stat().st_size, f"bench wrote no {report}"
    assert git_status(project) == "", "what bench writes is ignored by git"

    packaged = invoke(project, "package")
    assert packaged.returncode == 0, output(packaged)
    assert "Packaged dist/" in output(packaged)


@pytest.mark.slow
def test_a_dataproc_bench_rerun_keeps_the_learners_notes_and_a_report_can_be_handed_in(
    render_of, tmp_path
):
    project = finished_project(render_of("dataproc"), "dataproc", tmp_path / "dp")
    bench(project, "dataproc")
    report = project / "benchmarks" / "report.md"
    first = report.read_text(encoding="utf-8")
    assert NOTES in first, first
    mine = "Processes scale on the CPU stage; threads do not (one GIL).\n"
    report.write_text(
        first[: first.index(NOTES)] + NOTES + "\n\n" + mine, encoding="utf-8"
    )

    again = bench(project, "dataproc")
    text = report.read_text(encoding="utf-8")
    assert text.endswith(NOTES + "\n\n" + mine), text
    assert text.startswith("# Scaling report\n\n| stage | mode | workers |"), text
    assert "| rounds | records/s median | records/s min–max |" in text, text
    assert "\n## Every run\n\n| stage | mode |" in text, (
        text
    )  # the learner's to_markdown
    assert "kept the '## What I see' section of benchmarks/report.md" in output(again)

    # A report whose heading the learner removed is kept whole, never overwritten.
    report.write_text("My own notes, no heading.\n", encoding="utf-8")
    third = bench(project, "dataproc")
    previous = project / "benchmarks" / "report.previous.md"
    assert previous.read_text(encoding="utf-8") == "My own notes, no heading.\n"
    assert NOTES in report.read_text(encoding="utf-8")
    assert "kept it whole as benchmarks/report.previous.md" in output(third)
    assert git_status(project) == ""

    # Handed in on purpose: a report added with `git add -f` is in the bundle.
    git(project, "add", "-f", "benchmarks/report.json")
    commit_all(project, "Hand in the scaling numbers")
    packaged = invoke(project, "package")
    assert packaged.returncode == 0, output(packaged)
    [archive] = (project / "dist").glob("*.tar.gz")
    listing = subprocess.run(
        ["tar", "-tzf", str(archive)], capture_output=True, text=True, check=True
    ).stdout
    assert "/benchmarks/report.json" in listing
    assert "/benchmarks/report.md" not in listing, "only what was added on purpose"


# --- dataproc's scaling report ----------------------------------------------------------------


def dataproc_bench(project: Path, monkeypatch):
    """benchmarks/bench.py of this dataproc project, imported as a module."""
    monkeypatch.syspath_prepend(
        str(project / "benchmarks")
    )  # its `from arguments import`
    monkeypatch.delitem(sys.modules, "arguments", raising=False)
    spec = importlib.util.spec_from_file_location(
        "dataproc_bench", project / "benchmarks" / "bench.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_dataproc_report_repeats_every_cell_and_shows_its_spread(
    render_of, tmp_path
):
    project = finished_project(render_of("dataproc"), "dataproc", tmp_path / "dp")
    done = invoke(project, "bench", "--sizes", "8")
    assert done.returncode == 0, output(done)
    cells = json.loads((project / "benchmarks" / "report.json").read_text())
    assert len(cells) == 2 * 3 * 3, cells  # 2 stages x 3 modes x workers 1,2,4
    for cell in cells:
        assert cell["rounds"] == 3, cell
        low, mid, high = (
            cell[f"records_per_second_{name}"] for name in ("min", "median", "max")
        )
        assert 0 < low <= mid <= high, cell
        assert cell["p99_ms_median"] <= cell["p99_ms_max"], cell
        assert cell["memory_kib_median"] > 0, cell
    # Rounds interleave: every cell is measured once before any is measured twice.
    said = output(done).splitlines()
    rounds = [
        line.split()[0] for line in said if line.split()[:1] in (["1"], ["2"], ["3"])
    ]
    assert rounds == ["1"] * 18 + ["2"] * 18 + ["3"] * 18, output(done)


@pytest.mark.slow
def test_dataproc_memory_is_each_configurations_own_with_its_workers(
    render_of, tmp_path, monkeypatch
):
    project = tmp_path / "dp"
    shutil.copytree(render_of("dataproc"), project, symlinks=True)
    overlay_solution("dataproc", project)
    bench = dataproc_bench(project, monkeypatch)
    into = tmp_path / "cell.json"
    alone, alone_kib = bench.measure_in_own_process(("cpu", "threads", 1, 100), 1, into)
    pool, pool_kib = bench.measure_in_own_process(("cpu", "processes", 2, 100), 1, into)
    assert alone["row"]["records"] == pool["row"]["records"] == 100
    # Two workers are two more interpreters: far more than one process's memory.
    assert pool_kib > 1.5 * alone_kib, (alone_kib, pool_kib)


def test_dataproc_chart_starts_at_zero_with_whole_worker_ticks(render_of, monkeypatch):
    bench = dataproc_bench(render_of("dataproc"), monkeypatch)
    summaries = [
        {
            "stage": stage,
            "mode": mode,
            "workers": workers,
            "records": 400,
            "rounds": 3,
            "records_per_second_median": 250.0 + 10 * workers,
            "records_per_second_min": 240.0 + 10 * workers,
            "records_per_second_max": 260.0 + 10 * workers,
        }
        for stage in ("cpu", "io")
        for mode in ("threads", "processes", "asyncio")
        for workers in (1, 2, 4)
    ]
    figure = bench.chart(summaries, [1, 2, 4])
    for axis in figure.axes:
        assert axis.get_ylim()[0] == 0, axis.get_title()
        assert list(axis.get_xticks()) == [1, 2, 4], axis.get_title()


@pytest.mark.slow
def test_a_dataproc_bench_stopped_with_ctrl_c_leaves_no_process_behind(
    render_of, tmp_path
):
    import signal
    import time

    import psutil

    project = tmp_path / "dp"
    shutil.copytree(render_of("dataproc"), project, symlinks=True)
    overlay_solution("dataproc", project)
    bench = subprocess.Popen(
        [sys.executable, "benchmarks/bench.py", "--sizes", "2000", "--workers", "2"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(seen) < 2:  # a cell and a worker
            seen = psutil.Process(bench.pid).children(recursive=True)
            time.sleep(0.05)
        assert len(seen) >= 2, "no cell with a worker started within 60 s"
        bench.send_signal(
            signal.SIGINT
        )  # the bench only, not its cell: it must end them
        said, _ = bench.communicate(timeout=30)
    finally:
        bench.kill()
        bench.wait()
    gone, alive = psutil.wait_procs(seen, timeout=10)
    for process in alive:
        process.kill()
    assert not alive, f"left running: {alive}\n{said}"
    assert bench.returncode == 130, said
    assert "interrupted: no report written" in said, said
    assert "Traceback" not in said, said
