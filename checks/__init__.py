"""Compliance checks: pure functions of stored data and an ``as_of`` date.

- ``calendar``   working days (chinesecalendar + settings overrides + marked Mon–Fri fallback)
- ``packs``      rule packs (``rulepacks/*.toml``), validated against the kinds' parameter schemas
- ``kinds/``     rule kinds registered by name: cadence, presence, after_trigger, freshness,
                 metadata, privacy, links, availability
- ``queries``    stored rows → plain views as of the end of a day (the only SQL of this package)
- ``engine``     binds indicators to sections/sites and runs them: ``run_checks(config, db, as_of)``
- ``lifecycle``  the findings table: first detected, confirmed, resolved, reopened, events
"""
