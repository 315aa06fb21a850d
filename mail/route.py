"""Decide what an inbound message is: noise to ignore, or a message for which ticket.

Noise (RFC 3834 auto-replies, bounces, mailing lists, our own mail coming back) never files a
ticket, so it can never trigger our confirmation email either: that is what stops mail loops
between two auto-responders.

Thread matching, first hit wins:
1. In-Reply-To / References naming one of our Message-IDs: an outgoing notification's, the
   ticket's root id, or an earlier inbound message already filed on a ticket;
2. the reference in our plus reply address (support+REF@…) in To/Cc/Delivered-To;
3. a [REF] tag in the subject.
"""

from dataclasses import dataclass

from mail.identifiers import (
    parse_root_message_id,
    reference_from_address,
    references_in_subject,
    root_matches,
    support_address,
)
from mail.parse import ParsedEmail

# Precedence values that mean "nobody typed this to you" (RFC 2076, RFC 3834).
NOISE_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")
# Headers some auto-responders set instead of Auto-Submitted.
AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply")


def noise_reason(parsed: ParsedEmail) -> str | None:
    """Why this message must not file anything (auto-reply, bounce, list mail, a loop), or
    None for mail a person wrote to us."""
    auto = parsed.header("Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Automatic message (Auto-Submitted: {auto})."
    for name in AUTORESPONDER_HEADERS:
        if parsed.header(name):
            return f"Automatic reply ({name} header)."
    precedence = parsed.header("Precedence").lower()
    if precedence in NOISE_PRECEDENCE:
        return f"Bulk or automatic mail (Precedence: {precedence})."
    if parsed.header("Return-Path").replace(" ", "") == "<>":
        return "Bounce or delivery report (empty Return-Path)."
    if parsed.from_address.startswith(BOUNCE_SENDERS):
        return f"Bounce or delivery report (from {parsed.from_address})."
    content_type = parsed.message.get_content_type()
    if content_type == "multipart/report":
        return "Bounce or delivery report (multipart/report)."
    if parsed.header("List-Id") or parsed.header("List-Unsubscribe"):
        return "Mailing-list mail (List-Id / List-Unsubscribe)."
    ours = support_address()
    if ours and _same_mailbox(parsed.from_address, ours):
        return "Sent from our own support address (a mail loop)."
    return None


def _same_mailbox(address: str, ours: str) -> bool:
    """support+anything@domain is the same mailbox as support@domain."""
    if "@" not in address or "@" not in ours:
        return False
    local, domain = address.rsplit("@", 1)
    our_local, our_domain = ours.rsplit("@", 1)
    return domain == our_domain and local.split("+", 1)[0] == our_local.split("+", 1)[0]


@dataclass
class Match:
    ticket: object
    how: str  # "headers", "address" or "subject"
    # Threaded by a Message-ID we made (a notification's, or the ticket's signed root id):
    # only the mailbox we sent it to has it, unlike a reference anyone can type, or the id
    # of an earlier inbound message, which its sender chose.
    ours: bool = False


def find_ticket(parsed: ParsedEmail) -> Match | None:
    """The ticket this message replies to, by the matching order in the module docstring."""
    from mail.models import InboundEmail
    from tickets.models import Notification, Ticket

    ids = parsed.thread_ids
    if ids:
        by_notification = {
            message_id: ticket_id
            for message_id, ticket_id in Notification.objects.filter(
                email_message_id__in=ids, ticket__isnull=False
            ).values_list("email_message_id", "ticket_id")
        }
        by_inbound = {
            message_id: ticket_id
            for message_id, ticket_id in InboundEmail.objects.filter(
                message_id__in=ids, ticket__isnull=False
            ).values_list("message_id", "ticket_id")
        }
        for message_id in ids:
            ticket_id = by_notification.get(message_id)
            if ticket_id is not None:
                return Match(Ticket.objects.get(pk=ticket_id), "headers", ours=True)
            ticket_id = by_inbound.get(message_id)
            if ticket_id is not None:
                return Match(Ticket.objects.get(pk=ticket_id), "headers")
            root = parse_root_message_id(message_id)
            if root is not None:
                ticket = Ticket.objects.filter(reference__iexact=root[0]).first()
                if ticket is not None and root_matches(ticket, root[1]):
                    return Match(ticket, "headers", ours=True)

    for address in parsed.recipients:
        reference = reference_from_address(address)
        if reference:
            ticket = Ticket.objects.filter(reference__iexact=reference).first()
            if ticket is not None:
                return Match(ticket, "address")

    for reference in references_in_subject(parsed.subject):
        ticket = Ticket.objects.filter(reference__iexact=reference).first()
        if ticket is not None:
            return Match(ticket, "subject")
    return None
