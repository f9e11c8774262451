// Kontor join widget: paste
//   <div data-kontor-session data-number="123-456-789"></div>
//   <script src="https://kontor.example/widget/session.js" async></script>
// into any website. It renders a small form (number unless preset, name)
// in a shadow root, asks Kontor for a ticket (POST /api/v1/sessions/join,
// CORS, no cookies) and opens the session on Kontor's site. Errors appear
// next to their field. Texts follow the page's language (de/en).
(() => {
  const script = document.currentScript;
  const origin = new URL(script ? script.src : "/", location.href).origin;
  const TEXTS = {
    de: { title: "An Sitzung teilnehmen", intro: "Geben Sie die Sitzungsnummer ein, die Sie erhalten haben.",
      preset: "Sitzungsnummer", number: "Sitzungsnummer", name: "Ihr Name", submit: "Teilnehmen",
      busy: "Verbinde …", failed: "Keine Verbindung zum Server. Bitte versuchen Sie es erneut." },
    en: { title: "Join a session", intro: "Enter the session number you were given.",
      preset: "Session number", number: "Session number", name: "Your name", submit: "Join",
      busy: "Connecting …", failed: "Cannot reach the server. Please try again." },
  };

  function lang(el) {
    const l = (el.dataset.lang || document.documentElement.lang || navigator.language || "de").slice(0, 2);
    return TEXTS[l] ? l : "de";
  }

  function h(tag, attrs = {}, text = "") {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text) e.textContent = text;
    return e;
  }

  function mount(el) {
    if (el.shadowRoot) return;
    const l = lang(el);
    const t = TEXTS[l];
    const root = el.attachShadow({ mode: "open" });
    root.append(h("link", { rel: "stylesheet", href: `${origin}/widget/session.css` }));
    const box = h("div", { class: "box", part: "box" });
    const form = h("form", { novalidate: "" });
    const preset = (el.dataset.number || "").trim();
    box.append(h("h2", {}, el.dataset.title || t.title));
    const alert = h("p", { class: "alert", role: "alert", hidden: "" });
    const fields = {};
    function field(name, label, attrs) {
      const id = `kontor-${name}-${Math.random().toString(36).slice(2, 8)}`;
      const wrap = h("div", { class: "field" });
      const input = h("input", { id, name, ...attrs });
      const err = h("p", { class: "error", id: `${id}-e`, hidden: "" });
      wrap.append(h("label", { for: id }, label), input, err);
      fields[name] = { input, err };
      form.append(wrap);
    }
    if (preset) {
      box.append(h("p", {}, t.preset), h("div", { class: "preset", "data-number": "" }, preset));
    } else {
      box.append(h("p", {}, t.intro));
      field("number", t.number, { class: "number", inputmode: "numeric", autocomplete: "off", maxlength: "13", required: "" });
    }
    field("name", t.name, { autocomplete: "name", maxlength: "60", required: "" });
    const button = h("button", { type: "submit" }, t.submit);
    form.append(alert, button);
    box.append(form, h("p", { class: "brand" }, "Kontor"));
    root.append(box);

    function clear() {
      alert.hidden = true;
      for (const f of Object.values(fields)) {
        f.err.hidden = true;
        f.input.removeAttribute("aria-invalid");
        f.input.removeAttribute("aria-describedby");
      }
    }
    function show(field, message) {
      const f = fields[field] || (field === "number" && preset ? null : fields.name);
      if (!f || (field !== "number" && field !== "name")) {
        alert.textContent = message;
        alert.hidden = false;
        return;
      }
      f.err.textContent = message;
      f.err.hidden = false;
      f.input.setAttribute("aria-invalid", "true");
      f.input.setAttribute("aria-describedby", f.err.id);
    }

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clear();
      button.disabled = true;
      button.textContent = t.busy;
      try {
        const body = {
          number: preset || fields.number.input.value,
          name: fields.name.input.value,
        };
        const r = await fetch(`${origin}/api/v1/sessions/join`, {
          method: "POST",
          headers: { "content-type": "application/json", "accept-language": l },
          body: JSON.stringify(body),
          credentials: "omit",
        });
        const data = await r.json();
        if (r.ok) {
          location.href = `${origin}/session/live/${encodeURIComponent(data.room.id)}#g=${encodeURIComponent(data.grant)}`;
          return;
        }
        const e = data.error || {};
        const details = e.details && e.details.length ? e.details : [e];
        for (const d of details) show(d.field, d.message);
        (fields[details[0].field] || fields.name).input.focus();
      } catch (_) {
        show("", t.failed);
      }
      button.disabled = false;
      button.textContent = t.submit;
    });
  }

  function mountAll() {
    document.querySelectorAll("[data-kontor-session]").forEach(mount);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
