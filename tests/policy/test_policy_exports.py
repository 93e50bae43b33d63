"""The package's public surface is exactly its `__all__`."""

from __future__ import annotations

import segmentr.policy as policy


def test_all_names_resolve() -> None:
    assert sorted(policy.__all__) == policy.__all__
    for name in policy.__all__:
        assert getattr(policy, name) is not None
