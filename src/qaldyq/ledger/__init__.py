"""The mass ledger: accounts, balanced transactions, immutable entries, views."""
