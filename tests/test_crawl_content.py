"""The crawler's own link extraction, content sniffing and decoding."""

from __future__ import annotations

from funnel_audit.crawl.content import decode_html, parse_content_type, sniff_kind
from funnel_audit.crawl.links import extract_hrefs, find_base_href


def test_extract_hrefs_in_order_and_bounded() -> None:
    page = (
        '<a href="/a">a</a><map><area href="/b"></map><a>no href</a><a href=" ">blank</a>'
        '<a href="/c?x=1&amp;y=2">c</a>'
    )
    assert extract_hrefs(page) == ["/a", "/b", "/c?x=1&y=2"]
    assert extract_hrefs(page, limit=2) == ["/a", "/b"]
    assert extract_hrefs("") == [] and extract_hrefs("   ") == []


def test_extract_hrefs_survives_what_lxml_refuses() -> None:
    xml_declared = '<?xml version="1.0" encoding="utf-8"?><html><a href="/x?a=1&amp;b=2">x</a>'
    assert extract_hrefs(xml_declared) == ["/x?a=1&b=2"]
    assert extract_hrefs("<a href='/y'>unclosed <div><<<>>") == ["/y"]


def test_find_base_href() -> None:
    assert find_base_href('<head><base href="/sub/"></head>') == "/sub/"
    assert find_base_href("<head><BASE target=_top href='https://e.com/x/'>") == "https://e.com/x/"
    assert find_base_href('<head></head><body><base href="/late/">') is None
    assert find_base_href("<p>no base</p>") is None


def test_content_type_and_sniffing() -> None:
    assert parse_content_type('Text/HTML; Charset="UTF-8"') == ("text/html", "UTF-8")
    assert parse_content_type(None) == ("", None)
    assert sniff_kind(b"%PDF-1.7") == "binary"
    assert sniff_kind(b"\x89PNG\r\n") == "binary"
    assert sniff_kind(b"  \n<!DOCTYPE html><html>") == "html"
    assert sniff_kind(b"\xef\xbb\xbf<html>") == "html"
    assert sniff_kind(b"just some words") == "text"
    assert sniff_kind(b"abc\x00def") == "binary"


def test_decoding_order() -> None:
    assert decode_html("é".encode("utf-8-sig"), "iso-8859-2") == "é"  # BOM first
    assert decode_html("é".encode("iso-8859-2"), "iso-8859-2") == "é"  # then HTTP charset
    assert decode_html(b'<meta charset="koi8-r">' + "ж".encode("koi8-r")).endswith("ж")
    assert decode_html("ünï".encode()) == "ünï"  # then strict UTF-8
    assert decode_html(b"\x93hi\x94") == "“hi”"  # then cp1252
    assert decode_html("é".encode(), "utf-7") == "é"  # refused codecs are ignored
    assert decode_html(b"x", "base64") == "x"
    assert decode_html(b'<meta charset="utf-16"><p>ok') == '<meta charset="utf-16"><p>ok'
