"""The real adapters behind the domain's ports (fakes for unit tests live in tests/fakes.py)."""
