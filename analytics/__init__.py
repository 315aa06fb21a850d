"""Owns the hourly rollups, the dashboard's and the daily report's reads, and their pages' views.
May import: the tickets core, agents, sla, knowledge's published functions, common."""
