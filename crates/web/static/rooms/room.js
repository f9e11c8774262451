// The room page: pre-join check of camera and microphone, then tiles,
// participant list with host controls, chat, screen sharing and leave.
// Configuration comes from the page (#room data attributes and the JSON
// block #room-config); window.kontorRoom exposes the state for tests.

import { RoomSocket } from "./socket.js";
import { LocalMedia, Mesh, SLOTS } from "./media.js";

const root = document.getElementById("room");
const config = JSON.parse(document.getElementById("room-config").textContent);
const T = config.texts;
const data = root.dataset;
const $ = (sel) => root.querySelector(sel);
const $$ = (sel) => [...root.querySelectorAll(sel)];
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const fill = (text, params) => text.replace(/%\{(\w+)\}/g, (_, k) => params[k] ?? "");
const typingInField = () => /INPUT|TEXTAREA|SELECT/.test(document.activeElement?.tagName ?? "");
const icon = (name) => `<svg class="ic ic-sm" aria-hidden="true"><use href="#i-${name}"/></svg>`;
const initials = (name) => name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
/** Phone callers (member ids starting with "t") show a phone instead of initials. */
const onPhone = (m) => m.id.startsWith("t");
const avatar = (m) => (onPhone(m) ? icon("phone") : esc(initials(m.name)));

// A join page hands the grant over in the fragment (never sent to the
// server or in a Referer); keep it for reloads, then clear the address.
if (location.hash.startsWith("#g=")) {
  sessionStorage.setItem(`kontor.room.${data.room}`, decodeURIComponent(location.hash.slice(3)));
  history.replaceState(null, "", location.pathname + location.search);
}

const local = new LocalMedia();
const wanted = { audio: true, camera: true };
let socket = null;
let mesh = null;
let me = null;
let myRole = data.role || "guest";
let locked = false;
/** Present members by id: {id, name, role, media}. */
const members = new Map();
/** Remote tracks by member id and slot. */
const remote = new Map();
const peerStates = new Map();

// ---- small UI helpers ----------------------------------------------------
function stage(name) {
  for (const s of $$("[data-stage]")) s.hidden = s.dataset.stage !== name;
  $("[data-controls]").hidden = name !== "in";
  root.dataset.current = name;
}

let toastTimer = null;
function toast(text) {
  const el = $("[data-toast]");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
}

function deviceMessage() {
  const lines = [];
  for (const kind of ["audio", "camera", "screen"]) {
    const problem = local.problems[kind];
    if (problem) lines.push(T[`device_${kind}`] + ": " + T[`problem_${problem}`]);
  }
  for (const el of $$("[data-device-msg]")) {
    el.textContent = lines.join(" · ");
    el.hidden = lines.length === 0;
  }
}

function roleMark(role) {
  return role === "guest" || role === "participant" ? "" : `<span class="role-mark role-${role}">${esc(T[`role_${role}`])}</span>`;
}

// ---- devices -------------------------------------------------------------
async function setDevice(kind, on) {
  wanted[kind] = on;
  if (on) await local.enable(kind);
  else local.disable(kind);
  const track = local.tracks[kind];
  mesh?.setTrack(kind, track);
  if (kind === "camera") showOwnVideo();
  deviceMessage();
  syncButtons();
  sendMedia();
  await fillDeviceLists();
}

function showOwnVideo() {
  const track = local.tracks.camera;
  for (const v of $$("[data-own-video]")) {
    v.srcObject = track ? new MediaStream([track]) : null;
    v.closest(".tile, .room-preview")?.classList.toggle("video-off", !track);
  }
}

