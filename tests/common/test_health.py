from django_q.brokers import get_broker


def _broker_class():
    return type(get_broker())


def test_healthz_answers_200_with_database_and_task_queue_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["task_queue"]["ok"] is True
    assert "no-store" in response["Cache-Control"]


def test_healthz_answers_503_not_500_when_the_broker_ping_fails(client, db, monkeypatch):
    def unreachable(self):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(_broker_class(), "ping", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["task_queue"] == {"ok": False, "error": "ConnectionError"}


def test_healthz_answers_503_when_the_broker_says_it_is_down(client, db, monkeypatch):
    monkeypatch.setattr(_broker_class(), "ping", lambda self: False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["task_queue"]["ok"] is False


def test_healthz_refuses_other_methods(client, db):
    assert client.post("/healthz").status_code == 405
