"""Everything the learner sees on the terminal (and in CI's job summary)."""

from __future__ import annotations

import shlex
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .hints import Reveal
from .journal import Journal
from .runner import StageRun, climb, first_failing, remember_stage, stage_status
from .stages import Stage, StageFile
from .update import Outcome as UpdateOutcome
from .update import Plan as UpdatePlan

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


def climb_and_report(project_root: Path, stage_file: StageFile, start: Stage) -> bool:
    """Walk the ladder from `start` as `invoke test` does, printing as it goes; remember where
    it stopped. True when every stage passes."""
    with console.status("") as status:
        outcome = climb(
            project_root,
            stage_file,
            start,
            on_start=lambda stage: status.update(
                Text(f"Running {stage.label} {stage.title}…")
            ),
            on_run=stage_line,
        )
    remember_stage(project_root, outcome.current)
    if outcome.stopped_at is not None:
        failure_details(outcome.stopped_at)
        return False
    all_done(stage_file)
    return True


def all_done(stage_file: StageFile) -> None:
    console.print(
        f"[bold green]Every stage of {stage_file.title} passes.[/] "
        "Write up your reflection in JOURNAL.md, then `invoke check` before you push."
    )


def progress_table(
    stage_file: StageFile,
    runs: dict[str, StageRun],
    hints: dict[str, list[str]],
    journal: Journal | None = None,
) -> Table:
    table = Table(title=f"{stage_file.title}: progress")
    columns = ["#", "stage", "title", "status", "tests passing", "hints"]
    for column in columns + (["journal"] if journal else []):
        table.add_column(column)
    style = {"passed": "green", "failing": "red", "locked": "dim"}
    for stage, status in stage_status(stage_file, runs):
        run = runs.get(stage.id)
        row = [
            str(stage.number),
            stage.id,
            stage.title,
            f"[{style[status]}]{status}[/]",
            f"{run.passed}/{run.total}" if run else "-",
            f"{len(hints.get(stage.id, []))}/{len(stage.hints)}",
        ]
        if journal:
            if journal.is_written(stage.id):
                row.append("[green]written[/]")
            elif status == "passed":
                row.append("[yellow]to write[/]")
            else:
                row.append("-")
        table.add_row(*row)
    return table


def missing_reflections(
    stage_file: StageFile, runs: dict[str, StageRun], journal: Journal
) -> None:
    """Name the passed stages whose journal entry is still empty."""
    missing = [
        stage
        for stage, status in stage_status(stage_file, runs)
        if status == "passed" and not journal.is_written(stage.id)
    ]
    if missing:
        names = ", ".join(stage.label for stage in missing)
        console.print(
            f"[yellow]Reflection still to write[/] for {names}: "
            f"`invoke journal --stage {missing[0].id}` starts an entry."
        )


def warning(text: str) -> None:
    """A one-line warning (plain text: it may name files with brackets in them)."""
    if text:
        console.print(Text(text, style="yellow"), soft_wrap=True)


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


# -- invoke update ------------------------------------------------------------------------------


def update_plan(plan: UpdatePlan, dry_run: bool) -> None:
    """The files an update touches, and what happens to each."""
    verb = "would" if dry_run else "will"
    if plan.up_to_date:
        console.print(
            f"Template version: [bold]{escape(plan.old_version)}[/] (already that version; "
            "only template files you changed are restored)"
        )
    else:
        console.print(
            f"Template version: [bold]{escape(plan.old_version)}[/] → "
            f"[bold]{escape(plan.new_version)}[/]"
        )
    if not plan.files:
        console.print("Nothing to change: your project already matches that version.")
        return
    table = Table(title=f"What the update {verb} do", title_justify="left")
    for column in ("file", "owner", "template change", "in your project"):
        table.add_column(column)
    style = {"yours": "green", "template": "cyan", "shared": "magenta"}
    for item in plan.files:
        table.add_row(
            Text(item.path),
            Text(item.owner, style=style[item.owner]),
            item.change or "-",
            Text(
                item.action, style="yellow" if item.backed_up or item.conflict else ""
            ),
        )
    console.print(table)
    if dry_run and plan.stages_changed:
        console.print("Stages whose tests change: " + ", ".join(plan.stages_changed))


def update_outcome(outcome: UpdateOutcome, project_root) -> None:
    plan = outcome.plan
    if plan.up_to_date:
        console.print(
            f"[bold green]Restored[/] {len(plan.files)} template file(s) to "
            f"{escape(plan.new_version)}."
        )
    else:
        console.print(
            f"[bold green]Updated[/] from {escape(plan.old_version)} to "
            f"{escape(plan.new_version)}: {len(plan.files)} file(s) changed."
        )
    if outcome.backups:
        folder = outcome.backup_dir.relative_to(project_root).as_posix()
        console.print(
            f"[yellow]You had edited {len(outcome.backups)} template file(s)[/]; they now hold "
            f"the template's version and yours are kept in {escape(folder)}/:"
        )
        for path in outcome.backups:
            console.print(Text(f"  {path}"))
    if outcome.conflicts:
        console.print(
            f"[red]{len(outcome.conflicts)} shared file(s) have conflicts[/] between your "
            "edits and the template's (marked <<<<<<< before updating / >>>>>>> after updating):"
        )
        for path in outcome.conflicts:
            quoted = shlex.quote(path)
            console.print(Text(f"  {path}"))
            console.print(
                Text(
                    f"    edit the marked lines, then `git add {quoted}`; or keep one side "
                    f"whole: `git checkout --ours {quoted}` (yours) or "
                    f"`git checkout --theirs {quoted}` (the template's), then `git add {quoted}`"
                )
            )
    else:
        console.print("No conflicts. Your code and JOURNAL.md were not touched.")
    if plan.stages_changed:
        console.print("Stages whose tests changed: " + ", ".join(plan.stages_changed))
    console.print(
        "Next: review with `git status` and `git diff`, commit "
        f'(`git add -A && git commit -m "Update the template to {plan.new_version}"`), '
        "and [bold]run invoke test[/]."
    )