async function fillDeviceLists() {
  const devices = await local.devices();
  for (const [kind, deviceKind] of [["audio", "audioinput"], ["camera", "videoinput"]]) {
    const current = local.tracks[kind]?.getSettings?.().deviceId ?? "";
    const options = devices.filter((d) => d.kind === deviceKind);
    for (const select of $$(`[data-device-select="${kind}"]`)) {
      select.innerHTML = options.length
        ? options.map((d, i) => `<option value="${esc(d.deviceId)}"${d.deviceId === current ? " selected" : ""}>${esc(d.label || `${T[`device_${kind}`]} ${i + 1}`)}</option>`).join("")
        : `<option value="">${esc(T.no_device)}</option>`;
      select.disabled = options.length === 0;
    }
  }
}

async function chooseDevice(kind, id) {
  local.deviceIds[kind] = id;
  if (wanted[kind]) await setDevice(kind, true);
}

function syncButtons() {
  const on = { audio: !!local.tracks.audio, camera: !!local.tracks.camera, screen: !!local.tracks.screen };
  for (const b of $$("[data-toggle]")) {
    const kind = b.dataset.toggle;
    b.setAttribute("aria-pressed", String(on[kind]));
    b.classList.toggle("is-off", !on[kind] && kind !== "screen");
    b.querySelector("[data-label]").textContent = T[`${kind}_${on[kind] ? "on" : "off"}`];
    if (kind !== "screen") b.querySelector("use")?.setAttribute("href", `#i-${kind}${on[kind] ? "" : "-off"}`);
  }
  const lock = $("[data-lock]");
  if (lock) {
    lock.setAttribute("aria-pressed", String(locked));
    lock.querySelector("[data-label]").textContent = locked ? T.unlock : T.lock;
  }
  $("[data-lock-badge]").hidden = !locked;
}

function sendMedia() {
  socket?.send({ type: "media", audio: !!local.tracks.audio, video: !!local.tracks.camera, screen: !!local.tracks.screen });
  if (me && members.has(me)) {
    members.get(me).media = { audio: !!local.tracks.audio, video: !!local.tracks.camera, screen: !!local.tracks.screen };
    render();
  }
}

async function toggleScreen() {
  if (local.tracks.screen) {
    local.disable("screen");
    mesh?.setTrack("screen", null);
  } else {
    const track = await local.shareScreen();
    if (!track) { deviceMessage(); return; }
    track.addEventListener("ended", () => { if (local.tracks.screen === track) toggleScreen(); });
    mesh?.setTrack("screen", track);
  }
  deviceMessage();
  syncButtons();
  sendMedia();
}

// ---- tiles and participant list -----------------------------------------
function tileFor(id) {
  let tile = $(`.tile[data-member="${CSS.escape(id)}"]:not(.tile-screen)`);
  if (!tile) {
    tile = document.createElement("figure");
    tile.className = "tile video-off";
    tile.dataset.member = id;
    tile.innerHTML = `<video playsinline autoplay${id === me ? " muted data-own-video" : ""}></video><audio autoplay></audio>
      <div class="tile-avatar" aria-hidden="true"></div><figcaption><span data-name></span> <span data-mark></span> <span class="mic-off" data-mic-off hidden title="${esc(T.muted)}">${icon("audio-off")}</span></figcaption>`;
    $("[data-tiles]").append(tile);
  }
  return tile;
}

function screenTile(id) {
  let tile = $(`.tile-screen[data-member="${CSS.escape(id)}"]`);
  if (!tile) {
    tile = document.createElement("figure");
    tile.className = "tile tile-screen";
    tile.dataset.member = id;
    tile.innerHTML = `<video playsinline autoplay muted data-screen-video></video><figcaption data-screen-name></figcaption>`;
    $("[data-tiles]").prepend(tile);
  }
  return tile;
}

function attach(id, slot, track) {
  if (!remote.has(id)) remote.set(id, {});
  remote.get(id)[slot] = track;
  render();
}

