// The SOQ sheet's keyboard: click a cell (or Enter/F2 on it) to edit it; in the editor Enter
// saves and moves down, Tab saves and moves right (Shift: up/left), Escape cancels. Arrow
// keys move between cells. The server renders everything; this only routes keys and focus.
(function () {
  "use strict";
  var FIELDS = ["reference", "description", "unit", "quantity", "rate", "itemType", "category"];
  // After a save or a cancel: which cell to focus (and whether to open it) once swapped.
  var pending = null;

  function sheet() { return document.getElementById("soq-sheet"); }
  function editable() { var s = sheet(); return !!s && s.getAttribute("data-editable") === "true"; }
  function rowOf(el) { return el && el.closest ? el.closest("tr[data-item]") : null; }
  function cellIn(row, field) { return row ? row.querySelector('[data-cell="' + field + '"]') : null; }
  function rows() { var s = sheet(); return s ? Array.prototype.slice.call(s.querySelectorAll("tr[data-item]")) : []; }
  // The server gives the URL patterns (from its route table); this fills in the ids.
  function urlOf(row, attr, field) {
    return sheet().getAttribute(attr)
      .replace(":itemId", encodeURIComponent(row.getAttribute("data-item")))
      .replace(":field", encodeURIComponent(field || ""));
  }
  function openEditor() { var s = sheet(); return s ? s.querySelector("td[data-editing]") : null; }

  // neighbour finds the cell next to (row, field) in a direction; null at the sheet's edge.
  function neighbour(row, field, dir) {
    var all = rows(), r = all.indexOf(row), f = FIELDS.indexOf(field);
    if (r < 0 || f < 0) return null;
    switch (dir) {
      case "down": r++; break;
      case "up": r--; break;
      case "right": f++; if (f >= FIELDS.length) { f = 0; r++; } break;
      case "left": f--; if (f < 0) { f = FIELDS.length - 1; r--; } break;
    }
    if (r < 0 || r >= all.length) return null;
    return { item: all[r].getAttribute("data-item"), field: FIELDS[f] };
  }

  function open(cell) {
    if (!cell || cell.hasAttribute("data-editing") || !editable()) return;
    var row = rowOf(cell);
    if (!row) return;
    htmx.ajax("GET", urlOf(row, "data-cell-url", cell.getAttribute("data-cell")),
      { source: cell, target: cell, swap: "outerHTML" });
  }

  function focusEditor(ed) {
    var input = ed && ed.querySelector("input, select");
    if (!input) return;
    input.focus();
    if (input.select && input.tagName === "INPUT") input.select();
  }

  // commit saves the open editor; then goes to `next` ({item, field}) and opens it.
  function commit(ed, next) {
    var row = rowOf(ed), form = ed.querySelector("form");
    if (!row || !form) return;
    pending = { item: row.getAttribute("data-item"), field: ed.getAttribute("data-cell"), next: next, open: true, row: row };
    if (form.requestSubmit) form.requestSubmit(); else htmx.trigger(form, "submit");
  }

  function cancel(ed) {
    var row = rowOf(ed);
    if (!row) return;
    pending = { item: row.getAttribute("data-item"), field: ed.getAttribute("data-cell"), next: null, open: false, row: row };
    htmx.ajax("GET", urlOf(row, "data-row-url"), { source: row, target: row, swap: "outerHTML" });
  }

  function go(target, openIt) {
    if (!target) return;
    var cell = cellIn(document.getElementById("item-" + target.item), target.field);
    if (!cell) return;
    cell.focus();
    if (openIt) open(cell);
  }

  document.addEventListener("click", function (e) {
    var cell = e.target.closest ? e.target.closest("#soq-sheet td[data-cell]") : null;
    if (!cell || cell.hasAttribute("data-editing") || !editable()) return;
    if (e.target.closest("a, button, input, select, form")) return;
    var ed = openEditor();
    var row = rowOf(cell);
    if (ed && row) {
      // Clicking away from an editor saves it, then opens the clicked cell.
      commit(ed, { item: row.getAttribute("data-item"), field: cell.getAttribute("data-cell") });
      return;
    }
    open(cell);
  });

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (!t || !t.closest || !sheet() || !sheet().contains(t)) return;
    var ed = t.closest("td[data-editing]");
    if (ed) {
      var row = rowOf(ed), field = ed.getAttribute("data-cell");
      if (e.key === "Escape") {
        e.preventDefault();
        cancel(ed);
      } else if (e.key === "Enter" && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        commit(ed, neighbour(row, field, e.shiftKey ? "up" : "down"));
      } else if (e.key === "Tab") {
        e.preventDefault();
        commit(ed, neighbour(row, field, e.shiftKey ? "left" : "right"));
      }
      return;
    }
    var cell = t.closest("td[data-cell]");
    if (!cell || t !== cell) return;
    var r = rowOf(cell), f = cell.getAttribute("data-cell"), dir = null;
    switch (e.key) {
      case "Enter": case "F2":
        e.preventDefault(); open(cell); return;
      case "ArrowDown": dir = "down"; break;
      case "ArrowUp": dir = "up"; break;
      case "ArrowRight": dir = "right"; break;
      case "ArrowLeft": dir = "left"; break;
      default: return;
    }
    e.preventDefault();
    go(neighbour(r, f, dir), false);
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (pending) {
      var p = pending, row = document.getElementById("item-" + p.item);
      if (!row) { pending = null; return; }
      if (row === p.row) return; // another swap settled; this row's answer is still to come
      pending = null;
      var ed = row.querySelector("td[data-editing]");
      if (ed) {
        // Refused: the editor stays open with its message; keep typing.
        focusEditor(ed);
        return;
      }
      if (p.next) go(p.next, p.open);
      else go({ item: p.item, field: p.field }, false);
      return;
    }
    var now = openEditor();
    if (now && !now.contains(document.activeElement)) focusEditor(now);
  });

  // A refusal other than a 422 (a toast: issued, gone, not allowed) ends the move.
  document.addEventListener("htmx:responseError", function () { pending = null; });
})();
