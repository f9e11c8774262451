//! Call audio: each call's leg (its RTP/RTCP sockets, playout buffer,
//! prompt player and mixing state) and the mixer clock, one OS thread
//! that every 20 ms takes a frame from each caller, mixes each room and
//! sends every caller their frame.

pub mod dtmf;
pub mod g711;
pub mod jitter;
pub mod mixer;
pub mod rtp;
pub mod sound;

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sip::sdp::Codec;
use tokio::sync::mpsc;

use self::jitter::{JitterBuffer, JitterStats, FRAME};
use self::mixer::{Input, RoomMix, Voice};
use self::sound::Player;

/// One tick of audio.
pub const TICK: Duration = Duration::from_millis(20);
/// RTCP sender reports every this many ticks (5 s).
const RTCP_EVERY: u64 = 250;

/// Where a caller's audio comes from and goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// In the voice menu: prompts, otherwise silence.
    Menu,
    /// Waiting for the moderator: prompts, otherwise hold music.
    Waiting,
    /// In a conference: the others' mix (prompts over it).
    Conference(Arc<str>),
}

/// The mutable part of a leg, locked briefly by the receiver and the clock.
struct LegState {
    remote: Option<SocketAddr>,
    jitter: JitterBuffer,
    player: Player,
    mode: Mode,
    /// The caller muted themselves (or the moderator did).
    muted: bool,
    /// The caller put us on hold: send nothing, take nothing.
    on_hold: bool,
    voice: Voice,
    hold_pos: usize,
    seq: u16,
    ts: u32,
    packets: u32,
    octets: u32,
    /// Fraction lost the caller last reported (RTCP, 0–255).
    reported_loss: u8,
    /// When the caller's last RTP packet came (or the leg opened).
    last_rx: Instant,
    /// Where the caller's RTCP comes from (reports go back there; until
    /// then to the RTP port + 1, RFC 3550).
    rtcp_remote: Option<SocketAddr>,
}

/// One call's media.
pub struct Leg {
    pub port: u16,
    codec: Codec,
    payload: u8,
    ssrc: u32,
    rtp: UdpSocket,
    rtcp: UdpSocket,
    state: Mutex<LegState>,
    pool: Arc<PortPool>,
    closed: AtomicBool,
}

/// What a leg passes to its call.
pub enum LegEvent {
    Key(char),
}

impl Leg {
    pub fn set_remote(&self, remote: Option<SocketAddr>, on_hold: bool) {
        let mut s = self.state.lock().unwrap();
        s.remote = remote.or(s.remote);
        s.on_hold = on_hold;
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn mode(&self) -> Mode {
        self.state.lock().unwrap().mode.clone()
    }

    pub fn set_muted(&self, muted: bool) {
        self.state.lock().unwrap().muted = muted;
    }

    pub fn muted(&self) -> bool {
        self.state.lock().unwrap().muted
    }

    /// Stops any prompt and plays these sounds in order.
    pub fn play(&self, sounds: Vec<Arc<[i16]>>) {
        let mut s = self.state.lock().unwrap();
        s.player.stop();
        for sound in sounds {
            s.player.play(sound);
        }
    }

    /// Queues a sound after what is playing.
    pub fn queue(&self, sound: Arc<[i16]>) {
        self.state.lock().unwrap().player.play(sound);
    }

    pub fn playing(&self) -> bool {
        self.state.lock().unwrap().player.is_playing()
    }

    pub fn stats(&self) -> JitterStats {
        self.state.lock().unwrap().jitter.stats
    }

    /// How long no RTP came from the caller (a caller on hold sends none
    /// and counts as heard).
    pub fn silent_for(&self) -> Duration {
        let s = self.state.lock().unwrap();
        if s.on_hold {
            Duration::ZERO
        } else {
            s.last_rx.elapsed()
        }
    }

    /// Fraction of packets the caller reported lost in its last RTCP report (0–255).
    pub fn reported_loss(&self) -> u8 {
        self.state.lock().unwrap().reported_loss
    }

    /// The next outgoing frame, given the room's mix if in a conference.
    fn next_frame(s: &mut LegState, mix: Option<&[i16; FRAME]>, out: &mut [i16; FRAME]) {
        let mut prompt = [0i16; FRAME];
        let prompting = s.player.next(&mut prompt);
        match (&s.mode, mix) {
            (Mode::Conference(_), Some(mix)) if prompting => {
                // The prompt over the conference, which steps back.
                for ((o, p), m) in out.iter_mut().zip(&prompt).zip(mix) {
                    *o = mixer::limit(*p as i32 + *m as i32 / 4);
                }
            }
            (Mode::Conference(_), Some(mix)) => out.copy_from_slice(mix),
            _ if prompting => out.copy_from_slice(&prompt),
            (Mode::Waiting, _) => {
                let music = sound::hold_music();
                for o in out.iter_mut() {
                    *o = music[s.hold_pos % music.len()];
                    s.hold_pos += 1;
                }
            }
            _ => out.fill(0),
        }
    }
}

impl Drop for Leg {
    fn drop(&mut self) {
        self.pool.release(self.port);
    }
}

/// The RTP port range: even ports for RTP, the next odd one for RTCP.
pub struct PortPool {
    range: (u16, u16),
    used: Mutex<BTreeSet<u16>>,
}

impl PortPool {
    pub fn new(first: u16, last: u16) -> Arc<PortPool> {
        Arc::new(PortPool {
            range: (first + first % 2, last),
            used: Mutex::new(BTreeSet::new()),
        })
    }