function render() {
  const list = [...members.values()];
  $("[data-count]").textContent = String(list.length);
  // Tiles: one per member present, plus one per shared screen.
  for (const tile of $$(".tile")) {
    if (!members.has(tile.dataset.member)) tile.remove();
  }
  for (const m of list) {
    const tile = tileFor(m.id);
    tile.querySelector("[data-name]").textContent = m.id === me ? `${m.name} (${T.you})` : m.name;
    tile.querySelector("[data-mark]").innerHTML = roleMark(m.role);
    tile.querySelector(".tile-avatar").innerHTML = avatar(m);
    tile.classList.toggle("tile-phone", onPhone(m));
    tile.querySelector("[data-mic-off]").hidden = m.media.audio;
    const tracks = remote.get(m.id) ?? {};
    const video = tile.querySelector("video");
    if (m.id === me) {
      const cam = local.tracks.camera;
      if (cam && video.srcObject?.getVideoTracks()[0] !== cam) video.srcObject = new MediaStream([cam]);
      tile.classList.toggle("video-off", !cam);
    } else {
      const cam = tracks.camera;
      if (cam && video.srcObject?.getVideoTracks()[0] !== cam) video.srcObject = new MediaStream([cam]);
      const audio = tile.querySelector("audio");
      if (tracks.audio && audio.srcObject?.getAudioTracks()[0] !== tracks.audio) audio.srcObject = new MediaStream([tracks.audio]);
      tile.classList.toggle("video-off", !m.media.video);
    }
    const screenTrack = m.id === me ? local.tracks.screen : tracks.screen;
    if (m.media.screen && screenTrack) {
      const st = screenTile(m.id);
      const v = st.querySelector("video");
      if (v.srcObject?.getVideoTracks()[0] !== screenTrack) v.srcObject = new MediaStream([screenTrack]);
      st.querySelector("[data-screen-name]").textContent = m.id === me ? T.screen_mine : fill(T.screen_of, { name: m.name });
    } else {
      $(`.tile-screen[data-member="${CSS.escape(m.id)}"]`)?.remove();
    }
  }
  $("[data-tiles]").dataset.tiles = String(Math.min(list.length, 9));
  $("[data-tiles]").classList.toggle("has-screen", !!$(".tile-screen"));
  // Participant list.
  const host = myRole === "host";
  $("[data-people]").innerHTML = list.map((m) => `<li data-person="${esc(m.id)}">
      <span class="avatar${onPhone(m) ? " avatar-phone" : ""}"${onPhone(m) ? ` title="${esc(T.on_phone)}"` : ' aria-hidden="true"'}>${avatar(m)}</span>
      <span class="person-name">${esc(m.name)}${m.id === me ? ` <span class="muted">(${esc(T.you)})</span>` : ""} ${roleMark(m.role)}</span>
      <span class="person-media">${m.media.audio ? "" : `<span title="${esc(T.muted)}">${icon("audio-off")}</span>`}${m.media.screen ? `<span title="${esc(T.sharing)}">${icon("screen")}</span>` : ""}</span>
      ${host && m.id !== me ? `<span class="person-actions"><button type="button" class="btn btn-secondary btn-sm" data-mute="${esc(m.id)}">${esc(T.ask_mute)}</button><button type="button" class="btn btn-danger btn-sm" data-remove="${esc(m.id)}">${esc(T.remove)}</button></span>` : ""}
    </li>`).join("");
}

// ---- chat ---------------------------------------------------------------
let unread = 0;
function chatLine(line) {
  const li = document.createElement("li");
  li.className = line.from === me ? "mine" : "";
  const time = new Date(line.at).toLocaleTimeString(document.documentElement.lang || "de", { hour: "2-digit", minute: "2-digit" });
  li.innerHTML = `<div class="chat-meta"><strong>${esc(line.name)}</strong> ${roleMark(line.role)} <time>${esc(time)}</time></div><div class="chat-text"></div>`;
  li.querySelector(".chat-text").textContent = line.text;
  const list = $("[data-chat]");
  list.append(li);
  list.scrollTop = list.scrollHeight;
  $("[data-chat-empty]").hidden = true;
}

const typers = new Map();
function showTyping() {
  const names = [...typers.keys()].map((id) => members.get(id)?.name).filter(Boolean);
  $("[data-typing]").textContent = names.length ? fill(T.typing, { names: names.join(", ") }) : "";
}

