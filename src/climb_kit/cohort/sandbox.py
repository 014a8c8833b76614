"""Run a learner's code where it can hurt nothing but its own result.

The strongest isolation this machine allows is chosen once (`probe`):
- `namespaces` (running as root, util-linux `unshare` and `setpriv`, iproute2 `ip`): new network
  namespace with loopback only, new PID namespace (everything dies with its first process), private
  tmpfs over /tmp, /var/tmp and /dev/shm, and a user id of its own per parallel slot, so the
  learner's code can write only into its scratch copy and RLIMIT_NPROC binds (it does not bind
  root: that is why root drops to its own uid rather than relying on the limit).
- `bwrap` (not root, bubblewrap with user namespaces): the same with the root file system
  read-only; processes are capped by RLIMIT_NPROC counted on top of the user's own.
- `limits only`: no namespaces; one warning says the network is reachable and the code may write
  wherever the facilitator can.
Every level adds resource limits (CPU seconds, address space, file size, processes), a wall-clock
limit and an output cap enforced by the parent, which kills the whole process group (and, with
namespaces, the whole PID namespace) on any breach. Where the machine lets us make a memory cgroup
(as root, cgroup v1 or v2), each run also gets one: the address-space limit is per process, so
without it a learner's code could fork its way to many times the memory limit in all.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Per-slot user ids: unused by any account on a normal machine, one per parallel run.
UID_BASE = 61000
# Inside the namespaces, before dropping to the slot's uid: private temporary folders (the
# scratch copy is bound back in through the shell's working directory if it lived under one),
# and loopback up.
_NAMESPACE_SCRIPT = r"""
cd "$1" || exit 97
# Folders the run needs that the private tmpfs would hide (the kit's Python when the kit lives
# under /tmp): held open now, bound back in after the tmpfs is mounted. $4: one per line.
IFS='
'
n=3
for keep in $4; do
  eval "exec $n<\"\$keep\"" || exit 97
  n=$((n + 1))
done
for d in /tmp /var/tmp /dev/shm; do
  [ -d "$d" ] && { mount -t tmpfs -o size="$3",mode=1777 tmpfs "$d" || exit 97; }
done
mkdir -p "$1" && mount --no-canonicalize --bind /proc/self/cwd "$1" && cd "$1" || exit 97
n=3
for keep in $4; do
  mkdir -p "$keep" && mount --no-canonicalize --bind "/proc/self/fd/$n" "$keep" || exit 97
  eval "exec $n<&-"
  n=$((n + 1))
done
ip link set lo up || exit 97
uid=$2
shift 4
exec setpriv --reuid "$uid" --regid "$uid" --clear-groups --no-new-privs -- "$@"
"""
# The folders the sandbox replaces with private, empty ones.
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
# A wrapper that could not set the sandbox up exits with this code before the learner's code runs.
SETUP_FAILED = 97


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 300.0
    cpu_seconds: int = 300
    memory_bytes: int = 2 << 30  # per process (address space)
    total_memory_bytes: int = (
        3 << 30
    )  # every process of the run together (memory cgroup)
    file_bytes: int = 64 << 20
    tmp_bytes: int = 64 << 20
    output_bytes: int = 1 << 20
    processes: int = 64


@dataclass(frozen=True)
class Isolation:
    level: str  # namespaces, bwrap or limits only
    warning: str = ""

    @property
    def network_blocked(self) -> bool:
        return self.level != "limits only"


@dataclass
class Outcome:
    exit_code: int
    output: str
    limit: str = ""  # which limit stopped the run ("" when none did)
    seconds: float = 0.0


def hidden_but_needed() -> list[Path]:
    """The kit's Python environment, where a private /tmp (or /var/tmp, /dev/shm) would hide it."""
    needed = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    needed.add(Path(sys.executable).resolve().parent)
    return sorted(
        path
        for path in needed
        if any(path.is_relative_to(private) for private in PRIVATE_DIRS)
    )


