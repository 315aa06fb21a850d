"""Models arrive with the sla feature; the app exists so the layout is complete."""
