"""The reference catalogue and rule engine: waste classifier, EPR lists, MRP, rates, calendar,
quotes and the EPR fund simulator. Other domains use `qaldyq.catalog.service`."""