def _wrapped(level: str, command: list[str], scratch: Path, slot: int, limits: Limits):
    if level == "namespaces":
        return [
            "unshare",
            "--mount",
            "--net",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--",
            "sh",
            "-c",
            _NAMESPACE_SCRIPT,
            "sh",
            str(scratch),
            str(UID_BASE + slot),
            str(limits.tmp_bytes),
            "\n".join(str(p) for p in hidden_but_needed()),
            *command,
        ]
    if level == "bwrap":
        return [
            "bwrap",
            "--unshare-net",
            "--unshare-pid",
            "--unshare-ipc",
            "--die-with-parent",
            "--new-session",
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            *[arg for d in PRIVATE_DIRS for arg in ("--tmpfs", d)],
            *[
                arg
                for p in hidden_but_needed()
                for arg in ("--ro-bind", str(p), str(p))
            ],
            "--bind",
            str(scratch),
            str(scratch),
            "--chdir",
            str(scratch),
            "--",
            *command,
        ]
    return command


def _own_processes() -> int:
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def _set_limits(limits: Limits, processes: int, cgroup: MemoryCgroup | None):
    def apply() -> None:
        if cgroup is not None:
            cgroup.enter()
        for which, value in (
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_AS, limits.memory_bytes),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_NPROC, processes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(which, (value, value))

    return apply


def sandbox_env(scratch: Path, **extra: str) -> dict[str, str]:
    """The whole environment of a sandboxed run: none of the facilitator's own variables leak in."""
    return {
        # The kit's Python first, so `python -m ...` inside finds the same interpreter.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "HOME": str(scratch),
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",
        **extra,
    }


def prepare_scratch(scratch: Path, level: str, slot: int) -> None:
    """Give the scratch copy to the slot's own user (namespaces), so only it is writable."""
    if level != "namespaces":
        return
    uid = UID_BASE + slot
    os.chown(scratch, uid, uid)
    for folder, dirs, files in os.walk(scratch):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, uid)


def run_sandboxed(
    command: list[str],
    scratch: Path,
    env: dict[str, str],
    limits: Limits,
    isolation: Isolation,
    slot: int = 0,
) -> Outcome:
    """Run `command` in `scratch` under `isolation` and `limits`; never raises for its failures."""
    level = isolation.level
    processes = limits.processes
    if level != "namespaces":  # RLIMIT_NPROC counts every process of our own user
        processes += _own_processes()
    cgroup = MemoryCgroup.create(
        f"climb-{os.getpid()}-{slot}-{time.monotonic_ns()}", limits.total_memory_bytes
    )
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            _wrapped(level, command, scratch, slot, limits),
            cwd=scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_set_limits(limits, processes, cgroup),
        )
        output, limit = _read_capped(process, limits, started)
        exit_code = process.wait()
        _kill(process)  # anything the run left behind in its process group
        if (
            cgroup is not None and cgroup.hit_limit()
        ):  # the likeliest cause of a stall too
            limit = f"memory limit ({limits.total_memory_bytes >> 20} MiB in all)"
    finally:
        if cgroup is not None:
            cgroup.remove()
    if not limit and exit_code in (
        -signal.SIGXCPU,
        -signal.SIGKILL,
        128 + signal.SIGXCPU,
    ):
        limit = f"CPU time limit ({limits.cpu_seconds} s)"
    if not limit and exit_code == -signal.SIGXFSZ:
        limit = f"file size limit ({limits.file_bytes >> 20} MiB)"
    return Outcome(
        exit_code=exit_code,
        output=output.decode("utf-8", errors="replace"),
        limit=limit,
        seconds=time.monotonic() - started,
    )


