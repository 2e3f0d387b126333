"""`python -m crawler --config PATH --site ID`: crawl one site in this process; `--worker`: crawl the sites
the parent sends on stdin (crawler/worker.py)."""

import sys

from crawler import fastimport

fastimport.install()

from crawler.child import main  # noqa: E402

sys.exit(main())
