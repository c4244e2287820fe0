// The call's notes after a conflict: take the saved version of a field, or put both texts together.
// (No inline script: the CSP is script-src 'self'.)
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-take],[data-merge]");
  if (!button) return;
  const form = button.closest("form");
  const name = button.dataset.take || button.dataset.merge;
  const input = form.elements[name];
  const saved = form.elements["base_" + name].value;
  if (button.dataset.take) {
    input.value = saved;
  } else {
    const mine = input.value.trim();
    input.value = !mine || mine.includes(saved) ? (mine || saved) : saved.includes(mine) ? saved : saved + "\n" + mine;
  }
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.focus();
});
