"""A service that crashes inside a test shows its traceback (issue 20, point 5).

A learner at stage 2 (the ladder's state after stage 1) runs `invoke test` on the next stage,
whose server code is still the skeleton's: chat's server closes the WebSocket with 1011 and
http-service's answers 500, each writing a NotImplementedError traceback on its stderr. The
failure box must start with the test's own message (never with chained-exception boilerplate)
and show the end of that traceback: the learner's frame and the exception line.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from climb_kit.contributor.reference import overlay_state
from climb_kit.learner.stages import load_stages

from .helpers import run_in

pytestmark = pytest.mark.slow

# project: (the stage that fails, the skeleton module whose traceback must show, what the test's
# message says first)
CASES = {
    "chat": ("rooms", "src/chat/server.py", "close code 1011"),
    "http-service": ("resources", "src/http_service/app.py", "got: 500"),
}


def failure_box(output: str) -> list[str]:
    """The lines inside the first failure panel, without its borders."""
    lines = output.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("╭"))
    bottom = next(i for i in range(top, len(lines)) if lines[i].startswith("╰"))
    return [line.strip("│").strip() for line in lines[top + 1 : bottom]]


@pytest.mark.parametrize("project", sorted(CASES))
def test_a_crashing_service_shows_its_traceback_after_the_tests_message(
    project, render_of, tmp_path
):
    stage, module, said = CASES[project]
    root = tmp_path / project
    shutil.copytree(render_of(project), root, symlinks=True)
    stages = [s.id for s in load_stages(root).stages]
    overlay_state(project, root, stages, stages.index(stage))
    done = run_in(root, sys.executable, "-m", "invoke", "test", "--stage", stage)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    box = failure_box(done.stdout)
    text = "\n".join(box)
    first = "\n".join(box[:3])
    assert said in first, f"the box should start with the test's message:\n{text}"
    for boilerplate in ("During handling of the above exception", "direct cause of"):
        assert boilerplate not in text, text
    # The traceback's last lines: the learner's frame, then the exception it raised.
    frame = next(
        (i for i, line in enumerate(box) if f'{Path(module)}", line' in line), None
    )
    exception = next(
        (i for i, line in enumerate(box) if line.startswith("NotImplementedError: ")),
        None,
    )
    assert frame is not None and exception is not None and frame < exception, (
        f"the box should end with the service's traceback ({module}, then the "
        f"NotImplementedError):\n{text}"
    )
    assert box.index(next(line for line in box if line.startswith("Traceback"))) < frame
