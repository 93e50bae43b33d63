"""Stof lexer: turns condition source into tokens with positions, the way Stof 0.9.21 reads characters.

Context-free lexing with three Stof quirks kept on purpose (spec/stof.md §1):

* identifiers may contain ``- < >`` after their first character (``a-1`` is one name);
* a number takes a unit suffix by first match, without a word boundary (``2sec`` is ``2s`` then ``ec``;
  ``2h`` is ``2`` then the name ``h``);
* a name starting with ``true``/``false``/``null`` is split after the keyword (``true_count`` is ``true`` then
  ``_count``) because the reference matches literal keywords as prefixes. The keyword token remembers where the
  whole name ends (``full_end``) so that the parser can rejoin it where a plain name is expected (paths,
  declarations, assignment targets).

A dotted name written without spaces (``customer.metadata.email``) is one ``path`` token whose ``value`` holds
the names: Stof paths are exactly such glued names, and it saves the parser four tokens a path.

Backtick templates are lexed in place: ``tpl_start``, ``tpl_text``, ``tpl_open`` (``${``), the embedded
expression's tokens, ``tpl_close``, ..., ``tpl_end``.

For speed (a 2 KB condition must compile in about a millisecond) one regex, run by ``findall`` over windows of
the source, matches whitespace and the common tokens in C, and tokens are plain tuples ("rows", read by the
parser); the rare tokens whose extent a regex cannot decide are lexed by methods from the whole source.
"""

from __future__ import annotations

import math
import re
from itertools import repeat
from typing import NamedTuple

from segmentr.stof.errors import Diagnostic
from segmentr.stof.units import SUFFIXES

MAX_STRING_BYTES = 1_000_000

# suffix -> canonical unit in the reference's first-match order: the runtime's table is the one source of truth
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = tuple(SUFFIXES)
_UNITS_BY_FIRST: dict[str, tuple[tuple[str, str], ...]] = {}
for _suffix, _canon in UNIT_SUFFIXES:
    _UNITS_BY_FIRST[_suffix[0]] = (*_UNITS_BY_FIRST.get(_suffix[0], ()), (_suffix, _canon))

PUNCT = (
    "<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "??", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=",
    "|=", "^=", "=>", "(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "?", "!", "+", "-", "*", "/", "%",
    "&", "|", "^", "<", ">", "=", "^", "@", "#", "$", "~", "\\",
)
LITERAL_KEYWORDS = ("true", "false", "null")

