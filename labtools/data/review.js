// labtools review: grade written answers one question at a time across the class.
// A student's text only ever goes into the page as text (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const view = { data: null, qid: null, index: 0, drafts: new Map(), force: new Set(), busy: false };

function key(row, qid) { return row + "\u0000" + qid; }
function fmt(points) { return String(Math.round(points * 1000) / 1000); }
function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

// -- loading --------------------------------------------------------------------------------
async function load() {
  const response = await fetch("/api/state", { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error((await response.json()).error || response.statusText);
  const data = await response.json();
  const current = view.data && rowsFor(view.qid)[view.index];
  view.data = data;
  if (!view.qid || !data.written.some((q) => q.id === view.qid)) view.qid = data.written.length ? data.written[0].id : null;
  if (current) {
    const at = rowsFor(view.qid).findIndex((r) => r.id === current.id);
    view.index = at >= 0 ? at : 0;
  }
  renderHeader();
  render();
}

function question() { return view.data.written.find((q) => q.id === view.qid); }
function rowsFor(qid) { return view.data ? view.data.rows.filter((r) => r.answers[qid]) : []; }
function row() { return rowsFor(view.qid)[view.index]; }
function saved(r) { return r.grades[view.qid] || null; }

// -- drawing --------------------------------------------------------------------------------
function renderHeader() {
  const data = view.data;
  $("title").textContent = data.lab ? `Lab ${data.lab} · ${data.title} — written answers` : "Written answers";
  document.title = `Review lab ${data.lab}`;
  const select = $("question");
  select.replaceChildren(...data.written.map((q) => {
    const option = el("option", `${q.id} · ${q.title} (${fmt(q.max)} pts)`);
    option.value = q.id;
    return option;
  }));
  if (view.qid) select.value = view.qid;
  $("report").hidden = !data.report;
  $("grader").textContent = data.grader ? `grading as ${data.grader}` : "";
  const problems = $("problems");
  problems.hidden = !data.problems.length;
  problems.textContent = data.problems.length ? "manual.csv: lines not counted\n" + data.problems.join("\n") : "";
}

function badge(r) {
  const answer = r.answers[view.qid];
  const draft = view.drafts.get(key(r.id, view.qid));
  if (draft && draft.dirty) return el("span", "unsaved", "badge draft");
  const grade = saved(r);
  if (grade) return el("span", `${fmt(grade.points)} / ${fmt(question().max)}`, "badge graded");
  if (answer.status === "NOT ATTEMPTED") return el("span", "no answer", "badge");
  return el("span", "to grade", "badge pending");
}

function render() {
  const q = question();
  const rows = rowsFor(view.qid);
  const nav = $("rows");
  nav.replaceChildren(...rows.map((r, i) => {
    const button = el("button", null, i === view.index ? "current" : "");
    button.type = "button";
    button.dataset.index = String(i);
    button.append(el("span", r.id), badge(r));
    button.addEventListener("click", () => go(i));
    return button;
  }));
  const graded = rows.filter((r) => saved(r)).length;
  $("progress").textContent = q ? `${graded} of ${rows.length} graded` : "";
  const r = rows[view.index];
  if (!q || !r) {
    $("row-id").textContent = q ? "No answers to this question" : "No written questions in these results";
    for (const id of ["row-file", "row-status", "question-title", "answer", "model", "code-buttons", "code", "rubric", "max", "saved"]) $(id).replaceChildren();
    $("grade").hidden = true;
    return;
  }
  $("grade").hidden = false;
  const current = nav.querySelector("button.current");
  if (current) current.scrollIntoView({ block: "nearest" });
  $("row-id").textContent = r.id;
  $("row-file").textContent = r.file;
  $("row-status").textContent = r.status === "ok" ? "" : `submission: ${r.status}`;
  $("question-title").textContent = `${q.id} · ${q.title}`;
  const answer = r.answers[view.qid];
  const box = $("answer");
  box.textContent = answer.text || `(no answer: ${answer.status})`;
  box.classList.toggle("empty", !answer.text);
  $("model-box").hidden = !q.model;
  $("model").textContent = q.model || "";
  renderCodeButtons(r);
  renderForm(q, r);
}

function renderCodeButtons(r) {
  const buttons = view.data.auto.map((q) => {
    const verdict = r.auto[q.id] || { status: "?", points: 0 };
    const button = el("button", `${q.id} ${verdict.status} ${fmt(verdict.points)}/${fmt(q.max)}`, verdict.status.replace(" ", "_"));
    button.type = "button";
    button.title = q.title;
    button.addEventListener("click", () => showCode(r.id, q.id));
    return button;
  });
  $("code-buttons").replaceChildren(...buttons);
  $("code").replaceChildren();
  $("code-box").hidden = !buttons.length;
}

async function showCode(rowId, qid) {
  const box = $("code");
  box.replaceChildren(el("p", "reading the submission…"));
  const url = `/api/code?row=${encodeURIComponent(rowId)}&question=${encodeURIComponent(qid)}`;
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  const data = await response.json();
  if (!response.ok) { box.replaceChildren(el("p", data.error, "error")); return; }
  const parts = [el("h4", `${qid} · ${data.title}`)];
  parts.push(el("p", `${data.status} — ${fmt(data.points)} / ${fmt(data.max)} points`, "verdict " + data.status.replace(" ", "_")));
  if (data.message) parts.push(el("p", `Hint shown: ${data.message}`));
  for (const note of data.notes) parts.push(el("p", note, "note"));
  for (const cell of data.cells) { parts.push(el("pre", cell.source)); }
  if (!data.cells.length && !data.notes.length) parts.push(el("p", "no answer cell found"));
  box.replaceChildren(...parts);
}

// the criteria a saved grade's points stand for, when exactly one set of them adds up to it
function criteriaFor(rubric, points) {
  let found = null;
  const n = rubric.length;
  if (n > 12) return null;
  for (let mask = 0; mask < (1 << n); mask++) {
    let sum = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) sum += rubric[i].points;
    if (Math.abs(sum - points) < 1e-9) {
      if (found !== null) return null;
      found = mask;
    }
  }
  return found === null ? null : rubric.map((_, i) => Boolean(found & (1 << i)));
}

function draftOf(q, r) {
  const k = key(r.id, q.id);
  if (view.drafts.has(k)) return view.drafts.get(k);
  const grade = saved(r);
  const checked = (grade && criteriaFor(q.rubric, grade.points)) || q.rubric.map(() => false);
  return { checked, points: grade ? fmt(grade.points) : "", comment: grade ? grade.comment : "", dirty: false };
}

function renderForm(q, r) {
  const draft = draftOf(q, r);
  $("rubric").replaceChildren(...q.rubric.map((c, i) => {
    const li = el("li");
    const label = el("label");
    const box = el("input");
    box.type = "checkbox";
    box.id = `criterion-${i + 1}`;
    box.checked = draft.checked[i];
    box.addEventListener("change", () => toggle(i, box.checked));
    label.append(el("kbd", i < 9 ? String(i + 1) : ""), box, el("span", c.text), el("span", `${fmt(c.points)} pt`, "pts"));
    li.append(label);
    return li;
  }));
  $("points").value = draft.points;
  $("points").max = String(q.max);
  $("max").textContent = fmt(q.max);
  $("comment").value = draft.comment;
  const grade = saved(r);
  const status = $("saved");
  status.className = "";
  status.textContent = grade ? `saved: ${fmt(grade.points)} points by ${grade.grader || "?"} at ${grade.time || "?"}` : "not graded yet";
  if (draft.dirty) status.textContent += " · unsaved changes";
}

// -- editing --------------------------------------------------------------------------------
function currentDraft() {
  const q = question(), r = row();
  const k = key(r.id, q.id);
  if (!view.drafts.has(k)) view.drafts.set(k, draftOf(q, r));
  return view.drafts.get(k);
}

function markDirty() {
  const draft = currentDraft();
  draft.dirty = true;
  const r = row();
  const button = $("rows").querySelector("button.current");
  if (button) button.replaceChildren(el("span", r.id), badge(r));
}

function toggle(i, value) {
  const q = question();
  const draft = currentDraft();
  draft.checked[i] = value;
  const total = q.rubric.reduce((sum, c, j) => sum + (draft.checked[j] ? c.points : 0), 0);
  draft.points = fmt(total);
  $(`criterion-${i + 1}`).checked = value;
  $("points").value = draft.points;
  markDirty();
}

async function saveCurrent() {
  const q = question(), r = row();
  if (!q || !r) return true;
  const k = key(r.id, q.id);
  const draft = currentDraft();
  const status = $("saved");
  const text = String(draft.points).trim();
  const points = Number(text);
  if (text === "" || !Number.isFinite(points)) {
    status.className = "error";
    status.textContent = "give the points first: tick the criteria met, or type a number";
    return false;
  }
  if (points < 0 || points > q.max) {
    status.className = "error";
    status.textContent = `points must be between 0 and ${fmt(q.max)}`;
    return false;
  }
  const body = { row: r.id, question: q.id, points, comment: draft.comment, base: saved(r), force: view.force.has(k) };
  let response, data;
  try {
    response = await fetch("/api/grade", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    data = await response.json();
  } catch (error) {
    status.className = "error";
    status.textContent = "not saved: the review server does not answer (is `labtools review` still running?)";
    return false;
  }
  if (response.status === 409) {
    if (data.grade) r.grades[q.id] = data.grade; else delete r.grades[q.id];
    view.force.add(k);
    status.className = "error";
    status.textContent = data.error;
    return false;
  }
  if (!response.ok) {
    status.className = "error";
    status.textContent = `not saved: ${data.error}`;
    return false;
  }
  r.grades[q.id] = data.grade;
  view.drafts.delete(k);
  view.force.delete(k);
  return true;
}

async function go(index, saveFirst = true) {
  if (view.busy) return;
  const rows = rowsFor(view.qid);
  if (!rows.length) return;
  index = Math.max(0, Math.min(rows.length - 1, index));
  view.busy = true;
  try {
    const draft = row() && view.drafts.get(key(row().id, view.qid));
    if (saveFirst && draft && draft.dirty && !(await saveCurrent())) return;
    view.index = index;
    render();
  } finally {
    view.busy = false;
  }
}

async function saveAndNext() {
  if (view.busy) return;
  view.busy = true;
  let ok;
  try { ok = await saveCurrent(); } finally { view.busy = false; }
  if (!ok) return;
  if (isField(document.activeElement)) document.activeElement.blur();  // the keys work on the next student at once
  const last = view.index >= rowsFor(view.qid).length - 1;
  await go(view.index + 1, false);
  if (last) {
    const status = $("saved");
    status.className = "ok";
    status.textContent = "saved — that was the last student for this question";
  }
}

function nextUngraded() {
  const rows = rowsFor(view.qid);
  for (let step = 1; step <= rows.length; step++) {
    const i = (view.index + step) % rows.length;
    if (!saved(rows[i]) && rows[i].answers[view.qid].status !== "NOT ATTEMPTED") return go(i);
  }
  $("saved").textContent = "every answer to this question is graded";
}

async function switchQuestion(qid) {
  const draft = row() && view.drafts.get(key(row().id, view.qid));
  if (draft && draft.dirty && !(await saveCurrent())) { $("question").value = view.qid; return; }
  view.qid = qid;
  view.index = 0;
  $("question").value = qid;
  await load();
}

function isField(target) {
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement
    || (target instanceof HTMLInputElement && target.type !== "checkbox");
}

function onKey(event) {
  if ($("help").open || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (isField(target)) {
    if (event.key === "Escape") { target.blur(); event.preventDefault(); }
    else if (event.key === "Enter" && !event.shiftKey && !(target instanceof HTMLSelectElement)) {
      event.preventDefault();
      target.dispatchEvent(new Event("change"));
      saveAndNext();
    }
    return;
  }
  if (target instanceof HTMLButtonElement && (event.key === "Enter" || event.key === " ")) return;
  const q = question();
  const k = event.key;
  if (k === "j" || k === "ArrowDown" || k === "ArrowRight") go(view.index + 1);
  else if (k === "k" || k === "ArrowUp" || k === "ArrowLeft") go(view.index - 1);
  else if (k === "Enter") saveAndNext();
  else if (k === "u") nextUngraded();
  else if (k === "p") $("points").focus();
  else if (k === "c") $("comment").focus();
  else if (k === "?") $("help").showModal();
  else if ((k === "[" || k === "]") && view.data.written.length) {
    const ids = view.data.written.map((w) => w.id);
    const at = (ids.indexOf(view.qid) + (k === "]" ? 1 : ids.length - 1)) % ids.length;
    switchQuestion(ids[at]);
  } else if (/^[1-9]$/.test(k) && q && row() && Number(k) <= q.rubric.length) {
    const i = Number(k) - 1;
    toggle(i, !currentDraft().checked[i]);
  } else return;
  event.preventDefault();
}

function start() {
  $("question").addEventListener("change", (e) => switchQuestion(e.target.value));
  $("points").addEventListener("input", (e) => { currentDraft().points = e.target.value; markDirty(); });
  $("comment").addEventListener("input", (e) => { currentDraft().comment = e.target.value; markDirty(); });
  $("grade").addEventListener("submit", (e) => { e.preventDefault(); saveAndNext(); });
  $("prev").addEventListener("click", () => go(view.index - 1));
  $("next").addEventListener("click", () => go(view.index + 1));
  $("help-button").addEventListener("click", () => $("help").showModal());
  $("help-close").addEventListener("click", () => $("help").close());
  document.addEventListener("keydown", onKey);
  window.addEventListener("beforeunload", (e) => {
    if ([...view.drafts.values()].some((d) => d.dirty)) { e.preventDefault(); e.returnValue = ""; }
  });
  // others' grades (a second TA) appear without a reload; drafts here are kept
  setInterval(() => { if (!view.busy && document.visibilityState === "visible" && !isField(document.activeElement)) load().catch(() => {}); }, 30000);
  load().catch((error) => { $("row-id").textContent = `could not load: ${error.message}`; });
}

document.addEventListener("DOMContentLoaded", start);
