// The condition editor: CodeMirror 6 with Stof highlighting, live validation and completion.
//
// Progressive enhancement of the markup made by the `condition_editor` macro (templates/components.html):
//
//   <div class="stof-editor" data-stof-editor data-validate-url="/v1/segments/validate"
//        data-vocabulary="ID of a <script type=application/json>" [data-readonly] [data-debounce="200"]>
//     <label id="…-label" for="…">Condition</label>
//     <textarea name="condition" id="…">…</textarea>            <- kept in sync, submitted with the form
//     <span role="status" data-stof-status></span> <span data-stof-summary></span>
//   </div>
//
// Events on the wrapper: `stof:change` (detail: {text}) after each edit, `stof:validated` (detail: the
// validate answer). `wrapper.stofEditor` offers {view, getValue(), setValue(text)}.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, indentOnInput } from "@codemirror/language";
import { lintGutter, lintKeymap } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import {
  EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers, placeholder,
} from "@codemirror/view";
import { vocabularyCompletions } from "./stof/completion.js";
import { stofHighlighting, stofLanguage } from "./stof/language.js";
import { liveValidation } from "./stof/validation.js";

// Colours come from the design system's custom properties, so light and dark follow the page.
const pageTheme = EditorView.theme({
  "&": { color: "var(--code-fg)", backgroundColor: "var(--code-bg)", fontSize: "var(--text-sm)" },
  "&.cm-focused": { outline: "none" },
  ".cm-content": { fontFamily: "var(--font-mono)", caretColor: "var(--code-caret)", padding: "var(--space-2) 0" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.6" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--code-caret)", borderLeftWidth: "2px" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
    { backgroundColor: "var(--code-selection)" },
  ".cm-activeLine": { backgroundColor: "var(--code-active-line)" },
  ".cm-gutters": { backgroundColor: "var(--code-gutter-bg)", color: "var(--code-gutter-fg)", border: "none", borderRight: "1px solid var(--border)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--code-active-line)", color: "var(--text)" },
  ".cm-matchingBracket, &.cm-focused .cm-matchingBracket": { backgroundColor: "var(--code-bracket)", outline: "1px solid var(--border-strong)" },
  ".cm-tooltip": { backgroundColor: "var(--surface-raised)", color: "var(--text)", border: "1px solid var(--border)", borderRadius: "var(--radius-md)", boxShadow: "var(--shadow-lg)" },
  ".cm-tooltip-autocomplete > ul > li": { padding: "2px var(--space-2)" },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": { backgroundColor: "var(--accent)", color: "var(--accent-contrast)" },
  ".cm-completionDetail": { color: "inherit", opacity: "0.8", fontStyle: "normal", marginLeft: "var(--space-2)" },
  ".cm-completionInfo": { padding: "var(--space-2) var(--space-3)", maxWidth: "28rem" },
  ".cm-diagnostic": { padding: "var(--space-1) var(--space-3)" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--danger)" },
  ".cm-diagnostic-warning": { borderLeftColor: "var(--warning)" },
  ".cm-lintRange-error": { backgroundImage: "none", textDecoration: "underline wavy var(--danger)", textDecorationSkipInk: "none", textUnderlineOffset: "3px" },
  ".cm-lintRange-warning": { backgroundImage: "none", textDecoration: "underline wavy var(--warning)", textDecorationSkipInk: "none", textUnderlineOffset: "3px" },
  ".cm-placeholder": { color: "var(--text-muted)" },
});

function readVocabulary(wrapper) {
  const id = wrapper.dataset.vocabulary;
  const node = id ? document.getElementById(id) : null;
  if (!node) return {};
  try {
    return JSON.parse(node.textContent || "{}");
  } catch {
    console.warn("segmentr: the completion vocabulary is not valid JSON");
    return {};
  }
}

export function mountStofEditor(wrapper) {
  if (wrapper.stofEditor) return wrapper.stofEditor;
  const textarea = wrapper.querySelector("textarea");
  const label = wrapper.querySelector("label");
  const status = wrapper.querySelector("[data-stof-status]");
  const summary = wrapper.querySelector("[data-stof-summary]");
  const readOnly = wrapper.hasAttribute("data-readonly");
  const validateUrl = wrapper.dataset.validateUrl;
  const labelId = label ? label.id || (label.id = `${textarea.id || "stof"}-label`) : null;

  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    drawSelection(),
    highlightActiveLine(),
    stofLanguage,
    stofHighlighting,
    bracketMatching(),
    pageTheme,
    EditorView.lineWrapping,
    EditorView.contentAttributes.of(labelId ? { "aria-labelledby": labelId } : { "aria-label": "Condition" }),
    EditorView.updateListener.of((update) => {
      if (!update.docChanged) return;
      const text = update.state.doc.toString();
      textarea.value = text;
      wrapper.dispatchEvent(new CustomEvent("stof:change", { detail: { text }, bubbles: true }));
    }),
  ];
  if (readOnly) {
    extensions.push(EditorState.readOnly.of(true));
  } else {
    extensions.push(
      history(),
      indentOnInput(),
      closeBrackets(),
      autocompletion({ override: [vocabularyCompletions(readVocabulary(wrapper))], icons: false }),
      lintGutter(),
      placeholder(textarea.placeholder || 'customer.plan == "growth"'),
      // Tab is left to the browser (focus moves on), so the editor never traps keyboard users.
      keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
    );
    if (validateUrl) {
      extensions.push(liveValidation({
        url: validateUrl,
        status,
        summary,
        delay: Number(wrapper.dataset.debounce || 200),
        onResult: (answer) => wrapper.dispatchEvent(new CustomEvent("stof:validated", { detail: answer, bubbles: true })),
      }));
    }
  }

  const view = new EditorView({
    state: EditorState.create({ doc: textarea.value, extensions }),
  });
  textarea.hidden = true;
  textarea.insertAdjacentElement("afterend", view.dom);
  if (label) {
    label.removeAttribute("for");
    label.addEventListener("click", () => view.focus());
  }
  wrapper.classList.add("is-enhanced");

  const api = {
    view,
    getValue: () => view.state.doc.toString(),
    setValue: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
  };
  wrapper.stofEditor = api;
  return api;
}

export function mountAll(root = document) {
  root.querySelectorAll("[data-stof-editor]").forEach((wrapper) => mountStofEditor(wrapper));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => mountAll());
else mountAll();
// content swapped in by htmx gets its editors too
document.addEventListener("htmx:load", (event) => mountAll(event.target));
