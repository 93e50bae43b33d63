"""The public face of ``segmentr.stof``: exactly these names, each importable."""

from __future__ import annotations

import segmentr.stof as stof

PUBLIC = {
    "Condition", "Diagnostic", "StofBudgetExceeded", "StofError", "StofRuntimeError", "StofSyntaxError",
    "Units", "VOID", "check", "compile", "parse", "shown_value",
    "BindingSet", "HostField", "HostMethod", "HostParam", "HostVariable",
}  # fmt: skip


def test_all_is_exactly_the_public_face() -> None:
    assert set(stof.__all__) == PUBLIC
    assert len(stof.__all__) == len(PUBLIC)


def test_every_public_name_exists() -> None:
    for name in stof.__all__:
        assert getattr(stof, name) is not None


def test_error_tree() -> None:
    assert issubclass(stof.StofBudgetExceeded, stof.StofRuntimeError)
    assert issubclass(stof.StofRuntimeError, stof.StofError)
    assert issubclass(stof.StofSyntaxError, stof.StofError)
