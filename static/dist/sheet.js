// The SOQ sheet as a spreadsheet. The server renders every row (each cell carries its raw
// value in data-value); this module only adds what a spreadsheet needs:
//  - one tab stop (roving tabindex), arrows move the selection, the focused cell is selected;
//  - typing replaces a cell's value, Enter/F2 edit it, Enter/Tab save and move, Esc cancels;
//  - saves run in the background, one at a time and in order, so no keystroke waits for the
//    server; each answer brings the row and the totals it changed; a refused save marks its cell;
//  - paste of a tab-separated block (one all-or-nothing PATCH), undo/redo of the last 50 changes.
// Without this module every cell still edits through its own form (each row's noscript menu).

const FIELDS = ["reference", "description", "unit", "quantity", "rate", "itemType", "category"];
const LABELS = { reference: "Reference", description: "Description", unit: "Unit", quantity: "Quantity", rate: "Rate", itemType: "Item type", category: "Trade" };
// Delete/Backspace on a selected cell clears it only where the field may be empty.
const CLEARABLE = new Set(["category"]);
const UNDO_LIMIT = 50;

const sheet = () => document.getElementById("soq-sheet");
const editable = () => sheet()?.dataset.editable === "true";
const rowOf = (el) => el?.closest?.("tr[data-item]") ?? null;
const cellIn = (row, field) => row?.querySelector(`:scope > td[data-cell="${field}"]`) ?? null;
const keyOf = (td) => rowOf(td).dataset.item + "|" + td.dataset.cell;
const isCell = (el) => el instanceof HTMLElement && el.matches("#soq-sheet td[data-cell]");

// Rates-only mode (a bidder's bid: data-mode="rates"): every cell is read-only except the
// rate of a priced line (a locked allowance is data-locked); Enter and Tab save and move
// from rate to rate; each rate is posted to the bid as itemId and rate.
const ratesMode = () => sheet()?.dataset.mode === "rates";
const cellEditable = (td) => !!td && editable() && (!ratesMode() || (td.dataset.cell === "rate" && td.dataset.locked !== "true"));
const clearable = (td) => CLEARABLE.has(td.dataset.cell) || (ratesMode() && td.dataset.cell === "rate");

// nextRate is the next (or previous) editable rate cell after td's row.
function nextRate(td, dir) {
  const step = dir === "down" || dir === "right" ? 1 : -1;
  for (let r = nextRow(rowOf(td), step); r; r = nextRow(r, step)) {
    const rate = cellIn(r, "rate");
    if (cellEditable(rate)) return rate;
  }
  return null;
}

let options = {};
try { options = JSON.parse(document.getElementById("soq-options")?.textContent || "{}"); } catch { options = {}; }

// ---------------------------------------------------------------- selection

let selected = null; // the td holding the one tab stop

function select(td, { focus = true, scroll = true } = {}) {
  if (!td) return;
  if (selected && selected !== td) {
    selected.tabIndex = -1;
    selected.removeAttribute("aria-selected");
  }
  selected = td;
  td.tabIndex = 0;
  td.setAttribute("aria-selected", "true");
  if (focus && document.activeElement !== td) td.focus({ preventScroll: true });
  if (scroll) td.scrollIntoView({ block: "nearest", inline: "nearest" });
}

// ensureTabStop keeps exactly one cell in the tab order after rows come and go.
function ensureTabStop() {
  const s = sheet();
  if (!s) return;
  // A row's move and delete buttons are reached from its cells (Alt+arrows, Ctrl+Delete),
  // not by Tab: 3 stops a row would be thousands. Without this module they stay tab stops.
  for (const el of s.querySelectorAll('.soq-act :is(button, a):not([tabindex="-1"])')) el.tabIndex = -1;
  if (selected && s.contains(selected)) return;
  selected = null;
  let first = s.querySelector("td[data-cell]");
  if (ratesMode()) first = [...s.querySelectorAll('td[data-cell="rate"]')].find(cellEditable) || first;
  if (first) { first.tabIndex = 0; selected = first; }
}

