"""The programme's register: applications for power at a site, booked against node headroom and zone surplus, kept
as an append-only ledger of events in a database (SQLite by default, PostgreSQL for a shared server)."""
