"""Bundles for the showcase tests: good samples, and hostile variants rebuilt from them."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

from climb_kit.showcase.samples import Sample, sample_bundle

PROJECTS = ["portscan", "scheduler", "dataproc"]
# The payloads a hostile learner would try; each, if it ever ran, leaves a visible mark.
SCRIPT = "<script>window.__pwned = 'script'; document.title = 'pwned'</script>"
ONERROR = "<img src=x onerror=\"window.__pwned = 'onerror'\">"
JS_LINK = "<a href=\"javascript:void(window.__pwned = 'link')\">see my work</a>"


def rebuild(data: bytes, change) -> bytes:
    """The bundle `data` with its member list edited by `change(entries, top)`."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        entries = [
            (info, tar.extractfile(info).read() if info.isreg() else b"")
            for info in tar.getmembers()
        ]
    top = entries[0][0].name.split("/")[0]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, body in change(entries, top):
            info.size = len(body) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(body) if info.isreg() else None)
    return buffer.getvalue()


def member(name: str, body: bytes = b"", kind=tarfile.REGTYPE, link: str = ""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info, body


def adding(name: str, body: bytes = b"", kind=tarfile.REGTYPE, link: str = ""):
    return lambda entries, top: (
        entries + [member(name.format(top=top), body, kind, link)]
    )


def dropping(suffix: str):
    return lambda entries, top: [e for e in entries if not e[0].name.endswith(suffix)]


def replacing(relative: str, edit, relist: bool):
    """Change one file; with `relist`, also fix its size and hash in the manifest."""

    def change(entries, top):
        edited = {}
        out = []
        for info, body in entries:
            if info.name == f"{top}/{relative}":
                body = edit(body)
                edited = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            out.append((info, body))
        if not relist:
            return out
        final = []
        for info, body in out:
            if info.name == f"{top}/manifest.json":
                manifest = json.loads(body)
                listed = [manifest["showcase"], *manifest["files"]]
                for entry in listed:
                    if entry["path"] == relative:
                        entry.update(edited)
                body = json.dumps(manifest).encode()
            final.append((info, body))
        return final

    return change


def good(**fields) -> bytes:
    return sample_bundle(Sample(**fields))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (folders are listed too, as None)."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): (
            path.read_bytes() if path.is_file() else None
        )
        for path in sorted(folder.rglob("*"))
    }
