//! Test callers for the phone dial-in: pcap files of RFC 4733 key presses
//! for sipp to play, and a small SIP/RTP caller of our own for the audio
//! checks and the benchmark (it sends and records real RTP).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

/// μ-law (G.711) of a linear sample, written out here so the test caller
/// does not borrow the code under test.
pub fn ulaw(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(32635) + 0x84;
    let mut exp = 7;
    while exp > 0 && s & (0x80 << exp) == 0 {
        exp -= 1;
    }
    !(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0F)) as u8
}

/// Linear value of a μ-law byte.
pub fn ulaw_linear(u: u8) -> i16 {
    let u = !u;
    let exp = ((u >> 4) & 7) as i32;
    let s = (((((u & 0x0F) as i32) << 3) + 0x84) << exp) - 0x84;
    if u & 0x80 != 0 {
        -s as i16
    } else {
        s as i16
    }
}

/// Power of `freq` in `samples` (Goertzel), normalised by the length.
pub fn tone_power(samples: &[i16], freq: f32) -> f32 {
    let coeff = 2.0 * (2.0 * std::f32::consts::PI * freq / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = x as f32 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.len() as f32).powi(2)
}

/// One RTP packet.
pub fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, if marker { 0x80 | pt } else { pt }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn event_code(key: char) -> u8 {
    "0123456789*#".find(key).expect("a phone key") as u8
}

/// RFC 4733 packets (with their send time in ms) for `keys`: each key
/// 100 ms (five updates, then the end packet three times), 100 ms apart;
/// a space in `keys` is a pause of `pause_ms`.
pub fn dtmf_packets(keys: &str, pause_ms: u64, pt: u8) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let (mut t, mut seq, ssrc) = (200u64, 1u16, 0x4b4f_4e54u32);
    for key in keys.chars() {
        if key == ' ' {
            t += pause_ms;
            continue;
        }
        let ts = (t * 8) as u32;
        let ev = event_code(key);
        for i in 0..5u16 {
            let dur = (i + 1) * 160;
            let [d0, d1] = dur.to_be_bytes();
            out.push((t + i as u64 * 20, rtp(pt, i == 0, seq, ts, ssrc, &[ev, 10, d0, d1])));
            seq += 1;
        }
        for _ in 0..3 {
            out.push((t + 100, rtp(pt, false, seq, ts, ssrc, &[ev, 0x80 | 10, 3, 32])));
            seq += 1;
        }
        t += 200;
    }
    out
}

/// A pcap file (Ethernet/IPv4/UDP) of RTP packets with their times, as
/// sipp's `play_pcap_audio` reads them.
pub fn pcap(packets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    for (ms, payload) in packets {
        let udp_len = 8 + payload.len();
        let ip_len = 20 + udp_len;
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        let mut ip = vec![0x45, 0, (ip_len >> 8) as u8, ip_len as u8, 0, 0, 0x40, 0, 64, 17, 0, 0];
        ip.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        let sum = ip
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]) as u32)
            .sum::<u32>();
        let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&6000u16.to_be_bytes());
        frame.extend_from_slice(&6000u16.to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(payload);
        f.extend_from_slice(&((ms / 1000) as u32).to_le_bytes());
        f.extend_from_slice(&(((ms % 1000) * 1000) as u32).to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&frame);
    }
    f
}

/// An RTP socket on an even port with the next port (RTCP, RFC 3550)
/// bound too, so the server's reports land there and nowhere else.
async fn rtp_pair() -> (UdpSocket, UdpSocket) {
    loop {
        let rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = rtp.local_addr().unwrap().port();
        if port % 2 == 1 || port == u16::MAX {
            continue;
        }
        if let Ok(rtcp) = UdpSocket::bind(("127.0.0.1", port + 1)).await {
            return (rtp, rtcp);
        }
    }
}

/// A caller: one SIP dialog over UDP and its RTP socket (PCMU, events on 101).
pub struct Caller {
    sip: UdpSocket,
    /// Bound so the server's RTCP reports have their port (not read).
    _rtcp: UdpSocket,
    rtp: std::sync::Arc<UdpSocket>,
    /// What the caller heard: decoded frames with their arrival time.
    pub heard: Heard,
    server: SocketAddr,
    call_id: String,
    from_tag: String,
    to_header: String,
    /// Where the server wants our audio.
    pub remote_rtp: SocketAddr,
    seq: u16,
    ts: u32,
    ssrc: u32,
    cseq: u32,
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

impl Caller {
    /// Calls `dialed` at `server` from the number `from` and waits for the
    /// answer (200 OK, ACK sent); keeps every sample heard.
    pub async fn call(server: SocketAddr, dialed: &str, from: &str) -> Caller {
        Self::call_keeping(server, dialed, from, true).await
    }

