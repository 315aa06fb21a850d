import pytest
import time_machine


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Call a service and run its after-commit hooks (the SLA engine) as a request would."""

    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


@pytest.fixture
def clock_at():
    """Move the frozen clock: `clock_at(moment)`; each call replaces the previous travel."""
    travellers = []

    def go(moment):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield go
    for traveller in travellers:
        traveller.stop()