function openTab(name) {
  for (const tab of $$("[data-tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const panel of $$("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  if (name === "chat") {
    unread = 0;
    $("[data-unread]").hidden = true;
  }
}

// ---- protocol -----------------------------------------------------------
function onMessage(msg) {
  switch (msg.type) {
    case "welcome": {
      me = msg.you.id;
      myRole = msg.you.role;
      mesh.me = me;
      locked = msg.locked;
      members.clear();
      for (const m of msg.members) members.set(m.id, m);
      $("[data-chat]").innerHTML = "";
      $("[data-chat-empty]").hidden = msg.history.length > 0;
      msg.history.forEach(chatLine);
      for (const id of [...mesh.peers.keys()]) if (!members.has(id)) mesh.remove(id);
      for (const m of msg.members) if (m.id !== me && !mesh.peers.has(m.id)) mesh.add(m.id, true);
      root.classList.toggle("is-host", myRole === "host");
      stage("in");
      sendMedia();
      syncButtons();
      render();
      break;
    }
    case "waiting":
      stage("waiting");
      if (T.waiting_title) {
        $("[data-waiting-title]").textContent = T.waiting_title;
        $("[data-waiting-text]").textContent = T.waiting_text;
      }
      $("[data-waiting-count]").textContent = fill(T.waiting_count, { n: msg.waiting });
      break;
    case "joined":
      members.set(msg.member.id, msg.member);
      toast(fill(T.joined, { name: msg.member.name }));
      render();
      break;
    case "left": {
      const m = members.get(msg.member);
      members.delete(msg.member);
      remote.delete(msg.member);
      mesh.remove(msg.member);
      typers.delete(msg.member);
      if (m && msg.member !== me) toast(fill(T[`left_${msg.reason}`] ?? T.left_left, { name: m.name }));
      render();
      break;
    }
    case "media": {
      const m = members.get(msg.from);
      if (m) m.media = { audio: msg.audio, video: msg.video, screen: msg.screen };
      render();
      break;
    }
    case "chat":
      typers.delete(msg.from);
      showTyping();
      chatLine(msg);
      if ($("[data-panel=chat]").hidden) {
        unread++;
        $("[data-unread]").hidden = false;
      }
      break;
    case "typing":
      if (msg.on) typers.set(msg.from, Date.now());
      else typers.delete(msg.from);
      showTyping();
      break;
    case "signal":
      mesh.onSignal(msg.from, msg.signal);
      break;
    case "locked":
      locked = msg.locked;
      toast(locked ? T.locked_now : T.unlocked_now);
      syncButtons();
      break;
    case "host_left":
      hostLeftUntil = msg.ends_at;
      showHostLeft();
      break;
    case "host_back":
      hostLeftUntil = null;
      showHostLeft();
      toast(T.host_back);
      break;
    case "mute_request":
      if (local.tracks.audio) setDevice("audio", false);
      toast(T.muted_by_host);
      break;
    case "error":
      if (T[`error_${msg.code}`]) toast(T[`error_${msg.code}`]);
      break;
  }
}

// The moderator-leave countdown (conference rooms).
let hostLeftUntil = null;
let hostLeftTimer = null;
function showHostLeft() {
  const el = $("[data-host-left]");
  clearInterval(hostLeftTimer);
  if (hostLeftUntil === null) {
    el.hidden = true;
    return;
  }
  const tick = () => {
    const secs = Math.max(0, Math.round((hostLeftUntil - Date.now()) / 1000));
    const time = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
    el.textContent = fill(T.host_left, { time });
  };
  tick();
  el.hidden = false;
  hostLeftTimer = setInterval(tick, 1000);
}

function finish(kind) {
  hostLeftUntil = null;
  showHostLeft();
  mesh?.closeAll();
  local.stopAll();
  members.clear();
  $("[data-end-title]").textContent = T[`end_${kind}_title`] ?? T.end_left_title;
  $("[data-end-text]").textContent = T[`end_${kind}_text`] ?? "";
  $("[data-rejoin]").hidden = !["left", "replaced"].includes(kind);
  sessionStorage.removeItem(`kontor.room.${data.room}`);
  // In the Info Counter dock, hanging up leaves the visitor on the page
  // they were browsing.
  if (frame && kind === "left") {
    location.assign(framePath());
    return;
  }
  stage("end");
}

// ---- joining ------------------------------------------------------------
async function grant() {
  if (data.grant) return data.grant;
  const saved = sessionStorage.getItem(`kontor.room.${data.room}`);
  if (saved) return saved;
  if (data.joinPage) {
    // Rooms entered by number and PIN: the join page hands out grants.
    location.assign(data.joinPage);
    return null;
  }
  const name = $("[data-join-form] [name=name]");
  const res = await fetch(data.join, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(data.code ? { code: data.code, name: name ? name.value : "" } : { name: name ? name.value : "" }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = body.error ?? {};
    const field = $("[data-name-error]");
    if (field && error.field === "name") {
      field.textContent = error.message;
      field.hidden = false;
      name.setAttribute("aria-invalid", "true");
      name.focus();
    } else {
      toast(error.message ?? T.join_failed);
    }
    return null;
  }
  sessionStorage.setItem(`kontor.room.${data.room}`, body.grant);
  return body.grant;
}

async function join(event) {
  event?.preventDefault();
  const button = $("[data-join-button]");
  button.disabled = true;
  const g = await grant();
  button.disabled = false;
  if (!g) return;
  $("[data-conn-state]").textContent = T.connecting;
  socket = new RoomSocket(data.socket, g);
  mesh = new Mesh(socket, local, config.ice_servers, {
    track: attach,
    state: (id, state) => {
      peerStates.set(id, state);
      $(`.tile[data-member="${CSS.escape(id)}"]:not(.tile-screen)`)?.setAttribute("data-peer-state", state);
    },
    gone: (id) => { remote.delete(id); peerStates.delete(id); },
  });
  socket.addEventListener("message", (e) => onMessage(e.detail));
  socket.addEventListener("online", (e) => {
    $("[data-conn-state]").textContent = e.detail ? "" : T.reconnecting;
    root.classList.toggle("is-offline", !e.detail);
  });
  socket.addEventListener("closed", (e) => {
    const { refused, replaced, reason } = e.detail;
    if (stageNow() === "end") return;
    finish(replaced ? "replaced" : refused ?? reason ?? "left");
  });
  socket.start();
}

const stageNow = () => root.dataset.current;

function leave() {
  socket?.leave();
  finish("left");
}

// ---- the dock: the call stays in this document while the visitor browses
// other pages of the platform in the frame beside it ------------------------
const frame = document.querySelector("[data-dock-frame]");
function framePath() {
  try {
    const l = frame.contentWindow.location;
    return l.pathname + l.search + l.hash;
  } catch {
    return data.back || "/";
  }
}
frame?.addEventListener("load", () => {
  // The address bar follows the frame, so a reload comes back to the same page.
  const url = new URL(location.href);
  url.searchParams.set("at", framePath());
  history.replaceState(null, "", url);
  try {
    document.title = `${frame.contentDocument.title} · ${data.title}`;
  } catch {
    /* another origin: keep the title */
  }
});

// ---- wiring -------------------------------------------------------------
async function prejoin() {
  stage("prejoin");
  await Promise.all([setDevice("audio", true), setDevice("camera", true)]);
}

root.addEventListener("click", (e) => {
  const t = e.target.closest("button");
  if (!t) return;
  if (t.dataset.toggle === "screen") toggleScreen();
  else if (t.dataset.toggle) setDevice(t.dataset.toggle, !local.tracks[t.dataset.toggle]);
  else if ("leave" in t.dataset) leave();
  else if ("rejoin" in t.dataset) location.reload();
  else if ("lock" in t.dataset) socket?.send({ type: "lock", locked: !locked });
  else if ("endAll" in t.dataset) { if (confirm(T.end_confirm)) socket?.send({ type: "end" }); }
  else if (t.dataset.mute) socket?.send({ type: "mute", member: t.dataset.mute });
  else if (t.dataset.remove) { if (confirm(fill(T.remove_confirm, { name: members.get(t.dataset.remove)?.name ?? "" }))) socket?.send({ type: "remove", member: t.dataset.remove }); }
  else if (t.dataset.tab) openTab(t.dataset.tab);
  else if ("devices" in t.dataset) { fillDeviceLists(); $("[data-device-dialog]").showModal(); }
  else if ("sideToggle" in t.dataset) root.classList.toggle("side-open");
  else if (t.dataset.copyText !== undefined) {
    const text = t.dataset.copyText;
    navigator.clipboard?.writeText(text).then(() => toast(T.copied), () => toast(text));
  }
});

for (const select of $$("[data-device-select]")) {
  select.addEventListener("change", () => chooseDevice(select.dataset.deviceSelect, select.value));
}

$("[data-join-form]").addEventListener("submit", join);

const chatForm = $("[data-chat-form]");
const chatInput = chatForm.querySelector("textarea");
let typingSent = false;
let typingTimer = null;
chatForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const text = chatInput.value.trim();
  if (!text) return;
  if (!socket?.send({ type: "chat", text })) { toast(T.offline_chat); return; }
  chatInput.value = "";
  typingSent = false;
  socket.send({ type: "typing", on: false });
  $("[data-chat-count]").textContent = "";
});
chatInput.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); chatForm.requestSubmit(); }
});
chatInput.addEventListener("input", () => {
  const n = [...chatInput.value].length;
  $("[data-chat-count]").textContent = n > 1800 ? `${n} / 2000` : "";
  if (!typingSent && n > 0) { typingSent = true; socket?.send({ type: "typing", on: true }); }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { typingSent = false; socket?.send({ type: "typing", on: false }); }, 3000);
});

