// "Copy" beside a value shown once (an API key's secret, an invitation link): copies the field named by
// data-copy and says so in its status. Without scripts the button stays hidden and the field is selectable.
async function copy(button) {
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  field.focus();
  field.select();
  let copied = false;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch {
    copied = document.execCommand?.("copy") ?? false;
  }
  const status = document.getElementById(`${button.dataset.copy}-status`);
  if (status) status.textContent = copied ? "Copied to the clipboard." : "Selected: press Ctrl+C to copy.";
}

document.addEventListener("click", (event) => {
  const button = event.target.closest?.("[data-copy]");
  if (button) copy(button);
});

function reveal() {
  document.querySelectorAll("[data-copy][hidden]").forEach((button) => button.removeAttribute("hidden"));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal);
else reveal();