    /// Binds an RTP/RTCP pair on `ip` at a free even port of the range.
    fn bind(&self, ip: IpAddr) -> std::io::Result<(u16, UdpSocket, UdpSocket)> {
        let (first, last) = self.range;
        let count = ((last.saturating_sub(first)) / 2 + 1) as usize;
        let start = rand::random::<usize>() % count.max(1);
        for i in 0..count {
            let port = first + (((start + i) % count) * 2) as u16;
            if port >= last || !self.used.lock().unwrap().insert(port) {
                continue;
            }
            let pair = UdpSocket::bind((ip, port)).and_then(|rtp| Ok((rtp, UdpSocket::bind((ip, port + 1))?)));
            match pair {
                Ok((rtp, rtcp)) => return Ok((port, rtp, rtcp)),
                Err(_) => {
                    self.used.lock().unwrap().remove(&port);
                }
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no free RTP port in the range",
        ))
    }

    fn release(&self, port: u16) {
        self.used.lock().unwrap().remove(&port);
    }

    pub fn in_use(&self) -> usize {
        self.used.lock().unwrap().len()
    }
}

/// Counters of the mixer clock, for monitoring and the benchmark.
#[derive(Debug, Default)]
pub struct ClockStats {
    pub ticks: AtomicU64,
    /// Ticks that started more than 10 ms after their time.
    pub late_ticks: AtomicU64,
    /// Time spent mixing and sending, in microseconds.
    pub busy_us: AtomicU64,
    pub max_tick_us: AtomicU64,
    pub packets_sent: AtomicU64,
    pub send_errors: AtomicU64,
}

/// The node's call audio: the legs and the clock that mixes them.
#[derive(Clone)]
pub struct MediaEngine {
    legs: Arc<Mutex<Vec<Arc<Leg>>>>,
    pool: Arc<PortPool>,
    ip: IpAddr,
    pub stats: Arc<ClockStats>,
    stop: Arc<AtomicBool>,
}

impl MediaEngine {
    /// Starts the mixer clock. Sockets are bound on `ip`.
    pub fn start(ip: IpAddr, pool: Arc<PortPool>) -> MediaEngine {
        let engine = MediaEngine {
            legs: Arc::default(),
            pool,
            ip,
            stats: Arc::default(),
            stop: Arc::default(),
        };
        let clock = engine.clone();
        std::thread::Builder::new()
            .name("kontor-mixer".into())
            .spawn(move || clock.run())
            .expect("starting the mixer thread");
        engine
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn legs(&self) -> usize {
        self.legs.lock().unwrap().len()
    }

    /// Opens a leg with its sockets; keys the caller types arrive on the
    /// returned receiver. The leg takes part in the clock until
    /// [`MediaEngine::close`].
    pub fn open(
        &self,
        codec: Codec,
        payload: u8,
        dtmf: Option<u8>,
    ) -> std::io::Result<(Arc<Leg>, mpsc::Receiver<LegEvent>)> {
        let (port, rtp, rtcp) = self.pool.bind(self.ip)?;
        let recv_rtp = rtp.try_clone()?;
        let recv_rtcp = rtcp.try_clone()?;
        recv_rtp.set_nonblocking(true)?;
        recv_rtcp.set_nonblocking(true)?;
        let leg = Arc::new(Leg {
            port,
            codec,
            payload,
            ssrc: rand::random(),
            rtp,
            rtcp,
            state: Mutex::new(LegState {
                remote: None,
                jitter: JitterBuffer::new(),
                player: Player::default(),
                mode: Mode::Menu,
                muted: false,
                on_hold: false,
                voice: Voice::default(),
                hold_pos: 0,
                seq: rand::random(),
                ts: rand::random(),
                packets: 0,
                octets: 0,
                reported_loss: 0,
                last_rx: Instant::now(),
                rtcp_remote: None,
            }),
            pool: self.pool.clone(),
            closed: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(receive_rtp(
            leg.clone(),
            tokio::net::UdpSocket::from_std(recv_rtp)?,
            dtmf,
            tx,
        ));
        tokio::spawn(receive_rtcp(leg.clone(), tokio::net::UdpSocket::from_std(recv_rtcp)?));
        self.legs.lock().unwrap().push(leg.clone());
        Ok((leg, rx))
    }

    /// Takes a leg out of the clock and stops its receivers.
    pub fn close(&self, leg: &Arc<Leg>) {
        leg.closed.store(true, Ordering::Relaxed);
        self.legs.lock().unwrap().retain(|l| !Arc::ptr_eq(l, leg));
        // Wake the receivers so they notice.
        let _ = leg.rtp.send_to(
            &[0],
            leg.rtp.local_addr().unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
        );
        let _ = leg.rtcp.send_to(
            &[0],
            leg.rtcp.local_addr().unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
        );
    }

    /// The clock: absolute 20 ms deadlines (no drift), catching up after
    /// a late wake-up so the RTP clock stays true.
    fn run(&self) {
        let mut next = Instant::now() + TICK;
        let mut tick: u64 = 0;
        let mut work = Work::default();
        let mut last_warning: Option<Instant> = None;
        while !self.stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            if now < next {
                std::thread::sleep(next - now);
            }
            let started = Instant::now();
            let late = started.duration_since(next);
            if late > Duration::from_millis(10) {
                self.stats.late_ticks.fetch_add(1, Ordering::Relaxed);
                if late > Duration::from_millis(40)
                    && last_warning.is_none_or(|w: Instant| w.elapsed() > Duration::from_secs(10))
                {
                    // Callers hear a gap: the machine is overloaded.
                    let total = self.stats.late_ticks.load(Ordering::Relaxed);
                    tracing::warn!(
                        late_ms = late.as_millis() as u64,
                        late_ticks = total,
                        "audio mixer ran late"
                    );
                    last_warning = Some(Instant::now());
                }
            }
            let legs: Vec<Arc<Leg>> = self.legs.lock().unwrap().clone();
            work.tick(&legs, tick, &self.stats);
            let busy = started.elapsed().as_micros() as u64;
            self.stats.busy_us.fetch_add(busy, Ordering::Relaxed);
            self.stats.max_tick_us.fetch_max(busy, Ordering::Relaxed);
            self.stats.ticks.fetch_add(1, Ordering::Relaxed);
            tick += 1;
            next += TICK;
            // After a long stall, start again from now rather than burst.
            if Instant::now().duration_since(next) > Duration::from_millis(200) {
                next = Instant::now() + TICK;
            }
        }
    }
}

/// Buffers reused from tick to tick.
#[derive(Default)]
struct Work {
    frames: Vec<Option<Box<[i16]>>>,
    rooms: HashMap<Arc<str>, Vec<usize>>,
    mixes: Vec<Option<[i16; FRAME]>>,
    mixers: HashMap<Arc<str>, RoomMix>,
    payload: Vec<u8>,
    packet: Vec<u8>,
}

impl Work {
    fn tick(&mut self, legs: &[Arc<Leg>], tick: u64, stats: &ClockStats) {
        // 1. Everyone's frame for this tick, and who is in which room.
        self.frames.clear();
        self.rooms.clear();
        for (i, leg) in legs.iter().enumerate() {
            let mut s = leg.state.lock().unwrap();
            let frame = s.jitter.pop();
            let heard = frame.filter(|_| !s.muted && !s.on_hold);
            self.frames.push(heard);
            if let Mode::Conference(room) = &s.mode {
                self.rooms.entry(room.clone()).or_default().push(i);
            }
        }
        // 2. Mix each room.
        self.mixes.clear();
        self.mixes.resize(legs.len(), None);
        self.mixers.retain(|room, _| self.rooms.contains_key(room));
        for (room, members) in &self.rooms {
            let mix = self.mixers.entry(room.clone()).or_default();
            let mut voices: Vec<Voice> = members
                .iter()
                .map(|&i| std::mem::take(&mut legs[i].state.lock().unwrap().voice))
                .collect();
            let inputs: Vec<Input> = members
                .iter()
                .map(|&i| Input {
                    frame: self.frames[i].as_deref(),
                })
                .collect();
            let mut outputs = vec![[0i16; FRAME]; members.len()];
            mix.mix(&mut voices, &inputs, &mut outputs);
            for ((&i, voice), out) in members.iter().zip(voices).zip(outputs) {
                legs[i].state.lock().unwrap().voice = voice;
                self.mixes[i] = Some(out);
            }
        }
        // 3. Send everyone their frame.
        for (i, leg) in legs.iter().enumerate() {
            let mut s = leg.state.lock().unwrap();
            let mut out = [0i16; FRAME];
            Leg::next_frame(&mut s, self.mixes[i].as_ref(), &mut out);
            let (seq, ts) = (s.seq, s.ts);
            s.seq = s.seq.wrapping_add(1);
            s.ts = s.ts.wrapping_add(FRAME as u32);
            let Some(remote) = s.remote.filter(|_| !s.on_hold) else {
                continue;
            };
            self.payload.clear();
            g711::encode(leg.codec, &out, &mut self.payload);
            rtp::write(&mut self.packet, false, leg.payload, seq, ts, leg.ssrc, &self.payload);
            s.packets = s.packets.wrapping_add(1);
            s.octets = s.octets.wrapping_add(self.payload.len() as u32);
            let (packets, octets) = (s.packets, s.octets);
            let rtcp_to = s
                .rtcp_remote
                .unwrap_or_else(|| SocketAddr::new(remote.ip(), remote.port().wrapping_add(1)));
            drop(s);
            match leg.rtp.send_to(&self.packet, remote) {
                Ok(_) => stats.packets_sent.fetch_add(1, Ordering::Relaxed),
                Err(_) => stats.send_errors.fetch_add(1, Ordering::Relaxed),
            };
            if (tick + leg.port as u64).is_multiple_of(RTCP_EVERY) {
                let sr = rtp::sender_report(leg.ssrc, ntp_now(), ts, packets, octets, "kontor");
                let _ = leg.rtcp.send_to(&sr, rtcp_to);
            }
        }
    }
}

/// The wall clock as a 64-bit NTP timestamp (RTCP).
fn ntp_now() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs() + 2_208_988_800;
    (secs << 32) | (((since.subsec_nanos() as u64) << 32) / 1_000_000_000)
}

/// Reads the caller's RTP: audio into the playout buffer, key presses
/// (RFC 4733 events, or in-band tones until events are seen) to the call.
async fn receive_rtp(leg: Arc<Leg>, socket: tokio::net::UdpSocket, dtmf: Option<u8>, keys: mpsc::Sender<LegEvent>) {
    let mut buf = vec![0u8; 2048];
    let mut pcm = Vec::with_capacity(FRAME);
    let mut events = dtmf::EventReceiver::default();
    let mut inband = dtmf::InbandDetector::default();
    while !leg.closed.load(Ordering::Relaxed) {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            break;
        };
        let Some(packet) = rtp::RtpPacket::parse(&buf[..n]) else {
            continue;
        };
        leg.state.lock().unwrap().last_rx = Instant::now();
        let key = if Some(packet.payload_type) == dtmf {
            events.receive(packet.timestamp, packet.payload)
        } else if packet.payload_type == leg.payload {
            g711::decode(leg.codec, packet.payload, &mut pcm);
            if pcm.len() != FRAME {
                continue;
            }
            let mut s = leg.state.lock().unwrap();
            // Symmetric RTP: answer where the caller's packets come from
            // (behind NAT this differs from the SDP), same host only.
            if s.remote.is_none_or(|r| r.ip() == from.ip()) {
                s.remote = Some(from);
            }
            s.jitter.push(packet.seq, &pcm);
            drop(s);
            if events.seen {
                None
            } else {
                inband.frame(&pcm)
            }
        } else {
            None
        };
        if let Some(k) = key {
            if keys.try_send(LegEvent::Key(k)).is_err() {
                tracing::debug!("key dropped: the call is not listening");
            }
        }
    }
}

/// Reads the caller's RTCP reports (loss they see of our stream; proof of life).
async fn receive_rtcp(leg: Arc<Leg>, socket: tokio::net::UdpSocket) {
    let mut buf = vec![0u8; 1500];
    while !leg.closed.load(Ordering::Relaxed) {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            break;
        };
        let mut s = leg.state.lock().unwrap();
        // Reports keep a call alive while the caller's speech is suppressed.
        if n >= 8 && buf[0] >> 6 == 2 && s.remote.is_none_or(|r| r.ip() == from.ip()) {
            s.last_rx = Instant::now();
            s.rtcp_remote = Some(from);
        }
        if let Some((lost, _jitter)) = rtp::report_block(&buf[..n]) {
            s.reported_loss = lost;
        }
    }
}
