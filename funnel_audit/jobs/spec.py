"""What a job carries from the machine that queues it to the worker that audits it: the site's
own part of `funnel-audit.toml`, checked again by the worker with the same code as `run-due`.

The spec is the file's `[defaults]`, the top-level keys every audit takes (`team`) and the one
`[[sites]]` entry, with the file's path (relative paths in it mean what they meant there, so
label files, logos and templates must be at the same place on every worker, e.g. a shared
mount). Run-level keys (`db`, `broker`, `workers`, ...) stay behind: a password in the file never
reaches the database or the queue, and neither does one in a site's URL.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from funnel_audit.config import EVERY_SITE, ScheduleConfig, SiteConfig, parse_config
from funnel_audit.crawl.urls import strip_userinfo
from funnel_audit.errors import ConfigError

FORMAT = "funnel-audit-job/1"


def site_specs(config: ScheduleConfig) -> dict[str, dict[str, Any]]:
    """Each configured site's spec, by name (the file is read once for all of them)."""
    try:
        data = tomllib.loads(config.path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {config.path}: {exc}") from exc
    shared = {key: data[key] for key in (*EVERY_SITE, "defaults") if key in data}
    specs = {}
    for entry in data.get("sites", []):
        if not isinstance(entry, dict) or entry.get("name") not in {s.name for s in config.sites}:
            continue
        own = dict(entry)
        if isinstance(own.get("url"), str) and "://" in own["url"]:
            own["url"] = strip_userinfo(own["url"].strip())
        document = {**shared, "sites": [own]}
        # one JSON round trip now, so what the worker parses is what the database holds
        specs[own["name"]] = {
            "format": FORMAT,
            "config": str(config.path),
            "data": json.loads(json.dumps(document, default=str)),
        }
    return specs


def site_from_spec(spec: dict[str, Any]) -> SiteConfig:
    """The site a job audits, its settings checked as `run-due` checks them (ConfigError)."""
    if spec.get("format") != FORMAT or not isinstance(spec.get("data"), dict):
        raise ConfigError(f"this job was queued by another version of funnel-audit ({FORMAT})")
    config = parse_config(spec["data"], Path(str(spec.get("config", "funnel-audit.toml"))))
    return config.sites[0]
