"""The facilitator's views of a graded cohort: a terminal table and a self-contained HTML page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rich.table import Table

from .status import STALE_DAYS, LearnerStatus

TEMPLATES = Path(__file__).resolve().parent / "templates"


def status_table(statuses: list[LearnerStatus], now: datetime | None = None) -> Table:
    """One row per learner, furthest first (the order `grade_cohort` returns)."""
    now = now or datetime.now(UTC)
    table = Table(title="Cohort progress")
    for column in (
        "learner",
        "stages",
        "current stage",
        "tests ✓/✗",
        "template",
        "last commit",
        "flags",
    ):
        table.add_column(column)
    for s in statuses:
        days = s.days_since_commit(now)
        flags = []
        if s.tampered:
            flags.append(f"[red]tampered: {len(s.tampered)} file(s)[/]")
        if s.limit:
            flags.append(f"[red]limit exceeded: {s.limit}[/]")
        if s.problem:
            flags.append(f"[red]{s.problem}[/]")
        commit = "" if days is None else f"{days:.0f} d ago"
        if days is not None and days >= STALE_DAYS:
            commit = f"[red]{commit}[/]"
        table.add_row(
            s.handle,
            f"{s.stages_passed}/{s.stages_total}",
            s.current_stage or "[green]all passed[/]",
            f"{s.tests_passed}/{s.tests_failed}",
            s.template_version,
            commit,
            "; ".join(flags),
        )
    return table


def dashboard_html(
    statuses: list[LearnerStatus],
    project: str,
    isolation: str,
    now: datetime | None = None,
) -> str:
    """A single HTML file (no scripts, no external assets): stages per learner at a glance."""
    now = now or datetime.now(UTC)
    stage_ids: list[str] = []
    for s in statuses:
        for stage in s.stages:
            if stage not in stage_ids:
                stage_ids.append(stage)
    rows = []
    for s in statuses:
        days = s.days_since_commit(now)
        rows.append(
            {
                **s.__dict__,
                "days": None if days is None else int(days),
                "stale": days is not None and days >= STALE_DAYS,
                "last_commit_day": s.last_commit[:10],
            }
        )
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "jinja"]),
    )
    return environment.get_template("dashboard.html.jinja").render(
        project=project,
        rows=rows,
        stage_ids=stage_ids,
        passed_counts={
            stage: sum(s.stages.get(stage) == "passed" for s in statuses)
            for stage in stage_ids
        },
        stale=[row["handle"] for row in rows if row["stale"]],
        stale_days=STALE_DAYS,
        isolation=isolation,
        generated=now.strftime("%Y-%m-%d %H:%M UTC"),
    )
