"""Confining the processes that evaluate untrusted templates (docs/security.md)."""
