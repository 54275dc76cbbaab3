"""Page texts kept on disk while an audit runs, so memory stays flat as sites grow.

Topic finding needs a short text of every page at the end of the audit (about 1.7 KB each, 35 MB
for 20,000 pages). They are appended to an anonymous temporary file, which the OS removes when it
is closed or the process dies, and read back one at a time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import overload


class BlobSpool:
    """Write-once key -> bytes in a temporary file (topic texts, the site pass's per-page token
    counts): the crawling process keeps only offsets, and reads each blob back when it needs
    it. A key written again points at its newest bytes."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="funnel-audit-blobs-")  # noqa: SIM115 - lives as long as the spool
        self._where: dict[str, tuple[int, int]] = {}
        self._end = 0

    def write(self, key: str, data: bytes) -> None:
        """Append `data` for `key` (a later write replaces it)."""
        self._file.seek(self._end)
        self._file.write(data)
        self._where[key] = (self._end, len(data))
        self._end += len(data)

    def read(self, key: str) -> bytes | None:
        """The newest bytes written for `key`, or None."""
        where = self._where.get(key)
        if where is None:
            return None
        self._file.seek(where[0])
        return self._file.read(where[1])

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def close(self) -> None:
        """Close (and so delete) the temporary file."""
        self._file.close()


class TextSpool(BlobSpool, Mapping[str, str]):
    """A write-once mapping of key -> text stored in a temporary file; a key written again points
    at its newest text."""

    def __setitem__(self, key: str, text: str) -> None:
        self.write(key, text.encode("utf-8", "replace"))

    def __getitem__(self, key: str) -> str:
        data = self.read(key)
        if data is None:
            raise KeyError(key)
        return data.decode("utf-8")

    def texts(self, keys: Sequence[str]) -> SpooledTexts:
        """The texts of `keys` as a lazy sequence (each read from disk when indexed)."""
        return SpooledTexts(self, keys)


class SpooledTexts(Sequence[str]):
    """Some of a spool's texts as a sequence, read from disk one at a time as they are indexed."""

    def __init__(self, spool: TextSpool, keys: Sequence[str]) -> None:
        self._spool = spool
        self._keys = list(keys)

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._spool[k] for k in self._keys[index]]
        return self._spool[self._keys[index]]
