"""Past the portal's filing limit (per address, per hour) the customer gets the form back
with everything they typed, the reason and when to try again, as a 429 with Retry-After.
Nothing is filed; attached files cannot be kept, and the page says so."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CategoryFactory, CustomerWithAccountFactory
from tickets.models import Customer, Ticket

pytestmark = pytest.mark.django_db

HOME = "/portal/"
ADDRESS = "203.0.113.40"


@pytest.fixture
def one_per_hour(settings):
    settings.RATELIMIT_TICKET_CREATE_IP = "1/h"


def typed(**overrides) -> dict:
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "subject": "Export <b>fails</b> after step 3",
        "description": "Steps:\n1. Open reports\n2. Click **Export**\n3. Wait & watch it spin",
    }
    data.update(overrides)
    return data


def test_the_limited_post_shows_the_form_again_with_everything_typed(client, one_per_hour):
    billing = CategoryFactory(slug="billing", name="Billing", prefix="BIL")
    assert client.post(HOME, typed(subject="First"), REMOTE_ADDR=ADDRESS).status_code == 302
    counts = Ticket.objects.count(), Customer.objects.count()

    response = client.post(HOME, typed(category=billing.pk), REMOTE_ADDR=ADDRESS)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 3500
    content = response.content.decode()
    assert "Too many attempts: your request was not sent." in content
    assert "please try again in 60 minutes" in content
    # The form, filled in as the customer left it (escaped, not interpreted).
    assert '<form method="post" action="/portal/"' in content
    assert 'value="Ada Lovelace"' in content
    assert 'value="ada@example.com"' in content
    assert 'value="Export &lt;b&gt;fails&lt;/b&gt; after step 3"' in content
    assert "2. Click **Export**\n3. Wait &amp; watch it spin</textarea>" in content
    assert f'<option value="{billing.pk}" selected>Billing</option>' in content
    # No validation messages: nothing was wrong with what they typed.
    assert "Please check the form" not in content
    assert "files were not kept" not in content
    assert (Ticket.objects.count(), Customer.objects.count()) == counts


def test_the_limited_post_says_attached_files_were_not_kept(client, one_per_hour):
    client.post(HOME, typed(), REMOTE_ADDR=ADDRESS)
    upload = SimpleUploadedFile("screenshot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)

    response = client.post(HOME, typed(attachments=[upload]), REMOTE_ADDR=ADDRESS)

    assert response.status_code == 429
    content = response.content.decode()
    assert "Your files were not kept" in content
    assert "Attach your files again before sending." in content


def test_a_signed_in_customer_gets_their_account_details_back(client, one_per_hour):
    customer = CustomerWithAccountFactory(email="grace@example.org", name="Grace Hopper")
    client.force_login(customer.user)
    client.post(HOME, typed(), REMOTE_ADDR=ADDRESS)

    response = client.post(HOME, typed(subject="Second one"), REMOTE_ADDR=ADDRESS)

    assert response.status_code == 429
    content = response.content.decode()
    assert 'value="Second one"' in content
    assert 'value="grace@example.org"' in content
    assert "Signed in as <strong>Grace Hopper</strong>" in content
