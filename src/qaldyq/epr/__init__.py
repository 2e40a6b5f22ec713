"""EPR through the operator: registration of producers and importers, declarations, utilization
payments, certificates of payment (СВУП) and customs reconciliation."""
