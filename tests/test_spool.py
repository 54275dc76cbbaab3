"""The on-disk text spool gives back exactly what was written, lazily and in any order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from funnel_audit.store.spool import TextSpool


@given(st.dictionaries(st.text(max_size=30), st.text(max_size=300), max_size=30))
def test_round_trip_of_any_text(items: dict[str, str]) -> None:
    spool = TextSpool()
    try:
        for key, text in items.items():
            spool[key] = text
        assert len(spool) == len(items)
        assert set(spool) == set(items)
        for key in reversed(list(items)):
            assert spool[key] == items[key]
        lazy = spool.texts(list(items))
        assert list(lazy) == list(items.values())
        assert lazy[1:3] == list(items.values())[1:3]
    finally:
        spool.close()


def test_rewriting_a_key_keeps_the_newest_text() -> None:
    spool = TextSpool()
    spool["a"] = "first " * 1000
    spool["b"] = "other"
    spool["a"] = "second"
    assert spool["a"] == "second" and spool["b"] == "other"
    assert "a" in spool and "c" not in spool
    assert len(spool) == 2
    spool.close()


def test_texts_live_in_the_file_not_in_memory() -> None:
    spool = TextSpool()
    spool["page"] = "x" * 100_000
    assert spool._file.seek(0, 2) == 100_000
    assert all(isinstance(v, tuple) for v in spool._where.values())
    spool.close()