function nextRow(row, dir) {
  let r = row;
  for (;;) {
    r = dir > 0 ? r.nextElementSibling : r.previousElementSibling;
    if (!r) {
      // Into the next (or previous) section's body.
      let body = row.parentElement;
      for (;;) {
        body = dir > 0 ? body.nextElementSibling : body.previousElementSibling;
        if (!body || body.tagName !== "TBODY") return null;
        const rows = body.querySelectorAll(":scope > tr[data-item]");
        if (rows.length) return dir > 0 ? rows[0] : rows[rows.length - 1];
      }
    }
    if (r.matches("tr[data-item]")) return r;
    // Rows not loaded yet: bring their loader into view (it loads them), stay put till then.
    if (r.matches("[data-rows-loader]")) { r.scrollIntoView({ block: "nearest" }); return null; }
  }
}

// neighbour is the cell next to td in a direction; Tab wraps to the next row's first cell.
function neighbour(td, dir) {
  const row = rowOf(td);
  let f = FIELDS.indexOf(td.dataset.cell);
  let r = row;
  switch (dir) {
    case "down": r = nextRow(row, 1); break;
    case "up": r = nextRow(row, -1); break;
    case "right": f++; if (f >= FIELDS.length) { f = 0; r = nextRow(row, 1); } break;
    case "left": f--; if (f < 0) { f = FIELDS.length - 1; r = nextRow(row, -1); } break;
    case "home": f = 0; break;
    case "end": f = FIELDS.length - 1; break;
  }
  return r ? cellIn(r, FIELDS[f]) : null;
}

// ---------------------------------------------------------------- status line

let statusEl = null;
function status(text) {
  if (!statusEl) {
    statusEl = document.createElement("p");
    statusEl.id = "soq-save-status";
    statusEl.className = "soq-status";
    statusEl.setAttribute("role", "status");
    sheet()?.closest("#soq-region")?.before(statusEl);
  }
  statusEl.textContent = text;
}

// ---------------------------------------------------------------- editor

let editor = null; // { td, input, mode: "enter" | "edit" }

function optionLabel(field, value) {
  return (options[field] || []).find((o) => o.value === value)?.label ?? value;
}

// openEditor opens td's editor: "edit" (Enter: the whole value selected; F2: the caret at
// its end) or "enter" (a character typed over the cell replaces the value).
function openEditor(td, mode, { typed = null, caretEnd = false } = {}) {
  if (!td || !cellEditable(td) || editor) return;
  const field = td.dataset.cell;
  const ref = cellIn(rowOf(td), "reference")?.dataset.value ?? "";
  let input;
  if (options[field]) {
    input = document.createElement("select");
    for (const o of options[field]) input.add(new Option(o.label, o.value));
    input.value = td.dataset.value ?? "";
  } else {
    input = document.createElement("input");
    input.autocomplete = "off";
    input.value = typed ?? td.dataset.value ?? "";
    if (field === "quantity" || field === "rate") input.inputMode = "decimal";
    if (field === "unit") input.setAttribute("list", "soq-units");
  }
  input.className = "soq-editor" + (field === "quantity" || field === "rate" ? " soq-editor-num" : "");
  input.setAttribute("aria-label", `${LABELS[field]} of ${ref}`);
  if (td.getAttribute("aria-invalid") === "true") {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", td.getAttribute("aria-describedby") || "");
  }
  editor = { td, input, mode };
  td.dataset.editing = "true";
  td.append(input);
  input.focus({ preventScroll: true });
  if (input.tagName === "INPUT") {
    if (mode === "edit" && !caretEnd) input.select();
    else input.setSelectionRange(input.value.length, input.value.length);
  }
  input.addEventListener("blur", () => { if (editor?.input === input) commit(null); });
}

function closeEditor() {
  if (!editor) return null;
  const e = editor;
  editor = null;
  delete e.td.dataset.editing;
  e.input.remove();
  return e;
}

// commit saves the editor's value (when it changed) and moves the selection.
function commit(dir) {
  const e = closeEditor();
  if (!e) return;
  const value = e.input.value;
  if (value !== (e.td.dataset.value ?? "") || e.td.getAttribute("aria-invalid") === "true") {
    change([{ td: e.td, value }], { record: true });
  }
  const to = dir ? (ratesMode() ? nextRate(e.td, dir) : neighbour(e.td, dir)) || e.td : e.td;
  // A blur (a click elsewhere) leaves the focus where the user put it.
  if (dir !== null) select(to);
}

