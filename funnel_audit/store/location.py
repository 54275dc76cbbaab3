"""Where the history is: a SQLite file (a path) or a PostgreSQL database (a URL), and how a
location is shown without its password.

A location is a `Path` or a `str`; a string that starts with `postgresql://` or `postgres://`
names a PostgreSQL database, anything else a SQLite file. Every place that prints, logs or records
a location goes through `shown`, so a password given in `--db`, `FUNNEL_AUDIT_DB` or
`funnel-audit.toml` never reaches a terminal, a log, a report or the history itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from funnel_audit.errors import InputError

Location = Path | str
SCHEMES = ("postgresql", "postgres")
# scheme://[user[:password]@]host...: the password is what lies between the first ':' after
# the scheme's slashes and the last '@' before the host (a password may itself hold '@' or ':')
_USERINFO = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#]*)@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


def is_database_url(location: Location) -> bool:
    """True when `location` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.strip().lower().startswith(
        tuple(f"{s}://" for s in SCHEMES)
    )


def redact(text: str) -> str:
    """`text` with the password of a URL in it replaced by `***` (user, host, port and database
    stay, so a message still says which database it means)."""
    text = _QUERY_PASSWORD.sub(r"\1***", text)
    match = _USERINFO.match(text)
    if match is None:
        return text
    user, sep, _password = match.group("userinfo").partition(":")
    if not sep:
        return text
    return f"{match.group('head')}{user}:***@{text[match.end() :]}"


_ANY_USERINFO = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/?#:@]*):[^\s/?#@]*@"
)


def redact_all(text: str, *secrets: str) -> str:
    """`text` (a log line, a library's message) with the password of every URL in it, and
    each of `secrets` wherever it stands, replaced by `***`."""
    from urllib.parse import unquote

    line = _QUERY_PASSWORD.sub(r"\1***", _ANY_USERINFO.sub(r"\g<head>\g<user>:***@", text))
    for secret in {*secrets, *(unquote(s) for s in secrets)} - {""}:
        line = line.replace(secret, "***")
    return line


def shown(location: Location) -> str:
    """A location as every message shows it: a path as it is, a URL without its password."""
    return redact(str(location)) if is_database_url(location) else str(location)


def password_of(location: Location) -> str:
    """The password a URL carries ('' for none, and for a path), to scrub it from messages a
    driver writes."""
    if not is_database_url(location):
        return ""
    match = _USERINFO.match(str(location))
    in_userinfo = match.group("userinfo").partition(":")[2] if match is not None else ""
    in_query = re.search(r"[?&]password=([^&#]*)", str(location), re.IGNORECASE)
    return in_userinfo or (in_query.group(1) if in_query else "")


def scrub(message: str, location: Location) -> str:
    """A driver's message on one line, without the location's password (raw or URL-decoded)."""
    from urllib.parse import unquote

    line = " ".join(redact(message).split())
    secret = password_of(location)
    for form in {secret, unquote(secret)} - {""}:
        line = line.replace(form, "***")
    return line


def parse_location(raw: object, where: str, base: Path | None = None) -> Location:
    """A `db` value from a flag, a variable or the file: a PostgreSQL URL (checked, kept as
    text), else a SQLite file path (relative to `base`, the settings file's folder, when given).
    Errors name `where` and never repeat a password."""
    if isinstance(raw, Path):
        text = str(raw)
    elif isinstance(raw, str) and raw.strip() and raw.isprintable():
        text = raw.strip()
    else:
        got = redact(str(raw)) if isinstance(raw, str) else repr(raw)
        raise InputError(f"{where} must be a file path or a postgresql:// URL, got {got!r}")
    scheme = _SCHEME.match(text)
    if scheme is None:
        path = Path(text).expanduser()
        if path.is_dir():
            raise InputError(f"{where} must be a file, not a folder: {path}")
        return path if path.is_absolute() or base is None else (base / path).resolve()
    if scheme.group("scheme").lower() not in SCHEMES:
        raise InputError(
            f"{where}: unsupported history database {redact(text)!r}: use a SQLite file path "
            "or postgresql://user:password@host:port/database"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        raise InputError(f"{where}: bad database URL {redact(text)!r}: {exc}") from None
    if not parts.hostname and "host=" not in parts.query:
        raise InputError(
            f"{where}: the database URL {redact(text)!r} names no host "
            "(postgresql://user:password@host:port/database)"
        )
    if not parts.path.strip("/"):
        raise InputError(
            f"{where}: the database URL {redact(text)!r} names no database "
            "(postgresql://user:password@host:port/database)"
        )
    return text
