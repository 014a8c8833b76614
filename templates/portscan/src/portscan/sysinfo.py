"""Stage 7 (sysinfo): where a machine's facts live.

The kernel publishes most of what `top`, `free` and `uptime` show as text files under
/proc; the distribution names itself in /etc/os-release; the rest comes from system calls
wrapped by `os`, `socket`, `platform` and psutil. This module gathers them into one plain
dict (ready for JSON) and formats it for people.
"""

import os  # noqa: F401 (used by code you write)
import platform  # noqa: F401 (used by code you write)
import socket  # noqa: F401 (used by code you write)
import time  # noqa: F401 (used by code you write)
from pathlib import Path

import psutil  # noqa: F401 (used by code you write)

# The files collect() reads. Read them through these names (sysinfo.MEMINFO, not the literal
# path): tests point them at sample files.
OS_RELEASE = Path("/etc/os-release")
CPUINFO = Path("/proc/cpuinfo")
MEMINFO = Path("/proc/meminfo")
UPTIME = Path("/proc/uptime")

LABELS = {
    "hostname": "hostname",
    "os": "os",
    "kernel": "kernel",
    "architecture": "architecture",
    "cpu_model": "cpu model",
    "cpu_count": "cpus",
    "memory_total": "memory total",
    "memory_available": "memory available",
    "uptime_seconds": "uptime",
    "load": "load average",
    "interfaces": "interfaces",
}
"""collect()'s keys, in order, and the label format_sysinfo() shows for each."""

MIB = 1024 * 1024  # bytes in a mebibyte


def parse_os_release(text: str) -> str:
    """Return the value of PRETTY_NAME in an os-release file's text ("" when it has none).

    Lines are KEY=value; blank lines and lines starting with '#' are skipped. A value
    wrapped in matching double or single quotes loses them:
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"' -> 'Debian GNU/Linux 12 (bookworm)'.
    """
    raise NotImplementedError(
        "Stage 7 (sysinfo): find the PRETTY_NAME line and strip the quotes around its value"
    )


def cpu_model_from(text: str) -> str:
    """Return the first 'model name' in /proc/cpuinfo's text ("" when it has none).

    Lines are 'key<tabs>: value'; the key and the value are stripped:
    'model name\\t: AMD EPYC 7763' -> 'AMD EPYC 7763'. (Some machines, many ARM boards
    among them, have no 'model name' line at all.)
    """
    raise NotImplementedError(
        "Stage 7 (sysinfo): return the value of the first 'model name' line"
    )


def parse_meminfo(text: str) -> dict[str, int]:
    """Return /proc/meminfo's text as {field: bytes}.

    Lines are 'Field:   <integer> kB' or, for counts, 'Field:   <integer>' without a
    unit. The kernel's 'kB' means KiB: 'MemTotal: 2048 kB' -> {"MemTotal": 2097152};
    numbers without a unit are kept as they are. Lines of any other shape are skipped.
    """
    raise NotImplementedError(
        "Stage 7 (sysinfo): turn each 'Field: <n> kB' line into bytes (kB means 1024 bytes)"
    )


def format_uptime(seconds: float) -> str:
    """Return a duration for people, in whole minutes (rounded down): '1d 2h 3m'.

    Start at the largest unit that is not zero and show every smaller unit down to
    minutes: 93784 -> '1d 2h 3m', 86400 -> '1d 0h 0m', 3660 -> '1h 1m', 59 -> '0m'.
    """
    raise NotImplementedError(
        "Stage 7 (sysinfo): split the whole minutes into days, hours and minutes"
    )


def collect() -> dict:
    """{"hostname": socket.gethostname(), "os": PRETTY_NAME from /etc/os-release (fallback
    platform.platform()), "kernel": platform.release(), "architecture": platform.machine(),
    "cpu_model": the first 'model name' in /proc/cpuinfo (fallback platform.processor()),
    "cpu_count": os.cpu_count(), "memory_total": bytes (MemTotal), "memory_available": bytes
    (MemAvailable), "uptime_seconds": float (/proc/uptime), "load": [1, 5, 15 min] (os.getloadavg),
    "interfaces": {name: [addresses as strings, IPv4 and IPv6]} (psutil.net_if_addrs)}

    Keys in that order (LABELS lists them). Files are read through OS_RELEASE, CPUINFO,
    MEMINFO and UPTIME. Fallbacks when a file is missing or lacks the line: os ->
    platform.platform(); cpu_model -> platform.processor(); memory_total and
    memory_available -> psutil.virtual_memory()'s total and available; uptime_seconds ->
    time.time() - psutil.boot_time(). uptime_seconds is the first of /proc/uptime's two
    numbers (the second is idle time summed over all CPUs). Every interface psutil knows is
    listed, even one without addresses ([]); other address families (MAC) are left out.
    """
    raise NotImplementedError(
        "Stage 7 (sysinfo): read each fact from its source (see the docstring) into one dict"
    )


def format_sysinfo(info: dict) -> str:
    """Aligned 'key: value' lines for people (memory in MiB, uptime as 1d 2h 3m).

    One line per key of LABELS, in that order, showing its label: 'memory available:'
    (the longest) is followed by one space, and every other 'label:' is padded to the
    same width so the values line up. memory_total and memory_available in whole MiB
    (rounded down) as '23707 MiB'; uptime_seconds as format_uptime(); load as
    '0.52, 0.58, 0.59' (two decimals); interfaces one per line as 'name: addr, addr'
    ('name: -' without addresses), the first on the label's line and the others indented
    to the value column ('-' alone when there are no interfaces); any other value as
    str(value). Lines are joined with '\\n', with no newline at the end.
    """
    raise NotImplementedError(
        "Stage 7 (sysinfo): one aligned 'label: value' line per key of LABELS"
    )
