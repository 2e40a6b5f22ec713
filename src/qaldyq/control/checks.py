"""The checks as set-based SQL. Each returns rows (organization_id, site_id, subject, value, lim,
transactions, documents): one row per finding, evidence as comma-separated ids/numbers (at most
EVIDENCE per finding, collected only for the rows found). The same SQL runs on PostgreSQL, SQLite
and DuckDB (the benchmark); the few dialect differences are the snippets in DIALECT."""

from __future__ import annotations

EVIDENCE = 20

DIALECT = {
    "postgresql": {"agg": "string_agg(CAST({x} AS TEXT), ',')", "epoch": "EXTRACT(EPOCH FROM {x})", "day": "CAST({x} AS DATE)",
                   "month": "CAST(EXTRACT(YEAR FROM {x}) * 100 + EXTRACT(MONTH FROM {x}) AS INTEGER)"},
    "sqlite": {"agg": "group_concat({x})", "epoch": "(julianday({x}) * 86400.0)", "day": "date({x})", "month": "CAST(strftime('%Y%m', {x}) AS INTEGER)"},
    "duckdb": {"agg": "string_agg(CAST({x} AS TEXT), ',')", "epoch": "epoch({x})", "day": "CAST({x} AS DATE)", "month": "(year({x}) * 100 + month({x}))"},
}

IN_PERIOD = "{col} >= :start AND {col} < :end"


def _tx_evidence(where: str) -> str:
    return f"(SELECT {{agg_id}} FROM (SELECT t2.id FROM ledger_transactions t2 WHERE {where} ORDER BY t2.id LIMIT {EVIDENCE}) ev)"


