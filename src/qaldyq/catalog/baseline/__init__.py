"""Reference data shipped with the code, in the import format; loaded by migration 0002."""
