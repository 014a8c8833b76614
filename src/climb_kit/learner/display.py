"""Everything the learner sees on the terminal (and in CI's job summary)."""

from __future__ import annotations

import shlex
from collections import Counter
from datetime import datetime
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from .hints import Reveal
from .journal import Journal, read_journal
from .runner import (
    LastRun,
    StageRun,
    climb,
    first_failing,
    remember_run,
    remember_stage,
    run_every_stage,
    stage_status,
)
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
    elif run.not_run:
        console.print(
            f"[red]✗[/] {run.stage.label} {run.stage.title}: {len(run.failures)} failed, "
            f"{run.passed} passed, {run.not_run} not run (stopped at the first failure)"
        )
    else:
        failing = run.total - run.passed
        console.print(
            f"[red]✗[/] {run.stage.label} {run.stage.title}: "
            f"{failing} of {run.total} tests failing"
        )


def failure_details(run: StageRun, every: bool = False) -> None:
    """Show why a stage failed (its first failure, or with `every` each one) and the exact
    commands to go on with."""
    stage = run.stage
    if run.problem:
        console.print(Panel(Text(run.problem), title=stage.label, border_style="red"))
        return
    shown = run.failures if every and run.failures else [run.first_failure]
    for test in shown:
        assert test is not None
        console.print(
            Panel(
                # Text, not markup: failures are full of brackets ("0[0,2) 1[2,4)", "[rule: ...]").
                Text(test.failure.strip() or test.outcome),
                title=escape(test.nodeid.split("::", 1)[-1]),
                border_style="red",
            )
        )
        console.print("Rerun just this test:")
        console.print(f"  {escape(test.rerun_command)}", soft_wrap=True)
    if run.not_run:
        console.print("See every failure of this stage, not just the first:")
        console.print(f"  invoke test --stage {stage.id} --all")
    else:
        console.print("Run the whole stage:")
        console.print(f"  invoke test --stage {stage.id}")
    if any(test.property_test for test in shown):
        console.print(RERUN_NOTE, style="dim")
    console.print(f"Stuck? [bold]invoke hint[/] shows a hint for {stage.label}.")


class Tally:
    """Counts tests as they start and end (the runner's `on_test`), for a live display."""

    def __init__(self, stage_file: StageFile) -> None:
        self.stage_file = stage_file
        self.stage_of = {
            path: stage for stage in stage_file.stages for path in stage.tests
        }
        self.collected: Counter[str] = Counter()
        self.passed: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.running: str = ""  # the nodeid of the test running now
        self.spinner = Spinner("dots")

    def __call__(self, nodeid: str, state: str) -> None:
        stage = self.stage_of.get(nodeid.split("::", 1)[0])
        if stage is None:
            return
        if state == "collected":
            self.collected[stage.id] += 1
        elif state == "running":
            self.running = nodeid
        else:
            if nodeid == self.running:
                self.running = ""
            if state == "passed":
                self.passed[stage.id] += 1
            else:  # failed, error, skipped: what keeps a stage from passing
                self.failed[stage.id] += 1

    def _counts(self, stage_id: str) -> str:
        text = f"{self.passed[stage_id]} of {self.collected[stage_id]} passed"
        if self.failed[stage_id]:
            text += f", {self.failed[stage_id]} failing"
        return text

    def stage_status(self, stage: Stage) -> Text:
        """One stage's line while it runs: `invoke test`'s spinner."""
        text = Text(f"Running {stage.label} {stage.title}: {self._counts(stage.id)}")
        if self.running:
            text.append(f" · {self.running.split('::', 1)[-1]}", style="dim")
        return text

    def __rich__(self) -> Group:
        """Every stage's line: `invoke progress` and `invoke test --all` while they run."""
        running = self.stage_of.get(self.running.split("::", 1)[0])
        done = sum(self.passed.values()) + sum(self.failed.values())
        collected = sum(self.collected.values())
        header = Text("Running every stage's tests: ")
        if collected:
            header.append(f"{done} of {collected} done, ")
            header.append(f"{sum(self.passed.values())} passed", style="green")
            header.append(f", {sum(self.failed.values())} failing")
        else:
            header.append("collecting them…")
        lines = []
        for stage in self.stage_file.stages:
            finished = self.passed[stage.id] + self.failed[stage.id]
            if stage is running:
                mark, style = "▸", "bold"
            elif finished and finished == self.collected[stage.id]:
                mark, style = ("✗", "red") if self.failed[stage.id] else ("✓", "green")
            else:
                mark, style = " ", "dim"
            line = Text(f"{mark} {stage.label} {stage.title}: ", style=style)
            line.append(self._counts(stage.id))
            if stage is running:
                line.append(f" · {self.running.split('::', 1)[-1]}", style="dim")
            lines.append(line)
        self.spinner.update(text=header)
        return Group(self.spinner, *lines)


