"""Who is calling: clients' users, their passwords and sessions, API keys (docs/accounts.md)."""
