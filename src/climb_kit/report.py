"""Tables the kit prints (rich): verification results, one table per template."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .contributor.verify import Check

console = Console(highlight=False)


def check_line(project: str, check: Check) -> None:
    mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
    console.print(f"  {mark} {project}: {check.name} ({check.seconds:.1f} s)")


def verify_table(project: str, checks: list[Check]) -> Table:
    table = Table(title=f"verify {project}", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    table.add_column("time", justify="right")
    for check in checks:
        table.add_row(
            check.name,
            "[green]pass[/]" if check.ok else "[red]FAIL[/]",
            check.detail,
            f"{check.seconds:.1f} s",
        )
    return table
