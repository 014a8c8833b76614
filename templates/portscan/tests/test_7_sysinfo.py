"""Stage 7 (sysinfo): where a machine's facts live.

The parsers and format_sysinfo() are checked against sample texts. collect() is checked
against this machine, read by the tests themselves at test time (their own small parsers
of /proc and /etc/os-release, and the standard library), never against numbers written
here. Values that move (free memory, uptime, load) are read just before and just after
collect() and must fall between the two.
"""

import ipaddress
import json
import os
import platform
import socket
import struct
import sys
import time
from collections import namedtuple
from pathlib import Path

import psutil
import pytest

from portscan import sysinfo
from portscan.sysinfo import (
    collect,
    cpu_model_from,
    format_sysinfo,
    format_uptime,
    parse_meminfo,
    parse_os_release,
)

pytestmark = pytest.mark.stage("sysinfo")

KEYS = [
    "hostname",
    "os",
    "kernel",
    "architecture",
    "cpu_model",
    "cpu_count",
    "memory_total",
    "memory_available",
    "uptime_seconds",
    "load",
    "interfaces",
]
MIB = 1024 * 1024

linux_only = pytest.mark.skipif(
    not Path("/proc/meminfo").exists(), reason="reads /proc, which only Linux has"
)


def collected() -> dict:
    info = collect()
    assert isinstance(info, dict), f"collect() returned {info!r}; expected a dict"
    missing = [key for key in KEYS if key not in info]
    assert not missing, (
        f"collect() returned a dict without {missing}\n  its keys: {list(info)}"
    )
    return info


# --- the tests' own readers of the machine's sources ----------------------------------


def proc_fields(path: str) -> dict[str, str]:
    """'key: value' lines of a /proc file, first occurrence of each key."""
    fields: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields.setdefault(key.strip(), value.strip())
    return fields


def meminfo_kib(field: str) -> int:
    value, unit = proc_fields("/proc/meminfo")[field].split()
    assert unit == "kB"
    return int(value)


def proc_uptime() -> float:
    return float(Path("/proc/uptime").read_text(encoding="utf-8").split()[0])


def pretty_name() -> str:
    for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.removeprefix("PRETTY_NAME=").strip().strip("\"'")
    return ""


def online_cpus() -> int:
    """CPUs the kernel has online: '0-3,6' in /sys/devices/system/cpu/online is 5.

    On Linux os.cpu_count() is sysconf(_SC_NPROCESSORS_ONLN), which glibc reads from this
    very file. Python 3.13 lets PYTHON_CPU_COUNT or -X cpu_count override it: then that
    number is what os.cpu_count() answers.
    """
    override = sys._xoptions.get("cpu_count") or os.environ.get("PYTHON_CPU_COUNT")
    if sys.version_info >= (3, 13) and override and override != "default":
        return int(override)
    count = 0
    text = Path("/sys/devices/system/cpu/online").read_text(encoding="utf-8")
    for part in text.strip().split(","):
        first, _, last = part.partition("-")
        count += int(last or first) - int(first) + 1
    return count


def ipv6_by_interface() -> set[tuple[str, str]]:
    """(interface, address) pairs from /proc/net/if_inet6: 32 hex digits, then the name last."""
    path = Path("/proc/net/if_inet6")
    if not path.exists():  # IPv6 disabled
        return set()
    pairs = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if len(words) == 6:
            pairs.add((words[5], str(ipaddress.IPv6Address(bytes.fromhex(words[0])))))
    return pairs


def primary_ipv4(name: str) -> str | None:
    """The interface's primary IPv4 address, asked of the kernel with ioctl(SIOCGIFADDR)."""
    import fcntl

    siocgifaddr = 0x8915
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            reply = fcntl.ioctl(
                sock.fileno(), siocgifaddr, struct.pack("256s", name.encode()[:15])
            )
        except OSError:  # no IPv4 address (or the interface went away)
            return None
    return socket.inet_ntoa(reply[20:24])


