// A save that met someone else's (call notes, a case's correction): the saved version stands beside
// each field both sides changed; "use the saved version" puts it into the field, "put both texts
// together" joins the two texts. The value travels in the button's data-value.
// (No inline script: the CSP is script-src 'self'.)
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-take],[data-merge]");
  if (!button) return;
  const form = button.closest("form");
  const name = button.dataset.take || button.dataset.merge;
  const input = form.elements[name];
  const saved = button.dataset.value || "";
  if (input.type === "checkbox") {
    input.checked = saved === "1";
  } else if (button.dataset.take) {
    input.value = saved;
  } else {
    const mine = input.value.trim();
    input.value = !mine || mine.includes(saved) ? (mine || saved) : saved.includes(mine) ? saved : saved + "\n" + mine;
  }
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.focus();
});
