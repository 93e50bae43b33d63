"""Code generation for calls: library functions and methods, through per-site dispatchers when they fit."""

from __future__ import annotations

from typing import Any

from .. import nodes as n
from ..tiers import called_library
from .core import GeneratorCore
from .sites import _METHOD_LIBRARY_NAMES, _entry_fits, host_site, library_site, method_site


class CallsMixin(GeneratorCore):
    """``Lib.name(...)`` and ``x.name(...)``, with inline ``len`` where it cannot differ."""

    def library_call(self, lib: str, e: n.Call) -> str:
        arg_codes = [self.expr(a) for a in e.args]
        tables = self.runtime.get("TABLES") or {}
        entry = (tables.get(lib) or {}).get(e.name)
        if lib not in _METHOD_LIBRARY_NAMES and _entry_fits(
            entry, self.folded_args(e), self.runtime.get("cast")
        ):
            site = self.constant_object(library_site(lib, e.name, entry.fn))
            return f"({self.mark(e)}{site}({', '.join(arg_codes)}))"
        safe = ", True" if e.null_safe else ""
        return f"({self.mark(e)}call_library({lib!r}, {e.name!r}, [{', '.join(arg_codes)}]{safe}))"

    def library_function(self, pytype: type, e: n.Call) -> Any:
        """The library function ``x.name(...)`` resolves to for a receiver of ``pytype``, or None."""
        lib = self.method_libraries.get(pytype)
        entry = ((self.runtime.get("TABLES") or {}).get(lib) or {}).get(e.name) if lib else None
        return entry.fn if entry is not None else None

    def folded_args(self, e: n.Call) -> list[Any]:
        return [self.fold(a) for a in e.args]

    def method_site(self, e: n.Call) -> str | None:
        """A per-site dispatcher for ``x.name(args)``, or None when no receiver type can take the fast path."""
        tables = self.runtime.get("TABLES") or {}
        folded = self.folded_args(e)
        by_type: dict[type, tuple[str, Any]] = {}
        for pytype, lib in self.method_libraries.items():
            entry = (tables.get(lib) or {}).get(e.name)
            if _entry_fits(entry, folded, self.runtime.get("cast")):
                by_type[pytype] = (lib, entry.fn)
        if not by_type or "call_method" not in self.runtime:
            return None
        site = method_site(e.name, len(e.args), e.null_safe, by_type, self.runtime["call_method"])
        return self.constant_object(site)

    def expr_Call(self, e: n.Call) -> str:
        library = called_library(e, lambda name: self.lookup(name) is not None, self.libraries)
        if library is not None:
            return self.library_call(library, e)
        receiver = e.receiver
        assert receiver is not None
        if self.is_host_method(e):
            self.host_calls = True
        args = "[" + ", ".join(self.expr(a) for a in e.args) + "]"
        safe = ", True" if e.null_safe else ""
        site = None if self.mutates else self.method_site(e)
        if site is not None:
            arg_codes = "".join(", " + self.expr(a) for a in e.args)
            inline_len = [t.__name__ for t in (list, tuple, dict) if self.library_function(t, e) is len]
            if e.name == "len" and not e.args and "list" in inline_len and self.counts_fields(receiver):
                # `x.fields().len()` on an object is its field count: no list of (name, value) pairs is built
                assert isinstance(receiver, n.Call) and receiver.receiver is not None
                fields_site = self.method_site(receiver)
                t = self.temp()
                return (
                    f"(len({t}) if type({t} := {self.expr(receiver.receiver)}) is dict"
                    f" else ({self.mark(e)}{site}({self.mark(receiver)}{fields_site}({t}))))"
                )
            if e.name == "len" and not e.args and inline_len:
                # List/Tup/Obj `len` is Python's len, which cannot fail on those types
                t = self.temp()
                first, *rest = inline_len
                test = " or ".join(
                    [f"type({t} := {self.expr(receiver)}) is {first}"] + [f"type({t}) is {x}" for x in rest]
                )
                return f"(len({t}) if {test} else ({self.mark(e)}{site}({t})))"
            index = self.constant_index(e)
            if index is not None:
                # `x[k]` on a list or tuple holding item k is that item (List.at / Tup.at)
                t = self.temp()
                code = (
                    f"({t}[{index}] if (type({t} := {self.expr(receiver)}) is tuple or type({t}) is list)"
                    f" and len({t}) > {index} else ({self.mark(e)}{site}({t}, {index})))"
                )
                var = self.lookup(receiver.names[0]) if isinstance(receiver, n.Path) else None
                if var is not None and var.pairs is not None and len(receiver.names) == 1 and index < 2:  # type: ignore[union-attr]
                    plain = f"{var.pyname}[{index}]"
                    code = f"({plain} if {var.pairs} else {code})"
                    self.speculative_rewrites[code] = plain
                    var.pair_reads += 1
                    var.pair_indexes |= 1 << index
                return code
            return f"({self.mark(e)}{site}({self.expr(receiver)}{arg_codes}))"
        if not self.mutates and "call_method" in self.runtime and self.is_host_method(e):
            host = self.constant_object(host_site(e.name, len(e.args), e.null_safe, self.runtime["call_method"]))
            arg_codes = "".join(", " + self.expr(a) for a in e.args)
            return f"({self.mark(e)}{host}({self.expr(receiver)}{arg_codes}))"
        if self.mutates:
            # the body may change what a host call returns: give it its own copy
            t = self.temp()
            call = f"call_method({t} := {self.expr(receiver)}, {e.name!r}, {args}{safe})"
            return f"({self.mark(e)}_copy_host_result({call}, {t}))"
        return f"({self.mark(e)}call_method({self.expr(receiver)}, {e.name!r}, {args}{safe}))"

    def is_host_method(self, e: n.Call) -> bool:
        """No library has a method ``e.name``: on any value but a host object the call is FuncDne (or null)."""
        tables = self.runtime.get("TABLES") or {}
        return not any(e.name in (tables.get(lib) or {}) for lib in set(self.method_libraries.values()))

    def constant_index(self, e: n.Call) -> int | None:
        """``k`` for ``x.at(k)`` / ``x[k]`` with a small non-negative int constant, when lists and tuples resolve
        ``at`` to the List and Tup libraries' own (so indexing inline gives the same item)."""
        from ..stdlib.list import LIST
        from ..stdlib.tup import TUP

        if e.name != "at" or len(e.args) != 1:
            return None
        k = self.fold(e.args[0])
        if type(k) is not int or not 0 <= k < 1 << 20:
            return None
        if self.library_function(list, e) is not LIST["at"].fn or self.library_function(tuple, e) is not TUP["at"].fn:
            return None
        return k

    def counts_fields(self, e: n.Expr) -> bool:
        """``e`` is ``x.fields()`` on a non-library receiver, resolving to the Obj library's ``fields``."""
        from ..stdlib.obj import object_fields

        return (
            isinstance(e, n.Call)
            and e.name == "fields"
            and not e.args
            and e.receiver is not None
            and not (
                isinstance(e.receiver, n.Path)
                and len(e.receiver.names) == 1
                and self.lookup(e.receiver.names[0]) is None
                and e.receiver.names[0] in self.libraries
            )
            and self.library_function(dict, e) is object_fields
            and self.method_site(e) is not None
        )