    /// As [`Caller::call`]; with `samples` false only the level of each
    /// frame heard is kept (long benchmark runs).
    pub async fn call_keeping(server: SocketAddr, dialed: &str, from: &str, samples: bool) -> Caller {
        let sip = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (rtp, _rtcp) = rtp_pair().await;
        let rtp = std::sync::Arc::new(rtp);
        let heard = record(rtp.clone(), samples);
        let local = sip.local_addr().unwrap();
        let media = rtp.local_addr().unwrap();
        let id = format!("{:x}", rand::random::<u64>());
        let call_id = format!("{id}@test");
        let from_tag = format!("{:x}", rand::random::<u32>());
        let sdp = format!(
            "v=0\r\no=test 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
            media.port()
        );
        let invite = format!(
            "INVITE sip:{dialed}@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{id}\r\n\
             From: <sip:{from}@127.0.0.1>;tag={from_tag}\r\nTo: <sip:{dialed}@{server}>\r\nCall-ID: {call_id}\r\n\
             CSeq: 1 INVITE\r\nContact: <sip:test@{local}>\r\nMax-Forwards: 70\r\n\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        sip.send_to(invite.as_bytes(), server).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(10);
        let ok = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (n, _) = tokio::time::timeout(left, sip.recv_from(&mut buf))
                .await
                .expect("an answer within 10 s")
                .unwrap();
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            if text.starts_with("SIP/2.0 200") {
                break text;
            }
            assert!(text.starts_with("SIP/2.0 1"), "unexpected: {text}");
        };
        let to_header = header(&ok, "To").unwrap().to_string();
        let port: u16 = ok
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|l| l.split(' ').next())
            .and_then(|p| p.parse().ok())
            .expect("media port in the answer");
        let ack = format!(
            "ACK sip:kontor@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKack{id}\r\n\
             From: <sip:{from}@127.0.0.1>;tag={from_tag}\r\nTo: {to_header}\r\nCall-ID: {call_id}\r\n\
             CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        sip.send_to(ack.as_bytes(), server).await.unwrap();
        Caller {
            sip,
            _rtcp,
            rtp,
            heard,
            server,
            call_id,
            from_tag,
            to_header,
            remote_rtp: SocketAddr::new(server.ip(), port),
            seq: 1,
            ts: 0,
            ssrc: rand::random(),
            cseq: 1,
        }
    }

