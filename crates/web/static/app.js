// Small progressive enhancements; every page works without them.
(() => {
  "use strict";
  const body = document.body;
  const toggle = document.querySelector("[data-nav-toggle]");
  const close = document.querySelector("[data-nav-close]");
  const setNav = (open) => {
    body.classList.toggle("nav-open", open);
    if (toggle) toggle.setAttribute("aria-expanded", String(open));
  };
  toggle?.addEventListener("click", () => setNav(!body.classList.contains("nav-open")));
  close?.addEventListener("click", () => setNav(false));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") setNav(false);
    // "/" focuses the page's search field, as in most SaaS tools.
    if (e.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement?.tagName ?? "")) {
      const search = document.querySelector("input[type=search]");
      if (search) { e.preventDefault(); search.focus(); }
    }
  });
  for (const btn of document.querySelectorAll("[data-dismiss]")) {
    btn.addEventListener("click", () => btn.closest(".flash")?.remove());
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
  }
  // Bar heights are given as data-h (0-100) so no inline styles are needed (CSP).
  for (const el of document.querySelectorAll("[data-h]")) {
    el.style.height = Math.max(0, Math.min(100, Number(el.dataset.h))) + "%";
  }
  for (const el of document.querySelectorAll("[data-w]")) {
    el.style.width = Math.max(0, Math.min(100, Number(el.dataset.w))) + "%";
  }
  for (const btn of document.querySelectorAll("[data-copy]")) {
    btn.addEventListener("click", async () => {
      const src = document.querySelector(btn.dataset.copy);
      if (!src) return;
      await navigator.clipboard.writeText(src.value ?? src.textContent);
      const old = btn.textContent; btn.textContent = btn.dataset.copied || "✓"; setTimeout(() => (btn.textContent = old), 1500);
    });
  }
  // Tabs scroll sideways on phones: keep the current one in view.
  for (const tabs of document.querySelectorAll(".tabs")) {
    const current = tabs.querySelector("[aria-current=page]");
    if (current && tabs.scrollWidth > tabs.clientWidth) tabs.scrollLeft = current.offsetLeft - tabs.offsetLeft - 16;
  }
  // Secretary: the greeting preview fills in a sample agent name as you type.
  const greeting = document.querySelector("[data-greeting-input]");
  const preview = document.querySelector("[data-greeting-preview]");
  if (greeting && preview) {
    const first = greeting.dataset.first || "", last = greeting.dataset.last || "";
    const update = () => {
      const text = greeting.value
        .split("[Vorname, Nachname]").join(first + " " + last)
        .split("[Vorname]").join(first)
        .split("[Nachname]").join(last);
      preview.textContent = "\u201E" + text.trim() + "\u201C";
    };
    greeting.addEventListener("input", update);
  }
  // Secretary: one more empty row for an extra query field.
  const qfAdd = document.querySelector("[data-qf-add]");
  const qfRows = document.querySelector("[data-qf-rows]");
  if (qfAdd && qfRows) {
    qfAdd.hidden = false;
    qfAdd.addEventListener("click", () => {
      const rows = qfRows.querySelectorAll(".qf-row");
      const last = rows[rows.length - 1];
      if (!last || rows.length >= 20) return;
      const n = rows.length;
      const row = last.cloneNode(true);
      row.classList.remove("has-error");
      row.querySelector(".field-error")?.remove();
      for (const el of row.querySelectorAll("[id],[for],[name]")) {
        for (const attr of ["id", "for", "name"]) {
          const v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/\d+$/, String(n)));
        }
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
        if (el.type === "text") el.value = "";
        if (el.type === "checkbox") el.checked = false;
      }
      const label = row.querySelector("label.visually-hidden");
      if (label) label.textContent = label.textContent.replace(/\d+$/, String(n + 1));
      qfRows.appendChild(row);
      row.querySelector("input[type=text]")?.focus();
    });
  }
  // Secretary: "ganztägig" hides the time inputs.
  for (const form of document.querySelectorAll("[data-appointment-form]")) {
    const allDay = form.querySelector("input[name=all_day]");
    const sync = () => form.classList.toggle("appointment-all-day", !!allDay?.checked);
    allDay?.addEventListener("change", sync);
    sync();
  }
  // Long requests (CSV upload and import): disable the button, show progress.
  for (const form of document.querySelectorAll("form[data-busy]")) {
    form.addEventListener("submit", (e) => {
      if (e.defaultPrevented) return;
      const btn = form.querySelector("button[type=submit]");
      // Disable after the browser has read the form (a disabled button is not sent).
      setTimeout(() => { if (btn) btn.disabled = true; }, 0);
      const busy = form.querySelector("[data-busy-indicator]");
      if (busy) busy.hidden = false;
      form.setAttribute("aria-busy", "true");
    });
  }
  // Secretary: FAQ order by drag and drop; the ↑/↓ buttons do the same without it.
  const faqList = document.querySelector("[data-faq-list]");
  if (faqList) {
    const status = document.querySelector("[data-faq-status]");
    let dragged = null;
    const items = () => [...faqList.querySelectorAll(".faq-item")];
    const clearMarks = () => items().forEach((i) => i.classList.remove("drop-before", "drop-after"));
    const renumber = () => items().forEach((item, i, all) => {
      const num = item.querySelector("[data-faq-num]");
      if (num) num.textContent = String(i + 1);
      const [up, down] = item.querySelectorAll("input[name=dir]");
      if (up) up.form.querySelector("button").disabled = i === 0;
      if (down) down.form.querySelector("button").disabled = i === all.length - 1;
    });
    const save = async () => {
      const body = new URLSearchParams({ _csrf: faqList.dataset.csrf, ids: items().map((i) => i.dataset.id).join(",") });
      try {
        const r = await fetch(faqList.dataset.orderUrl, { method: "POST", body, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
        const ok = r.ok;
        if (status) status.textContent = ok ? faqList.dataset.saved : faqList.dataset.failed;
        if (!ok) location.reload();
      } catch { if (status) status.textContent = faqList.dataset.failed; }
    };
    faqList.addEventListener("dragstart", (e) => {
      dragged = e.target.closest?.(".faq-item");
      if (!dragged) return;
      dragged.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", dragged.dataset.id);
    });
    faqList.addEventListener("dragover", (e) => {
      const over = e.target.closest?.(".faq-item");
      if (!dragged || !over || over === dragged) return;
      e.preventDefault();
      clearMarks();
      const after = e.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
      over.classList.add(after ? "drop-after" : "drop-before");
    });
    faqList.addEventListener("drop", (e) => {
      const over = e.target.closest?.(".faq-item");
      if (!dragged || !over || over === dragged) return;
      e.preventDefault();
      const after = over.classList.contains("drop-after");
      over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
      clearMarks();
      renumber();
      save();
    });
    faqList.addEventListener("dragend", () => { dragged?.classList.remove("dragging"); dragged = null; clearMarks(); });
  }
})();