_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z][0-9A-Za-z.\-]*)?(?:\+[0-9A-Za-z][0-9A-Za-z.\-]*)?")
_DECIMAL = re.compile(r"[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+\-]?[0-9_]+)?")
_RADIX = re.compile(r"0(?:x[0-9A-Fa-f_]+|b[01_]+|o[0-7_]+)")
_DQ_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_SQ_BODY = re.compile(r"[^'\\]*(?:\\.[^'\\]*)*", re.DOTALL)
_TPL_TEXT = re.compile(r"(?:[^`\\$]|\\.|\$(?!\{))*", re.DOTALL)
_PLAIN_INT = re.compile(r"[0-9]+")
_IDENT_START = re.compile(r"[^\W\d]|@")
_F64_EXACT = 2**53  # above this the reference's trip through f64 changes the value
# characters after a run of digits that make it more than a plain int (unit letters, '.', '_', exponent, radix)
_NUMBER_CONTINUATION = frozenset("._eExbo") | frozenset(c for suffix, _ in UNIT_SUFFIXES for c in suffix[:1])
_UNIT_ALTERNATIVES = "|".join(re.escape(suffix) for suffix, _ in UNIT_SUFFIXES)  # in first-match order
_BLOCK_COMMENT = re.compile(r"/\*(?:[^*]|\*(?!/))*\*/")
_NAME = re.compile(r"(?:[^\W\d_]|[_@])[\w@<>\-]*(?:\.(?:[^\W\d_]|[_@])[\w@<>\-]*)*")  # a name or glued path
# One scan step: whitespace, then one token, matched in C by ``findall`` over a window of the source: a name or
# glued path, or any other token ("other", told apart by its text: three groups cost the regex engine far less
# than one group per kind). A token whose extent needs more than a regex (template, name glued to a literal
# keyword, raw string, unterminated literal) only has its first character matched; a method lexes it from the
# whole source and the scan restarts after it. Numbers other than plain ints are proposed by the regex and
# checked by ``_number``.
_SCAN = re.compile(
    r"([ \t\r\n\ufeff]*)"
    r"(?:(?!r\#\"|(?:true|false|null)(?:[\w@<>\-]|\.(?:[^\W\d_]|[_@])))(" + _NAME.pattern + ")"  # name, path
    r"|(//[^\n]*|" + _BLOCK_COMMENT.pattern  # comment (an unterminated /* is matched below, alone)
    + r"|[,;:.]|=[=>]?|!=?|<<=?|<=?|>>=?|>=?|&[&=]?|\|[|=]?|\?\??|[+\-*%^]=?|/(?![/*])=?"  # operator, longest
    r"|[(\[{]|[)\]}]"  # bracket
    r"|\"[^\"\\]*(?:\\.[^\"\\]*)*\"|'[^'\\]*(?:\\.[^'\\]*)*'"  # terminated string
    r"|[0-9]+(?![0-9" + re.escape("".join(sorted(_NUMBER_CONTINUATION))) + r"])"  # plain int, whole
    r"|(?=[0-9])(?:" + _VERSION.pattern + "|(?:" + _RADIX.pattern + "|" + _DECIMAL.pattern + ")(?:"
    + _UNIT_ALTERNATIVES + r")?)"  # other number (version, radix, decimal, unit)
    r"|r\#\"|/\*|.|\Z))",  # raw string, open comment, quote, backtick, keyword-glued name, stray character, end
    re.DOTALL,
)
_OPENING, _CLOSING = -1, -2
# the text of an "other" token -> what it is, for punctuation: an operator's length, or _OPENING / _CLOSING for a
# bracket (every other token is told by its first character)
_PUNCTUATION: dict[str, int] = {
    **{op: len(op) for op in ("<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "??", "<<", ">>", "+=", "-=",
                              "*=", "/=", "%=", "&=", "|=", "^=", "=>", ",", ";", ":", ".", "?", "!", "+", "-",
                              "*", "/", "%", "&", "|", "^", "<", ">", "=")},
    **dict.fromkeys("([{", _OPENING),
    **dict.fromkeys(")]}", _CLOSING),
}
# the same for a source that is all ASCII (nearly every one): ASCII classes are quicker to test, same result
_SCAN_ASCII = re.compile(_SCAN.pattern, re.DOTALL | re.ASCII)
# ``findall`` runs over a window ending at ``stop``; a token ending within this many characters of the window's
# end may have been cut short (or looked ahead past it), so it is scanned again in the next window.
_WINDOW_LOOKAHEAD = 4
_MIN_WINDOW = 16  # after a token lexed by a method: little scanned ahead is thrown away if another follows
_MAX_WINDOW = 4096
_OPENER_OF = {")": "(", "]": "[", "}": "{"}
_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1


class Token(NamedTuple):
    """One token. ``kind`` is the punctuation text itself for operators, else a word (``id``, ``num``, ...)."""

    kind: str
    text: str
    start: int
    end: int
    line: int
    col: int
    end_line: int
    end_col: int
    nl: bool = False  # a newline or comment separates it from the previous token
    sp: bool = False  # anything (space, newline, comment) separates it from the previous token
    value: object = None  # num: (int|float, unit|None); str/tpl_text: the decoded text; err: the message
    full_end: int = -1  # a literal keyword glued to a longer name: offset where that whole name ends


# A row is a token as a plain tuple (the fields of Token, in order): ten times cheaper to build than an object,
# and what the parser reads, by these indices.
Row = tuple[str, str, int, int, int, int, int, int, bool, bool, object, int]
KIND, TEXT, START, END, LINE, COL, END_LINE, END_COL, NL, SP, VALUE, FULL_END = range(12)


class LexResult:
    """Tokens (ending with ``eof``), the matching bracket of every bracket token, and lexical errors.

    ``rows`` are the tokens as plain tuples; ``tokens`` the same as ``Token`` objects, built on first use."""

    __slots__ = ("_tokens", "diagnostics", "match", "rows", "source")

    def __init__(self, source: str, rows: list[Row], match: dict[int, int], diagnostics: list[Diagnostic]):
        self.source = source
        self.rows = rows
        self.match = match
        self.diagnostics = diagnostics
        self._tokens: list[Token] | None = None

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            self._tokens = list(map(tuple.__new__, repeat(Token), self.rows))  # type: ignore[arg-type]
        return self._tokens


