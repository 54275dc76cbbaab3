"""What a response body is (HTML or not) and how to turn its bytes into text.

Decoding order: byte-order mark, then the HTTP charset, then `<meta charset>` / http-equiv in the
first 2 KB, then strict UTF-8, then cp1252 (what browsers assume for undeclared legacy pages).
"""

from __future__ import annotations

import codecs
import re

__all__ = [
    "HTML_TYPES",
    "binary_body",
    "decode_html",
    "is_html_type",
    "parse_content_type",
    "sniff_kind",
]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
UNKNOWN_TYPES = frozenset({"", "unknown/unknown", "application/unknown", "*/*"})
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Legacy labels browsers read as windows-1252, and codecs that must never decode a web page.
_AS_CP1252 = frozenset({"ascii", "latin-1", "iso8859-1", "iso-8859-1", "us-ascii"})
_REFUSED = frozenset(
    {"utf-7", "idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs"}
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]{1,40})""", re.IGNORECASE
)
_BINARY_MAGIC = (
    b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF",
    b"OggS", b"ID3", b"\x7fELF", b"MZ", b"\x00\x00\x01\x00", b"BM", b"wOFF", b"wOF2",
)  # fmt: skip
# Formats that are never a web page, whatever the Content-Type says (kept to long, specific
# magics: a page may well start with "BM" or "MZ" as text).
_NAMED_MAGIC = (
    (b"%PDF", "PDF"), (b"PK\x03\x04", "zip"), (b"\x89PNG", "PNG"), (b"GIF8", "GIF"),
    (b"\xff\xd8\xff", "JPEG"), (b"\x1f\x8b", "gzip"), (b"\x7fELF", "executable"),
    (b"OggS", "Ogg"), (b"wOFF", "font"), (b"wOF2", "font"),
)  # fmt: skip
_HTML_STARTS = (
    b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta", b"<script", b"<style",
    b"<div", b"<p", b"<h1", b"<a ", b"<table", b"<iframe", b"<br", b"<b>", b"<font", b"<!--",
)  # fmt: skip


def parse_content_type(header: str | None) -> tuple[str, str | None]:
    """`text/html; charset=UTF-8` -> ("text/html", "UTF-8"); missing -> ("", None)."""
    if not header:
        return "", None
    mime, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return mime.strip().lower(), charset


def is_html_type(mime: str) -> bool:
    """A Content-Type we read as a page."""
    return mime in HTML_TYPES


def is_unknown_type(mime: str) -> bool:
    """A Content-Type that says nothing (servers send it for anything), so the body decides."""
    return mime in UNKNOWN_TYPES


def sniff_kind(prefix: bytes) -> str:
    """Classify the first bytes of a body: "html", "binary" or "text"."""
    head = prefix[:1024]
    for bom, _ in _BOMS:
        if head.startswith(bom):
            if bom == codecs.BOM_UTF8:
                head = head[len(bom) :]
                break
            return "html" if b"<\x00" in head or b"\x00<" in head else "text"
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        return "binary"
    lowered = head.lstrip().lower()
    if lowered.startswith(b"<?xml"):
        return "html" if b"<html" in lowered else "text"
    if lowered.startswith(_HTML_STARTS):
        return "html"
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return "binary" if controls > len(head) // 10 + 1 else "text"


def binary_body(body: bytes) -> str | None:
    """What binary data `body` is ("PDF", "zip", "binary data"), or None when it can be text.

    For a body served as HTML: a known magic number, a NUL byte in the first KB (UTF-16 with its
    BOM apart), or a share of control bytes no text encoding a web page uses would produce."""
    head = body[:4096]
    for bom, _ in _BOMS[1:]:
        if head.startswith(bom):
            return None  # UTF-16: NUL bytes are its ASCII letters
    stripped = head.removeprefix(codecs.BOM_UTF8).lstrip()
    for magic, name in _NAMED_MAGIC:
        if stripped.startswith(magic):
            return name
    if b"\x00" in head[:1024]:
        return "binary data"
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # in C: a crawl's hot path
    return "binary data" if controls > len(head) // 20 + 2 else None


_CONTROL_BYTES = bytes([*range(9), *range(14, 32), 127])


def _codec(label: str | None) -> str | None:
    """A safe Python codec name for a charset label, or None when unknown or refused."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_CP1252:
        return "cp1252"
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    name = info.name.replace("_", "-")
    if name in _REFUSED or not getattr(info, "_is_text_encoding", True):
        return None
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:2048])
    if not match:
        return None
    codec = _codec(match.group(1).decode("ascii", "ignore"))
    if codec and codec.startswith("utf-16"):
        return "utf-8"  # a page that can declare itself in ASCII is not UTF-16
    return codec


def decode_html(body: bytes, http_charset: str | None = None) -> str:
    """Decode an HTML body to text (never raises)."""
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(bom_codec, "replace")
    codec = _codec(http_charset) or _meta_charset(body)
    if codec:
        try:
            return body.decode(codec, "replace")
        except (LookupError, ValueError):
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")
