def test_ticket_factory_files_a_ticket_with_its_first_message_and_event(ticket):
    assert ticket.reference == f"TKT-{ticket.pk:05d}"
    assert ticket.messages.count() == 1
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]
