// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[type=file][data-name-target]")) {
    input.addEventListener("change", () => {
      const target = document.getElementById(input.dataset.nameTarget);
      if (target && input.files.length) target.textContent = input.files[0].name;
    });
  }
});
