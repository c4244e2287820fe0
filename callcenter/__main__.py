"""``python -m callcenter``: the command line (panel worker processes are started this way)."""

from callcenter.cli import main

raise SystemExit(main())
