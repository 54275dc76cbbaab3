"""`python -m funnel_audit`: the same CLI as the `funnel-audit` command."""

from funnel_audit.cli.main import main

raise SystemExit(main())
