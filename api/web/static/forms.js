// Progressive enhancement only: the pages work without it (the summary also has autofocus).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary && document.activeElement !== summary) summary.focus();
});
