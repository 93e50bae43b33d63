"""Stof AST → the Python source of one function, ``compile()``d once (the engine's back end).

The generated function is ``_condition(v_customer, v_data, v_policy, _budget[, _trace])``. User text only ever
reaches the source through ``repr()`` of literals and mangled identifiers (``v_<name>``), so no condition can
become Python code. Stof locals are Python locals (block scoping and shadowing are resolved here, at compile
time), the runtime operators are called by name from the function's globals, and type-specialised inline code
replaces a call where it gives the same result (``type(x) is str`` before ``==``, chained ``dict.get`` for paths).

Every runtime call is preceded by a ``#@<n>`` comment line: the position table maps each generated line to the
Stof line/column of the node being evaluated there, so errors can point at the condition's text.

Modules: ``runtime`` (operator tables, helpers generated code calls, the runtime namespace), ``sites`` (call-site
dispatchers), ``tree`` (walking, ``body_mutates``), ``core`` (output, constants, scopes), and the generator's
mixins — ``entry``, ``statements``, ``loops``, ``expressions``, ``operators``, ``calls``, ``time_units``,
``folding`` — composed in ``generator``; ``build`` has ``compile_body``.
"""

from .build import Compiled, compile_body
from .generator import CodeGenerator
from .runtime import (
    ABSENT_BINDING,
    ARITH_FUNCS,
    ASSIGN_FUNCS,
    COMPARE_FUNCS,
    IMPLICIT_LOOP_NAMES,
    PARAMETERS,
    _assign_path,
    _copy_host_result,
    _error_value,
    mangle,
    runtime_namespace,
)
from .tree import body_mutates

# the underscored helpers are shared with the closure tier (stof/closures), which calls the same runtime
__all__ = [
    "ABSENT_BINDING",
    "ARITH_FUNCS",
    "ASSIGN_FUNCS",
    "COMPARE_FUNCS",
    "IMPLICIT_LOOP_NAMES",
    "PARAMETERS",
    "CodeGenerator",
    "Compiled",
    "_assign_path",
    "_copy_host_result",
    "_error_value",
    "body_mutates",
    "compile_body",
    "mangle",
    "runtime_namespace",
]