SQL: dict[str, str] = {
    # inputs − (outputs + residues + declared loss) of a site's processing, against its inputs (the
    # sums take only those lines, so the entries are not filtered by line as well: the processing
    # transactions alone select them in the join, and 10 M string comparisons are saved)
    "mass_balance": """
        WITH b AS (
          SELECT t.site_id,
                 SUM(CASE WHEN e.line = 'input' THEN -e.amount_kg ELSE 0 END) AS inp,
                 SUM(CASE WHEN e.line IN ('output', 'residue', 'loss') THEN e.amount_kg ELSE 0 END) AS outp
          FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
          WHERE t.kind = 'processing' AND {period_t}
          GROUP BY t.site_id)
        SELECT s.organization_id, b.site_id, 'site ' || CAST(b.site_id AS TEXT), b.inp - b.outp, :tolerance_pct / 100.0 * b.inp,
               """ + _tx_evidence("t2.site_id = b.site_id AND t2.kind = 'processing' AND t2.effective_at >= :start AND t2.effective_at < :end") + """, NULL
        FROM b JOIN sites s ON s.id = b.site_id
        WHERE ABS(b.inp - b.outp) > :tolerance_pct / 100.0 * b.inp""",
    # processed input mass against the design capacity (tonnes a year) pro rata for the period
    "capacity": """
        WITH p AS (
          SELECT t.site_id, SUM(t.mass_kg) AS kg FROM ledger_transactions t
          WHERE t.kind = 'processing' AND {period_t} GROUP BY t.site_id)
        SELECT s.organization_id, s.id, 'site ' || CAST(s.id AS TEXT), p.kg, s.design_capacity_t * 1000.0 * :days / 365.0,
               """ + _tx_evidence("t2.site_id = s.id AND t2.kind = 'processing' AND t2.effective_at >= :start AND t2.effective_at < :end") + """, NULL
        FROM p JOIN sites s ON s.id = p.site_id
        WHERE s.design_capacity_t IS NOT NULL AND p.kg > s.design_capacity_t * 1000.0 * :days / 365.0 * (1 + :tolerance_pct / 100.0)""",
    # weighed on an instrument with no certificate valid on the day of weighing: an outer join of each
    # weighing to the certificates of its instrument valid that day, keeping the weighings left alone
    # (a hash join on the instrument with the dates as a residual; NOT EXISTS made DuckDB first
    # collect every distinct instrument and day). Only instruments that no single certificate covers
    # for every day of the period are looked at: the weighings on the others all had one (the
    # day of a weighing lies between the days of :start and :end), so nothing is lost
    "certificate": """
        WITH bare AS (
          SELECT i.id, i.site_id FROM weighing_instruments i
          WHERE NOT EXISTS (SELECT 1 FROM verification_certificates c
                            WHERE c.instrument_id = i.id AND c.valid_from <= {day_start} AND c.valid_to >= {day_end})),
        w AS (
          SELECT d.number, d.pending_txn_id, b.id AS instrument_id, b.site_id,
                 COALESCE(CASE WHEN b.site_id = d.receiver_site_id THEN d.received_at END, d.picked_up_at) AS weighed_at
          FROM transfer_documents d JOIN bare b ON b.id = d.instrument_id),
        wd AS (SELECT w.*, {day_w} AS day FROM w WHERE w.weighed_at >= :start AND w.weighed_at < :end)
        SELECT s.organization_id, wd.site_id, wd.number, NULL, NULL, CAST(wd.pending_txn_id AS TEXT), wd.number
        FROM wd JOIN sites s ON s.id = wd.site_id
             LEFT JOIN verification_certificates c ON c.instrument_id = wd.instrument_id AND c.valid_from <= wd.day AND c.valid_to >= wd.day
        WHERE c.id IS NULL""",
    # receipt before dispatch, acceptance before receipt (the scan reads the three times only; the
    # few documents found are looked up by id: reading every number made the rule three times dearer)
    "order": """
        WITH o AS (
          SELECT d.id FROM transfer_documents d
          WHERE d.picked_up_at >= :start AND d.picked_up_at < :end
            AND ((d.received_at IS NOT NULL AND d.received_at < d.picked_up_at)
              OR (d.accepted_at IS NOT NULL AND d.received_at IS NOT NULL AND d.accepted_at < d.received_at)))
        SELECT d.receiver_org_id, d.receiver_site_id, d.number, NULL, NULL, CAST(d.pending_txn_id AS TEXT), d.number
        FROM o JOIN transfer_documents d ON d.id = o.id""",
    # a leg's vehicle carried more than its payload
    # (only documents heavier than the smallest payload with tolerance meet the legs and vehicles, and
    # only the documents found are looked up for their number: a few, not millions)
    "payload": """
        WITH heavy AS (
          SELECT d.id, COALESCE(d.net_kg, d.declared_mass_kg) AS kg
          FROM transfer_documents d
          WHERE d.picked_up_at >= :start AND d.picked_up_at < :end
            AND COALESCE(d.net_kg, d.declared_mass_kg) > (SELECT MIN(payload_kg) FROM vehicles) * (1 + :tolerance_pct / 100.0)),
        x AS (
          SELECT h.id, h.kg, v.organization_id, v.plate, v.payload_kg
          FROM heavy h JOIN transfer_legs l ON l.document_id = h.id JOIN vehicles v ON v.id = l.vehicle_id
          WHERE h.kg > v.payload_kg * (1 + :tolerance_pct / 100.0))
        SELECT x.organization_id, d.consignor_site_id, x.plate || ' ' || d.number, x.kg, x.payload_kg, CAST(d.pending_txn_id AS TEXT), d.number
        FROM x JOIN transfer_documents d ON d.id = x.id""",
    # consecutive take-overs of one vehicle farther apart than it could drive; the distance is a lower
    # bound (a degree of longitude taken at cos 55° N, the north of the country), so no false alarm.
    # Each leg carries the site of its take-over (no join of 3 M legs to their documents); only the
    # vehicles seen at two sites or more in the period are put in time order (a vehicle always at
    # one site cannot be at two in a row, so nothing is lost); places and document numbers are
    # looked up for the pairs that change site
    "travel": """
        WITH m AS NOT MATERIALIZED (  -- read twice rather than copied (3 M rows)
          SELECT l.vehicle_id, l.id AS leg_id, l.document_id, l.site_id, l.taken_over_at AS ts FROM transfer_legs l
          WHERE l.vehicle_id IS NOT NULL AND l.taken_over_at >= :start AND l.taken_over_at < :end),
        mv AS (SELECT vehicle_id FROM m GROUP BY vehicle_id HAVING MIN(site_id) < MAX(site_id)),
        p AS (
          SELECT m.vehicle_id, m.document_id, m.site_id, m.ts,
                 LAG(m.document_id) OVER w AS prev_doc, LAG(m.site_id) OVER w AS prev_site, LAG(m.ts) OVER w AS prev_ts
          FROM m JOIN mv ON mv.vehicle_id = m.vehicle_id WINDOW w AS (PARTITION BY m.vehicle_id ORDER BY m.ts, m.leg_id)),
        x AS (
          SELECT p.vehicle_id, p.document_id, p.prev_doc, {epoch_ts} - {epoch_pts} AS secs,
                 (s.lat - s0.lat) * 111.0 AS dy, (s.lon - s0.lon) * 63.6 AS dx
          FROM p JOIN sites s ON s.id = p.site_id JOIN sites s0 ON s0.id = p.prev_site
          WHERE p.prev_site <> p.site_id)
        SELECT v.organization_id, NULL, v.plate || ' ' || d0.number || ' ' || d1.number, x.secs / 3600.0, NULL, NULL, d0.number || ',' || d1.number
        FROM x JOIN vehicles v ON v.id = x.vehicle_id
             JOIN transfer_documents d0 ON d0.id = x.prev_doc JOIN transfer_documents d1 ON d1.id = x.document_id
        WHERE x.dy * x.dy + x.dx * x.dx > 25.0
          AND x.dy * x.dy + x.dx * x.dx > (:max_speed_kmh * x.secs / 3600.0) * (:max_speed_kmh * x.secs / 3600.0)""",
    # claim lines paying more than the ledger transaction shows now (reversed, or mass above)
    "claim_ledger": """
        WITH rv AS (SELECT reverses_id AS id FROM ledger_transactions WHERE reverses_id IS NOT NULL)
        SELECT c.organization_id, NULL, c.number, SUM(cl.mass_kg),
               SUM(CASE WHEN rv.id IS NOT NULL THEN 0 WHEN cl.mass_kg > t.mass_kg THEN t.mass_kg ELSE cl.mass_kg END),
               {agg_cl}, c.number
        FROM payout_claims c JOIN payout_claim_lines cl ON cl.claim_id = c.id JOIN ledger_transactions t ON t.id = cl.transaction_id
             LEFT JOIN rv ON rv.id = t.id
        WHERE c.status <> 'rejected' AND c.period_from <= :day_to AND c.period_to >= :day_from
          AND (cl.mass_kg > t.mass_kg OR rv.id IS NOT NULL)
        GROUP BY c.organization_id, c.number""",
    # claim lines whose category or operation the claim's contract does not list; the contract's
    # lists are matched once per claim, category and operation (a few per claim), and the lines
    # of the pairs that fail are summed with their evidence
    "claim_contract": """
        WITH g AS (
          SELECT c.organization_id, c.number, cl.claim_id, cl.category, cl.operation
          FROM (SELECT claim_id, category, operation FROM payout_claim_lines GROUP BY claim_id, category, operation) cl
               JOIN payout_claims c ON c.id = cl.claim_id JOIN payout_contracts k ON k.id = c.contract_id
          WHERE c.status <> 'rejected' AND c.period_from <= :day_to AND c.period_to >= :day_from
            AND (CAST(k.categories AS TEXT) NOT LIKE '%"' || cl.category || '"%'
                 OR CAST(k.operations AS TEXT) NOT LIKE '%"' || cl.operation || '"%'))
        SELECT g.organization_id, NULL, g.number || ' ' || g.category, SUM(cl.mass_kg), NULL, {agg_cl}, g.number
        FROM g JOIN payout_claim_lines cl ON cl.claim_id = g.claim_id AND cl.category = g.category AND cl.operation = g.operation
        GROUP BY g.organization_id, g.number, g.category""",
    # many receipts in round figures at one site (COUNT … FILTER: a third cheaper than SUM(CASE …) on DuckDB)
    "round_weights": """
        WITH r AS (
          SELECT t.site_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE t.mass_kg % :round_kg = 0) AS n_round
          FROM ledger_transactions t WHERE t.kind = 'transfer_posted' AND {period_t} GROUP BY t.site_id)
        SELECT s.organization_id, r.site_id, 'site ' || CAST(r.site_id AS TEXT), r.n_round, r.n,
               """ + _tx_evidence("t2.site_id = r.site_id AND t2.kind = 'transfer_posted' AND t2.mass_kg % :round_kg = 0 AND t2.effective_at >= :start AND t2.effective_at < :end") + """, NULL
        FROM r JOIN sites s ON s.id = r.site_id
        WHERE r.n_round >= :min_count AND r.n_round * 100.0 >= :min_share_pct * r.n""",
    # the same exact weight received again and again at one site
    "identical_weights": """
        WITH r AS (
          SELECT t.site_id, t.mass_kg, COUNT(*) AS n FROM ledger_transactions t
          WHERE t.kind = 'transfer_posted' AND t.mass_kg >= :min_kg AND {period_t} GROUP BY t.site_id, t.mass_kg HAVING COUNT(*) >= :min_count),
        ev AS (  -- evidence by a join on the few offending (site, weight) pairs, one pass; the test on
                 -- the sites found, redundant with the join, lets DuckDB drop most rows in the scan (a
                 -- semi-join on one integer) before the two-column join: 24 k probes instead of 3 M
          SELECT t.site_id, t.mass_kg, {agg_t} AS ids FROM ledger_transactions t JOIN r ON r.site_id = t.site_id AND r.mass_kg = t.mass_kg
          WHERE t.site_id IN (SELECT site_id FROM r) AND t.kind = 'transfer_posted' AND {period_t} GROUP BY t.site_id, t.mass_kg)
        SELECT s.organization_id, r.site_id, 'site ' || CAST(r.site_id AS TEXT) || ' ' || CAST(r.mass_kg AS TEXT) || ' kg', r.n, r.mass_kg, ev.ids, NULL
        FROM r JOIN sites s ON s.id = r.site_id JOIN ev ON ev.site_id = r.site_id AND ev.mass_kg = r.mass_kg""",
    # a month's receipts far above the site's own average of the months before
    "jump": """
        WITH m AS (
          SELECT t.site_id, {month_t} AS mon, SUM(t.mass_kg) AS kg FROM ledger_transactions t
          WHERE t.kind = 'transfer_posted' AND t.effective_at < :end GROUP BY t.site_id, {month_t}),
        h AS (
          SELECT site_id, mon, kg,
                 AVG(kg) OVER (PARTITION BY site_id ORDER BY mon ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS avg_prev,
                 COUNT(*) OVER (PARTITION BY site_id ORDER BY mon ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS n_prev
          FROM m)
        SELECT s.organization_id, h.site_id,
               'site ' || CAST(h.site_id AS TEXT) || ' ' || SUBSTR(CAST(h.mon AS TEXT), 1, 4) || '-' || SUBSTR(CAST(h.mon AS TEXT), 5, 2),
               h.kg, h.avg_prev, NULL, NULL
        FROM h JOIN sites s ON s.id = h.site_id
        WHERE h.mon >= :month_from AND h.n_prev >= :min_months AND h.kg >= :min_kg AND h.kg > :factor * h.avg_prev""",
}


def render(check: str, dialect: str) -> str:
    d = DIALECT[dialect]
    return SQL[check].format(
        period_t=IN_PERIOD.format(col="t.effective_at"),
        agg_id=d["agg"].format(x="ev.id"), agg_t=d["agg"].format(x="t.id"), agg_cl=d["agg"].format(x="cl.transaction_id"),
        day_w=d["day"].format(x="w.weighed_at"), day_start=d["day"].format(x=":start"), day_end=d["day"].format(x=":end"), epoch_ts=d["epoch"].format(x="p.ts"), epoch_pts=d["epoch"].format(x="p.prev_ts"), month_t=d["month"].format(x="t.effective_at"),
    )
