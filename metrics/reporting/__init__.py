"""Support metrics: per-ticket facts, daily rollups kept current by a sweep, and their figures.

Layers, each in one module (docs/metrics.md, "Metrics", has the formulas and the design):

- `facts.py` (pure): one ticket's event log and SLA clocks → one `TicketFact`.
- `aggregate.py` (pure): the facts and survey answers of a day → that day's rollup rows.
- `formulas.py` (pure): summed rollup measures → figures (rates, means, percentiles).
- `targets.py` (pure): a figure and its target → tone (good / watch / bad).
- `periods.py` (pure): a window of days → the day, week and month rows that add up to it.
- `store.py`, `refresh.py`, `rebuild.py`, `snapshot.py`: the writes (STYLE.md C3).
- `selectors.py`: every read the API and the dashboards make.
"""
