"""Stage 7 (cli): a timeline drawn as text, one line per job."""

from .metrics import Slice
from .workload import Job


def job_cells(job: Job, slices: list[Slice], width: int) -> str:
    """The `width` characters of one job's line, one per tick from 0.

    `slices` are this job's slices in time order. `#` running, `.` ready but not running
    (arrived, not finished, not blocked), `~` blocked on I/O (after every io_every ticks
    of CPU, except on the tick it finishes, for io_time ticks), a space before arrival
    and after completion (a job without slices is all spaces).
    """
    cells = [" "] * width
    if not slices:
        return "".join(cells)
    for t in range(job.arrival, slices[-1].end):
        cells[t] = "."
    ran = 0
    for piece in slices:
        for t in range(piece.start, piece.end):
            cells[t] = "#"
            ran += 1
            if job.io_every and ran % job.io_every == 0 and ran < job.burst:
                for blocked in range(t + 1, min(t + 1 + job.io_time, width)):
                    cells[blocked] = "~"
    return "".join(cells)


def gantt(jobs: list[Job], slices: list[Slice]) -> str:
    """A Gantt chart: one line per job in id order, `f"{job.id:>3} |{cells}|"`.

    Every line has one cell per tick from 0 up to the last completion of any job (see
    `job_cells`). Lines are joined with "\\n", with no newline at the end.
    No jobs give "".
    """
    width = max((piece.end for piece in slices), default=0)
    mine: dict[int, list[Slice]] = {job.id: [] for job in jobs}
    for piece in sorted(slices, key=lambda piece: piece.start):
        mine[piece.job].append(piece)
    return "\n".join(
        f"{job.id:>3} |{job_cells(job, mine[job.id], width)}|"
        for job in sorted(jobs, key=lambda job: job.id)
    )