def interface_names() -> set[str]:
    return {name for _, name in socket.if_nameindex()}


def addresses_of(info: dict, name: str) -> set[str]:
    """The interface's addresses without any '%scope' suffix ('fe80::1%eth0' is fe80::1)."""
    return {address.split("%")[0] for address in info["interfaces"].get(name, [])}


def between(call: str, got, before, after, slack, why: str) -> None:
    low, high = min(before, after) - slack, max(before, after) + slack
    assert isinstance(got, int | float) and low <= got <= high, (
        f"{call} is {got!r}\n  expected between {low!r} and {high!r}\n"
        f"  (read just before: {before!r}, just after: {after!r}; {why})"
    )


# --- parse_meminfo --------------------------------------------------------------------

MEMINFO_SAMPLE = """\
MemTotal:        8052564 kB
MemFree:          312640 kB
MemAvailable:    5124088 kB
Buffers:          270004 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
"""


def test_parse_meminfo_gives_bytes_because_kb_means_1024_bytes():
    got = parse_meminfo(MEMINFO_SAMPLE)
    expected = {
        "MemTotal": 8052564 * 1024,
        "MemFree": 312640 * 1024,
        "MemAvailable": 5124088 * 1024,
        "Buffers": 270004 * 1024,
        "HugePages_Total": 0,
        "Hugepagesize": 2048 * 1024,
    }
    assert got == expected, (
        f"parse_meminfo({MEMINFO_SAMPLE!r})\n  got:      {got!r}\n  expected: {expected!r}\n"
        "  rule: the kernel's 'kB' is 1024 bytes, so 'MemTotal: 8052564 kB' is "
        "8052564 * 1024 bytes; a number without a unit (a count) stays as it is"
    )


def test_parse_meminfo_skips_lines_of_other_shapes():
    text = (
        "MemTotal:  2048 kB\n\nnot a field\nDirectMap: lots\nMemAvailable:  1024 kB\n"
    )
    got = parse_meminfo(text)
    expected = {"MemTotal": 2048 * 1024, "MemAvailable": 1024 * 1024}
    assert got == expected, (
        f"parse_meminfo({text!r})\n  got:      {got!r}\n  expected: {expected!r}\n"
        "  rule: only 'Field: <integer>' and 'Field: <integer> kB' lines count"
    )


# --- parse_os_release -----------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
            "Debian GNU/Linux 12 (bookworm)",
        ),
        (
            "PRETTY_NAME='Fedora Linux 40 (Workstation Edition)'",
            "Fedora Linux 40 (Workstation Edition)",
        ),
        ("PRETTY_NAME=Arch Linux", "Arch Linux"),
    ],
    ids=["double-quotes", "single-quotes", "no-quotes"],
)
def test_parse_os_release_gives_pretty_name_without_quotes(line, expected):
    text = f'# written by the distribution\nNAME="Some OS"\n\n{line}\nID=someos\n'
    got = parse_os_release(text)
    assert got == expected, (
        f"parse_os_release({text!r})\n  got:      {got!r}\n  expected: {expected!r}\n"
        "  rule: the value of the PRETTY_NAME line, without the quotes around it"
    )


def test_parse_os_release_without_pretty_name_is_empty():
    text = 'NAME="Some OS"\n# PRETTY_NAME="commented out"\nID=someos\n'
    got = parse_os_release(text)
    assert got == "", (
        f"parse_os_release({text!r})\n  got:      {got!r}\n  expected: ''\n"
        "  rule: no PRETTY_NAME line (a comment does not count) gives '', and collect() "
        "then falls back to platform.platform()"
    )


# --- cpu_model_from -------------------------------------------------------------------

CPUINFO_X86 = """\
processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 140
model name\t: 11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz
stepping\t: 1

processor\t: 1
vendor_id\t: GenuineIntel
model\t\t: 140
model name\t: 11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz
"""
CPUINFO_ARM = """\
processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU part\t: 0xd08
"""