    /// Presses keys by RFC 4733 events, paced in real time.
    pub async fn keys(&mut self, keys: &str) {
        let start = Instant::now();
        for (ms, mut packet) in dtmf_packets(keys, 1500, 101) {
            tokio::time::sleep_until((start + Duration::from_millis(ms)).into()).await;
            // Our own sequence numbers and SSRC, continuing the audio stream's.
            packet[2..4].copy_from_slice(&self.seq.to_be_bytes());
            packet[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
            self.seq = self.seq.wrapping_add(1);
            self.rtp.send_to(&packet, self.remote_rtp).await.unwrap();
        }
    }

    /// Sends one 20 ms frame of audio.
    pub async fn send_frame(&mut self, samples: &[i16]) {
        let payload: Vec<u8> = samples.iter().map(|&s| ulaw(s)).collect();
        let packet = rtp(0, false, self.seq, self.ts, self.ssrc, &payload);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(samples.len() as u32);
        self.rtp.send_to(&packet, self.remote_rtp).await.unwrap();
    }

    /// Sends a re-INVITE offering `direction` (`sendonly` puts the server
    /// on hold, `sendrecv` resumes), ACKs the 200 and returns its text.
    pub async fn reinvite(&mut self, direction: &str) -> String {
        self.cseq += 1;
        let local = self.sip.local_addr().unwrap();
        let media = self.rtp.local_addr().unwrap();
        let sdp = format!(
            "v=0\r\no=test 1 {} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na={direction}\r\n",
            self.cseq,
            media.port()
        );
        let head = |method: &str, branch: u64| {
            format!(
                "{method} sip:kontor@{} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{branch:x}\r\n\
                 From: <sip:caller@127.0.0.1>;tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} {method}\r\n\
                 Max-Forwards: 70\r\n",
                self.server, self.from_tag, self.to_header, self.call_id, self.cseq
            )
        };
        let invite = format!(
            "{}Contact: <sip:test@{local}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            head("INVITE", rand::random()),
            sdp.len()
        );
        self.sip.send_to(invite.as_bytes(), self.server).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let answer = loop {
            let (n, _) = tokio::time::timeout(Duration::from_secs(5), self.sip.recv_from(&mut buf))
                .await
                .expect("an answer to the re-INVITE")
                .unwrap();
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            if !text.starts_with("SIP/2.0 1") {
                break text;
            }
        };
        let ack = format!("{}Content-Length: 0\r\n\r\n", head("ACK", rand::random()));
        self.sip.send_to(ack.as_bytes(), self.server).await.unwrap();
        answer
    }

    /// Hangs up (BYE) and waits for the 200.
    pub async fn bye(mut self) {
        self.cseq += 1;
        let local = self.sip.local_addr().unwrap();
        let bye = format!(
            "BYE sip:kontor@{} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKbye{:x}\r\n\
             From: <sip:caller@127.0.0.1>;tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} BYE\r\n\
             Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
            self.server,
            rand::random::<u64>(),
            self.from_tag,
            self.to_header,
            self.call_id,
            self.cseq
        );
        self.sip.send_to(bye.as_bytes(), self.server).await.unwrap();
        let mut buf = vec![0u8; 4096];
        loop {
            let (n, _) = tokio::time::timeout(Duration::from_secs(5), self.sip.recv_from(&mut buf))
                .await
                .expect("200 to BYE")
                .unwrap();
            if String::from_utf8_lossy(&buf[..n]).starts_with("SIP/2.0 200") {
                return;
            }
        }
    }
}

/// One frame heard.
pub struct HeardFrame {
    pub at: Instant,
    /// Root mean square of the samples.
    pub rms: f32,
    /// The samples (empty when only levels are kept).
    pub samples: Vec<i16>,
}

/// Frames heard, in arrival order.
pub type Heard = std::sync::Arc<std::sync::Mutex<Vec<HeardFrame>>>;

/// The samples heard from `at` on.
pub fn heard_since(heard: &Heard, at: Instant) -> Vec<i16> {
    heard
        .lock()
        .unwrap()
        .iter()
        .filter(|f| f.at >= at)
        .flat_map(|f| f.samples.iter().copied())
        .collect()
}

/// Starts a task that decodes the RTP arriving at `socket` and keeps each
/// frame's arrival time and level (and samples, if asked).
pub fn record(socket: std::sync::Arc<UdpSocket>, keep_samples: bool) -> Heard {
    let frames = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = frames.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        while let Ok((n, _)) = socket.recv_from(&mut buf).await {
            if n > 12 && buf[1] & 0x7f == 0 {
                let samples: Vec<i16> = buf[12..n].iter().map(|&b| ulaw_linear(b)).collect();
                let energy: f32 = samples.iter().map(|&s| (s as f32) * (s as f32)).sum();
                let rms = (energy / samples.len() as f32).sqrt();
                let samples = if keep_samples { samples } else { Vec::new() };
                out.lock().unwrap().push(HeardFrame {
                    at: Instant::now(),
                    rms,
                    samples,
                });
            }
        }
    });
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_round_trip_and_pcap_layout() {
        for s in [-32000i16, -1000, -1, 0, 1, 1000, 32000] {
            let back = ulaw_linear(ulaw(s)) as i32;
            assert!((back - s as i32).abs() <= (s as i32).abs() / 14 + 16, "{s} → {back}");
        }
        let packets = dtmf_packets("1 #", 1000, 101);
        assert_eq!(packets.len(), 16);
        assert_eq!(packets[8].0, 200 + 200 + 1000, "pause after the first key");
        let file = pcap(&packets);
        assert_eq!(&file[..4], &0xa1b2c3d4u32.to_le_bytes());
        assert_eq!(file.len(), 24 + 16 * (16 + 14 + 20 + 8 + 16));
    }
}
