"""Which audited page a link points to, however the site spells it.

Static sites are often exported from a CMS or a staging build, and their links are written for
the live site: `<base href="https://www.client.com/">`, absolute links to the live host, links a
developer left on `http://localhost:4000/`, and extension-less "pretty" links (`/pricing` for the
file `pricing.html` or `pricing/index.html`). A folder audit reads the files at
`http://<folder>.local/...`, so none of those would match a page.

- `Alias`: a host (and path prefix) that is the audited site under another name. Links to it are
  rewritten onto the audited origin (`rewrite`).
- `HostClaims`: the live host(s) the pages themselves name in `<link rel=canonical>`, `og:url`
  and `<base href>`. A host becomes an alias only when most pages agree on it, so a page that
  names another site (syndicated content) does not make that site ours.
- `LinkMapper`: link URL -> the page key (`linkflow.page_key`) of an audited page. In folder
  audits pretty URLs are resolved against the table of files that exist.

Everything here is total: any text in, no exception out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from funnel_audit.crawl.aliases import Alias, hostname, parse_alias, rewrite
from funnel_audit.crawl.urls import page_key

__all__ = [
    "LOCAL_HOSTS",
    "Alias",
    "HostClaims",
    "LinkMapper",
    "claimed_hosts",
    "folder_key",
    "link_key",
    "parse_alias",
    "rewrite",
    "site_aliases",
    "www_twin",
]

# Hosts a developer's build leaves in links; in a folder audit they are the site itself.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1"})
# Path endings that name a page (not a PDF, image or archive): none, or a page extension.
PAGE_EXTENSIONS = frozenset(
    {"", "html", "htm", "xhtml", "shtml", "php", "asp", "aspx", "jsp", "cfm"}
)
_HTML_SUFFIXES = (".html", ".htm")
_INDEX_STEMS = ("index",)
_INDEX_NAMES = ("index.html", "index.htm", "index.php")
MAJORITY = 0.5  # share of the read pages that must name a host before it is an alias


def www_twin(host: str) -> str | None:
    """The host's `www.` twin (`www.a.com` <-> `a.com`), which most sites serve as the same
    site; None for local hosts, IP addresses and names without a dot."""
    if host in LOCAL_HOSTS or host.replace(".", "").isdigit() or ":" in host or "." not in host:
        return None
    return host[4:] if host.startswith("www.") else "www." + host


def _page_key(url: str) -> str:
    """`linkflow.page_key` applied until it no longer changes (it strips one index name a time)."""
    for _ in range(8):
        key = page_key(url)
        if key == url:
            return key
        url = key
    return url


def folder_key(key: str) -> str:
    """The spelling-free form of a page key in a folder audit: no query, no `.html`/`.htm`, no
    trailing `index`, no trailing slash - `/pricing`, `/pricing/`, `/pricing.html`,
    `/pricing/index.html` and `/pricing?plan=pro` all become `/pricing`."""
    if not key[:8].lower().startswith(("http://", "https://")):
        return key
    head = key.split("?", 1)[0].split("#", 1)[0]
    start = head.find("/", head.find("://") + 3)
    if start == -1:
        return head
    origin, segments = head[:start], head[start:].split("/")[1:]
    while segments:
        last = segments[-1]
        lower = last.lower()
        stripped = next((last[: -len(s)] for s in _HTML_SUFFIXES if lower.endswith(s)), None)
        if stripped is not None:
            segments[-1] = stripped
        elif last == "" or lower in _INDEX_STEMS:
            segments.pop()
        else:
            break
    return origin + "/" + "/".join(segments)


def link_key(url: str, origin: str, aliases: Sequence[Alias] = (), *, folder: bool = False) -> str:
    """One identity per page for a link: alias hosts moved onto `origin`, normalised, index
    names dropped, and in folder audits the pretty-URL spelling (`folder_key`). Never raises;
    `link_key(link_key(u)) == link_key(u)`."""
    own = hostname(origin.rstrip("/") + "/")
    key = _page_key(rewrite(url, origin, [a for a in aliases if a.host != own]))
    return _folder_form(key) if folder else key


def _folder_form(key: str) -> str:
    """`folder_key` and `_page_key` until neither changes (`/a/..html` -> `/a/.` -> `/a`)."""
    for _ in range(8):
        loose = _page_key(folder_key(key))
        if loose == key:
            break
        key = loose
    return key


def _origin_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class LinkMapper:
    """Maps link URLs to the page keys of audited pages.

    `origin` is the audited site's "scheme://netloc"; `aliases` are moved onto it (any alias on
    the origin's own host is dropped). In a `folder` audit a link that matches no page exactly is
    looked up by its pretty-URL spelling (`folder_key`) among the files that exist. Links to
    `candidates` (hosts some pages name as their own, not enough to be aliases) are not moved,
    but count as `internal`: the site's links may well be meant for them."""

    def __init__(
        self,
        page_urls: Iterable[str],
        origin: str,
        aliases: Iterable[Alias] = (),
        *,
        folder: bool = False,
        candidates: Iterable[str] = (),
    ) -> None:
        self.origin = origin.rstrip("/")
        self.candidates = frozenset(candidates)
        own = hostname(self.origin + "/") or ""
        self.aliases = tuple(
            sorted(
                {a for a in aliases if a.host and a.host != own},
                key=lambda a: (-len(a.prefix), a.host, a.prefix),
            )
        )
        self.folder = folder
        self.exact: dict[str, str] = {}
        self.loose: dict[str, str] = {}

        for url in page_urls:
            self.exact.setdefault(_page_key(url), page_key(url))
        if folder:
            for key in sorted(self.exact):
                self.loose.setdefault(_folder_form(key), self.exact[key])

    def rewrite(self, url: str) -> str:
        """`url` moved onto the origin when it is on one of the site's alias hosts."""
        return rewrite(url, self.origin, self.aliases)

    def key(self, url: str) -> str | None:
        """The page key (`linkflow.page_key` of its URL) of the audited page `url` links to, or
        None."""
        key = _page_key(self.rewrite(url))
        found = self.exact.get(key)
        if found is None and self.folder:
            found = self.loose.get(_folder_form(key))
        return found

    def internal(self, url: str) -> bool:
        """True for a link to a page of this site (after alias rewriting): same origin or a
        candidate host, and a path that names a page rather than a file (PDF, image ...)."""
        moved = self.rewrite(url)
        if _origin_of(moved).lower() != self.origin.lower() and (
            not self.candidates or hostname(moved) not in self.candidates
        ):
            return False
        try:
            path = urlsplit(moved).path
        except ValueError:
            return False
        last = path.rsplit("/", 1)[-1]
        extension = last.rsplit(".", 1)[1].lower() if "." in last else ""
        return extension in PAGE_EXTENSIONS


