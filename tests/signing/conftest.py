from __future__ import annotations

import pytest

from qaldyq.signing import service
from tests.signing.pki import make_ca


@pytest.fixture
def root_ca(db):
    """A CA generated for the test and added to the trust store."""
    ca = make_ca("Test Root CA")
    service.trust_add(db, ca.pem, "test root")
    db.flush()
    return ca