def test_cpu_model_from_takes_the_model_name_line_not_the_model_line():
    got = cpu_model_from(CPUINFO_X86)
    expected = "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz"
    assert got == expected, (
        f"cpu_model_from({CPUINFO_X86!r})\n  got:      {got!r}\n  expected: {expected!r}\n"
        "  rule: the value of the first line whose key (before ':', stripped) is exactly "
        "'model name'; 'model\\t\\t: 140' is the model number, a different key"
    )


def test_cpu_model_from_a_cpuinfo_without_model_name_is_empty():
    got = cpu_model_from(CPUINFO_ARM)
    assert got == "", (
        f"cpu_model_from({CPUINFO_ARM!r}) (an ARM board's cpuinfo)\n"
        f"  got:      {got!r}\n  expected: ''\n"
        "  rule: no 'model name' line gives '', and collect() then falls back to "
        "platform.processor()"
    )


# --- format_uptime --------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (0, "0m"),
        (59.9, "0m"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h 0m"),
        (3660.5, "1h 1m"),
        (86399, "23h 59m"),
        (86400, "1d 0h 0m"),
        (93784.99, "1d 2h 3m"),
        (10 * 86400 + 300, "10d 0h 5m"),
    ],
)
def test_format_uptime(seconds, expected):
    got = format_uptime(seconds)
    assert got == expected, (
        f"format_uptime({seconds!r})\n  got:      {got!r}\n  expected: {expected!r}\n"
        "  rule: whole minutes, rounded down; start at the largest unit that is not zero "
        "and show every smaller unit down to minutes ('1d 0h 0m', '1h 0m', '0m')"
    )


# --- format_sysinfo -------------------------------------------------------------------


def sample_info(**changes) -> dict:
    info = {
        "hostname": "build-01",
        "os": "Debian GNU/Linux 12 (bookworm)",
        "kernel": "6.1.0-18-amd64",
        "architecture": "x86_64",
        "cpu_model": "AMD EPYC 7763 64-Core Processor",
        "cpu_count": 4,
        "memory_total": 8 * 1024 * MIB,
        "memory_available": 5 * 1024 * MIB + MIB - 1,
        "uptime_seconds": 93784.5,
        "load": [0.5, 0.25, 1.125],
        "interfaces": {
            "lo": ["127.0.0.1", "::1"],
            "eth0": ["10.0.0.7", "fe80::1%eth0"],
            "docker0": [],
        },
    }
    info.update(changes)
    return info


def check_format(info: dict, expected: str, rule: str) -> None:
    got = format_sysinfo(info)
    assert got == expected, (
        f"format_sysinfo({info!r})\n  got:\n{got}\n  expected:\n{expected}\n"
        f"  got (repr):      {got!r}\n  expected (repr): {expected!r}\n  rule: {rule}"
    )


def test_format_sysinfo_aligns_labels_and_shows_people_units():
    check_format(
        sample_info(),
        "hostname:         build-01\n"
        "os:               Debian GNU/Linux 12 (bookworm)\n"
        "kernel:           6.1.0-18-amd64\n"
        "architecture:     x86_64\n"
        "cpu model:        AMD EPYC 7763 64-Core Processor\n"
        "cpus:             4\n"
        "memory total:     8192 MiB\n"
        "memory available: 5120 MiB\n"
        "uptime:           1d 2h 3m\n"
        "load average:     0.50, 0.25, 1.12\n"
        "interfaces:       lo: 127.0.0.1, ::1\n"
        "                  eth0: 10.0.0.7, fe80::1%eth0\n"
        "                  docker0: -",
        "LABELS in order; values start one space after 'memory available:'; memory in "
        "whole MiB rounded down; uptime as format_uptime(); load with two decimals; one "
        "interface per line, indented to the value column",
    )


