"""Locust users for `make load`; the requests themselves and the profile's rationale are in
bench/load/flows.py.

    locust -f bench/load/locustfile.py --headless -u 300 -r 10 -t 10m --host http://127.0.0.1:8117
"""

from __future__ import annotations

import httpx
from locust import FastHttpUser, between, constant_pacing, events, task

from bench.load import flows
from bench.load.flows import PERSON, setup_world, telemetry_batch, transfers_bulk

# ---------------------------------------------------------------------------------------- locust

@events.test_start.add_listener
def _on_start(environment, **_):
    with httpx.Client(base_url=environment.host, timeout=60) as http:
        flows._setup.update(setup_world(http))


class _Client(FastHttpUser):
    abstract = True
    network_timeout = 180.0  # a slow answer is measured, not cut off at locust's default 60 s

    def call(self, method, url, name, expect=200, check=None, **kwargs):
        with self.client.request(method, url, name=name, catch_response=True, **kwargs) as r:
            # status 0: no answer at all (connection reset or refused); it counts as a failure
            complaint = f"{r.status_code} {(r.text or repr(r.error))[:200]}" if r.status_code != expect else check and check(r)
            if complaint:
                r.failure(complaint)
                return None
            r.success()
            return r


class Person(_Client):
    """Someone at a desk (web pages or a desk application on the API): 5-15 s between actions."""

    weight = 1
    wait_time = between(5, 15)
    tasks = {(lambda fn: lambda self: fn(self.call))(fn): w for fn, w in PERSON}


class Tracker(_Client):
    """A telematics gateway: a batch of GPS points every 30 s."""

    fixed_count = 8
    wait_time = constant_pacing(30)

    @task
    def points(self):
        telemetry_batch(self.call)


class ErpBatch(_Client):
    """An enterprise system sending its day's documents in batches of 250, one a minute."""

    fixed_count = 2
    wait_time = constant_pacing(60)

    @task
    def batch(self):
        transfers_bulk(self.call)
