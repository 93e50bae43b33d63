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
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

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
_MASTER = re.compile(
    r"((?:[ \t\r\n\ufeff]+|//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)+)?"
    r"(?:(?P<quote>[\"'`]|r\#\")"
    r"|(?P<ident>(?:[^\W\d_]|[_@])[\w@<>\-]*(?:\.(?:[^\W\d_]|[_@])[\w@<>\-]*)*)"
    r"|(?P<comment_open>/\*)"
    r"|(?P<punct><<=|>>=|[=!<>]=|&&|\|\||\?\?|<<|>>|[+\-*/%&|^]=|=>|[()\[\]{},;:.?!+\-*/%&|^<>=])"
    r"|(?P<digit>[0-9])"
    r"|(?P<eof>\Z)"
    r"|(?P<other>.))",
    re.DOTALL,
)
_G_QUOTE, _G_IDENT, _G_COMMENT_OPEN, _G_PUNCT, _G_DIGIT, _G_EOF = (
    _MASTER.groupindex[name] for name in ("quote", "ident", "comment_open", "punct", "digit", "eof")
)
_BRACKETS = frozenset("()[]{}")
_PLAIN_INT = re.compile(r"[0-9]+")
_IDENT_START = re.compile(r"[^\W\d]|@")
_F64_EXACT = 2**53  # above this the reference's trip through f64 changes the value
# characters after a run of digits that make it more than a plain int (unit letters, '.', '_', exponent, radix)
_NUMBER_CONTINUATION = frozenset("._eExbo") | frozenset(c for suffix, _ in UNIT_SUFFIXES for c in suffix[:1])
_LITERAL_PREFIXES = ("true", "false", "null")
_OPENER_OF = {")": "(", "]": "[", "}": "{"}
_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1


@dataclass(slots=True)
class Token:
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


