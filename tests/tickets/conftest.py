from tests.tickets.attachment_channels import (  # noqa: F401 - fixtures
    channel_settings,
    clamd,
    send_file,
)
