"""X.509 signatures over canonical JSON: trust store, certificates, verification, held keys."""