def test_format_sysinfo_short_uptime_and_no_interfaces():
    check_format(
        sample_info(uptime_seconds=42.0, interfaces={}, memory_available=MIB - 1),
        "hostname:         build-01\n"
        "os:               Debian GNU/Linux 12 (bookworm)\n"
        "kernel:           6.1.0-18-amd64\n"
        "architecture:     x86_64\n"
        "cpu model:        AMD EPYC 7763 64-Core Processor\n"
        "cpus:             4\n"
        "memory total:     8192 MiB\n"
        "memory available: 0 MiB\n"
        "uptime:           0m\n"
        "load average:     0.50, 0.25, 1.12\n"
        "interfaces:       -",
        "under a minute of uptime is '0m'; less than a MiB is '0 MiB'; no interfaces at "
        "all is '-'",
    )


# --- collect(): its shape -------------------------------------------------------------


def test_collect_returns_the_documented_keys_in_order():
    info = collected()
    assert list(info) == KEYS, (
        f"collect() returned keys {list(info)}\n  expected exactly, in this order: {KEYS}\n"
        "  (sysinfo.LABELS lists them; the JSON output keeps this order)"
    )


def test_collect_values_have_the_documented_types():
    info = collected()
    problems = []
    for key in ("hostname", "os", "kernel", "architecture", "cpu_model"):
        if not isinstance(info[key], str):
            problems.append(f"{key} = {info[key]!r} is not a str")
    for key in ("cpu_count", "memory_total", "memory_available"):
        value = info[key]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(f"{key} = {value!r} is not a positive int (bytes, counts)")
    if not isinstance(info["uptime_seconds"], float):
        problems.append(f"uptime_seconds = {info['uptime_seconds']!r} is not a float")
    load = info["load"]
    if not (
        isinstance(load, list)
        and len(load) == 3
        and all(isinstance(value, float) for value in load)
    ):
        problems.append(f"load = {load!r} is not a list of 3 floats")
    interfaces = info["interfaces"]
    if not (
        isinstance(interfaces, dict)
        and all(
            isinstance(name, str)
            and isinstance(addresses, list)
            and all(isinstance(address, str) for address in addresses)
            for name, addresses in interfaces.items()
        )
    ):
        problems.append(
            f"interfaces = {interfaces!r} is not a dict of name -> [address, ...] "
            "(strings)"
        )
    assert not problems, "collect() returned:\n  " + "\n  ".join(problems)


def test_collect_survives_a_trip_through_json():
    info = collected()
    again = json.loads(json.dumps(info))
    assert again == info, (
        f"json.loads(json.dumps(collect())) gave\n  {again!r}\n  but collect() was\n"
        f"  {info!r}\n  (`portscan sysinfo --json` prints this dict: use plain str, int, "
        "float, list and dict; a tuple comes back as a list)"
    )


# --- collect(): against the machine ---------------------------------------------------


def test_hostname_kernel_and_architecture_come_from_the_system():
    info = collected()
    uname = os.uname()
    expected = {
        "hostname": socket.gethostname(),
        "kernel": uname.release,
        "architecture": uname.machine,
    }
    got = {key: info[key] for key in expected}
    assert got == expected, (
        f"collect() gave {got!r}\n  expected {expected!r}\n"
        "  (socket.gethostname(); platform.release() and platform.machine(), which are "
        "uname's release and machine)"
    )


def test_os_is_pretty_name_from_etc_os_release():
    info = collected()
    if Path("/etc/os-release").exists() and pretty_name():
        expected, source = pretty_name(), "PRETTY_NAME in /etc/os-release, unquoted"
    else:
        expected, source = (
            platform.platform(),
            "platform.platform(): no PRETTY_NAME here",
        )
    assert info["os"] == expected, (
        f"collect()['os'] is {info['os']!r}\n  expected {expected!r} ({source})"
    )


