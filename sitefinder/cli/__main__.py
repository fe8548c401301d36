from sitefinder.cli.main import main

raise SystemExit(main())