// Keyboard: M microphone, K camera, S screen, C chat (outside text fields).
document.addEventListener("keydown", (e) => {
  if (stageNow() !== "in" || typingInField() || e.ctrlKey || e.metaKey || e.altKey) return;
  const key = e.key.toLowerCase();
  if (key === "m") setDevice("audio", !local.tracks.audio);
  else if (key === "k") setDevice("camera", !local.tracks.camera);
  else if (key === "s") toggleScreen();
  else if (key === "c") { openTab("chat"); root.classList.add("side-open"); chatInput.focus(); }
  else return;
  e.preventDefault();
});

// Closing the tab leaves at once instead of after the grace period.
window.addEventListener("pagehide", () => socket?.leave());
// Typing marks expire if the "off" never came.
setInterval(() => {
  const old = Date.now() - 6000;
  let changed = false;
  for (const [id, at] of typers) if (at < old) { typers.delete(id); changed = true; }
  if (changed) showTyping();
}, 2000);

window.kontorRoom = {
  me: () => me,
  stage: stageNow,
  members: () => [...members.values()],
  peers: () => (mesh ? mesh.states() : []),
  audioIn: () => (mesh ? mesh.audioBytesIn() : Promise.resolve(0)),
  /** Video size received from a member's camera or screen (0 if none). */
  received: (id, slot) => {
    const sel = slot === "screen" ? `.tile-screen[data-member="${CSS.escape(id)}"] video` : `.tile[data-member="${CSS.escape(id)}"]:not(.tile-screen) video`;
    const v = root.querySelector(sel);
    return v ? v.videoWidth : 0;
  },
  slots: SLOTS,
};

openTab("people");
if (sessionStorage.getItem(`kontor.room.${data.room}`) || data.autojoin === "true") {
  // A reload rejoins as the same member.
  prejoin().then(() => join());
} else {
  prejoin();
}