class LexResult:
    """Tokens (ending with ``eof``), the matching bracket of every bracket token, and lexical errors."""

    __slots__ = ("diagnostics", "match", "source", "tokens")

    def __init__(self, source: str, tokens: list[Token], match: dict[int, int], diagnostics: list[Diagnostic]):
        self.source = source
        self.tokens = tokens
        self.match = match
        self.diagnostics = diagnostics


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
        self.tokens: list[Token] = []
        self.diags: list[Diagnostic] = []
        self.openers: list[int] = []
        self.match: dict[int, int] = {}

    def _advance_lines(self, start: int, end: int) -> None:
        count = self.src.count("\n", start, end)
        if count:
            self.line += count
            self.line_start = self.src.rfind("\n", start, end) + 1

    def _token(self, kind: str, start: int, end: int, nl: bool, sp: bool, value: object = None) -> Token:
        line, col = self.line, start - self.line_start + 1
        self._advance_lines(start, end)
        tok = Token(kind, self.src[start:end], start, end, line, col, self.line, end - self.line_start + 1, nl, sp,
                    value)
        self.tokens.append(tok)
        return tok

    def _error(self, start: int, end: int, message: str) -> None:
        # computed from the offset: the error may point back before the current line (an open template)
        line = self.src.count("\n", 0, start) + 1
        col = start - (self.src.rfind("\n", 0, start) + 1) + 1
        end_line, end_col = line, col + max(1, end - start)
        if "\n" in self.src[start:end]:
            end_line = line + self.src.count("\n", start, end)
            end_col = end - (self.src.rfind("\n", start, end) + 1) + 1
        self.diags.append(Diagnostic("error", line, col, end_line, end_col, message, "syntax"))

    def run(self) -> list[Token]:
        src, n = self.src, self.n
        tokens = self.tokens
        append = tokens.append
        master = _MASTER.match
        openers = self.openers
        # stack of brace depths of open template interpolations
        tpl_depth: list[int] = []
        pos = 0
        line, line_start = 1, 0
        while True:
            m = master(src, pos)
            group = m.lastindex
            start = m.end(1)
            end = m.end()
            nl = sp = False
            if start == -1:
                start = pos
            else:
                sp = True
                if src.find("\n", pos, start) != -1:
                    nl = True
                    line += src.count("\n", pos, start)
                    line_start = src.rfind("\n", pos, start) + 1
                elif src.find("/", pos, start) != -1:
                    nl = True
            if group == _G_IDENT:
                text = src[start:end]
                if src[start] in "tfn" and src.startswith(_LITERAL_PREFIXES, start):
                    # a literal keyword (alone or as a prefix) never starts a dotted path token
                    dot = text.find(".")
                    word_end = end if dot == -1 else start + dot
                    if word_end - start > 4 or text[:word_end - start] in LITERAL_KEYWORDS:
                        self.line, self.line_start = line, line_start
                        self._ident(start, word_end, nl, sp)
                        pos = self.pos
                        continue
                col = start - line_start + 1
                if "." in text:  # `a.b.c` glued: one path token (names in .value) instead of five tokens
                    append(Token("path", text, start, end, line, col, line, col + end - start, nl, sp,
                                 tuple(text.split("."))))
                else:
                    append(Token("id", text, start, end, line, col, line, col + end - start, nl, sp))
                pos = end
                continue
            if group == _G_PUNCT:
                text = src[start:end]
                if text in _BRACKETS:
                    if tpl_depth and (text == "{" or text == "}"):
                        if text == "{":
                            tpl_depth[-1] += 1
                        elif tpl_depth[-1] == 0:
                            tpl_depth.pop()
                            self._close_bracket("tpl_open", len(tokens))
                            col = start - line_start + 1
                            append(Token("tpl_close", text, start, end, line, col, line, col + 1, nl, sp))
                            self.line, self.line_start = line, line_start
                            self._template_text(end, tpl_depth)
                            pos, line, line_start = self.pos, self.line, self.line_start
                            continue
                        else:
                            tpl_depth[-1] -= 1
                    if text in "([{":
                        openers.append(len(tokens))
                    else:
                        self._close_bracket(_OPENER_OF[text], len(tokens))
                col = start - line_start + 1
                append(Token(text, text, start, end, line, col, line, col + end - start, nl, sp))
                pos = end
                continue
            self.line, self.line_start, self.pos = line, line_start, start
            if group == _G_DIGIT:
                self._number(start, nl, sp)
            elif group == _G_QUOTE:
                c = src[start]
                if c == "`":
                    self._template(start, nl, sp, tpl_depth)
                elif c == "r":
                    self._raw_string(start, nl, sp)
                else:
                    self._string(start, c, nl, sp)
            elif group == _G_EOF:
                self.pos = n
                self._token("eof", n, n, nl, sp)
                return tokens
            elif group == _G_COMMENT_OPEN:
                self._error(start, n, "unterminated block comment: '/*' has no closing '*/'")
                self._advance_lines(start, n)
                self.pos = n
            else:
                text = src[start]
                self._token("err", start, start + 1, nl, sp, f"unexpected character {text!r}")
                self.pos = start + 1
            pos, line, line_start = self.pos, self.line, self.line_start

    def _close_bracket(self, opener_kind: str, index: int) -> None:
        """Pair the closer at ``index`` with the nearest open ``opener_kind``; openers skipped stay unmatched."""
        openers, tokens = self.openers, self.tokens
        for j in range(len(openers) - 1, max(-1, len(openers) - 64), -1):
            if tokens[openers[j]].kind == opener_kind:
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
        close = bm.end()
        if close >= self.n or src[close] != quote:
            self._error(pos, pos + 1, f"unterminated string literal: {quote} has no closing {quote}")
            self._advance_lines(pos, self.n)
            self.pos = self.n
            return
        raw = bm.group()
        if self._too_long(raw, pos, close + 1):
            return
        if "\n" in raw:
            self._token("str", pos, close + 1, nl, sp, decode_escapes(raw, quote))
        else:
            col = pos - self.line_start + 1
            self.tokens.append(Token("str", src[pos:close + 1], pos, close + 1, self.line, col, self.line,
                                     col + close + 1 - pos, nl, sp, decode_escapes(raw, quote)))
        self.pos = close + 1

    def _template(self, pos: int, nl: bool, sp: bool, tpl_depth: list[int]) -> None:
        self._token("tpl_start", pos, pos + 1, nl, sp)
        self.pos = pos + 1
        self._template_text(pos + 1, tpl_depth)

    def _template_text(self, pos: int, tpl_depth: list[int]) -> None:
        src = self.src
        m = _TPL_TEXT.match(src, pos)
        end = m.end()
        raw = m.group()
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
        self.openers.append(len(self.tokens))
        self._token("tpl_open", end, end + 2, False, False)
        tpl_depth.append(0)
        self.pos = end + 2

    def _template_start(self) -> int:
        depth = 0
        for tok in reversed(self.tokens):
            if tok.kind == "tpl_end":
                depth += 1
            elif tok.kind == "tpl_start":
                if depth == 0:
                    return tok.start
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
            tok = self._token("id", pos, pos + len(kw), nl, sp)
            tok.full_end = end
            pos += len(kw)
            nl = sp = False
            if not _IDENT_START.match(src, pos):
                self.pos = pos  # `true-1`, `null5`: the rest is lexed as usual
                return

    def _number(self, pos: int, nl: bool, sp: bool) -> None:
        src = self.src
        dm = _PLAIN_INT.match(src, pos)
        end = dm.end()
        if end >= self.n or src[end] not in _NUMBER_CONTINUATION:
            # the common case: plain digits, no unit, no '.', '_', exponent or radix
            text = dm.group()
            value = int(text)
            if value > _F64_EXACT:
                value = number_value(text)
            col = pos - self.line_start + 1
            self.tokens.append(Token("num", text, pos, end, self.line, col, self.line, col + end - pos, nl, sp,
                                     (value, None)))
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
            text = dm.group()
            end = dm.end()
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
    tokens = lexer.run()
    return LexResult(source, tokens, lexer.match, lexer.diags)


__all__ = ["LITERAL_KEYWORDS", "UNIT_SUFFIXES", "LexResult", "Token", "decode_escapes", "tokenize", "unit_suffix"]