function cancel() {
  const e = closeEditor();
  if (e) select(e.td);
}

// ---------------------------------------------------------------- changes and the save queue

const queue = [];
let running = false;
let afterSaves = ""; // a note the status line keeps once the queued saves are answered
const pending = new Map(); // cell key -> saves queued or running
const undoStack = [];
const redoStack = [];

function setPending(s) { const t = sheet(); if (t) t.dataset.pending = String(s); }

// change applies cell values now (the cell shows what was typed) and queues their save: one
// cell is a form post of that cell, several (a paste, its undo) one PATCH of all of them.
function change(list, { record = false, undoing = null } = {}) {
  // from is the cell's value as saved: a refused cell shows what was typed, not that.
  const changes = list.map(({ td, value }) => ({
    td, value, item: rowOf(td).dataset.item, field: td.dataset.cell,
    from: td.getAttribute("aria-invalid") === "true" ? td.dataset.saved ?? "" : td.dataset.value ?? "",
  }));
  for (const c of changes) {
    show(c.td, c.value);
    c.td.dataset.value = c.value;
    clearInvalid(c.td);
    const k = keyOf(c.td);
    pending.set(k, (pending.get(k) || 0) + 1);
    c.td.classList.add("soq-saving");
  }
  const entry = { changes: changes.map(({ item, field, from, value }) => ({ item, field, from, to: value })) };
  if (record) {
    undoStack.push(entry);
    if (undoStack.length > UNDO_LIMIT) undoStack.shift();
    redoStack.length = 0;
  }
  queue.push({ changes, entry: record ? entry : undoing });
  setPending(queue.length);
  if (!running) drain();
}

function show(td, value) {
  const field = td.dataset.cell;
  td.replaceChildren(document.createTextNode(options[field] ? optionLabel(field, value) : value));
}

async function drain() {
  running = true;
  status("Saving…");
  while (queue.length) {
    const job = queue[0];
    try {
      if (job.changes.length === 1) await saveCell(job);
      else if (ratesMode()) for (const c of job.changes) await saveCell({ ...job, changes: [c] }); // the bid saves a rate at a time
      else await saveBlock(job);
    } catch {
      for (const c of job.changes) refuse(c, ["Not saved: the server could not be reached. Try again."], job);
    }
    for (const c of job.changes) {
      const k = c.item + "|" + c.field, n = (pending.get(k) || 1) - 1;
      if (n) pending.set(k, n); else pending.delete(k);
      const td = liveCell(c);
      if (td && !n) td.classList.remove("soq-saving");
    }
    queue.shift();
    setPending(queue.length);
  }
  running = false;
  const bad = sheet()?.querySelectorAll('td[aria-invalid="true"]').length || 0;
  status((bad ? `${bad} cell${bad === 1 ? " was" : "s were"} not saved: see the cells marked in red.` : "All changes saved.") + (afterSaves ? " " + afterSaves : ""));
  afterSaves = "";
}

// liveCell finds a change's cell again (its row may have been re-rendered since).
const liveCell = (c) => cellIn(document.getElementById("item-" + c.item), c.field);

const htmlHeaders = { "HX-Request": "true" };

async function saveCell(job) {
  const c = job.changes[0];
  const url = sheet().dataset.cellUrl.replace(":itemId", encodeURIComponent(c.item)).replace(":field", encodeURIComponent(c.field));
  const res = await fetch(url, {
    method: "POST", credentials: "same-origin", headers: htmlHeaders,
    body: new URLSearchParams(ratesMode() ? { itemId: c.item, rate: c.value } : { value: c.value }),
  });
  const text = await res.text();
  if (res.ok && res.status !== 204) {
    applyFragment(text, new Set([c.item + "|" + c.field]));
    return;
  }
  if (res.status === 422) {
    const tpl = parse(text);
    const msg = [...tpl.querySelectorAll("[data-cell-error]")].map((e) => e.innerText || e.textContent).join(" ").trim();
    refuse(c, [msg || "This value was refused."], job);
    return;
  }
  refuse(c, [serverMessage(text, res.status)], job);
}

