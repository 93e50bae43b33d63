// Live validation: after each edit (debounced) the condition is POSTed to the validate URL; the answer's
// diagnostics become CodeMirror lint diagnostics and the status element says "✓ valid" or what is wrong.
// Only the answer to the latest request is shown: a slower answer to an older text is dropped.
import { setDiagnostics } from "@codemirror/lint";
import { ViewPlugin } from "@codemirror/view";

// 1-based line/column (end just past the span) -> document offsets, clamped to the document.
export function toRange(doc, diagnostic) {
  const lineAt = (number) => doc.line(Math.min(Math.max(number || 1, 1), doc.lines));
  const offset = (lineNumber, column) => {
    const line = lineAt(lineNumber);
    return Math.min(line.from + Math.max((column || 1) - 1, 0), line.to);
  };
  const from = offset(diagnostic.line, diagnostic.column);
  let to = diagnostic.end_line ? offset(diagnostic.end_line, diagnostic.end_column) : from;
  if (to < from) to = from;
  if (to === from) {
    // an empty span (end of input, a missing token): underline the character there, or the one before it
    if (from < doc.length && doc.sliceString(from, from + 1) !== "\n") to = from + 1;
    else if (from > 0) return { from: from - 1, to: from };
  }
  return { from, to };
}

function describe(errors, warnings) {
  const parts = [];
  if (errors) parts.push(`${errors} ${errors === 1 ? "error" : "errors"}`);
  if (warnings) parts.push(`${warnings} ${warnings === 1 ? "warning" : "warnings"}`);
  return parts.join(", ");
}

export function liveValidation({ url, status, summary, delay = 200, fetchImpl = window.fetch.bind(window), onResult }) {
  const show = (state, text, detail = "") => {
    if (status) {
      status.dataset.state = state;
      status.textContent = text;
    }
    if (summary) summary.textContent = detail;
  };

  return ViewPlugin.fromClass(
    class {
      constructor(view) {
        this.view = view;
        this.timer = null;
        this.sequence = 0;
        this.controller = null;
        this.schedule(0);
      }

      update(update) {
        if (update.docChanged) this.schedule(delay);
      }

      schedule(wait) {
        clearTimeout(this.timer);
        if (status) status.dataset.pending = "true";
        this.timer = setTimeout(() => this.run(), wait);
      }

      async run() {
        const sequence = ++this.sequence;
        const text = this.view.state.doc.toString();
        if (this.controller) this.controller.abort();
        if (!text.trim()) {
          // nothing written yet: no verdict, no red
          this.controller = null;
          if (status) delete status.dataset.pending;
          this.view.dispatch(setDiagnostics(this.view.state, []));
          show("empty", "", "");
          return;
        }
        const controller = new AbortController();
        this.controller = controller;
        let answer;
        try {
          const response = await fetchImpl(url, {
            method: "POST",
            headers: {
              "Content-Type": "application/json",
              Accept: "application/json",
              // the session's CSRF token (signed-in pages name it in a meta tag)
              "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]')?.content || "",
            },
            body: JSON.stringify({ condition: text }),
            signal: controller.signal,
            credentials: "same-origin",
          });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          answer = await response.json();
        } catch (error) {
          if (sequence !== this.sequence || error.name === "AbortError") return;
          delete status?.dataset.pending;
          show("unknown", "Could not check the condition", "The server did not answer; your text is kept.");
          return;
        }
        // a newer edit was made while this request was in flight: its own answer will come
        if (sequence !== this.sequence || text !== this.view.state.doc.toString()) return;
        if (status) delete status.dataset.pending;
        this.apply(answer);
      }

      apply(answer) {
        const doc = this.view.state.doc;
        const found = (answer.diagnostics || []).map((d) => {
          const { from, to } = toRange(doc, d);
          const severity = d.severity === "error" ? "error" : d.severity === "info" ? "info" : "warning";
          return { from, to, severity, message: d.message, source: "Stof" };
        });
        this.view.dispatch(setDiagnostics(this.view.state, found));
        const errors = found.filter((d) => d.severity === "error").length;
        const warnings = found.filter((d) => d.severity === "warning").length;
        if (answer.valid) {
          show("valid", "✓ valid", warnings ? describe(0, warnings) : "");
        } else {
          const first = (answer.diagnostics || []).find((d) => d.severity === "error");
          const where = first ? `Line ${first.line}, column ${first.column}: ${first.message}` : "";
          show("invalid", describe(errors || 1, warnings), where);
        }
        if (onResult) onResult(answer);
      }

      destroy() {
        clearTimeout(this.timer);
        if (this.controller) this.controller.abort();
        this.sequence++;
      }
    },
  );
}