def unit_suffix(text: str, pos: int) -> tuple[str, int] | None:
    """The unit glued at ``pos`` (first match in the reference's order): (canonical name, suffix length)."""
    if pos >= len(text):
        return None
    for suffix, canon in _UNITS_BY_FIRST.get(text[pos], ()):
        if text.startswith(suffix, pos):
            return canon, len(suffix)
    return None


def decode_escapes(raw: str, quote: str) -> str:
    """Apply the string escapes Stof knows (``\\\\ \\n \\r \\t`` and the own quote); others stay as written."""
    if "\\" not in raw:
        return raw

    def repl(m: re.Match[str]) -> str:
        c = m.group(1)
        if c in _ESCAPES:
            return _ESCAPES[c]
        if c == quote:
            return c
        return m.group(0)

    return _ESCAPE_RE.sub(repl, raw)


def number_value(text: str) -> int | float:
    """The value of a decimal literal as the reference computes it: through f64, an int (saturating to i64) iff
    the literal has no '.' and the value is integral. Raises ValueError for text that is not a number."""
    value = float(text.replace("_", ""))
    if "." in text:
        return value
    if math.isinf(value):
        return I64_MAX if value > 0 else I64_MIN
    if abs(value - math.trunc(value)) < 1e-10:
        return max(I64_MIN, min(I64_MAX, math.trunc(value)))
    return value