function parse(html) {
  const t = document.createElement("template");
  t.innerHTML = html;
  return t.content;
}

function serverMessage(text, code) {
  const m = parse(text).textContent.replace(/\s+/g, " ").trim();
  return "Not saved: " + (m && m.length < 300 ? m : `the server answered ${code}.`);
}

// applyFragment takes a saved row and the totals it changed from the server's answer.
function applyFragment(html, own) {
  const frag = parse(html);
  for (const row of frag.querySelectorAll("tr[data-item]")) patchRow(row, own);
  for (const t of frag.querySelectorAll("template")) {
    for (const el of t.content.querySelectorAll("[id]")) {
      const live = document.getElementById(el.id);
      if (live) live.textContent = el.textContent;
    }
  }
}

// patchRow copies a server-rendered row into the live one cell by cell, so that the
// selection and focus stay put, skipping cells open in the editor, marked refused, or with
// a save queued after the one answered (own: the cells this answer saved).
function patchRow(fresh, own) {
  const row = document.getElementById(fresh.id);
  if (!row) return;
  row.className = fresh.className;
  if (fresh.dataset.fixed) row.dataset.fixed = fresh.dataset.fixed; else delete row.dataset.fixed;
  for (const td of fresh.querySelectorAll(":scope > td[data-cell]")) {
    const live = cellIn(row, td.dataset.cell);
    if (!live || live === editor?.td || live.getAttribute("aria-invalid") === "true") continue;
    const k = keyOf(live);
    if ((pending.get(k) || 0) > (own.has(k) ? 1 : 0)) continue;
    live.replaceChildren(...td.childNodes);
    live.dataset.value = td.dataset.value ?? "";
    const keep = ["soq-saving", "soq-new"].filter((c) => live.classList.contains(c));
    live.className = td.className;
    live.classList.add(...keep);
  }
  const amount = fresh.querySelector("[data-amount]"), liveAmount = row.querySelector("[data-amount]");
  if (amount && liveAmount) liveAmount.textContent = amount.textContent;
}

// A paste (or its undo): one PATCH of every cell, then the rows fetched as the server renders them.
async function saveBlock(job) {
  const s = sheet();
  const res = await fetch(s.dataset.pasteUrl, {
    method: "PATCH", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ changes: job.changes.map((c) => ({ itemId: c.item, field: c.field, value: c.value })) }),
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) {
    const ids = [...new Set(job.changes.map((c) => c.item))];
    const own = new Set(job.changes.map((c) => c.item + "|" + c.field));
    for (const sec of body.sections || []) setMoney(document.getElementById("section-total-" + sec.id), sec.total);
    setMoney(document.getElementById("soq-total"), body.total);
    setMoney(document.getElementById("soq-total-foot"), body.total);
    for (const it of body.items || []) {
      const a = document.getElementById("item-" + it.id)?.querySelector("[data-amount]");
      if (a) setMoney(a, it.amount);
    }
    await Promise.all(ids.map(async (id) => {
      const r = await fetch(s.dataset.rowUrl.replace(":itemId", encodeURIComponent(id)), { credentials: "same-origin", headers: htmlHeaders });
      if (r.ok) applyFragment(await r.text(), own);
    }));
    return;
  }
  // All or nothing: nothing was saved. Each refused cell is marked, the others show their
  // saved value again.
  const fields = body.fields || {};
  job.changes.forEach((c, i) => {
    const msg = fields[`changes[${i}].value`] || fields[`changes[${i}].itemId`];
    if (msg) refuse(c, [msg], job);
    else revert(c);
  });
  if (!Object.keys(fields).length) for (const c of job.changes) refuse(c, [body.error || `Not saved: the server answered ${res.status}.`], job);
  dropUndo(job);
}

