"""The PostgreSQL import's COPY text lines: every value comes back exactly under COPY's text-format rules."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from segmentr.store.import_postgres import COLUMNS, copy_line

_UNESCAPE = {b"\\": b"\\", b"n": b"\n", b"r": b"\r", b"t": b"\t"}


def _unescape(match: re.Match[bytes]) -> bytes:
    # PostgreSQL gives other escapes (\b, \v, octal, \x..., or any other character) other meanings:
    # the encoder must write none of them.
    escaped = match.group(1)
    assert escaped in _UNESCAPE, f"unexpected COPY escape {match.group()!r}"
    return _UNESCAPE[escaped]


def _decode(line: bytes) -> list[bytes | None]:
    """A COPY text line read back as PostgreSQL reads it."""
    assert b"\n" not in line and b"\r" not in line
    return [
        None if field == b"\\N" else re.sub(rb"\\(.?)", _unescape, field, flags=re.DOTALL)
        for field in line.split(b"\t")
    ]


texts = st.text(alphabet=st.sampled_from("ab\\\t\n\r N\u00e9\u2028\x00\x7f\u65e5\"'{}"), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.floats(allow_nan=False,
    allow_infinity=False) | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)
objects = st.dictionaries(texts, json_values, max_size=3)


@given(
    customer_id=texts.filter(bool),
    plan=texts,
    kind=texts,
    label=texts,
    alt_ids=st.lists(texts, max_size=2),
    refs=st.lists(texts, max_size=2),
    documents=st.tuples(objects, objects, objects, objects),
    metadata=st.none() | objects,
    created=st.none() | st.integers(min_value=0, max_value=2**62),
    updated=st.none() | st.integers(min_value=0, max_value=2**62),
)
def test_copy_line_reads_back_as_the_values(
    customer_id: str,
    plan: str,
    kind: str,
    label: str,
    alt_ids: list[str],
    refs: list[str],
    documents: tuple[dict, dict, dict, dict],
    metadata: dict | None,
    created: int | None,
    updated: int | None,
) -> None:
    fields = (customer_id, plan, kind, label, alt_ids, refs, *documents, metadata, created, updated)
    decoded = _decode(copy_line(b"7", fields, b"1760000000000"))
    assert len(decoded) == len(COLUMNS)
    assert decoded[:5] == [b"7", customer_id.encode(), plan.encode(), kind.encode(), label.encode()]
    for encoded, value in zip(decoded[5:12], (alt_ids, refs, *documents, metadata), strict=True):
        if value is None:
            assert encoded is None
        else:
            assert encoded is not None and json.loads(encoded) == value
    expected_times = [b"1760000000000" if t is None else str(t).encode() for t in (created, updated)]
    assert decoded[12:] == expected_times


def test_a_clean_line_is_the_plain_join() -> None:
    fields = ("cus_1", "pro", "org", "Acme", [], ["r"], {}, {}, {}, {"api": {"value": 1.5}}, None, 5, None)
    expected = b'3\tcus_1\tpro\torg\tAcme\t[]\t["r"]\t{}\t{}\t{}\t{"api":{"value":1.5}}\t\\N\t5\t9'
    assert copy_line(b"3", fields, b"9") == expected