@linux_only
def test_cpu_model_is_the_first_model_name_in_proc_cpuinfo():
    info = collected()
    expected = proc_fields("/proc/cpuinfo").get("model name")
    source = "the first 'model name' line of /proc/cpuinfo"
    if expected is None:
        expected, source = platform.processor(), "platform.processor(): no 'model name'"
    assert info["cpu_model"] == expected, (
        f"collect()['cpu_model'] is {info['cpu_model']!r}\n  expected {expected!r} ({source})"
    )


@linux_only
def test_cpu_count_is_the_number_of_online_cpus():
    info = collected()
    expected = online_cpus()
    assert info["cpu_count"] == expected, (
        f"collect()['cpu_count'] is {info['cpu_count']!r}\n  expected {expected} "
        "(/sys/devices/system/cpu/online lists the CPUs the kernel runs; os.cpu_count() "
        "reports the same number)"
    )


@linux_only
def test_memory_total_is_memtotal_in_bytes():
    info = collected()
    kib = meminfo_kib("MemTotal")
    assert info["memory_total"] == kib * 1024, (
        f"collect()['memory_total'] is {info['memory_total']!r}\n"
        f"  expected {kib * 1024} (/proc/meminfo says 'MemTotal: {kib} kB', and kB "
        "there means 1024 bytes)"
    )


@linux_only
def test_memory_available_is_memavailable_in_bytes():
    before = meminfo_kib("MemAvailable") * 1024
    info = collected()
    after = meminfo_kib("MemAvailable") * 1024
    between(
        "collect()['memory_available']",
        info["memory_available"],
        before,
        after,
        256 * MIB,
        "MemAvailable from /proc/meminfo in bytes, give or take 256 MiB as other "
        "programs run; not MemFree, which leaves out memory the kernel can reclaim",
    )


@linux_only
def test_uptime_is_the_first_number_in_proc_uptime():
    before = proc_uptime()
    info = collected()
    after = proc_uptime()
    between(
        "collect()['uptime_seconds']",
        info["uptime_seconds"],
        before,
        after,
        0.01,
        "/proc/uptime holds seconds since boot, then idle seconds summed over all CPUs",
    )


def test_load_is_getloadavg_over_1_5_and_15_minutes():
    before = os.getloadavg()
    info = collected()
    after = os.getloadavg()
    assert isinstance(info["load"], list) and len(info["load"]) == 3, (
        f"collect()['load'] is {info['load']!r}; expected a list of 3 floats"
    )
    for index, minutes in enumerate((1, 5, 15)):
        between(
            f"collect()['load'][{index}]",
            info["load"][index],
            before[index],
            after[index],
            0.5,
            f"the {minutes}-minute load average from os.getloadavg(); it moves slowly, "
            "so 0.5 either way is allowed",
        )


@linux_only
def test_interfaces_include_loopback_with_127_0_0_1():
    info = collected()
    assert "127.0.0.1" in info["interfaces"].get("lo", []), (
        f"collect()['interfaces'] is {info['interfaces']!r}\n"
        "  expected 'lo' (the loopback interface) among them, with '127.0.0.1' among its "
        "addresses: every scan in this project's tests goes through it"
    )


def test_interfaces_list_every_interface_the_kernel_names():
    before = interface_names()
    info = collected()
    expected = before & interface_names()  # one that appears or goes meanwhile is free
    missing = sorted(expected - set(info["interfaces"]))
    assert not missing, (
        f"collect()['interfaces'] has {sorted(info['interfaces'])}\n"
        f"  missing {missing} (socket.if_nameindex() names {sorted(expected)}); list "
        "every interface, with [] when it has no IPv4 or IPv6 address"
    )


@linux_only
def test_interfaces_hold_each_interfaces_ipv4_address():
    before = {name: primary_ipv4(name) for name in interface_names()}
    info = collected()
    expected = {
        name: address
        for name, address in before.items()
        if address is not None and primary_ipv4(name) == address
    }
    missing = {
        name: address
        for name, address in expected.items()
        if address not in addresses_of(info, name)
    }
    assert not missing, (
        f"collect()['interfaces'] is {info['interfaces']!r}\n"
        f"  expected these IPv4 addresses (the kernel's answer to ioctl SIOCGIFADDR) "
        f"under their interface: {missing!r}"
    )


