"""Delivery of queued messages: SMTP, webhooks (企业微信/钉钉 robots via apprise), or .eml files."""
