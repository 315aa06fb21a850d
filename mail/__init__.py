"""Owns the inbound email channel: mailboxes, inbound messages, parsing, routing to tickets,
fetching, the inbound webhook view, `manage.py fetch_mail`. May import `common`, `tickets`.

`fetch.py` reads IMAP mailboxes and Maildir folders, `views.py` takes raw messages posted by a
mail provider's inbound webhook; both hand each message to `services.inbound_email_receive`,
which parses it (`parse.py`), drops noise (`route.noise_reason`), finds the ticket it replies
to (`route.find_ticket`) and files a ticket or a customer reply. See docs/email.md.
"""