@linux_only
def test_interfaces_hold_each_interfaces_ipv6_addresses():
    before = ipv6_by_interface()
    info = collected()
    expected = before & ipv6_by_interface()
    missing = sorted(
        (name, address)
        for name, address in expected
        if address not in addresses_of(info, name)
    )
    assert not missing, (
        f"collect()['interfaces'] is {info['interfaces']!r}\n"
        f"  missing these (interface, IPv6 address) pairs from /proc/net/if_inet6: "
        f"{missing!r}\n  (list IPv6 addresses too, as strings like '::1'; a '%eth0' "
        "suffix is allowed)"
    )


def test_interface_addresses_are_ip_addresses_only():
    info = collected()
    not_ip = []
    for name, addresses in info["interfaces"].items():
        for address in addresses:
            try:
                ipaddress.ip_address(address.split("%")[0])
            except ValueError:
                not_ip.append((name, address))
    assert not not_ip, (
        f"collect()['interfaces'] holds {not_ip!r}, which are not IP addresses\n"
        "  (psutil.net_if_addrs() also lists MAC addresses, family psutil.AF_LINK; keep "
        "only socket.AF_INET and socket.AF_INET6)"
    )


# --- collect(): sample files and fallbacks --------------------------------------------

SAMPLE_OS_RELEASE = 'NAME="Sample OS"\nPRETTY_NAME="Sample OS 1.0 (Test)"\nID=sample\n'
SAMPLE_MEMINFO = "MemTotal:  4096 kB\nMemFree:  1024 kB\nMemAvailable:  3072 kB\n"
SAMPLE_UPTIME = "350735.47 234388.90\n"


@pytest.fixture
def sample_files(tmp_path, monkeypatch):
    """Point sysinfo's paths at sample files in a temporary folder."""
    for name, text in [
        ("OS_RELEASE", SAMPLE_OS_RELEASE),
        ("CPUINFO", CPUINFO_X86),
        ("MEMINFO", SAMPLE_MEMINFO),
        ("UPTIME", SAMPLE_UPTIME),
    ]:
        path = tmp_path / name.lower()
        path.write_text(text, encoding="utf-8")
        monkeypatch.setattr(sysinfo, name, path)


@pytest.fixture
def no_files(tmp_path, monkeypatch):
    """Point sysinfo's paths at files that do not exist."""
    for name in ("OS_RELEASE", "CPUINFO", "MEMINFO", "UPTIME"):
        monkeypatch.setattr(sysinfo, name, tmp_path / "missing" / name.lower())


@pytest.mark.parametrize(
    "key, expected, source",
    [
        ("os", "Sample OS 1.0 (Test)", SAMPLE_OS_RELEASE),
        ("cpu_model", "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", CPUINFO_X86),
        ("memory_total", 4096 * 1024, SAMPLE_MEMINFO),
        ("memory_available", 3072 * 1024, SAMPLE_MEMINFO),
        ("uptime_seconds", 350735.47, SAMPLE_UPTIME),
    ],
    ids=["os", "cpu_model", "memory_total", "memory_available", "uptime_seconds"],
)
def test_collect_reads_the_files_sysinfo_names(sample_files, key, expected, source):
    info = collected()
    assert info[key] == expected, (
        f"collect()['{key}'] is {info[key]!r}\n  expected {expected!r}\n"
        f"  (this test pointed sysinfo.OS_RELEASE, CPUINFO, MEMINFO and UPTIME at sample "
        f"files; the one for '{key}' holds {source!r}. Read the files through those names, "
        "and mind which field or column holds the value)"
    )


