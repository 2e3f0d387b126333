"""Pure parsing of government CMS pages: no network, no clock, no database.

Modules: ``decode`` (bytes -> text), ``antibot`` (blocked answers), ``lists`` (column lists and
pagination, per-CMS adapters in ``adapters/``), ``article`` (title, dates, 信息公开 table, body,
attachments), ``links`` (link extraction), ``attachments`` (text of PDF/Office files), ``dates``.
"""
