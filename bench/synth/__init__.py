"""Synthetic districts for the scale benchmarks: N sites x M sections x K items as static files.

``generate.generate(...)`` writes one document root per site (TRS, Hanweb and generic columns built
from the demo's templates), a ``settings.toml`` for the monitor and a ``manifest.json`` of what a
crawl must find; ``server.Nginx`` serves every site on its own 127.0.0.1 port.
"""