def run_every_stage_live(
    project_root: Path, stage_file: StageFile, command: str
) -> dict[str, StageRun]:
    """Run every stage's tests in one run, showing each stage's counts as they come (on a
    terminal; nothing in a log), and record the run for `invoke hint`."""
    tally = Tally(stage_file)
    with Live(tally, console=console, transient=True, refresh_per_second=8):
        runs = run_every_stage(project_root, stage_file, on_test=tally)
    failing = first_failing(stage_file, runs)
    remember_run(
        project_root,
        command,
        runs.values(),
        runs[failing.id] if failing is not None else None,
    )
    return runs


def climb_and_report(
    project_root: Path,
    stage_file: StageFile,
    start: Stage,
    command: str = "invoke test",
    details: bool = True,
) -> StageRun | None:
    """Walk the ladder from `start` as `invoke test` does, printing as it goes (with the first
    failure's details unless `details` is False); remember where it stopped and what it found.
    Returns the run of the stage that failed; None when every stage passes."""
    tally = Tally(stage_file)
    with console.status("") as status:

        def on_test(nodeid: str, state: str) -> None:
            tally(nodeid, state)
            stage = tally.stage_of.get(nodeid.split("::", 1)[0])
            if stage is not None:
                status.update(tally.stage_status(stage))

        outcome = climb(
            project_root,
            stage_file,
            start,
            on_start=lambda stage: status.update(
                Text(f"Running {stage.label} {stage.title}…")
            ),
            on_run=stage_line,
            on_test=on_test,
        )
    remember_stage(project_root, outcome.current)
    remember_run(project_root, command, outcome.runs, outcome.stopped_at)
    if outcome.stopped_at is not None:
        if details:
            failure_details(outcome.stopped_at)
        return outcome.stopped_at
    if details:
        all_done(stage_file, read_journal(project_root))
    return None


def all_done(stage_file: StageFile, journal: Journal) -> None:
    """Every stage passes: say what is left, from the journal (not a fixed reminder)."""
    console.print(f"[bold green]Every stage of {stage_file.title} passes.[/]")
    unwritten = [s for s in stage_file.stages if not journal.is_written(s.id)]
    project_written = journal.project is not None and journal.project.written
    if unwritten:
        names = ", ".join(stage.label for stage in unwritten)
        console.print(
            f"Reflection still to write for {names}: "
            f"`invoke journal --stage {unwritten[0].id}` starts an entry."
        )
    elif not project_written or not journal.summary:
        console.print(
            "Every stage's reflection is written; the project's own (and its Summary line) "
            "is still to write: `invoke journal` starts it."
        )
    else:
        console.print("Your journal is written, every stage and the project.")
    console.print(
        "Then `invoke check` before you push, and `invoke package` for the showcase."
    )


def since(when: datetime) -> str:
    """When, and how long ago, in words a learner reads at a glance."""
    seconds = max(0, int((datetime.now().astimezone() - when).total_seconds()))
    if seconds < 60:
        ago = f"{seconds} s ago"
    elif seconds < 3600:
        ago = f"{seconds // 60} min ago"
    elif seconds < 86400:
        ago = f"{seconds // 3600} h {seconds % 3600 // 60} min ago"
    else:
        ago = f"{seconds // 86400} days ago"
    return f"{when.strftime('%Y-%m-%d %H:%M')}, {ago}"


def hint_source(last: LastRun, stage: Stage) -> None:
    """Where `invoke hint`'s current stage comes from: the last run, and when it was."""
    failing = (
        f"; its first failing test: {last.first_failure}" if last.first_failure else ""
    )
    console.print(
        Text(
            f"{stage.label} is your current stage: it failed when `{last.command}` last ran "
            f"the tests ({since(last.finished_at)}){failing}. Changed your code since? "
            "`invoke test` checks again."
        )
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
    """Name the passed stages whose journal entry is still empty (when every stage passes,
    `all_done` names them)."""
    if first_failing(stage_file, runs) is None:
        return
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


def next_step(
    stage_file: StageFile, runs: dict[str, StageRun], journal: Journal
) -> None:
    stage = first_failing(stage_file, runs)
    if stage is None:
        all_done(stage_file, journal)
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
