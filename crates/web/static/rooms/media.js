// Local devices and the mesh of peer connections.
//
// Every pair of members has one RTCPeerConnection with three transceivers
// in a fixed order: audio, camera, screen. Turning the camera off or
// sharing the screen swaps tracks (replaceTrack), so a connection is
// negotiated once. The member who arrives makes the offer; whoever gets an
// offer starts a fresh connection for it (a reloaded tab, an ICE restart).
// Mesh means each member sends to every other: fine up to the room limit
// of 8 (docs/realtime-protocol.md).

export const SLOTS = ["audio", "camera", "screen"];

/** Why a device could not be used, as a key of the page's texts. */
export function deviceProblem(err) {
  switch (err && err.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "AbortError":
      return "busy";
    default:
      return "failed";
  }
}

/** Camera, microphone and screen of this tab. */
export class LocalMedia {
  constructor() {
    this.tracks = { audio: null, camera: null, screen: null };
    this.problems = {};
    this.deviceIds = { audio: "", camera: "" };
  }

  async #get(kind) {
    const id = this.deviceIds[kind];
    const constraints = kind === "audio"
      ? { audio: id ? { deviceId: { exact: id } } : true }
      : { video: id ? { deviceId: { exact: id } } : { width: { ideal: 640 }, height: { ideal: 360 } } };
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    return kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
  }

  /** Turns a device on; returns the problem key on failure. */
  async enable(kind) {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.problems[kind] = "unsupported";
      return "unsupported";
    }
    try {
      const track = await this.#get(kind);
      this.tracks[kind]?.stop();
      this.tracks[kind] = track;
      delete this.problems[kind];
      return null;
    } catch (err) {
      const problem = deviceProblem(err);
      this.problems[kind] = problem;
      return problem;
    }
  }

  disable(kind) {
    this.tracks[kind]?.stop();
    this.tracks[kind] = null;
  }

  async devices() {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    return navigator.mediaDevices.enumerateDevices();
  }

  /** Asks for a screen; null if the user cancelled or it is unsupported. */
  async shareScreen() {
    if (!navigator.mediaDevices?.getDisplayMedia) {
      this.problems.screen = "unsupported";
      return null;
    }
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      this.tracks.screen = stream.getVideoTracks()[0];
      delete this.problems.screen;
      return this.tracks.screen;
    } catch (err) {
      this.problems.screen = deviceProblem(err);
      return null;
    }
  }

  stopAll() {
    for (const kind of SLOTS) this.disable(kind);
  }
}

class Peer {
  constructor(mesh, id, offerer) {
    this.mesh = mesh;
    this.id = id;
    this.offerer = offerer;
    this.pending = [];
    this.chain = Promise.resolve();
    this.pc = new RTCPeerConnection({ iceServers: mesh.iceServers });
    this.pc.onicecandidate = (e) => {
      if (e.candidate) mesh.signal(id, { kind: "ice", candidate: e.candidate.toJSON() });
    };
    this.pc.ontrack = (e) => {
      const slot = SLOTS[this.pc.getTransceivers().indexOf(e.transceiver)];
      if (slot) mesh.callbacks.track(id, slot, e.track);
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      mesh.callbacks.state(id, state);
      if (state === "failed") mesh.restart(id);
    };
    if (offerer) {
      for (const slot of SLOTS) {
        const t = this.pc.addTransceiver(slot === "audio" ? "audio" : "video", { direction: "sendrecv" });
        t.sender.replaceTrack(mesh.local.tracks[slot]);
      }
      this.#run(async () => {
        await this.pc.setLocalDescription(await this.pc.createOffer());
        mesh.signal(id, { kind: "offer", sdp: this.pc.localDescription.sdp });
      });
    }
  }

  #run(step) {
    this.chain = this.chain.then(step).catch((err) => console.warn("webrtc", this.id, err));
  }

  handle(signal) {
    this.#run(async () => {
      if (signal.kind === "offer") {
        await this.pc.setRemoteDescription({ type: "offer", sdp: signal.sdp });
        const transceivers = this.pc.getTransceivers();
        for (let i = 0; i < transceivers.length; i++) {
          transceivers[i].direction = "sendrecv";
          await transceivers[i].sender.replaceTrack(this.mesh.local.tracks[SLOTS[i]] ?? null);
        }
        await this.pc.setLocalDescription(await this.pc.createAnswer());
        this.mesh.signal(this.id, { kind: "answer", sdp: this.pc.localDescription.sdp });
      } else if (signal.kind === "answer") {
        await this.pc.setRemoteDescription({ type: "answer", sdp: signal.sdp });
      } else if (signal.kind === "ice") {
        if (!this.pc.remoteDescription) {
          this.pending.push(signal.candidate);
          return;
        }
        await this.pc.addIceCandidate(signal.candidate);
      }
      if (this.pc.remoteDescription && this.pending.length) {
        const waiting = this.pending.splice(0);
        for (const c of waiting) await this.pc.addIceCandidate(c);
      }
    });
  }

  setTrack(slot, track) {
    const t = this.pc.getTransceivers()[SLOTS.indexOf(slot)];
    if (t) this.#run(() => t.sender.replaceTrack(track));
  }

  close() {
    this.pc.close();
  }
}

/** The peer connections of this tab, one per other member present. */
export class Mesh {
  /**
   * @param {{send: (msg: object) => boolean}} socket
   * @param {LocalMedia} local
   * @param {RTCIceServer[]} iceServers
   * @param {{track: Function, state: Function, gone: Function}} callbacks
   */
  constructor(socket, local, iceServers, callbacks) {
    this.socket = socket;
    this.local = local;
    this.iceServers = iceServers;
    this.callbacks = callbacks;
    this.peers = new Map();
    this.me = null;
  }

  signal(to, signal) {
    this.socket.send({ type: "signal", to, signal });
  }

  /** Connects to a member; the newcomer offers. */
  add(id, offerer) {
    if (id === this.me || this.peers.has(id)) return;
    this.peers.set(id, new Peer(this, id, offerer));
  }

  /** Closes the connection to a member; `gone` also drops their tiles. */
  remove(id, gone = true) {
    this.peers.get(id)?.close();
    this.peers.delete(id);
    if (gone) this.callbacks.gone(id);
  }

  /** After a failure the member with the smaller id offers again. */
  restart(id) {
    if (this.me === null || this.me > id) return;
    this.remove(id, false);
    this.add(id, true);
  }

  onSignal(from, signal) {
    if (signal.kind === "offer") {
      const existing = this.peers.get(from);
      // Both offered at once: the smaller id's offer wins.
      if (existing?.offerer && existing.pc.signalingState === "have-local-offer" && this.me < from) return;
      // Any other offer starts a new connection (the other side reloaded or restarted).
      if (existing) this.remove(from, false);
      this.peers.set(from, new Peer(this, from, false));
    }
    this.peers.get(from)?.handle(signal);
  }

  /** Sends another local track (or none) on every connection. */
  setTrack(slot, track) {
    for (const peer of this.peers.values()) peer.setTrack(slot, track);
  }

  states() {
    return [...this.peers.values()].map((p) => ({ id: p.id, connection: p.pc.connectionState }));
  }

  /** Audio bytes received over all peer connections (for tests and diagnostics). */
  async audioBytesIn() {
    let total = 0;
    for (const p of this.peers.values()) {
      const stats = await p.pc.getStats();
      stats.forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "audio") total += r.bytesReceived ?? 0; });
    }
    return total;
  }

  closeAll() {
    for (const id of [...this.peers.keys()]) this.remove(id);
  }
}
