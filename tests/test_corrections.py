"""The correction loop: labels-todo.csv pre-filled by an audit, edited, and passed back."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel_audit.classify.overrides import Overrides, load_overrides
from funnel_audit.cli.main import main
from funnel_audit.errors import InputError

GUIDE = (
    "<p>Posted in March by Sam. Dripping taps waste water and money. In this guide we walk "
    "through why washers wear out, how to turn off the supply, and how to swap a washer "
    "with two spanners. Most repairs take twenty minutes and need no special tools. If the "
    "seat is worn, a reseating tool smooths it so the new washer seals well.</p>"
)
PRICES = (
    "<p>Tap repair: $95 call-out including the first half hour. Washer or cartridge "
    "replacement: $40 per tap plus parts. Fixed price quotes before we start, card or "
    "bank transfer on completion, 12-month guarantee on parts and labour.</p>"
)


def _site(root: Path) -> None:
    def write(rel: str, title: str, body: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"<!doctype html><html><head><title>{title} | Tapwell</title></head>"
            f"<body><main><h1>{title}</h1>{body}</main></body></html>",
            encoding="utf-8",
        )

    for n, topic in enumerate(["kitchen tap", "bath tap", "outdoor tap"]):
        write(f"library/guide-{n}.html", f"How to fix a dripping {topic}", GUIDE)
        write(f"library/prices-{n}.html", f"{topic.capitalize()} repair prices", PRICES)
    write("index.html", "Tapwell plumbing", "<p>Local tap and pipe repairs.</p>")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_todo_lists_mixed_sections_and_filled_rows_come_back_as_labels(tmp_path: Path) -> None:
    site = tmp_path / "tapwell"
    _site(site)
    out = tmp_path / "o1"
    assert main(["audit", str(site), "--out", str(out), "--no-history", "--quiet"]) == 0
    todo = _rows(out / "labels-todo.csv")
    assert list(todo[0]) == ["url", "stage", "model_stage", "confidence", "why", "title"]
    section = [r for r in todo if r["url"] == "/library/*"]
    assert section and "mixed stages" in section[0]["why"] and section[0]["stage"] == ""

    # the consultant settles the whole section with one row and pins one page by its URL
    section[0]["stage"] = "awareness"
    pinned = next(r for r in _rows(out / "pages.csv") if r["url"].endswith("prices-0.html"))
    todo.append(
        {
            "url": pinned["url"],
            "stage": "decision",
            "model_stage": "",
            "confidence": "",
            "why": "",
            "title": "",
        }
    )
    labels = tmp_path / "labels.csv"
    with open(labels, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(todo[0]))
        writer.writeheader()
        writer.writerows(todo)
    out2 = tmp_path / "o2"
    assert (
        main(
            [
                "audit",
                str(site),
                "--out",
                str(out2),
                "--no-history",
                "--quiet",
                "--labels",
                str(labels),
            ]
        )
        == 0
    )
    pages = {r["url"].rsplit("/", 1)[-1]: r for r in _rows(out2 / "pages.csv")}
    assert pages["prices-0.html"]["stage"] == "decision"
    assert pages["prices-0.html"]["reasons"] == "manual label"
    for name in ("guide-0.html", "guide-2.html", "prices-1.html", "prices-2.html"):
        assert pages[name]["stage"] == "awareness"
        assert pages[name]["label_source"] == "manual"
        assert pages[name]["reasons"] == "manual label (pattern /library/*)"
    assert pages["index.html" if "index.html" in pages else ""]["label_source"] == "model"
    # settled pages no longer need a check
    assert not [r for r in _rows(out2 / "labels-todo.csv") if "/library/" in r["url"]]


def test_exact_urls_beat_patterns_and_longer_patterns_beat_shorter() -> None:
    found = Overrides()
    found.add("/blog/*", "awareness")
    found.add("/blog/releases/*", "excluded")
    found.add("https://a.example/blog/releases/keep/", "decision")
    assert found.get("https://a.example/blog/post/").stage == "awareness"  # type: ignore[union-attr]
    got = found.get("https://a.example/blog/releases/v2/")
    assert got is not None and (got.stage, got.pattern) == ("excluded", "/blog/releases/*")
    assert found.get("https://a.example/blog/releases/keep/index.html").stage == "decision"  # type: ignore[union-attr]
    assert found.get("https://a.example/pricing/") is None


def test_a_bad_label_file_is_one_line_and_its_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("url,stage\n/blog/*,nonsense\n", encoding="utf-8")
    with pytest.raises(InputError):
        load_overrides(bad)
    site = tmp_path / "tapwell"
    _site(site)
    code = main(
        [
            "audit",
            str(site),
            "--out",
            str(tmp_path / "o"),
            "--no-history",
            "--quiet",
            "--labels",
            str(bad),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 6 and len(err) == 1 and "row 1" in err[0] and "nonsense" in err[0]


@given(st.text(max_size=120), st.text(max_size=120))
def test_patterns_never_raise(pattern: str, url: str) -> None:
    found = Overrides()
    try:
        found.add("*" + pattern, "awareness")
    except InputError:
        return
    found.get(url)
    found.get("https://a.example/" + url)


def test_a_todo_file_passed_back_from_the_output_folder_keeps_its_decisions(
    tmp_path: Path,
) -> None:
    site = tmp_path / "tapwell"
    _site(site)
    out = tmp_path / "o"
    assert main(["audit", str(site), "--out", str(out), "--no-history", "--quiet"]) == 0
    todo = _rows(out / "labels-todo.csv")
    section = next(r for r in todo if r["url"] == "/library/*")
    section["stage"] = "awareness"
    with open(out / "labels-todo.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(todo[0]))
        writer.writeheader()
        writer.writerows(todo)
    # the same folder: the audit rewrites labels-todo.csv, and the decision must survive it
    for _ in range(2):
        assert (
            main(
                [
                    "audit",
                    str(site),
                    "--out",
                    str(out),
                    "--no-history",
                    "--quiet",
                    "--labels",
                    str(out / "labels-todo.csv"),
                ]
            )
            == 0
        )
        again = _rows(out / "labels-todo.csv")
        assert again[0]["url"] == "/library/*" and again[0]["stage"] == "awareness"
        assert sum(1 for r in again if r["url"] == "/library/*") == 1
    pages = _rows(out / "pages.csv")
    assert all(r["stage"] == "awareness" for r in pages if "/library/" in r["url"])
