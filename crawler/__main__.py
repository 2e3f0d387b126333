"""`python -m crawler --config PATH --site ID`: crawl one site in this process; `--worker`: crawl the sites
the parent sends on stdin (crawler/worker.py)."""

import sys

from crawler.child import main

sys.exit(main())