// setMoney writes an amount in minor units into a figure the server formatted, keeping its
// currency symbol and style ("$5,649.80").
function setMoney(el, minor) {
  if (!el || typeof minor !== "number") return;
  const decimals = Number(sheet()?.dataset.decimals ?? 2);
  const abs = Math.abs(minor);
  const n = (abs / 10 ** decimals).toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  const text = el.textContent.replace(/^(\s*)-/, "$1").replace(/\d[\d,]*(\.\d+)?/, n);
  el.textContent = minor < 0 ? "-" + text.trimStart() : text;
}

function revert(c) {
  const td = liveCell(c);
  if (!td) return;
  td.dataset.value = c.from;
  show(td, c.from);
}

// refuse marks a cell whose save was refused: what was typed stays in it, with the server's
// message beside it, and the cell is described by the message for screen readers.
function refuse(c, msgs, job) {
  const td = liveCell(c);
  dropUndo(job);
  // A newer value typed in the cell since supersedes this one.
  if (!td || (pending.get(c.item + "|" + c.field) || 0) > 1) return;
  td.querySelector(".soq-cell-error")?.remove();
  if (td.getAttribute("aria-invalid") !== "true") td.dataset.saved = c.from;
  const id = `err-${c.item}-${c.field}`;
  td.setAttribute("aria-invalid", "true");
  td.setAttribute("aria-describedby", id);
  td.classList.add("soq-invalid");
  td.dataset.value = c.value;
  show(td, c.value);
  const tip = document.createElement("span");
  tip.id = id;
  tip.className = "soq-cell-error";
  tip.dataset.cellError = "";
  const said = msgs.join(" ").trim();
  tip.textContent = `${said}${/[.!?]$/.test(said) ? "" : "."} You typed “${c.value}”.`;
  td.append(tip);
  const ref = cellIn(rowOf(td), "reference")?.dataset.value ?? "";
  status(`${LABELS[c.field]} of ${ref} was not saved. ${msgs.join(" ")}`);
}

function clearInvalid(td) {
  if (td.getAttribute("aria-invalid") !== "true") return;
  td.removeAttribute("aria-invalid");
  td.removeAttribute("aria-describedby");
  delete td.dataset.saved;
  td.classList.remove("soq-invalid");
  td.querySelector(".soq-cell-error")?.remove();
}

function dropUndo(job) {
  if (!job?.entry) return;
  let i = undoStack.indexOf(job.entry);
  if (i >= 0) undoStack.splice(i, 1);
  i = redoStack.indexOf(job.entry);
  if (i >= 0) redoStack.splice(i, 1);
}

// ---------------------------------------------------------------- undo and redo

// Each undo is a normal save of the old values, so the rules apply to it as to any change.
function replay(from, to, redo) {
  const entry = from.pop();
  if (!entry) { status(redo ? "Nothing to redo." : "Nothing to undo."); return; }
  const list = [];
  for (const c of entry.changes) {
    const td = cellIn(document.getElementById("item-" + c.item), c.field);
    if (td) list.push({ td, value: redo ? c.to : c.from });
  }
  if (!list.length) return;
  to.push(entry);
  change(list, { undoing: entry });
  select(list[0].td);
  status(`${redo ? "Redone" : "Undone"}: ${list.length} cell${list.length === 1 ? "" : "s"}.`);
}

// ---------------------------------------------------------------- paste

// parseTSV reads a block copied from a spreadsheet: rows on lines, cells between tabs,
// quoted cells (which may hold tabs, newlines and doubled quotes) as Excel writes them.
function parseTSV(text) {
  const rows = [[]];
  let cell = "", i = 0, quoted = false;
  text = text.replace(/\r\n?/g, "\n").replace(/\n$/, "");
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (ch === '"') { quoted = false; i++; continue; }
      cell += ch; i++; continue;
    }
    if (ch === '"' && cell === "") { quoted = true; i++; continue; }
    if (ch === "\t") { rows[rows.length - 1].push(cell); cell = ""; i++; continue; }
    if (ch === "\n") { rows[rows.length - 1].push(cell); rows.push([]); cell = ""; i++; continue; }
    cell += ch; i++;
  }
  rows[rows.length - 1].push(cell);
  return rows;
}

