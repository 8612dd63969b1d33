"""Entry point for `python -m migrate_lint`."""

from migrate_lint.cli import main

raise SystemExit(main())
