"""Everything the learner sees on the terminal (and in CI's job summary)."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .hints import Reveal
from .runner import StageRun, first_failing, stage_status
from .stages import StageFile

console = Console(highlight=False)

RERUN_NOTE = (
    "Property tests use a fixed, derandomized search (no random seed): "
    "a rerun replays exactly the same examples."
)


def stage_line(run: StageRun) -> None:
    if run.ok:
        console.print(
            f"[green]✓[/] {run.stage.label} {run.stage.title}: all {run.total} tests pass"
        )
    elif run.problem:
        console.print(
            f"[red]✗[/] {run.stage.label} {run.stage.title}: could not be judged"
        )
    else:
        failing = run.total - run.passed
        console.print(
            f"[red]✗[/] {run.stage.label} {run.stage.title}: "
            f"{failing} of {run.total} tests failing"
        )


def failure_details(run: StageRun) -> None:
    """Show why a stage failed and the exact commands to go on with."""
    stage = run.stage
    if run.problem:
        console.print(Panel(Text(run.problem), title=stage.label, border_style="red"))
        return
    first = run.first_failure
    assert first is not None
    console.print(
        Panel(
            # Text, not markup: failures are full of brackets ("0[0,2)", "[rule: ...]").
            Text(first.failure.strip() or first.outcome),
            title=escape(first.nodeid.split("::", 1)[-1]),
            border_style="red",
        )
    )
    console.print("Rerun just this test:")
    console.print(f"  {escape(first.rerun_command)}", soft_wrap=True)
    console.print("Run the whole stage:")
    console.print(f"  invoke test --stage {stage.id}")
    console.print(RERUN_NOTE, style="dim")
    console.print(f"Stuck? [bold]invoke hint[/] shows a hint for {stage.label}.")


def all_done(stage_file: StageFile) -> None:
    console.print(
        f"[bold green]Every stage of {stage_file.title} passes.[/] "
        "Write up your reflection in JOURNAL.md, then `invoke check` before you push."
    )


def progress_table(
    stage_file: StageFile, runs: dict[str, StageRun], hints: dict[str, list[str]]
) -> Table:
    table = Table(title=f"{stage_file.title}: progress")
    for column in ("#", "stage", "title", "status", "tests passing", "hints"):
        table.add_column(column)
    style = {"passed": "green", "failing": "red", "locked": "dim"}
    for stage, status in stage_status(stage_file, runs):
        run = runs.get(stage.id)
        table.add_row(
            str(stage.number),
            stage.id,
            stage.title,
            f"[{style[status]}]{status}[/]",
            f"{run.passed}/{run.total}" if run else "-",
            f"{len(hints.get(stage.id, []))}/{len(stage.hints)}",
        )
    return table


def progress_markdown(
    stage_file: StageFile, runs: dict[str, StageRun], hints: dict[str, list[str]]
) -> str:
    """The same table for GitHub's job summary."""
    icon = {"passed": "✅ passed", "failing": "❌ failing", "locked": "🔒 locked"}
    lines = [
        f"## {stage_file.title}: progress",
        "",
        "| # | stage | title | status | tests passing | hints |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for stage, status in stage_status(stage_file, runs):
        run = runs.get(stage.id)
        counts = f"{run.passed}/{run.total}" if run else "-"
        lines.append(
            f"| {stage.number} | `{stage.id}` | {stage.title} | {icon[status]} | {counts} "
            f"| {len(hints.get(stage.id, []))}/{len(stage.hints)} |"
        )
    return "\n".join(lines) + "\n"


def next_step(stage_file: StageFile, runs: dict[str, StageRun]) -> None:
    stage = first_failing(stage_file, runs)
    if stage is None:
        all_done(stage_file)
        return
    console.print(
        f"Next: make {stage.label} {stage.title} pass. "
        "`invoke test` shows what fails; `invoke hint` helps."
    )


def hint(reveal: Reveal) -> None:
    stage = reveal.stage
    total = len(stage.hints)
    for level, text in enumerate(reveal.shown, start=1):
        fresh = reveal.new and level == reveal.level
        console.print(
            Panel(
                Markdown(text),
                title=f"{stage.label} — hint {level} of {total}"
                + (" (new)" if fresh else ""),
                border_style="yellow" if fresh else "dim",
            )
        )
    if not reveal.new:
        console.print(
            f"That is every hint for {stage.label}. The README's rules section and the failing "
            "test's message are the most precise guides now."
        )
    elif reveal.level < total:
        console.print(
            f"{reveal.level} of {total} hints revealed. "
            "Run `invoke hint` again for a more specific one."
        )
    else:
        console.print(f"That was the last hint for {stage.label}.")
