"""Signals of caiji's own, sent through the crawler's SignalManager."""

#: A page that yields no record: ``url``, ``reason``, ``stage`` and the partial ``record`` (or None).
page_rejected = object()
