"""Async link checker (soft-404 detection, confirmation before blame) and availability probes.

Entry points: ``runner.check_links``, ``probes.probe_sites``; queries for checks and reports
in ``queries`` (``availability_ratio``, ``broken_links``).
"""