def claimed_hosts(*urls: str | None) -> set[str]:
    """The hosts named by a page's canonical, og:url and base href (any may be None)."""
    return {h for h in (hostname(u) for u in urls if u) if h}


def _loose_segments(path: str) -> list[str]:
    segments = [s for s in path.split("/") if s]
    while segments:
        last = segments[-1]
        lower = last.lower()
        if lower in _INDEX_NAMES or lower in _INDEX_STEMS:
            segments.pop()
            continue
        for suffix in _HTML_SUFFIXES:
            if lower.endswith(suffix) and len(last) > len(suffix):
                segments[-1] = last[: -len(suffix)]
                break
        break
    return segments


def _claim_prefix(page_url: str, claimed: str) -> str | None:
    """The path prefix the live site adds to the page's own path ("/project" when the page
    `/pricing.html` calls itself `https://x.github.io/project/pricing/`), or None when the two
    paths do not correspond."""
    try:
        mine = _loose_segments(urlsplit(page_url).path)
        theirs = _loose_segments(urlsplit(claimed).path)
    except ValueError:
        return None
    if len(theirs) < len(mine) or theirs[len(theirs) - len(mine) :] != mine:
        return None
    head = theirs[: len(theirs) - len(mine)]
    return "/" + "/".join(head) if head else ""


class HostClaims:
    """Counts, per host, the read pages whose canonical / og:url / base href name it."""

    def __init__(self) -> None:
        self.pages = 0
        self.hosts: Counter[str] = Counter()
        self.prefixes: dict[str, Counter[str]] = defaultdict(Counter)

    def add(
        self,
        page_url: str,
        canonical: str | None = None,
        og_url: str | None = None,
        base_href: str | None = None,
    ) -> None:
        """Count one read page's claims: the other hosts its canonical, og:url and base href
        name, and the path prefix the canonical or og:url adds to its own path."""
        self.pages += 1
        own = hostname(page_url)
        hosts = claimed_hosts(canonical, og_url, base_href) - {own}
        self.hosts.update(hosts)
        for claimed in (canonical, og_url):
            host = hostname(claimed) if claimed else None
            if claimed and host is not None and host in hosts:
                prefix = _claim_prefix(page_url, claimed)
                if prefix is not None:
                    self.prefixes[host].update([prefix])
                    break

    def aliases(self) -> list[Alias]:
        """Hosts more than half of the read pages name, with their most common path prefix."""
        found = []
        for host, count in sorted(self.hosts.items()):
            if self.pages and count > MAJORITY * self.pages:
                prefixes = self.prefixes.get(host)
                prefix = prefixes.most_common(1)[0][0] if prefixes else ""
                found.append(Alias(host, prefix))
        return found


def site_aliases(
    origin: str, claims: HostClaims | None, given: Iterable[Alias] = (), *, folder: bool = False
) -> tuple[list[Alias], list[Alias]]:
    """(every alias to apply, the ones detected from the pages). Detected hosts and the origin
    get their `www.` twin too; in a folder audit every localhost port is the site as well."""
    detected = claims.aliases() if claims is not None else []
    out = set(given) | set(detected)
    for alias in list(out):
        twin = www_twin(alias.host)
        if twin:
            out.add(Alias(twin, alias.prefix))
    own = hostname(origin.rstrip("/") + "/")
    if own:
        twin = www_twin(own)
        if twin:
            out.add(Alias(twin))
    if folder:
        out |= {Alias(host) for host in LOCAL_HOSTS}
    return sorted(out), detected
