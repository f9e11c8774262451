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
  for (const btn of document.querySelectorAll("[data-copy]")) {
    btn.addEventListener("click", async () => {
      const src = document.querySelector(btn.dataset.copy);
      if (!src) return;
      await navigator.clipboard.writeText(src.value ?? src.textContent);
      const old = btn.textContent; btn.textContent = btn.dataset.copied || "✓"; setTimeout(() => (btn.textContent = old), 1500);
    });
  }
})();
