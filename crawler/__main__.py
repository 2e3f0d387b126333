"""`python -m crawler --config PATH --site ID`: crawl one site in this (child) process."""

import sys

from crawler.child import main

sys.exit(main())
