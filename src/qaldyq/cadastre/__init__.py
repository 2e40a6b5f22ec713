"""The State Cadastre of Waste: flows computed from the ledger, generators' inventory reports,
the national target indicators, dashboards, open data and the annual report."""