def test_collect_keeps_getloadavgs_order(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (0.25, 1.5, 3.75))
    info = collected()
    assert info["load"] == [0.25, 1.5, 3.75], (
        f"collect()['load'] is {info['load']!r}\n  expected [0.25, 1.5, 3.75]: this test "
        "made os.getloadavg() return (0.25, 1.5, 3.75), the 1, 5 and 15-minute averages "
        "in that order"
    )


Address = namedtuple("Address", "family address netmask broadcast ptp")
"""The shape of psutil.net_if_addrs()'s entries."""


def test_collect_keeps_the_ip_addresses_of_every_interface(monkeypatch):
    fake = {
        "lo": [
            Address(socket.AF_INET, "127.0.0.1", "255.0.0.0", None, None),
            Address(socket.AF_INET6, "::1", "ffff:ffff:ffff:ffff::", None, None),
            Address(psutil.AF_LINK, "00:00:00:00:00:00", None, None, None),
        ],
        "eth0": [
            Address(
                psutil.AF_LINK, "52:54:00:12:34:56", None, "ff:ff:ff:ff:ff:ff", None
            ),
            Address(socket.AF_INET, "192.168.1.20", "255.255.255.0", None, None),
            Address(socket.AF_INET6, "fe80::5054:ff:fe12:3456%eth0", None, None, None),
        ],
        "wg0": [],
    }
    monkeypatch.setattr(psutil, "net_if_addrs", lambda: fake)
    info = collected()
    shown = {name: [(a.family.name, a.address) for a in fake[name]] for name in fake}
    expected = {
        "lo": ["127.0.0.1", "::1"],
        "eth0": ["192.168.1.20", "fe80::5054:ff:fe12:3456%eth0"],
        "wg0": [],
    }
    assert info["interfaces"] == expected, (
        f"collect()['interfaces'] is {info['interfaces']!r}\n  expected {expected!r}\n"
        f"  (this test made psutil.net_if_addrs() return {shown}: keep every interface, "
        "in that order, with the addresses of family socket.AF_INET and socket.AF_INET6 "
        "as they are; leave out psutil.AF_LINK, the MAC addresses)"
    )


def test_collect_falls_back_when_the_files_are_missing(no_files):
    memory = psutil.virtual_memory()
    boot = psutil.boot_time()
    before = time.time() - boot
    info = collected()
    after = time.time() - boot
    expected = {
        "os": platform.platform(),
        "cpu_model": platform.processor(),
        "memory_total": memory.total,
    }
    got = {key: info[key] for key in expected}
    assert got == expected, (
        f"with no os-release, cpuinfo, meminfo or uptime file, collect() gave {got!r}\n"
        f"  expected {expected!r}\n  (the fallbacks: platform.platform(), "
        "platform.processor(), psutil.virtual_memory().total)"
    )
    between(
        "with no /proc/meminfo, collect()['memory_available']",
        info["memory_available"],
        memory.available,
        psutil.virtual_memory().available,
        256 * MIB,
        "the fallback is psutil.virtual_memory().available",
    )
    between(
        "with no /proc/uptime, collect()['uptime_seconds']",
        info["uptime_seconds"],
        before,
        after,
        2.0,
        "the fallback is time.time() - psutil.boot_time()",
    )


def test_collect_falls_back_when_the_files_lack_the_line(tmp_path, monkeypatch):
    os_release = tmp_path / "os-release"
    os_release.write_text('NAME="Sample OS"\nID=sample\n', encoding="utf-8")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO_ARM, encoding="utf-8")
    monkeypatch.setattr(sysinfo, "OS_RELEASE", os_release)
    monkeypatch.setattr(sysinfo, "CPUINFO", cpuinfo)
    info = collected()
    expected = {"os": platform.platform(), "cpu_model": platform.processor()}
    got = {key: info[key] for key in expected}
    assert got == expected, (
        f"with an os-release without PRETTY_NAME and an ARM cpuinfo without 'model name', "
        f"collect() gave {got!r}\n  expected {expected!r} (platform.platform() and "
        "platform.processor())"
    )
