"""Every project's benchmark (the learner's `invoke bench`) answers a mistyped flag with a usage
error, the way any command-line tool does, and never with a traceback."""

import subprocess
import sys

import pytest

from climb_kit.layout import finished_projects


@pytest.mark.parametrize("project", finished_projects())
@pytest.mark.parametrize("sizes", ["abc", "10,x", "0", ""])
def test_bench_rejects_bad_sizes_with_one_usage_error(render_of, project, sizes):
    done = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--sizes", sizes],
        cwd=render_of(project),
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = f"`python benchmarks/bench.py --sizes {sizes!r}` said:\n{done.stderr}"
    assert done.returncode == 2, said
    assert "error: argument --sizes:" in done.stderr, said
    assert "Traceback" not in done.stderr, said
