from tests.tickets.attachment_channels import channel_settings, send_file  # noqa: F401 - fixtures
