// Live call pages: the agent console's queue, the call screen's routing
// steps and keyboard shortcuts, and the customer dashboard. Plain module,
// no build step; the pages work without it (forms post normally).

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const typing = () => /INPUT|TEXTAREA|SELECT/.test(document.activeElement?.tagName ?? "");

/** A WebSocket that reconnects with backoff (1 s doubling to 30 s). */
function liveSocket(path, onMessage, onState) {
  let delay = 1000;
  const connect = () => {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`);
    ws.onopen = () => { delay = 1000; onState(true); };
    ws.onmessage = (e) => { try { onMessage(JSON.parse(e.data)); } catch (err) { console.error(err); } };
    ws.onclose = () => { onState(false); setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  };
  connect();
}

function liveBadge(on) {
  const b = document.querySelector("[data-live-state]");
  if (!b) return;
  b.textContent = on ? b.dataset.on : b.dataset.off;
  b.classList.toggle("badge-success", on);
}

const time = (ms) => new Date(ms).toLocaleTimeString("de-DE", { timeZone: "Europe/Berlin" });

// ---- Agent console: the queue -------------------------------------------
const queue = document.querySelector("[data-queue]");
if (queue) {
  const t = queue.dataset;
  const me = Number(t.me);
  const rows = queue.querySelector("[data-queue-rows]");
  const calls = new Map();
  const render = () => {
    const list = [...calls.values()].sort((a, b) => a.received_at - b.received_at || a.id - b.id);
    rows.innerHTML = list.map((c) => {
      const waiting = c.status === "queued";
      const status = waiting
        ? `<span class="badge badge-warning">${esc(t.tWaiting)}</span>`
        : `<span class="badge badge-info">${esc(t.tClaimed)} · ${esc(c.agent_name)}</span>`;
      const action = waiting
        ? `<form method="post" action="/agent/calls/${c.id}/claim"><input type="hidden" name="_csrf" value="${esc(t.csrf)}"><button class="btn btn-primary btn-sm" type="submit" data-claim>${esc(t.tClaim)}</button></form>`
        : c.agent_id === me ? `<a class="btn btn-secondary btn-sm" href="/agent/calls/${c.id}">${esc(t.tOpen)}</a>` : "";
      return `<tr data-call="${c.id}"${c.fresh ? ' class="fresh"' : ""}><td class="mono">${esc(time(c.received_at))}</td>` +
        `<td><strong>${esc(c.account_name)}</strong> <span class="muted small mono">${esc(c.customer_number)}</span></td>` +
        `<td class="mono">${esc(c.caller_id || t.tWithheld)}</td><td>${status}</td><td class="row-actions">${action}</td></tr>`;
    }).join("");
    const waiting = list.filter((c) => c.status === "queued").length;
    queue.querySelector("[data-queue-table]").hidden = list.length === 0;
    queue.querySelector("[data-queue-empty]").hidden = list.length > 0;
    document.title = (waiting ? `(${waiting}) ` : "") + t.title + " · Kontor";
  };
  const status = queue.querySelector("[data-queue-status]");
  liveSocket(t.socket, (msg) => {
    if (msg.type === "queue") {
      calls.clear();
      for (const c of msg.calls) calls.set(c.id, c);
    } else if (msg.type === "queued" || msg.type === "released" || msg.type === "claimed") {
      calls.set(msg.call.id, { ...msg.call, fresh: msg.type === "queued" });
      if (msg.type === "queued") status.textContent = `${msg.call.account_name}: ${msg.call.caller_id || t.tWithheld}`;
    } else if (msg.type === "done") {
      calls.delete(msg.call.id);
    }
    render();
  }, liveBadge);
  // "A" takes the oldest waiting call.
  document.addEventListener("keydown", (e) => {
    if (e.key.toLowerCase() !== "a" || e.ctrlKey || e.metaKey || e.altKey || typing()) return;
    const first = queue.querySelector("[data-claim]");
    if (first) { e.preventDefault(); first.closest("form").requestSubmit(); }
  });
}

// ---- Filters on the call screen (employees, FAQ) -------------------------
for (const input of document.querySelectorAll("[data-filter]")) {
  input.addEventListener("input", () => {
    const q = input.value.trim().toLowerCase();
    for (const row of document.querySelectorAll(input.dataset.filter)) {
      row.hidden = q !== "" && !row.textContent.toLowerCase().includes(q);
    }
  });
}

// ---- Call screen: routing steps and keyboard ------------------------------
const form = document.querySelector("[data-note-form]");
if (form) {
  const t = form.dataset;
  const select = form.querySelector("select[name=employee_id]");
  const panel = form.querySelector("[data-step]");
  const connectedTo = form.querySelector("[data-connected-to]");
  const connectedName = form.querySelector("[data-connected-name]");
  const asMessage = form.querySelector("[data-outcome-message]");
  const asConnected = form.querySelector("[data-outcome-connected]");
  let unanswered = [];

  const show = (step) => {
    panel.hidden = false;
    if (step.action === "transfer") {
      const ext = step.extension ? ` · ${esc(t.tExt)} <span class="mono">${esc(step.extension)}</span>` : "";
      panel.className = "step-panel step-transfer";
      panel.innerHTML = `<strong>${esc(step.deputy ? t.tDeputy : t.tTransfer)}: ${esc(step.name)}</strong>${ext}` +
        `<div class="actions"><button type="button" class="btn btn-primary btn-sm" data-step-connected accesskey="v">${esc(t.tConnected)}</button>` +
        `<button type="button" class="btn btn-secondary btn-sm" data-step-unanswered accesskey="n">${esc(t.tUnanswered)}</button></div>`;
      panel.querySelector("[data-step-connected]").onclick = () => {
        connectedTo.value = step.employee_id;
        if (asConnected) asConnected.checked = true;
        if (connectedName) connectedName.textContent = `→ ${step.name}`;
        form.querySelector("[name=caller_name]").focus();
      };
      panel.querySelector("[data-step-unanswered]").onclick = () => { unanswered.push(step.employee_id); next(); };
    } else {
      panel.className = "step-panel step-message";
      panel.innerHTML = `<strong>${esc(t.tMessage)}</strong>`;
      connectedTo.value = "";
      if (asMessage) asMessage.checked = true;
      if (connectedName) connectedName.textContent = "";
    }
  };
  const next = async () => {
    const id = Number(select.value);
    if (!id) { panel.hidden = true; return; }
    const r = await fetch(t.stepUrl, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ employee_id: id, unanswered }),
    });
    if (r.ok) show(await r.json());
  };
  select.addEventListener("change", () => { unanswered = []; next(); });
  for (const btn of document.querySelectorAll("[data-pick]")) {
    btn.addEventListener("click", () => { select.value = btn.dataset.pick; select.dispatchEvent(new Event("change")); select.focus(); });
  }
  asMessage?.addEventListener("change", () => { connectedTo.value = ""; if (connectedName) connectedName.textContent = ""; });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    if (e.altKey && !e.ctrlKey && (e.key === "v" || e.key === "n")) {
      const b = panel.querySelector(e.key === "v" ? "[data-step-connected]" : "[data-step-unanswered]");
      if (b) { e.preventDefault(); b.click(); }
    }
  });
  if (select.value) next();
}

// ---- Customer dashboard: newest calls arrive live -------------------------
const board = document.querySelector("[data-dashboard]");
if (board) {
  const t = board.dataset;
  const rows = board.querySelector("[data-dashboard-rows]");
  let first = true;
  liveSocket(t.socket, (msg) => {
    if (msg.type === "hello") {
      // A reconnect may have missed calls: reload once the socket is back.
      if (!first) location.reload();
      first = false;
      return;
    }
    if (msg.type !== "done") return;
    const c = msg.call;
    rows.querySelector(`[data-call="${c.id}"]`)?.remove();
    const badge = c.outcome === "connected"
      ? `<span class="badge badge-success">${esc(t.tConnected)}</span>` : `<span class="badge badge-info">${esc(t.tMessage)}</span>`;
    const when = new Date(c.received_at).toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "de-DE",
      { timeZone: t.tz, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
    rows.insertAdjacentHTML("afterbegin", `<tr data-call="${c.id}" class="fresh"><td class="nowrap">${esc(when)}</td>` +
      `<td><a href="/portal/${c.account_id}/calls/${c.id}"><strong>${esc(c.caller_name)}</strong></a>${c.vip ? ' <span class="badge badge-danger">VIP</span>' : ""}` +
      `<div class="muted small mono">${esc(c.caller_id || t.tWithheld)}</div></td><td>${esc(c.employee_name)}</td><td>${badge}</td>` +
      `<td class="summary">${esc(c.summary)}</td></tr>`);
    while (rows.children.length > Number(t.limit)) rows.lastElementChild.remove();
    board.querySelector("[data-dashboard-table]").hidden = false;
    board.querySelector("[data-dashboard-empty]")?.setAttribute("hidden", "");
  }, liveBadge);
}