// Characters as people count them (ä, 👩‍💻 = one), for note limits.
(() => {
  const seg = "Segmenter" in Intl ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  const count = (s) => (seg ? [...seg.segment(s)].length : [...s].length);
  for (const out of document.querySelectorAll("[data-char-count]")) {
    const field = document.getElementById(out.dataset.charCount);
    const max = Number(out.dataset.charMax);
    if (!field) continue;
    const show = () => {
      const n = count(field.value.trim());
      out.textContent = `${n} / ${max}`;
      out.classList.toggle("field-error", n > max);
    };
    field.addEventListener("input", show);
    show();
  }
})();

// Unread chat notifications next to "Chat" in the navigation.
(() => {
  const link = document.querySelector("[data-unread-nav]");
  if (!link) return;
  const refresh = async () => {
    try {
      const r = await fetch("/api/v1/notifications", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!r.ok) return;
      const { unread } = await r.json();
      let badge = link.querySelector(".nav-badge");
      if (unread > 0) {
        if (!badge) {
          badge = document.createElement("span");
          badge.className = "nav-badge";
          link.append(badge);
        }
        badge.textContent = String(unread);
      } else badge?.remove();
    } catch { /* offline: try again later */ }
  };
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, 30000);
})();

// Copy buttons: data-copy names the element whose text is copied.
document.addEventListener("click", (e) => {
  const button = e.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = source.value ?? source.textContent;
  const done = () => {
    const label = button.textContent;
    button.textContent = button.dataset.copied || label;
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, () => { source.select?.(); });
  else { source.select?.(); document.execCommand?.("copy"); done(); }
});

// A PIN typed next to an invitation text fills its placeholder, on this page only.
for (const input of document.querySelectorAll("[data-pin-fill]")) {
  const target = document.querySelector(input.dataset.pinFill);
  if (!target) continue;
  input.addEventListener("input", () => {
    const pin = input.value.replace(/\D/g, "");
    target.value = target.dataset.template.replace(input.dataset.placeholder, pin || input.dataset.placeholder);
  });
}

// Rows that open something on double click (planner: start the session).
// Enter on a focused row does the same, for keyboard users.
document.addEventListener("dblclick", (e) => {
  const row = e.target.closest("[data-dblclick-href]");
  if (row && !e.target.closest("a, button, input, form")) location.href = row.dataset.dblclickHref;
});
