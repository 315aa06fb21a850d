"""The portal's pages: filing a ticket (`filing`), a ticket's own page and "My tickets"
(`ticket`), the satisfaction survey (`survey`)."""
