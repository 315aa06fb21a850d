"""The project package, configuration only: settings, root URLs (and the API's route table),
ASGI/WSGI, schedules, and the install_schedules and devserver commands. No app imports it."""
