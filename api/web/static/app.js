// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add("js");

// A box that scrolls sideways is a region keyboard users can reach (and scroll) and
// screen readers can name; a box that fits needs no extra tab stop.
const usedNames = new Set();
// Landmarks need names of their own: a second "Table: Samples" becomes "Table: Samples (2)".
function uniqueName(name) {
  let candidate = name;
  for (let n = 2; usedNames.has(candidate); n++) candidate = `${name} (${n})`;
  usedNames.add(candidate);
  return candidate;
}

function markScrollable(box) {
  const overflowing = box.scrollWidth > box.clientWidth + 1;
  if (overflowing && !box.hasAttribute("tabindex")) {
    box.dataset.marked = "1";
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
      const table = box.querySelector("table");
      const caption = table && table.caption ? table.caption.textContent.trim() : "";
      const heading = box.previousElementSibling && /^H[1-6]$/.test(box.previousElementSibling.tagName)
        ? box.previousElementSibling.textContent.trim() : "";
      const section = box.closest("section[aria-labelledby]");
      const titled = section ? document.getElementById(section.getAttribute("aria-labelledby")) : null;
      const name = caption || heading || (titled ? titled.textContent.trim() : "");
      box.setAttribute("aria-label", uniqueName(name ? `Table: ${name}` : "Table"));
    }
  } else if (!overflowing && box.dataset.marked) {
    delete box.dataset.marked;
    box.removeAttribute("tabindex");
    box.removeAttribute("role");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[type=file][data-name-target]")) {
    input.addEventListener("change", () => {
      const target = document.getElementById(input.dataset.nameTarget);
      if (target && input.files.length) target.textContent = input.files[0].name;
    });
  }

  // Every table scrolls inside its own box.
  for (const table of document.querySelectorAll("main table")) {
    if (table.parentElement.classList.contains("scroll")) continue;
    const box = document.createElement("div");
    box.className = "scroll";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  }
  const boxes = Array.from(document.querySelectorAll(".scroll"));
  const mark = () => boxes.forEach(markScrollable);
  mark();
  window.addEventListener("resize", mark);

  // The search filters start folded on narrow screens (the page opens them for wide ones,
  // and without this script they stay open, after the results).
  const facets = document.getElementById("facets");
  if (facets && window.matchMedia("(max-width: 55.99rem)").matches) facets.open = false;
});
