"""Turn a page into namespaced tokens the model can weigh separately.

Words in the URL, title, headings, calls to action and form fields say more about a page's stage
than the same word deep in the body, so each field gets its own prefix (`u:pricing`, `c:book demo`,
`f:card`) and the linear model learns one weight per field. Body text keeps plain unigrams and
bigrams. Real pages often arrive without structure (text excerpts, JS shells), so every signal is
optional and the body alone must still carry the label.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from funnel_audit.models import PageText

BODY_CHARS = 6_000

_TOKEN = re.compile(r"[a-z][a-z0-9']+|[$£€]")
_URL_SPLIT = re.compile(r"[^a-z0-9]+")
_PRICE = re.compile(
    r"[$£€]\s?\d|\d\s?(?:usd|eur|gbp)\b|\bper (?:month|year|user|seat)\b|/mo\b", re.I
)
STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been being it
    its this that these those you your yours we our ours us they their them he she his her i me
    my do does did so than then there here what which who whom when where why how all any both
    each few more most other some such no nor not only own same too very can will just should
    now also into over under again further once about above below up down out off while because
    until html htm php aspx www com index
    """.split()
)


@dataclass(frozen=True, slots=True)
class Doc:
    """The classifier's view of a page: text fields plus structural hints."""

    url: str = ""
    title: str = ""
    headings: tuple[str, ...] = ()
    text: str = ""
    ctas: tuple[str, ...] = ()
    form_fields: tuple[str, ...] = ()
    schema_types: tuple[str, ...] = ()
    meta_description: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def doc_from_page(page: PageText) -> Doc:
    """What the model reads from an extracted page."""
    fields: list[str] = []
    for form in page.forms:
        fields.extend(form.field_kinds)
    return Doc(
        url=page.url,
        title=page.title,
        headings=page.headings,
        text=page.main_text,
        ctas=page.ctas,
        form_fields=tuple(fields),
        schema_types=page.schema_types,
        meta_description=page.meta_description,
    )


def words(text: str) -> list[str]:
    """Lower-case word tokens: the one tokeniser every field uses."""
    return _TOKEN.findall(text.lower())


def url_tokens(url: str) -> list[str]:
    """Path and query words of a URL, without the host (it names the company, not the stage)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    path = unquote(parts.path).lower()
    raw = [t for t in _URL_SPLIT.split(path + " " + parts.query.lower()) if t]
    toks = [t for t in raw if not t.isdigit() and len(t) <= 30 and t not in STOPWORDS]
    segments = [s for s in path.split("/") if s and s not in ("index.html", "index.htm")]
    if not segments and not parts.query:
        toks.append("_root")
    elif len(segments) == 1:
        toks.append("_top")
    if segments and any(ch.isdigit() for ch in segments[0]) and len(segments[0]) == 4:
        toks.append("_dated")
    return toks


def _content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def _bigrams(tokens: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def _bucket(n: int, edges: tuple[int, ...]) -> int:
    return sum(n >= e for e in edges)


def host_tokens(url: str) -> list[str]:
    """Subdomain words (`docs.`, `help.`, `shop.`, `forms.`): they say what a host is for."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return []
    labels = [x for x in host.split(".") if x and not x.isdigit()]
    return [f"u:@{x}" for x in labels[:-2] if x != "www" and len(x) <= 30]


def analyze_url(doc: Doc) -> list[str]:
    """URL path words and word pairs, plus subdomain words (`u:` namespace)."""
    u = url_tokens(doc.url)
    return (
        [f"u:{t}" for t in u]
        + [f"u:{a}/{b}" for a, b in zip(u, u[1:], strict=False)]
        + host_tokens(doc.url)
    )


def analyze_title(doc: Doc) -> list[str]:
    """Title content words and word pairs (`t:` namespace)."""
    return [f"t:{t}" for t in _content_words(doc.title)] + [
        f"t:{b}" for b in _bigrams(words(doc.title))
    ]


def analyze_structure(doc: Doc) -> list[str]:
    """Headings, calls to action, form fields, schema types, length and prices."""
    out: list[str] = []
    for heading in doc.headings[:30]:
        hw = words(heading)
        out += [f"h:{t}" for t in hw if t not in STOPWORDS] + [f"h:{b}" for b in _bigrams(hw)]
    for cta in doc.ctas[:30]:
        cw = words(cta)
        out += [f"c:{t}" for t in cw if t not in STOPWORDS] + [f"c:{b}" for b in _bigrams(cw)]
    out += [f"f:{k}" for k in dict.fromkeys(doc.form_fields)]
    if doc.form_fields:
        out.append(f"f:n{_bucket(len(set(doc.form_fields)), (1, 3, 5))}")
    out += [f"s:{t.lower()}" for t in doc.schema_types[:10]]
    body = doc.text[:BODY_CHARS]
    out.append(f"w:{_bucket(len(words(body)), (40, 120, 300, 700, 1500))}")
    prices = len(_PRICE.findall(body))
    if prices:
        out.append(f"p:{_bucket(prices, (1, 3, 8))}")
    return out


def analyze_body(doc: Doc) -> list[str]:
    """Words and word pairs of the meta description and the first BODY_CHARS of the text."""
    bw = words((doc.meta_description + "\n" + doc.text)[:BODY_CHARS])
    return [w for w in bw if w not in STOPWORDS] + _bigrams(bw)


# Each field is vectorised and normalised on its own, so a long body cannot drown the URL and
# title: every field keeps its weight whatever the page's length.
FIELDS: tuple[tuple[str, Callable[[Doc], list[str]], float], ...] = (
    ("url", analyze_url, 1.0),
    ("title", analyze_title, 1.0),
    ("structure", analyze_structure, 0.5),
    ("body", analyze_body, 1.5),
)


def describe(token: str) -> str:
    """Human wording of a token for the reasons column: `url:pricing`, `cta:"book demo"`."""
    prefix, _, rest = token.partition(":")
    names = {
        "u": "url",
        "t": "title",
        "h": "heading",
        "c": "cta",
        "f": "form",
        "s": "schema",
        "w": "length",
        "p": "prices",
    }
    if prefix in names and rest:
        if prefix == "f":
            if rest[:1] == "n" and rest[1:].isdigit():
                return f"form:{(0, 1, 3, 5)[int(rest[1:])]}+ field kinds"
            return f"form:{rest}"
        if prefix == "u":
            rest = rest.replace("/_top", "").replace("_top", "top-level page")
            rest = rest.replace("_root", "home page").replace("_dated", "dated path")
            rest = f"{rest[1:]}. subdomain" if rest.startswith("@") else rest
        if prefix in ("c", "t", "h"):
            return f'{names[prefix]}:"{rest}"'
        if prefix == "w":
            return f"length:{['tiny', 'short', 'brief', 'medium', 'long', 'very long'][int(rest)]}"
        if prefix == "p":
            return "prices on page"
        return f"{names[prefix]}:{rest}"
    return f'text:"{token}"'
