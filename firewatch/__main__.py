from firewatch.cli import main

raise SystemExit(main())
