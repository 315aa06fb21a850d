"""The browser fixtures of tests/browser (system Chromium, console errors) for the API pages."""

from tests.browser.conftest import (  # noqa: F401 - fixtures
    browser_type_launch_args,
    console_errors,
    pytest_collection_modifyitems,
)
