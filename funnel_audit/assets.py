"""Find the shipped classifier data and report templates, installed or from a checkout.

A wheel carries them under `funnel_audit/_assets/`; an editable install or a plain checkout has them
at the project's top level. Both layouts must work, so we look in that order.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _find(installed: str, checkout: str) -> Path:
    for candidate in (_PKG / "_assets" / installed, _PKG.parent / checkout):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"funnel-audit assets missing: {installed} (reinstall the package)")


def classifiers_dir() -> Path:
    """The training corpus and shipped model folder, from a checkout or an installed wheel."""
    return _find("classifiers", "classifiers")


def templates_dir() -> Path:
    """The report templates folder, from a checkout or an installed wheel."""
    return _find("templates", "reports/templates")
