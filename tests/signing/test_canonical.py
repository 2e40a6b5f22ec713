"""The fast canonical JSON must give exactly the bytes of RFC 8785 (the `rfc8785` package) for
every JSON value, and the same refusals."""

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from qaldyq.signing.crypto import canonical

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_same_bytes_as_rfc8785(value):
    assert canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [
    {"b": 1, "a": [1.5, 2]},  # floats in ECMAScript form
    {"x": 1e21, "y": -0.0, "z": 100.0},
    {"\U0001F600": 1, "\ufb33": 2},  # keys sorted by UTF-16 code units
    {"s": "tab\t nl\n ctrl\x01 del\x7f quote\" back\\ \u2028"},
    {"n": 9007199254740991, "m": -9007199254740991},
    "plain", 0, None, True, [],
])
def test_edge_cases(value):
    assert canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [{"big": 2**60}, {"nan": float("nan")}, {"lone": "\ud800"}])
def test_refusals_are_the_exact_serializers(value):
    with pytest.raises(Exception) as fast:
        canonical(value)
    with pytest.raises(Exception) as exact:
        rfc8785.dumps(value)
    assert type(fast.value) is type(exact.value)


def test_plain_documents_take_the_fast_path(monkeypatch):
    """Timestamps and decimals inside strings are not numbers: such values must not fall back."""
    calls = []
    monkeypatch.setattr(rfc8785, "dumps", lambda v: calls.append(v) or b"")
    value = {"at": "2026-11-21T11:41:34.123456+00:00", "note": "1.5e3 kg", "n": 12, "ok": True, "none": None}
    assert canonical(value) == b'{"at":"2026-11-21T11:41:34.123456+00:00","n":12,"none":null,"note":"1.5e3 kg","ok":true}'
    assert calls == []
