"""Call-site dispatchers: a library function called directly when its checks are known to pass."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import StofRuntimeError
from .folding import _NOT_CONSTANT

# Exceptions a library function may raise that the stdlib reports as a Stof runtime error (stdlib._invoke).
_LIBRARY_FAILURES = (ValueError, OverflowError, ZeroDivisionError, TypeError, IndexError, KeyError, AttributeError)
# Which library a method call on each receiver type resolves to (stof.md §2: obj→Obj, list→List, ...).
_METHOD_LIBRARY_NAMES = ("Obj", "List", "Str", "Num", "Map", "Tup", "Set")


def _entry_fits(entry: Any, args: list[Any], cast: Callable[..., Any] | None) -> bool:
    """The call passes the arity check and every argument cast is a no-op (none declared, or the argument is a
    constant the cast returns unchanged, like ``0`` for ``int``): calling ``entry.fn`` directly is the same.
    ``args`` holds each argument's folded constant, or ``_NOT_CONSTANT``."""
    nargs = len(args)
    if entry is None or nargs < entry.min_args or (entry.max_args is not None and nargs > entry.max_args):
        return False
    for names, value in zip(entry.casts[:nargs], args):
        if names is None:
            continue
        if value is _NOT_CONSTANT or cast is None or type(value) not in (int, str, bool):
            return False
        try:
            converted = cast(value, names)
        except Exception:
            return False
        if type(converted) is not type(value) or converted != value:
            return False
    return True


def _library_failure(where: str, name: str, exc: BaseException) -> StofRuntimeError:
    if isinstance(exc, RecursionError | MemoryError):
        return StofRuntimeError(f"{where}.{name}: value too large or too deep", kind="BudgetExceeded")
    return StofRuntimeError(f"{where}.{name}: {exc}", kind="Runtime")


def method_site(
    name: str,
    nargs: int,
    null_safe: bool,
    by_type: Mapping[type, tuple[str, Any]],
    general: Callable[..., Any],
) -> Callable[..., Any]:
    """One call site ``x.name(args)``: receiver types whose library function fits are called directly (what
    ``call_method`` would do after its lookups and checks); anything else goes through ``call_method``."""
    direct = {t: fn for t, (_, fn) in by_type.items()}
    where_of = {t: where for t, (where, _) in by_type.items()}

    def site(receiver: Any, *args: Any) -> Any:
        fn = direct.get(type(receiver))
        if fn is None:
            return general(receiver, name, list(args), null_safe)
        try:
            return fn(receiver, *args)
        except StofRuntimeError:
            raise
        except (RecursionError, MemoryError, *_LIBRARY_FAILURES) as exc:
            raise _library_failure(where_of[type(receiver)], name, exc) from None

    return site


def host_site(name: str, nargs: int, null_safe: bool, general: Callable[..., Any]) -> Callable[..., Any]:
    """One call site ``x.name(args)`` that no library offers (a ``policy`` method): a receiver type whose
    ``stof_methods`` has ``name`` with this arity is called directly, as ``call_method`` would after its
    lookups (decided once per receiver type); anything else goes through ``call_method``."""
    direct: dict[type, bool] = {}

    def decide(t: type) -> bool:
        methods = getattr(t, "stof_methods", None)
        bounds = methods.get(name) if isinstance(methods, dict) else None
        fits = bounds is not None and bounds[0] <= nargs <= bounds[1]
        direct[t] = fits
        return fits

    def site(receiver: Any, *args: Any) -> Any:
        t = type(receiver)
        fits = direct.get(t)
        if fits is None:
            fits = decide(t) if t not in _PLAIN_TYPES else False
        if fits:
            return getattr(receiver, name)(*args)
        return general(receiver, name, list(args), null_safe)

    return site


# receivers call_method resolves through a library (never as host objects), and null
_PLAIN_TYPES = frozenset({dict, list, str, int, float, tuple, bool, type(None)})


def library_site(lib: str, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """One call site ``Lib.name(args)`` of a library without receiver, resolved at compile time."""

    def site(*args: Any) -> Any:
        try:
            return fn(*args)
        except StofRuntimeError:
            raise
        except (RecursionError, MemoryError, *_LIBRARY_FAILURES) as exc:
            raise _library_failure(lib, name, exc) from None

    return site
