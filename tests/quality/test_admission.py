"""Admission control (app.Admission): writers beyond the per-worker limit wait in the event loop
and are answered 503 problem+json with Retry-After when their turn does not come in time, while
readers still pass; nothing is left held afterwards."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from qaldyq.app import create_app
from qaldyq.core.config import Settings


def test_writers_wait_for_their_turn_and_readers_pass(tmp_path):
    settings = Settings(database_url="sqlite://", instance_dir=tmp_path / "instance", secret_key="test", default_locale="en",
                        max_concurrent_requests=3, max_concurrent_writes=1, admission_wait_seconds=0.5)
    app = create_app(settings)
    entered, release = threading.Event(), threading.Event()

    def slow_write():
        entered.set()
        release.wait(10)
        return {"written": True}

    app.add_api_route("/api/v1/test-slow-write", slow_write, methods=["POST"])
    app.add_api_route("/api/v1/test-read", lambda: {"read": True}, methods=["GET"])
    app.add_api_route("/api/v1/test-write", lambda: {"written": True}, methods=["POST"])
    app.add_api_route("/api/v1/x/signing-request", lambda: {"payload": "…"}, methods=["POST"])

    with TestClient(app) as client:
        first: dict = {}
        t = threading.Thread(target=lambda: first.setdefault("r", client.post("/api/v1/test-slow-write")))
        t.start()
        assert entered.wait(10)

        # the only write slot is taken: a second writer waits 0.5 s, then is told to come back
        started = time.monotonic()
        r = client.post("/api/v1/test-write")
        assert r.status_code == 503
        assert time.monotonic() - started >= 0.45
        assert r.headers["retry-after"] == "5"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("overloaded")
        assert r.headers["x-content-type-options"] == "nosniff"  # the security headers are still added

        # readers, and POSTs that only compute a payload to sign, are not in the writers' line
        assert client.get("/api/v1/test-read").json() == {"read": True}
        assert client.post("/api/v1/x/signing-request").status_code == 200

        release.set()
        t.join(10)
        assert first["r"].status_code == 200 and first["r"].json() == {"written": True}
        # the slot was given back
        assert client.post("/api/v1/test-write").json() == {"written": True}


def test_requests_beyond_the_limit_wait_instead_of_failing(tmp_path):
    settings = Settings(database_url="sqlite://", instance_dir=tmp_path / "instance", secret_key="test", default_locale="en",
                        max_concurrent_requests=2, max_concurrent_writes=1, admission_wait_seconds=30)
    app = create_app(settings)
    running, peak, lock = [0], [0], threading.Lock()

    def read():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return {"ok": True}

    app.add_api_route("/api/v1/test-read", read, methods=["GET"])
    with TestClient(app) as client:
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(client.get("/api/v1/test-read").status_code)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert results == [200] * 8
    assert peak[0] == 2  # never more than the limit at once, and every one of them answered