function paste(text) {
  if (!selected || !editable()) return;
  const block = parseTSV(text);
  if (ratesMode()) { pasteRates(block); return; }
  const f0 = FIELDS.indexOf(selected.dataset.cell);
  const list = [];
  let row = rowOf(selected), skipped = 0;
  for (const values of block) {
    if (!row) { skipped++; continue; }
    values.forEach((v, j) => {
      const field = FIELDS[f0 + j];
      const td = field && cellIn(row, field);
      // A label pasted into a select cell is sent as is: the server reads labels too.
      if (td) list.push({ td, value: v.trim() });
    });
    row = nextRow(row, 1);
  }
  if (!list.length) return;
  change(list, { record: true });
  if (skipped) status(`${skipped} pasted row${skipped === 1 ? "" : "s"} fell below the last row shown and were left out.`);
}

// pasteRates puts a pasted column of rates (the first value of each line) into the
// editable rate cells from the selected row down, skipping locked allowances.
function pasteRates(block) {
  const list = [];
  let row = rowOf(selected), skipped = 0;
  for (const values of block) {
    while (row && !cellEditable(cellIn(row, "rate"))) row = nextRow(row, 1);
    if (!row) { skipped++; continue; }
    list.push({ td: cellIn(row, "rate"), value: (values[0] ?? "").trim() });
    row = nextRow(row, 1);
  }
  if (!list.length) return;
  if (skipped) afterSaves = `${skipped} pasted rate${skipped === 1 ? "" : "s"} fell below the last line and ${skipped === 1 ? "was" : "were"} left out.`;
  change(list, { record: true });
}

// ---------------------------------------------------------------- events

function onKeydown(e) {
  const s = sheet();
  if (!s || !s.contains(e.target)) return;
  if (editor && e.target === editor.input) {
    const plainEnter = e.key === "Enter" && !e.altKey && !e.ctrlKey && !e.metaKey;
    if (plainEnter) { e.preventDefault(); commit(e.shiftKey ? "up" : "down"); }
    else if (e.key === "Tab") { e.preventDefault(); commit(e.shiftKey ? "left" : "right"); }
    else if (e.key === "Escape") { e.preventDefault(); cancel(); }
    else if (editor.mode === "enter" && editor.input.tagName === "INPUT" && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      // Typing over a cell, as in a spreadsheet, the arrows save and move.
      e.preventDefault(); commit(e.key === "ArrowUp" ? "up" : "down");
    }
    return;
  }
  const td = e.target;
  if (!isCell(td)) return;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey && (e.key === "z" || e.key === "Z")) { e.preventDefault(); e.shiftKey ? replay(redoStack, undoStack, true) : replay(undoStack, redoStack, false); return; }
  if (mod && !e.altKey && (e.key === "y" || e.key === "Y")) { e.preventDefault(); replay(redoStack, undoStack, true); return; }
  const moves = { ArrowDown: "down", ArrowUp: "up", ArrowRight: "right", ArrowLeft: "left", Home: "home", End: "end" };
  if (moves[e.key] && !mod && !e.altKey) {
    e.preventDefault();
    select(neighbour(td, moves[e.key]) || td);
    return;
  }
  if (!editable()) return;
  if (ratesMode() && !cellEditable(td)) {
    if (e.key === "Enter" || e.key === "F2" || e.key === "Delete" || e.key === "Backspace" || (e.key.length === 1 && !mod && !e.altKey)) {
      e.preventDefault();
      const rate = cellIn(rowOf(td), "rate");
      if ((e.key === "Enter" || e.key === "F2") && cellEditable(rate)) { select(rate); return; }
      status(td.dataset.locked === "true" || rowOf(td).dataset.fixed ? "This line is a fixed allowance: its amount is set by the SOQ." : "Only your rates can be changed: select a rate cell.");
    }
    return;
  }
  const row = rowOf(td);
  if (e.altKey && !mod && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
    e.preventDefault();
    row.querySelector(`[data-move="${e.key === "ArrowUp" ? "up" : "down"}"]`)?.click();
    return;
  }
  if (mod && e.key === "Delete") {
    e.preventDefault();
    row.querySelector("[data-delete-item]")?.click();
    return;
  }
  if (e.key === "Enter" && !mod && !e.altKey) { e.preventDefault(); openEditor(td, "edit"); return; }
  if (e.key === "F2") { e.preventDefault(); openEditor(td, "edit", { caretEnd: true }); return; }
  if ((e.key === "Delete" || e.key === "Backspace") && !mod) {
    e.preventDefault();
    if (clearable(td) && td.dataset.value !== "") change([{ td, value: "" }], { record: true });
    else if (!clearable(td)) status(`${LABELS[td.dataset.cell]} cannot be empty: type a new value instead.`);
    return;
  }
  if (e.key.length === 1 && !mod && !e.altKey) {
    // The character typed starts the edit and replaces the value, as in a spreadsheet: the
    // editor opens empty and takes the focus now, so the key's character lands in it (a
    // select picks the option it starts). Not prevented: the browser inserts it, as it
    // will every key that follows.
    openEditor(td, "enter", { typed: "" });
  }
}

