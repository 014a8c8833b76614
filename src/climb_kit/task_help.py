"""`python3 kit.py TASK --help` shows TASK's help, whatever arguments TASK takes.

Invoke's parser fills a task's positional arguments before it looks for core flags, so a `--help`
typed after a task that takes one is read as that argument's value (pyinvoke/invoke#982, open):
`invoke cohort.create --help` fails with "did not receive required positional arguments", and
`invoke cohort.status --help` grades a cohort folder named "--help". `invoke --help TASK`, the
same question asked first, always works. So kit.py runs this module's program, invoke's own with
one change: just before the task words are parsed, `TASK ... --help` is read as `--help TASK`.

A `-h` that is one of TASK's own flags (cohort.status's `-h` is `--html`) keeps its meaning.
The learner's tasks take no positional arguments, so plain `invoke TASK --help` already works
there (tests/test_task_help.py checks every task of both).
"""

from __future__ import annotations

from collections.abc import Container, Mapping

from invoke import Program, __version__
from invoke.parser import Parser

HELP_FLAGS = ("--help", "-h")


def help_asked_for(words: list[str], tasks: Mapping) -> str | None:
    """The task named first in `[TASK, ..., --help, ...]`; None for any other command line.

    `words` are the command's words after the core flags; `tasks` maps each task name (and
    alias) to its parser context, whose `flags` are the task's own. Words after `--` are the
    task's remainder, never a request for help.
    """
    body = words[: words.index("--")] if "--" in words else words
    if not body or body[0] not in tasks:
        return None
    own: Container[str] = tasks[body[0]].flags
    if any(word in HELP_FLAGS and word not in own for word in body[1:]):
        return body[0]
    return None


_invokes_own_make_parser = Program._make_parser


def _make_parser_reading_help(self: Program) -> Parser:
    # Invoke makes the task parser only to parse the task words next (parse_tasks), so here
    # they can still be read as help. It cannot be made twice: making it consumes the tasks'
    # help texts (invoke's Task.get_arguments pops them).
    parser = _invokes_own_make_parser(self)
    asked = help_asked_for(self.core.unparsed, parser.contexts)
    if asked is not None:
        # What `--help TASK` sets: invoke then prints TASK's help and stops.
        self.args.help.value = asked
        self.core.unparsed = []
    return parser


class KitProgram(Program):
    """Invoke's command line, with `TASK --help` always answered as `--help TASK`."""

    _make_parser = _make_parser_reading_help


def answer_help_after_any_task() -> None:
    """Give plain `invoke` (typed in the kit's root) the same `TASK --help`.

    Invoke imports tasks.py after reading its own flags and before it parses the task words,
    so tasks.py calling this in time changes how those words are read, in that process only.
    """
    Program._make_parser = _make_parser_reading_help


program = KitProgram(
    name="Invoke",
    binary="python3 kit.py",
    binary_names=["invoke", "inv"],
    version=__version__,
)

if __name__ == "__main__":
    program.run()
