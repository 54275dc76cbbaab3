from funnel_audit.cli.main import main

raise SystemExit(main())
