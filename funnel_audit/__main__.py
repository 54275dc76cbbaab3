from funnel_audit.cli import main

raise SystemExit(main())