function onPointerDown(e) {
  const td = e.target.closest?.("#soq-sheet td[data-cell]");
  if (!td || e.target.closest("input, select, a, button")) return;
  if (editor && editor.td !== td) commit(null);
  // On a touch screen a tap on the selected cell edits it (there is no F2 to press).
  const again = td === selected && !editor && e.pointerType === "touch";
  select(td, { scroll: false });
  if (again && editable()) { e.preventDefault(); openEditor(td, "edit", { caretEnd: true }); }
}

function onDoubleClick(e) {
  const td = e.target.closest?.("#soq-sheet td[data-cell]");
  if (td && !editor && editable()) openEditor(td, "edit", { caretEnd: true });
}

function onFocusIn(e) {
  if (isCell(e.target) && e.target !== selected) select(e.target, { focus: false });
}

function onPaste(e) {
  if (!isCell(document.activeElement) || editor) return;
  const text = e.clipboardData?.getData("text/plain");
  if (!text) return;
  e.preventDefault();
  paste(text);
}

function onCopy(e) {
  if (!isCell(document.activeElement) || editor) return;
  e.clipboardData.setData("text/plain", document.activeElement.dataset.value ?? "");
  e.preventDefault();
}

// Rows added in place: highlight the new one and bring it (and the form under it) into view.
function onSettled() {
  ensureTabStop();
  for (const add of document.querySelectorAll("tr[data-added]")) {
    const row = document.getElementById("item-" + add.dataset.added);
    delete add.dataset.added;
    add.parentElement?.querySelector("[data-empty-section]")?.closest("tr")?.remove();
    if (!row) continue;
    row.classList.add("soq-new");
    setTimeout(() => row.classList.remove("soq-new"), 2500);
    add.scrollIntoView({ block: "nearest" });
    row.scrollIntoView({ block: "nearest" });
    status(`Item ${cellIn(row, "reference")?.dataset.value ?? ""} added.`);
  }
  const sec = document.querySelector("form[data-added-section]");
  if (sec) {
    const body = document.getElementById("section-" + sec.dataset.addedSection);
    delete sec.dataset.addedSection;
    if (body) {
      body.classList.add("soq-new");
      setTimeout(() => body.classList.remove("soq-new"), 2500);
      body.scrollIntoView({ block: "nearest" });
      document.getElementById("sec-code")?.focus({ preventScroll: true });
    }
  }
}

function init() {
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("pointerdown", onPointerDown);
  document.addEventListener("dblclick", onDoubleClick);
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("paste", onPaste);
  document.addEventListener("copy", onCopy);
  document.addEventListener("htmx:afterSettle", onSettled);
  // Leaving with saves not yet answered would lose them: the browser asks first.
  window.addEventListener("beforeunload", (e) => { if (queue.length || (editor && editor.input.value !== (editor.td.dataset.value ?? ""))) e.preventDefault(); });
  ensureTabStop();
  setPending(0);
  status(""); // the live region exists before anything is announced in it
  // Tests and tools can tell when every save has been answered.
  window.soqSheet = { pending: () => queue.length, undo: () => replay(undoStack, redoStack, false), redo: () => replay(redoStack, undoStack, true) };
}

init();
