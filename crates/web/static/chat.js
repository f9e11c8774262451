// A conversation: new messages appear without reloading (polled every 4 s
// while the tab is visible), the list stays scrolled to the newest one,
// Enter sends (Shift+Enter: new line).

const list = document.querySelector("[data-dm-list]");
const form = document.querySelector(".dm-form");
const other = list.dataset.dmOther;
let after = Number(list.dataset.dmAfter);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const time = (ms) => new Date(ms).toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" });

list.scrollTop = list.scrollHeight;

function render(m) {
  if (list.querySelector(`[data-dm-id="${m.id}"]`)) return;
  const li = document.createElement("li");
  const mine = String(m.recipient_id) === other;
  li.className = `dm${mine ? " dm-mine" : ""}`;
  li.dataset.dmId = m.id;
  let html = "";
  if (m.shared) {
    const s = m.shared;
    const logo = s.logo ? `<img class="logo logo-sm" src="${esc(s.logo)}" alt="" width="48" height="48">` : `<span class="logo logo-sm logo-initials" aria-hidden="true">${esc((s.title || "?")[0])}</span>`;
    html += `<a class="shared-card" href="${esc(s.href)}">${logo}<span><strong>${esc(s.title)}</strong>${s.subtitle ? `<br><span class="small muted">${esc(s.subtitle)}</span>` : ""}</span></a>`;
  }
  if (m.body) html += `<p class="dm-text">${esc(m.body)}</p>`;
  html += `<time class="muted small">${esc(time(m.created_at))}</time>`;
  li.innerHTML = html;
  list.append(li);
  document.querySelector("[data-chat-empty]")?.remove();
}

async function poll() {
  if (document.hidden) return;
  try {
    const r = await fetch(`/api/v1/chats/${other}?after=${after}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) return;
    const msgs = await r.json();
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    for (const m of msgs) {
      render(m);
      after = Math.max(after, m.id);
    }
    if (msgs.length && atEnd) list.scrollTop = list.scrollHeight;
  } catch { /* offline: next round */ }
}
setInterval(poll, 4000);

form.querySelector("textarea").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    form.requestSubmit();
  }
});
