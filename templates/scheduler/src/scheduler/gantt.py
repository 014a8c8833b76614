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
    raise NotImplementedError(
        "Stage 7 (cli): draw one job's cells: '#', '.', '~' or ' ' per tick"
    )


def gantt(jobs: list[Job], slices: list[Slice]) -> str:
    """A Gantt chart: one line per job in id order, `f"{job.id:>3} |{cells}|"`.

    Every line has one cell per tick from 0 up to the last completion of any job (see
    `job_cells`). Lines are joined with "\\n", with no newline at the end.
    No jobs give "".
    """
    raise NotImplementedError(
        "Stage 7 (cli): draw one line per job, all the same width"
    )
