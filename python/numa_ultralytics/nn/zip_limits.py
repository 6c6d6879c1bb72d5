"""The zip archive of a ``.pt`` checkpoint: its limits, checked before any entry is read, and bounded entry reads.

:func:`_check_archive` refuses zip-slip names, duplicate or encrypted entries, compression methods other than
:data:`ZIP_METHODS`, more than :data:`MAX_ZIP_ENTRIES` entries and compression bombs (:data:`MAX_DEFLATE_RATIO`,
declared sizes against the file's size); :func:`_read_entry` inflates an entry :data:`ZIP_READ_CHUNK` bytes at a time,
never past its declared size.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from numa_ultralytics.nn.safety import UnsafeCheckpointError, short_repr

__all__ = ["MAX_DEFLATE_RATIO", "MAX_ZIP_ENTRIES", "ZIP_METHODS", "ZIP_READ_CHUNK"]


MAX_ZIP_ENTRIES = 100_000  #: entries in a checkpoint archive
MAX_DEFLATE_RATIO = 100  #: a compressed entry over 1 MiB may expand at most this much
#: All entries together may declare at most 4x the file's size + 64 MiB of content (stored entries: at most 1x).
_ZIP_SLACK_BYTES = 64 << 20
#: Compression methods read: torch writes stored entries; deflate is what re-zipping tools use. Anything else (bzip2,
#: lzma, ...) is refused by name: Python's bzip2/lzma readers inflate a whole compressed chunk at once, unbounded.
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_ZIP_METHOD_NAMES = {9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstandard", 95: "xz", 98: "ppmd", 99: "AES"}
ZIP_READ_CHUNK = 4 << 20  #: an entry is inflated this many bytes at a time, and never past its declared size
_DRIVE = re.compile(r"^[A-Za-z]:")


def _check_archive(zf: zipfile.ZipFile, path: Path) -> None:
    """Refuse zip-slip names, duplicate or encrypted entries, unsupported methods and zip bombs, before any read."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path} has {len(infos)} zip entries (limit {MAX_ZIP_ENTRIES})"
        )
    disk = path.stat().st_size
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        parts = re.split(r"[/\\]", name)
        if not name or "\x00" in name or "\\" in name or name.startswith("/") or _DRIVE.match(name) or ".." in parts:
            raise UnsafeCheckpointError(
                f"checkpoint refused: {path} holds the zip entry {short_repr(name)}, a path outside the archive"
            )
        if name in seen:
            raise UnsafeCheckpointError(f"checkpoint refused: {path} holds the zip entry {short_repr(name)} twice")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise ValueError(f"{path}: zip entry {short_repr(name)} is encrypted; not a torch checkpoint")
        if info.compress_type not in ZIP_METHODS:
            method = _ZIP_METHOD_NAMES.get(info.compress_type, "unknown")
            raise ValueError(
                f"{path}: zip entry {short_repr(name)} uses compression method {info.compress_type} ({method}), which "
                f"a torch checkpoint never uses (torch writes stored entries; read: {', '.join(ZIP_METHODS.values())})"
            )
        if info.compress_type == zipfile.ZIP_STORED:
            if info.file_size != info.compress_size:
                raise ValueError(f"{path} is truncated or corrupt: stored zip entry {short_repr(name)} sizes differ")
        elif info.file_size > max(1 << 20, MAX_DEFLATE_RATIO * info.compress_size):
            raise UnsafeCheckpointError(
                f"checkpoint refused: {path}: zip entry {short_repr(name)} declares {info.file_size} bytes from "
                f"{info.compress_size} compressed (a zip bomb; limit ratio {MAX_DEFLATE_RATIO})"
            )
        total += info.file_size
    if total > 4 * disk + _ZIP_SLACK_BYTES:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path}: its zip entries declare {total} bytes for a {disk}-byte file (a zip bomb)"
        )


def _read_bounded(zf: zipfile.ZipFile, name: str) -> bytearray:
    """An entry's content, inflated ``ZIP_READ_CHUNK`` bytes at a time and never past its declared size.

    The declared sizes were checked by :func:`_check_archive` (ratio, total against the file), so they are the cap:
    a header that declares less than the entry really holds gets the declared bytes (then zipfile's CRC check fails),
    never the rest. ``zf.read`` would ask the decompressor for up to 2 GiB in one call.
    """
    info = zf.getinfo(name)
    size = info.file_size
    out = bytearray(size)
    pos = 0
    with zf.open(info) as fh:
        while pos < size:
            chunk = fh.read(min(ZIP_READ_CHUNK, size - pos))
            if not chunk:
                raise EOFError(f"{size - pos} of its {size} declared bytes are missing")
            out[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
    return out


def _read_entry(zf: zipfile.ZipFile, name: str, path: Path, what: str) -> bytearray:
    try:
        return _read_bounded(zf, name)
    except KeyError:
        raise ValueError(f"{path} is truncated or corrupt: {what} {name} is missing") from None
    except MemoryError:
        raise
    except Exception as e:  # BadZipFile, OSError, zlib.error, EOFError ... on a damaged entry
        raise ValueError(
            f"{path} is truncated or corrupt: cannot read {name} ({type(e).__name__}: {short_repr(str(e), 200)})"
        ) from e
