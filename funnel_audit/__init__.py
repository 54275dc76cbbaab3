"""funnel-audit: audit a website's content against the buyer's funnel."""

__version__ = "0.1.0"
