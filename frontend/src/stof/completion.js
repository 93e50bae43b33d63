// Completion from the host vocabulary the page provides as JSON (see docs/internal/dashboard.md):
//
//   {
//     "variables":    [{"name": "customer", "doc": "…", "fields": [{"name": "plan", "doc": "…"}, …]}, …],
//     "methods":      [{"name": "limit", "params": ["customer_id", "name", "raw?"], "min_args": 2,
//                       "max_args": 3, "doc": "…"}, …],          // the `policy` methods
//     "plans":        ["free", "growth", …],                     // both environments' plan names
//     "entitlements": ["api_calls", "seats", …],                  // both environments' entitlement names
//     "metadata_keys": ["email", "billing_tier", …],              // optional: keys seen in customer.metadata
//     "libraries":    {"Time": [{"name": "now", "params": [], "doc": "…"}], …}   // optional
//   }
//
// A variable may also be a plain string, a method may give "arity" (a number) instead of params.
import { snippetCompletion } from "@codemirror/autocomplete";

const KEYWORDS = ["let", "const", "if", "else", "for", "in", "while", "return", "break", "continue", "as", "null", "true", "false", "typeof", "typename"];

function asEntry(item) {
  return typeof item === "string" ? { name: item } : item || {};
}

function paramNames(method) {
  if (Array.isArray(method.params)) return method.params.map((p) => (typeof p === "string" ? p : p.name));
  const arity = method.arity ?? method.min_args ?? 0;
  return Array.from({ length: arity }, (_, i) => `arg${i + 1}`);
}

function signature(method) {
  const params = paramNames(method);
  return `(${params.join(", ")})`;
}

function callSnippet(method) {
  const required = paramNames(method).filter((p) => !p.endsWith("?"));
  const args = required.map((p, i) => {
    if (i === 0 && /customer/.test(p)) return "${customer.id}";
    if (/^(name|entitlement)/.test(p)) return `"\${${p}}"`;
    return `\${${p}}`;
  });
  return `${method.name}(${args.join(", ")})`;
}

export function vocabularyCompletions(vocabulary) {
  const variables = (vocabulary.variables || []).map(asEntry);
  const customer = variables.find((v) => v.name === "customer");
  const customerFields = (customer?.fields || []).map(asEntry);
  const methods = (vocabulary.methods || []).map(asEntry);
  const plans = vocabulary.plans || [];
  const entitlements = vocabulary.entitlements || [];
  const metadataKeys = vocabulary.metadata_keys || [];
  const libraries = vocabulary.libraries || {};

  const fieldOptions = customerFields.map((f) => ({ label: f.name, type: "property", info: f.doc, detail: f.type }));
  const metadataOptions = metadataKeys.map((key) => ({ label: key, type: "property", detail: "metadata" }));
  const methodOptions = methods.map((m) =>
    snippetCompletion(callSnippet(m), { label: m.name, type: "method", detail: signature(m), info: m.doc }),
  );
  const topOptions = [
    ...variables.map((v) => ({ label: v.name, type: "variable", info: v.doc, boost: 2 })),
    ...Object.keys(libraries).map((name) => ({ label: name, type: "namespace" })),
    ...KEYWORDS.map((word) => ({ label: word, type: "keyword", boost: -1 })),
  ];
  const quoted = (names, detail) => names.map((name) => ({ label: name, type: "constant", detail }));

  return (context) => {
    const before = context.state.sliceDoc(Math.max(0, context.pos - 200), context.pos);

    // inside a string: an entitlement argument of a policy call, or a plan compared with customer.plan
    const inString = /(["'])([\w\-.]*)$/.exec(before);
    if (inString) {
      const from = context.pos - inString[2].length;
      if (/policy\s*\.\s*\w+\s*\([^()]*,\s*["'][\w\-.]*$/.test(before)) {
        return { from, options: quoted(entitlements, "entitlement"), validFor: /^[\w\-.]*$/ };
      }
      if (/\bplan\s*(?:==|!=)\s*["'][\w\-.]*$/.test(before)) {
        return { from, options: quoted(plans, "plan"), validFor: /^[\w\-.]*$/ };
      }
      return null;
    }

    const member = /\b(customer\.metadata|customer|data|policy|[A-Z]\w*)\s*\.\s*([\w@]*)$/.exec(before);
    if (member) {
      const from = context.pos - member[2].length;
      const owner = member[1];
      let options = null;
      if (owner === "customer") options = fieldOptions;
      else if (owner === "customer.metadata" || owner === "data") options = metadataOptions;
      else if (owner === "policy") options = methodOptions;
      else if (libraries[owner]) {
        options = libraries[owner].map((fn) =>
          snippetCompletion(callSnippet(fn), { label: fn.name, type: "function", detail: signature(fn), info: fn.doc }),
        );
      }
      if (options && (options.length || context.explicit)) return { from, options, validFor: /^[\w@]*$/ };
      return null;
    }

    const word = context.matchBefore(/[A-Za-z_@][\w@]*/);
    if (!word && !context.explicit) return null;
    if (word && /\.\s*$/.test(before.slice(0, before.length - word.text.length))) return null;
    return { from: word ? word.from : context.pos, options: topOptions, validFor: /^[\w@]*$/ };
  };
}
