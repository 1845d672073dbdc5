"""``python -m cloud66_async``: the command line."""

from cloud66_async.cli import main

raise SystemExit(main())
