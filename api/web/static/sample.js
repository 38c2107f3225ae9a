// The sample viewer's filter builder, enhanced: the condition list keeps only the
// conditions the chosen column's type takes, the value field becomes a number, date or
// time field to match, and the second value shows only for "between". Without this file
// the builder offers every condition and the server says which ones a column refuses.
document.addEventListener("DOMContentLoaded", () => {
  const column = document.getElementById("f-column");
  const op = document.getElementById("f-op");
  const value = document.getElementById("f-value");
  const value2 = document.getElementById("f-value2");
  const valueField = document.getElementById("f-value-field");
  const value2Field = document.getElementById("f-value2-field");
  if (!column || !op || !value || !value2 || !valueField || !value2Field) return;
  const every = Array.from(op.options).map((o) => ({ value: o.value, text: o.text }));
  const noValue = new Set(["isnull", "notnull"]);
  const textual = new Set(["in", "contains", "startswith"]);

  const chosen = () => column.options[column.selectedIndex];

  function syncOps() {
    const allowed = (chosen().dataset.ops || "").split(" ");
    const keep = allowed.includes(op.value) ? op.value : allowed[0];
    op.replaceChildren(
      ...every
        .filter((o) => allowed.includes(o.value))
        .map((o) => new Option(o.text, o.value, false, o.value === keep)),
    );
  }

  function retype(input, type) {
    if (input.type !== type) input.type = type; // the browser drops a value the type refuses
    if (type === "number") input.step = "any";
    else input.removeAttribute("step");
  }

  function syncValue() {
    const kind = chosen().dataset.kind;
    const type = textual.has(op.value) ? "text" : chosen().dataset.input || "text";
    retype(value, type);
    retype(value2, type);
    if (kind === "boolean") value.setAttribute("list", "f-booleans");
    else value.removeAttribute("list");
    valueField.hidden = noValue.has(op.value);
    value2Field.hidden = op.value !== "between";
    value.required = !valueField.hidden;
    value2.required = !value2Field.hidden;
  }

  column.addEventListener("change", () => {
    syncOps();
    syncValue();
  });
  op.addEventListener("change", syncValue);
  syncOps();
  syncValue();
});
