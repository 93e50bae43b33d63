// Every dashboard page: htmx for partial updates, the theme toggle, dismissible flash messages.
import htmx from "htmx.org";
import "./copy.js";
import "./alerts.js";

window.htmx = htmx;
// conditions and user text reach the page; never evaluate attribute code
htmx.config.allowEval = false;
htmx.config.includeIndicatorStyles = false;

// a signed-in page names its session's CSRF token; every htmx request sends it back
function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}
document.addEventListener("htmx:configRequest", (event) => {
  const token = csrfToken();
  if (token) event.detail.headers["X-CSRF-Token"] = token;
});

// a select marked data-submit-with="X" submits its form through the hidden button of intent X (the editor
// redraws its rows for a new field or operator, applies a template); without scripts a visible button does it
document.addEventListener("change", (event) => {
  const select = event.target.closest?.("[data-submit-with]");
  if (!select?.form) return;
  const button = select.form.querySelector(`[data-intent-button="${select.dataset.submitWith}"]`);
  select.form.requestSubmit(button || undefined);
});

const THEMES = ["system", "light", "dark"];
const LABELS = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" };

function currentTheme() {
  return document.documentElement.dataset.theme || "system";
}

function applyTheme(theme) {
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  try {
    if (theme === "system") localStorage.removeItem("segmentr-theme");
    else localStorage.setItem("segmentr-theme", theme);
  } catch {
    // storage disabled: the choice lasts for this page
  }
  document.querySelectorAll("[data-theme-toggle]").forEach((button) => {
    button.dataset.current = theme;
    button.setAttribute("aria-label", LABELS[theme]);
    button.title = `${LABELS[theme]} (click to change)`;
  });
  document.dispatchEvent(new CustomEvent("segmentr:theme", { detail: { theme } }));
}

function wire(root) {
  root.querySelectorAll("[data-theme-toggle]").forEach((button) => {
    if (button.dataset.wired) return;
    button.dataset.wired = "true";
    button.addEventListener("click", () => {
      const next = THEMES[(THEMES.indexOf(currentTheme()) + 1) % THEMES.length];
      applyTheme(next);
    });
  });
  root.querySelectorAll("[data-dismiss]").forEach((button) => {
    if (button.dataset.wired) return;
    button.dataset.wired = "true";
    button.addEventListener("click", () => button.closest("[data-dismissible]")?.remove());
  });
}

function start() {
  applyTheme(currentTheme());
  wire(document);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
document.addEventListener("htmx:load", (event) => wire(event.target));
