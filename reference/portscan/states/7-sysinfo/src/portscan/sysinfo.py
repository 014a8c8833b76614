"""Stage 7 (sysinfo): where a machine's facts live.

The kernel publishes most of what `top`, `free` and `uptime` show as text files under
/proc; the distribution names itself in /etc/os-release; the rest comes from system calls
wrapped by `os`, `socket`, `platform` and psutil. This module gathers them into one plain
dict (ready for JSON) and formats it for people.
"""

import os
import platform
import socket
import time
from pathlib import Path

import psutil

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
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if key.strip() != "PRETTY_NAME":
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        return value
    return ""


def cpu_model_from(text: str) -> str:
    """Return the first 'model name' in /proc/cpuinfo's text ("" when it has none).

    Lines are 'key<tabs>: value'; the key and the value are stripped:
    'model name\\t: AMD EPYC 7763' -> 'AMD EPYC 7763'. (Some machines, many ARM boards
    among them, have no 'model name' line at all.)
    """
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() == "model name":
            return value.strip()
    return ""


def parse_meminfo(text: str) -> dict[str, int]:
    """Return /proc/meminfo's text as {field: bytes}.

    Lines are 'Field:   <integer> kB' or, for counts, 'Field:   <integer>' without a
    unit. The kernel's 'kB' means KiB: 'MemTotal: 2048 kB' -> {"MemTotal": 2097152};
    numbers without a unit are kept as they are. Lines of any other shape are skipped.
    """
    fields: dict[str, int] = {}
    for line in text.splitlines():
        key, colon, rest = line.partition(":")
        words = rest.split()
        if not colon or not words or not words[0].isdigit():
            continue
        if words[1:] == ["kB"]:
            fields[key.strip()] = int(words[0]) * 1024
        elif len(words) == 1:
            fields[key.strip()] = int(words[0])
    return fields


def format_uptime(seconds: float) -> str:
    """Return a duration for people, in whole minutes (rounded down): '1d 2h 3m'.

    Start at the largest unit that is not zero and show every smaller unit down to
    minutes: 93784 -> '1d 2h 3m', 86400 -> '1d 0h 0m', 3660 -> '1h 1m', 59 -> '0m'.
    """
    minutes = int(seconds) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


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
    try:
        os_name = parse_os_release(OS_RELEASE.read_text(encoding="utf-8"))
    except OSError:
        os_name = ""
    try:
        cpu_model = cpu_model_from(CPUINFO.read_text(encoding="utf-8"))
    except OSError:
        cpu_model = ""
    try:
        meminfo = parse_meminfo(MEMINFO.read_text(encoding="utf-8"))
        memory_total, memory_available = meminfo["MemTotal"], meminfo["MemAvailable"]
    except (OSError, KeyError):
        memory = psutil.virtual_memory()
        memory_total, memory_available = memory.total, memory.available
    try:
        # "350735.47 234388.90": seconds since boot, then idle seconds of all CPUs summed.
        uptime = float(UPTIME.read_text(encoding="utf-8").split()[0])
    except (OSError, IndexError, ValueError):
        uptime = time.time() - psutil.boot_time()

    interfaces = {
        name: [
            address.address
            for address in addresses
            if address.family in (socket.AF_INET, socket.AF_INET6)
        ]
        for name, addresses in psutil.net_if_addrs().items()
    }
    return {
        "hostname": socket.gethostname(),
        "os": os_name or platform.platform(),
        "kernel": platform.release(),
        "architecture": platform.machine(),
        "cpu_model": cpu_model or platform.processor(),
        "cpu_count": os.cpu_count(),
        "memory_total": memory_total,
        "memory_available": memory_available,
        "uptime_seconds": uptime,
        # A list, not getloadavg's tuple: the dict must stay the same through JSON.
        "load": [float(value) for value in os.getloadavg()],
        "interfaces": interfaces,
    }


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
    width = max(len(label) for label in LABELS.values()) + 2  # 'label:' and a space
    values = {key: str(value) for key, value in info.items()}
    for key in ("memory_total", "memory_available"):
        values[key] = f"{info[key] // MIB} MiB"
    values["uptime_seconds"] = format_uptime(info["uptime_seconds"])
    values["load"] = ", ".join(f"{value:.2f}" for value in info["load"])
    interfaces = [
        f"{name}: {', '.join(addresses) or '-'}"
        for name, addresses in info["interfaces"].items()
    ]
    values["interfaces"] = ("\n" + " " * width).join(interfaces) or "-"
    return "\n".join(
        f"{label + ':':<{width}}{values[key]}" for key, label in LABELS.items()
    )
