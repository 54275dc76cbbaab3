"""Named target mixes (`--target growth`), for the common situations a site is in.

- **balanced** (the default) 40/30/20/10: an educational base feeding evaluation, proof and action.
- **growth** 55/25/12/8: a site that needs reach first; most new visitors arrive with a question,
  so the plan leans on awareness content that search and sharing bring in.
- **nurture** 30/40/20/10: long, considered purchases (B2B, high-ticket, several people deciding);
  readers come back many times to compare and evaluate before they shortlist.
- **conversion** 25/25/30/20: a site with traffic that does not turn into enquiries; more proof,
  pricing and clear paths to act, fewer top-of-funnel pieces.

Shares are awareness, consideration, decision, conversion. A mix that matches none is "custom".
"""

from __future__ import annotations

from collections.abc import Mapping

from funnel_audit.models import Stage

PRESETS: dict[str, dict[Stage, float]] = {
    name: dict(zip(Stage.funnel(), shares, strict=True))
    for name, shares in (
        ("balanced", (0.40, 0.30, 0.20, 0.10)),
        ("growth", (0.55, 0.25, 0.12, 0.08)),
        ("nurture", (0.30, 0.40, 0.20, 0.10)),
        ("conversion", (0.25, 0.25, 0.30, 0.20)),
    )
}
CUSTOM = "custom"
PRESET_HELP = "a preset (" + ", ".join(PRESETS) + ")"
_CLOSE = 0.0005  # stored mixes are rounded to 4 places


def expand(text: str) -> str:
    """A `--target` text with each preset name replaced by its shares, so `growth` and
    `growth,decision=0.2` read like any other mix; other entries are left as they are."""
    parts = [part.strip() for part in text.split(",")]
    return ",".join(
        ",".join(f"{s.value}={v}" for s, v in PRESETS[p.lower()].items())
        if p.lower() in PRESETS
        else p
        for p in parts
    )


def preset_name(mix: Mapping[Stage, float]) -> str:
    """The preset a target mix is, or "custom" when it matches none."""
    for name, shares in PRESETS.items():
        if all(abs(mix.get(s, 0.0) - v) <= _CLOSE for s, v in shares.items()):
            return name
    return CUSTOM
