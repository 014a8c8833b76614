"""Your project's commands. `invoke --list` shows them; the code lives in climb/ (kit-owned)."""

from climb.tasks import namespace  # noqa: F401
