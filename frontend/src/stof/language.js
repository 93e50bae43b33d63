// Stof highlighting for CodeMirror 6: a stream tokenizer that reads characters the way the Stof lexer does
// (spec/stof.md §1), so what the editor colours is what the engine sees: `a-1` is one name, `7days` a number
// with a unit, `2h` a number followed by the name `h`.
import { StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { tags, tagHighlighter } from "@lezer/highlight";

const KEYWORDS = new Set([
  "let", "const", "if", "else", "for", "in", "while", "loop", "break", "continue", "return", "switch",
  "case", "default", "try", "catch", "fn", "as", "typeof", "typename", "async", "await", "new",
]);
const ATOMS = new Set(["null", "true", "false"]);
const SELF_NAMES = new Set(["self", "super", "this"]);
const HOST_VARIABLES = new Set(["customer", "policy", "data"]);
const LIBRARIES = new Set(["Time", "Num", "Str", "Std", "List", "Map", "Obj", "Set", "Tup", "Fn"]);
const TYPE_NAMES = new Set(["int", "float", "str", "bool", "list", "map", "set", "blob", "obj", "ver", "void", "unknown"]);

// Unit suffixes in the lexer's first-match order (segmentr.stof.units.SUFFIXES).
const UNIT_SUFFIXES = [
  "days", "day", "hr", "hours", "minutes", "min", "ms", "milliseconds", "us", "microseconds", "ns",
  "nanoseconds", "seconds", "s", "bits", "bit", "bytes", "byte", "KiB", "kibibytes", "KB", "kilobytes",
  "MiB", "mebibytes", "MB", "megabytes", "GiB", "gibibytes", "GB", "gigabytes", "TiB", "tebibytes", "TB",
  "terabytes", "PiB", "pebibytes", "PB", "petabytes", "EiB", "exbibytes", "EB", "exabytes", "ZiB",
  "zebibytes", "ZB", "zettabytes", "YiB", "yobibytes", "YB", "yottabytes", "radians", "rad", "degrees",
  "deg", "pradians", "prad", "pdegrees", "pdeg", "km", "kilometers", "hm", "hectometers", "dcm",
  "decameters", "dm", "decimeters", "cm", "centimeters", "mm", "millimeters", "um", "micrometers", "nm",
  "nanometers", "yd", "yards", "ft", "feet", "inches", "in", "K", "kelvin", "C", "celsius", "F",
  "fahrenheit", "Gt", "gigatonnes", "Mt", "megatonnes", "kg", "kilograms", "mg", "milligrams", "ug",
  "micrograms", "ng", "nanograms", "pg", "picograms", "tons", "Ton", "lbs", "lb", "oz", "ounces", "grams",
  "g", "tonnes", "t", "miles", "mi", "meters", "m",
];

const NUMBER = /^(?:\d+\.\d+\.\d+(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?|0(?:x[0-9A-Fa-f_]+|b[01_]+|o[0-7_]+)|\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?[\d_]+)?)/;
const NAME = /^(?:[A-Za-z_@\u00c0-\uffff])[\w@<>\-\u00c0-\uffff]*/;
const OPERATOR = /^(?:\?\?|<<=|>>=|==|!=|<=|>=|&&|\|\||<<|>>|=>|[+\-*/%&|^]=|[+\-*/%&|^<>=!~])/;

const UNIT_NAMES = new Set([...UNIT_SUFFIXES, "second"]);

function startState() {
  return { inBlockComment: false, inTemplate: false, afterNumber: false, afterDot: false, typePosition: false };
}

function readQuoted(stream, quote) {
  let escaped = false;
  let ch;
  while ((ch = stream.next()) != null) {
    if (ch === quote && !escaped) return true;
    escaped = !escaped && ch === "\\";
  }
  return false;
}

function token(stream, state) {
  if (state.inBlockComment) {
    if (stream.skipTo("*/")) {
      stream.pos += 2;
      state.inBlockComment = false;
    } else {
      stream.skipToEnd();
    }
    return "comment";
  }
  if (state.inTemplate) {
    while (!stream.eol()) {
      const ch = stream.next();
      if (ch === "\\") stream.next();
      else if (ch === "`") {
        state.inTemplate = false;
        break;
      }
    }
    return "string";
  }
  const afterNumber = state.afterNumber;
  const afterDot = state.afterDot;
  const typePosition = state.typePosition;
  state.afterNumber = false;
  state.afterDot = false;
  if (stream.eatSpace()) {
    state.typePosition = typePosition;
    return null;
  }
  state.typePosition = false;

  // A unit suffix glued to the number before it (first match, no word boundary, like the lexer).
  if (afterNumber) {
    const rest = stream.string.slice(stream.pos);
    const unit = UNIT_SUFFIXES.find((suffix) => rest.startsWith(suffix));
    if (unit) {
      stream.pos += unit.length;
      return "unit";
    }
  }
  if (stream.match("//")) {
    stream.skipToEnd();
    return "comment";
  }
  if (stream.match("/*")) {
    state.inBlockComment = true;
    return token(stream, state);
  }
  if (stream.match('r#"')) {
    if (stream.skipTo('"#')) stream.pos += 2;
    else stream.skipToEnd();
    return "string";
  }
  const ch = stream.peek();
  if (ch === '"' || ch === "'") {
    stream.next();
    readQuoted(stream, ch);
    return "string";
  }
  if (ch === "`") {
    stream.next();
    state.inTemplate = true;
    return token(stream, state) || "string";
  }
  if (/\d/.test(ch) && stream.match(NUMBER)) {
    state.afterNumber = true;
    return "number";
  }
  const name = stream.match(NAME);
  if (name) {
    const word = name[0];
    if (afterDot) {
      return /^\s*\(/.test(stream.string.slice(stream.pos)) ? "method" : "property";
    }
    // a type after `as` or a declaration's `:` (`const ts: ms`), units included
    if (typePosition && (TYPE_NAMES.has(word) || UNIT_NAMES.has(word) || ATOMS.has(word))) return "type";
    if (ATOMS.has(word)) return word === "null" ? "null" : "bool";
    if (word === "as") {
      state.typePosition = true;
      return "keyword";
    }
    if (KEYWORDS.has(word)) return "keyword";
    if (SELF_NAMES.has(word)) return "self";
    if (HOST_VARIABLES.has(word)) return "host";
    if (LIBRARIES.has(word)) return "library";
    if (TYPE_NAMES.has(word)) return "type";
    if (/^\s*\(/.test(stream.string.slice(stream.pos))) return "function";
    return "variable";
  }
  if (stream.match("??") || (ch === "?" && stream.next())) return "nullcheck";
  if (ch === "." ) {
    stream.next();
    state.afterDot = true;
    return "punctuation";
  }
  if (ch === ":") {
    stream.next();
    state.typePosition = true;
    return "punctuation";
  }
  if (stream.match(OPERATOR)) return "operator";
  if (/[()[\]{}]/.test(ch)) {
    stream.next();
    return "bracket";
  }
  stream.next();
  return "punctuation";
}

const stofTags = {
  keyword: tags.keyword,
  null: tags.null,
  bool: tags.bool,
  self: tags.self,
  host: tags.special(tags.variableName),
  library: tags.namespace,
  type: tags.typeName,
  function: tags.function(tags.variableName),
  method: tags.function(tags.propertyName),
  property: tags.propertyName,
  variable: tags.variableName,
  string: tags.string,
  number: tags.number,
  unit: tags.unit,
  comment: tags.comment,
  operator: tags.operator,
  nullcheck: tags.controlOperator,
  punctuation: tags.punctuation,
  bracket: tags.bracket,
};

export const stofLanguage = StreamLanguage.define({
  name: "stof",
  startState,
  token,
  copyState: (state) => ({ ...state }),
  tokenTable: stofTags,
  languageData: { commentTokens: { line: "//", block: { open: "/*", close: "*/" } } },
});

// Stable class names (`tok-keyword`, `tok-unit`…) coloured by the design system's CSS, so the light and dark
// themes follow the page's colour tokens.
export const stofHighlighting = syntaxHighlighting(
  tagHighlighter([
    { tag: tags.keyword, class: "tok-keyword" },
    { tag: [tags.null, tags.bool], class: "tok-atom" },
    { tag: tags.self, class: "tok-keyword" },
    { tag: tags.special(tags.variableName), class: "tok-host" },
    { tag: tags.namespace, class: "tok-library" },
    { tag: tags.typeName, class: "tok-type" },
    { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], class: "tok-function" },
    { tag: tags.propertyName, class: "tok-property" },
    { tag: tags.variableName, class: "tok-variable" },
    { tag: tags.string, class: "tok-string" },
    { tag: tags.number, class: "tok-number" },
    { tag: tags.unit, class: "tok-unit" },
    { tag: tags.comment, class: "tok-comment" },
    { tag: tags.controlOperator, class: "tok-nullcheck" },
    { tag: tags.operator, class: "tok-operator" },
    { tag: [tags.punctuation, tags.bracket], class: "tok-punctuation" },
  ]),
);