def _read_capped(process: subprocess.Popen, limits: Limits, started: float):
    """Read the output until it ends, stopping (and killing) at the output or time limit."""
    import selectors

    chunks: list[bytes] = []
    size = 0
    limit = ""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            left = limits.wall_seconds - (time.monotonic() - started)
            if left <= 0:
                limit = f"time limit ({limits.wall_seconds:.0f} s)"
                break
            if not selector.select(timeout=min(left, 1.0)):
                continue
            chunk = os.read(process.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limits.output_bytes:
                limit = f"output limit ({limits.output_bytes >> 10} KiB)"
                break
    if limit:
        _kill(process)
    process.stdout.close()
    return b"".join(chunks)[: limits.output_bytes], limit


def _kill(process: subprocess.Popen) -> None:
    # The group holds every process the run started (setsid escapes are caught by the PID
    # namespace, whose first process takes all the others with it).
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class MemoryCgroup:
    """A memory cgroup of its own for one run (None from `create` where none can be made)."""

    def __init__(self, path: Path, version: int):
        self.path = path
        self.version = version

    @classmethod
    def create(cls, name: str, memory_bytes: int) -> MemoryCgroup | None:
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            _, controllers, where = line.split(":", 2)
            if "memory" in controllers.split(","):
                base, version, limit = (
                    Path("/sys/fs/cgroup/memory"),
                    1,
                    "memory.limit_in_bytes",
                )
                break
        else:
            base, version, limit = Path("/sys/fs/cgroup"), 2, "memory.max"
            where = next((line[3:] for line in lines if line.startswith("0::")), "")
        path = base / where.lstrip("/") / name
        try:
            path.mkdir()
        except OSError:
            return None
        cgroup = cls(path, version)
        try:
            (path / limit).write_text(str(memory_bytes))
        except OSError:
            cgroup.remove()
            return None
        return cgroup

    def enter(self) -> None:
        """Move the calling process (a child, before it runs the command) into the cgroup."""
        (self.path / "cgroup.procs").write_text("0")

    def hit_limit(self) -> bool:
        try:
            if self.version == 1:
                return int((self.path / "memory.failcnt").read_text()) > 0
            events = (self.path / "memory.events").read_text().split()
            return int(events[events.index("oom_kill") + 1]) > 0
        except (OSError, ValueError):
            return False

    def remove(self) -> None:
        """Kill whatever is left in the cgroup and remove it (dying processes get 10 s)."""
        for _ in range(200):
            try:
                pids = (self.path / "cgroup.procs").read_text().split()
            except OSError:
                return
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.05)


def probe() -> Isolation:
    """The strongest isolation that works here, tried with a real command."""
    level, problems = _probe_level()
    cgroup = MemoryCgroup.create(f"climb-probe-{os.getpid()}", 1 << 30)
    if cgroup is not None:
        cgroup.remove()
    else:
        problems.append(
            "no memory cgroup can be made here, so memory is capped per process only"
        )
    if level == "limits only":
        return Isolation(
            level,
            "warning: learner code runs WITHOUT network or file-system isolation "
            f"({'; '.join(problems)}); only time, memory, process and output limits apply",
        )
    return Isolation(level, f"warning: {problems[-1]}" if problems else "")


def _probe_level() -> tuple[str, list[str]]:
    tried = []
    candidates = []
    if os.geteuid() == 0 and all(shutil.which(t) for t in ("unshare", "setpriv", "ip")):
        candidates.append("namespaces")
    elif os.geteuid() == 0:
        tried.append(
            "as root it needs util-linux's unshare and setpriv and iproute2's ip"
        )
    if os.geteuid() != 0 and shutil.which("bwrap"):
        candidates.append("bwrap")
    elif os.geteuid() != 0:
        tried.append("install bubblewrap (Debian: apt-get install bubblewrap)")
    for level in candidates:
        with tempfile.TemporaryDirectory(prefix="climb-probe-") as scratch:
            prepare_scratch(Path(scratch), level, 0)
            outcome = run_sandboxed(
                ["sh", "-c", "echo probe > written && cat written"],
                Path(scratch),
                {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                Limits(wall_seconds=30),
                Isolation(level),
            )
        if outcome.exit_code == 0 and outcome.output.strip() == "probe":
            return level, tried
        tried.append(
            f"{level} failed here: {outcome.output.strip()[-200:] or outcome.exit_code}"
        )
    return "limits only", tried
