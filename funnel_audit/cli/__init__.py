"""The `funnel-audit` command: a thin shell over the library."""
