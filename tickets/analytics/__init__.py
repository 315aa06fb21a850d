"""Ticket analytics: hourly rollups, the dashboard, the daily ticket report (docs/analytics.md)."""
