"""Format descriptions of the open datasets (Table Schema and JSON Schema files)."""
