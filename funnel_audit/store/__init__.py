"""What outlasts a run: the audit history database, on-disk spools, and what a re-audit reuses."""