class _Lexer:
    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.rows: list[Row] = []
        self.diags: list[Diagnostic] = []
        self.openers: list[int] = []
        self.match: dict[int, int] = {}

    def _advance_lines(self, start: int, end: int) -> None:
        count = self.src.count("\n", start, end)
        if count:
            self.line += count
            self.line_start = self.src.rfind("\n", start, end) + 1

    def _token(self, kind: str, start: int, end: int, nl: bool, sp: bool, value: object = None,
               full_end: int = -1) -> None:
        line, col = self.line, start - self.line_start + 1
        self._advance_lines(start, end)
        self.rows.append((kind, self.src[start:end], start, end, line, col, self.line, end - self.line_start + 1,
                          nl, sp, value, full_end))

    def _error(self, start: int, end: int, message: str) -> None:
        # computed from the offset: the error may point back before the current line (an open template)
        line = self.src.count("\n", 0, start) + 1
        col = start - (self.src.rfind("\n", 0, start) + 1) + 1
        end_line, end_col = line, col + max(1, end - start)
        if "\n" in self.src[start:end]:
            end_line = line + self.src.count("\n", start, end)
            end_col = end - (self.src.rfind("\n", start, end) + 1) + 1
        self.diags.append(Diagnostic("error", line, col, end_line, end_col, message, "syntax"))

    def run(self) -> list[Row]:
        src, n = self.src, self.n
        rows = self.rows
        append = rows.append
        openers = self.openers
        match = self.match
        # stack of brace depths of open template interpolations
        tpl_depth: list[int] = []
        pos = 0
        line, line_start = 1, 0
        nl = sp = False  # what separates the next token from the previous one
        window = _MAX_WINDOW
        scan = _SCAN_ASCII.findall if src.isascii() else _SCAN.findall
        punctuation = _PUNCTUATION.get
        while True:  # one window; a token lexed by a method ends it early (the next starts after that token)
            stop = pos + window
            if stop >= n:
                stop = trusted = n
            else:
                trusted = stop - _WINDOW_LOOKAHEAD
            window_start = pos
            window = min(window * 2, _MAX_WINDOW)
            for ws, name, other in scan(src, pos, stop):
                if ws == " ":
                    pos += 1
                    sp = True
                elif ws:
                    if "\n" in ws:
                        line += ws.count("\n")
                        line_start = pos + ws.rfind("\n") + 1
                        nl = True
                    pos += len(ws)
                    sp = True
                if name:
                    end = pos + len(name)
                    if end > trusted:
                        break
                    col = pos - line_start + 1
                    if "." in name:  # `a.b.c` glued: one path token (names in .value) instead of five tokens
                        append(("path", name, pos, end, line, col, line, col + end - pos, nl, sp,
                                tuple(name.split(".")), -1))
                    else:
                        append(("id", name, pos, end, line, col, line, col + end - pos, nl, sp, None, -1))
                    pos = end
                    nl = sp = False
                    continue
                what = punctuation(other, 0)
                if what > 0:  # an operator, `what` long
                    end = pos + what
                    if end > trusted:
                        break
                    col = pos - line_start + 1
                    append((other, other, pos, end, line, col, line, col + end - pos, nl, sp, None, -1))
                    pos = end
                    nl = sp = False
                elif what == _OPENING:
                    end = pos + 1
                    if end > trusted:
                        break
                    if tpl_depth and other == "{":
                        tpl_depth[-1] += 1
                    openers.append(len(rows))
                    col = pos - line_start + 1
                    append((other, other, pos, end, line, col, line, col + 1, nl, sp, None, -1))
                    pos = end
                    nl = sp = False
                elif what == _CLOSING:
                    end = pos + 1
                    if end > trusted:
                        break
                    col = pos - line_start + 1
                    if tpl_depth and other == "}":
                        if tpl_depth[-1] == 0:  # the '}' closing a template's `${`: template text follows
                            tpl_depth.pop()
                            self._close_bracket("tpl_open", len(rows))
                            append(("tpl_close", other, pos, end, line, col, line, col + 1, nl, sp, None, -1))
                            self.line, self.line_start = line, line_start
                            self._template_text(end, tpl_depth)
                            pos, line, line_start = self.pos, self.line, self.line_start
                            nl = sp = False
                            window = _MIN_WINDOW
                            break
                        tpl_depth[-1] -= 1
                    index = len(rows)
                    if openers and rows[openers[-1]][KIND] == _OPENER_OF[other]:
                        opened = openers.pop()
                        match[opened] = index
                        match[index] = opened
                    else:
                        self._close_bracket(_OPENER_OF[other], index)
                    append((other, other, pos, end, line, col, line, col + 1, nl, sp, None, -1))
                    pos = end
                    nl = sp = False
                else:
                    first = other[:1]
                    if (first == '"' or first == "'") and len(other) > 1:  # a terminated string
                        end = pos + len(other)
                        if end > trusted:
                            break
                        if "\n" in other or len(other) > MAX_STRING_BYTES // 4:
                            self.line, self.line_start = line, line_start
                            self._string(pos, first, nl, sp)
                            pos, line, line_start = self.pos, self.line, self.line_start
                        else:
                            col = pos - line_start + 1
                            raw = other[1:-1]
                            append(("str", other, pos, end, line, col, line, col + end - pos, nl, sp,
                                    decode_escapes(raw, first) if "\\" in raw else raw, -1))
                            pos = end
                        nl = sp = False
                    elif "0" <= first <= "9":
                        end = pos + len(other)
                        if other.isdigit():  # a plain int
                            if end > trusted:
                                break
                            value = int(other)
                            if value > _F64_EXACT:
                                value = number_value(other)
                            col = pos - line_start + 1
                            append(("num", other, pos, end, line, col, line, col + end - pos, nl, sp, (value, None),
                                    -1))
                            pos = end
                            nl = sp = False
                        else:  # the regex proposes, _number decides; if they disagree, scan on from its end
                            self.line, self.line_start = line, line_start
                            self._number(pos, nl, sp)
                            nl = sp = False
                            if self.pos != end or end > trusted:
                                pos = self.pos
                                window = _MIN_WINDOW
                                break
                            pos = end
                    elif first == "/" and other != "/*":  # a comment
                        if pos + len(other) > trusted:
                            break
                        if "\n" in other:
                            line += other.count("\n")
                            line_start = pos + other.rfind("\n") + 1
                        pos += len(other)
                        nl = sp = True
                    elif not other:
                        if pos < n:
                            break  # the end of the window, not of the source
                        self.line, self.line_start = line, line_start
                        self._token("eof", pos, pos, nl, sp)
                        return rows
                    elif other == "/*" and (block := _BLOCK_COMMENT.match(src, pos)):
                        comment = block.group()  # a comment running past the window
                        if "\n" in comment:
                            line += comment.count("\n")
                            line_start = pos + comment.rfind("\n") + 1
                        pos += len(comment)
                        nl = sp = True
                        window = _MIN_WINDOW
                        break
                    else:
                        self.line, self.line_start, self.pos = line, line_start, pos
                        if other in ("t", "f", "n"):
                            # a literal keyword glued to more (`true_count`, `null.x`): split, then lex the rest
                            end = _NAME.match(src, pos).end()  # type: ignore[union-attr]
                            dot = src.find(".", pos, end)
                            self._ident(pos, end if dot == -1 else dot, nl, sp)
                        elif other == "`":
                            self._template(pos, nl, sp, tpl_depth)
                        elif other == 'r#"':
                            self._raw_string(pos, nl, sp)
                        elif other == '"' or other == "'":
                            self._string(pos, other, nl, sp)
                        elif other == "/*":
                            self._error(pos, self.n, "unterminated block comment: '/*' has no closing '*/'")
                            self._advance_lines(pos, self.n)
                            self.pos = self.n
                        else:
                            col = pos - line_start + 1
                            append(("err", other, pos, pos + 1, line, col, line, col + 1, nl, sp,
                                    f"unexpected character {other!r}", -1))
                            pos += 1
                            nl = sp = False
                            continue
                        pos, line, line_start = self.pos, self.line, self.line_start
                        nl = sp = False
                        window = _MIN_WINDOW
                        break
            if pos == window_start:
                window = (stop - window_start) * 2  # one token longer than the window: widen it

    def _close_bracket(self, opener_kind: str, index: int) -> None:
        """Pair the closer at ``index`` with the nearest open ``opener_kind``; openers skipped stay unmatched."""
        openers, rows = self.openers, self.rows
        for j in range(len(openers) - 1, max(-1, len(openers) - 64), -1):
            if rows[openers[j]][KIND] == opener_kind:
                self.match[openers[j]] = index
                self.match[index] = openers[j]
                del openers[j:]
                return

    def _raw_string(self, pos: int, nl: bool, sp: bool) -> None:
        close = self.src.find('"#', pos + 3)
        if close == -1:
            self._error(pos, pos + 3, "unterminated raw string literal: 'r#\"' has no closing '\"#'")
            self._advance_lines(pos, self.n)
            self.pos = self.n
            return
        body = self.src[pos + 3:close]
        if self._too_long(body, pos, close + 2):
            return
        self._token("str", pos, close + 2, nl, sp, body)
        self.pos = close + 2

    def _too_long(self, body: str, start: int, end: int) -> bool:
        if len(body) > MAX_STRING_BYTES // 4 and len(body.encode("utf-8", "surrogatepass")) > MAX_STRING_BYTES:
            self._error(start, start + 1, f"string literal too long (over {MAX_STRING_BYTES} bytes)")
            self._advance_lines(start, end)
            self.pos = end
            return True
        return False

    def _string(self, pos: int, quote: str, nl: bool, sp: bool) -> None:
        src = self.src
        body_re = _DQ_BODY if quote == '"' else _SQ_BODY
        bm = body_re.match(src, pos + 1)
        close = bm.end()  # type: ignore[union-attr]
        if close >= self.n or src[close] != quote:
            self._error(pos, pos + 1, f"unterminated string literal: {quote} has no closing {quote}")
            self._advance_lines(pos, self.n)
            self.pos = self.n
            return
        raw = bm.group()  # type: ignore[union-attr]
        if self._too_long(raw, pos, close + 1):
            return
        self._token("str", pos, close + 1, nl, sp, decode_escapes(raw, quote))
        self.pos = close + 1

    def _template(self, pos: int, nl: bool, sp: bool, tpl_depth: list[int]) -> None:
        self._token("tpl_start", pos, pos + 1, nl, sp)
        self.pos = pos + 1
        self._template_text(pos + 1, tpl_depth)

    def _template_text(self, pos: int, tpl_depth: list[int]) -> None:
        src = self.src
        m = _TPL_TEXT.match(src, pos)
        end = m.end()  # type: ignore[union-attr]
        raw = m.group()  # type: ignore[union-attr]
        if raw:
            if self._too_long(raw, pos, end):
                return
            text = _ESCAPE_RE.sub(lambda e: {"`": "`", **_ESCAPES}.get(e.group(1), e.group(0)), raw)
            self._token("tpl_text", pos, end, False, False, text)
        if end >= self.n:
            self._error(self._template_start(), self._template_start() + 1,
                        "unterminated template string: '`' has no closing '`'")
            self._advance_lines(end, self.n)
            self.pos = self.n
            return
        if src[end] == "`":
            self._token("tpl_end", end, end + 1, False, False)
            self.pos = end + 1
            return
        # "${"
        self.openers.append(len(self.rows))
        self._token("tpl_open", end, end + 2, False, False)
        tpl_depth.append(0)
        self.pos = end + 2

    def _template_start(self) -> int:
        depth = 0
        for row in reversed(self.rows):
            if row[KIND] == "tpl_end":
                depth += 1
            elif row[KIND] == "tpl_start":
                if depth == 0:
                    return row[START]
                depth -= 1
        return 0

    def _ident(self, pos: int, end: int, nl: bool, sp: bool) -> None:
        """The name ``src[pos:end]``, split after each leading literal keyword (``nullable`` -> ``null``,
        ``able``); every split keyword token remembers where the whole name ends."""
        src = self.src
        while True:
            kw = next((k for k in LITERAL_KEYWORDS if end - pos > len(k) and src.startswith(k, pos)), None)
            if kw is None:
                self._token("id", pos, end, nl, sp)
                self.pos = end
                return
            self._token("id", pos, pos + len(kw), nl, sp, full_end=end)
            pos += len(kw)
            nl = sp = False
            if not _IDENT_START.match(src, pos):
                self.pos = pos  # `true-1`, `null5`: the rest is lexed as usual
                return

    def _number(self, pos: int, nl: bool, sp: bool) -> None:
        src = self.src
        dm = _PLAIN_INT.match(src, pos)
        end = dm.end()  # type: ignore[union-attr]
        if end >= self.n or src[end] not in _NUMBER_CONTINUATION:
            text = dm.group()  # type: ignore[union-attr]
            value = int(text)
            if value > _F64_EXACT:
                value = number_value(text)
            self._token("num", pos, end, nl, sp, (value, None))
            self.pos = end
            return
        vm = _VERSION.match(src, pos)
        if vm is not None:
            self._token("ver", pos, vm.end(), nl, sp, vm.group())
            self.pos = vm.end()
            return
        rm = _RADIX.match(src, pos)
        if rm is not None:
            text = rm.group()
            digits = text[2:].replace("_", "")
            base = {"x": 16, "b": 2, "o": 8}[text[1]]
            end = rm.end()
            if not digits or int(digits, base) > I64_MAX:
                self._token("err", pos, end, nl, sp, f"invalid number literal {text!r}")
                self.pos = end
                return
            value: int | float = int(digits, base)
        else:
            dm = _DECIMAL.match(src, pos)
            text = dm.group()  # type: ignore[union-attr]
            end = dm.end()  # type: ignore[union-attr]
            try:
                value = number_value(text)
            except ValueError:
                self._token("err", pos, end, nl, sp, f"invalid number literal {text!r}")
                self.pos = end
                return
        unit = unit_suffix(src, end)
        if unit is not None:
            canon, length = unit
            self._token("num", pos, end + length, nl, sp, (float(value), canon))
            self.pos = end + length
            return
        self._token("num", pos, end, nl, sp, (value, None))
        self.pos = end


def tokenize(source: str) -> LexResult:
    """Lex ``source``. Never raises: lexical errors are returned as diagnostics (and ``err`` tokens)."""
    lexer = _Lexer(source)
    rows = lexer.run()
    return LexResult(source, rows, lexer.match, lexer.diags)


__all__ = [
    "COL",
    "END",
    "END_COL",
    "END_LINE",
    "FULL_END",
    "KIND",
    "LINE",
    "LITERAL_KEYWORDS",
    "NL",
    "SP",
    "START",
    "TEXT",
    "UNIT_SUFFIXES",
    "VALUE",
    "LexResult",
    "Row",
    "Token",
    "decode_escapes",
    "tokenize",
    "unit_suffix",
]
