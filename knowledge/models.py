"""Models arrive with the knowledge feature; the app exists so the layout is complete."""
