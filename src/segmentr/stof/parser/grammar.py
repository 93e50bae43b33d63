"""Stof parser, grammar tables: operator precedence and the token sets the parser dispatches on."""

from __future__ import annotations

# binary operator -> precedence level (higher binds tighter); && and || share one level (spec §2)
BINARY_PRECEDENCE: dict[str, int] = {
    "&&": 1, "||": 1,
    "==": 2, "!=": 2, ">=": 2, "<=": 2, ">": 2, "<": 2,
    "+": 3, "-": 3,
    "*": 4, "/": 4, "%": 4,
    "&": 5, "|": 5, "^": 5, "<<": 5, ">>": 5,
}
ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="})
# tokens that can only continue an expression, never start one (used for the "operator starts a line" error)
_CONTINUATION_OPS = frozenset(BINARY_PRECEDENCE) - {"-"} | ASSIGN_OPS | {"??", "=>"}
_CLOSERS = {"(": ")", "[": "]", "{": "}", "tpl_open": "tpl_close"}
_PRECEDENCE_OF = BINARY_PRECEDENCE.get
_PREFIX_OPS = frozenset({"!", "-", "+"})  # tokens `unary` handles before an atom
# names `atom` treats specially (literals, keywords); others (not starting with '_') are plain paths
_ATOM_NAMES = frozenset({"true", "false", "null", "typeof", "typename", "await", "switch", "async", "new"})
_ASSIGNMENT_STARTS = ASSIGN_OPS | {"."}  # what follows the first name of an assignment target
_HEAD_KINDS = frozenset({"[", "{", "("})  # tokens `head` treats specially (with typeof, typename, await)
_TYPEOF_NAMES = frozenset({"typeof", "typename", "await"})
_CHAIN_STARTS = frozenset({"?", ".", "[", "("})  # tokens after a value that `chain` may continue with
_PATH_CONTINUATIONS = frozenset({"?", ".", "[", "("})  # tokens after a name that make it more than a Path
_LOOP_KEYWORDS = frozenset({"while", "for", "loop"})
