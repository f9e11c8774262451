//! SDP (RFC 4566) as far as an audio-only offer/answer (RFC 3264) needs:
//! a strict line parser, the codec choice and the answer text.

use std::fmt::Write as _;
use std::net::IpAddr;

/// Why an SDP body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad SDP: {0}")]
pub struct SdpError(pub &'static str);

/// Direction attribute of a media line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn attr(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// What we answer to an offered direction (RFC 3264 section 6.1).
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }
}

/// An `rtpmap` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload: u8,
    pub encoding: String,
    pub clock: u32,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: String,
    pub port: u16,
    pub proto: String,
    pub formats: Vec<u8>,
    pub rtpmaps: Vec<RtpMap>,
    pub connection: Option<IpAddr>,
    pub direction: Direction,
    pub ptime: Option<u32>,
}

impl Media {
    /// The encoding of a payload type: the static ones of RFC 3551 or the
    /// `rtpmap`.
    pub fn encoding(&self, pt: u8) -> Option<(String, u32)> {
        if let Some(m) = self.rtpmaps.iter().find(|m| m.payload == pt) {
            return Some((m.encoding.to_ascii_uppercase(), m.clock));
        }
        match pt {
            0 => Some(("PCMU".into(), 8000)),
            8 => Some(("PCMA".into(), 8000)),
            _ => None,
        }
    }
}

/// A parsed session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin_session: String,
    pub connection: Option<IpAddr>,
    pub direction: Direction,
    pub media: Vec<Media>,
}

fn connection(value: &str) -> Result<Option<IpAddr>, SdpError> {
    let parts: Vec<&str> = value.split(' ').collect();
    if parts.len() != 3 || parts[0] != "IN" || !(parts[1] == "IP4" || parts[1] == "IP6") {
        return Err(SdpError("c= line"));
    }
    // Multicast TTL suffixes are not for us.
    let addr: IpAddr = parts[2].parse().map_err(|_| SdpError("c= address"))?;
    Ok(Some(addr))
}

fn direction(attr: &str) -> Option<Direction> {
    match attr {
        "sendrecv" => Some(Direction::SendRecv),
        "sendonly" => Some(Direction::SendOnly),
        "recvonly" => Some(Direction::RecvOnly),
        "inactive" => Some(Direction::Inactive),
        _ => None,
    }
}

impl SessionDescription {
    pub fn parse(body: &[u8]) -> Result<SessionDescription, SdpError> {
        let text = std::str::from_utf8(body).map_err(|_| SdpError("not UTF-8"))?;
        let mut sd = SessionDescription {
            origin_session: String::new(),
            connection: None,
            direction: Direction::SendRecv,
            media: Vec::new(),
        };
        let mut seen_v = false;
        let mut seen_o = false;
        for (i, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let (kind, value) = line.split_once('=').ok_or(SdpError("line without ="))?;
            if kind.len() != 1 || !kind.as_bytes()[0].is_ascii_lowercase() {
                return Err(SdpError("line type"));
            }
            if i == 0 && line != "v=0" {
                return Err(SdpError("must start with v=0"));
            }
            match kind {
                "v" => seen_v = true,
                "o" => {
                    let f: Vec<&str> = value.split(' ').collect();
                    if f.len() != 6 || !f[1].bytes().all(|b| b.is_ascii_digit()) {
                        return Err(SdpError("o= line"));
                    }
                    sd.origin_session = f[1].to_string();
                    seen_o = true;
                }
                "c" => {
                    let c = connection(value)?;
                    match sd.media.last_mut() {
                        Some(m) => m.connection = c,
                        None => sd.connection = c,
                    }
                }
                "m" => {
                    let f: Vec<&str> = value.split(' ').collect();
                    if f.len() < 4 {
                        return Err(SdpError("m= line"));
                    }
                    let port: u16 = f[1]
                        .split('/')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .ok_or(SdpError("m= port"))?;
                    let rtp = f[2].starts_with("RTP/");
                    let formats = if rtp {
                        f[3..]
                            .iter()
                            .map(|p| p.parse::<u8>().ok().filter(|p| *p < 128))
                            .collect::<Option<Vec<u8>>>()
                            .ok_or(SdpError("m= payload type"))?
                    } else {
                        Vec::new()
                    };
                    sd.media.push(Media {
                        kind: f[0].to_string(),
                        port,
                        proto: f[2].to_string(),
                        formats,
                        rtpmaps: Vec::new(),
                        connection: None,
                        direction: sd.direction,
                        ptime: None,
                    });
                }
                "a" => {
                    let (name, val) = value.split_once(':').unwrap_or((value, ""));
                    if let Some(d) = direction(name) {
                        match sd.media.last_mut() {
                            Some(m) => m.direction = d,
                            None => sd.direction = d,
                        }
                    } else if let Some(m) = sd.media.last_mut() {
                        match name {
                            "rtpmap" => {
                                let (pt, enc) = val.split_once(' ').ok_or(SdpError("rtpmap"))?;
                                let pt: u8 = pt.parse().map_err(|_| SdpError("rtpmap payload type"))?;
                                let mut enc_parts = enc.split('/');
                                let encoding = enc_parts.next().unwrap_or("").to_string();
                                let clock: u32 = enc_parts
                                    .next()
                                    .and_then(|c| c.parse().ok())
                                    .ok_or(SdpError("rtpmap clock rate"))?;
                                if encoding.is_empty() {
                                    return Err(SdpError("rtpmap encoding"));
                                }
                                m.rtpmaps.push(RtpMap {
                                    payload: pt,
                                    encoding,
                                    clock,
                                });
                            }
                            "ptime" => m.ptime = val.parse().ok(),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if !seen_v || !seen_o {
            return Err(SdpError("v= and o= are required"));
        }
        for m in &mut sd.media {
            if m.connection.is_none() {
                m.connection = sd.connection;
            }
        }
        Ok(sd)
    }

    /// The first audio section over RTP with a port.
    pub fn audio(&self) -> Option<&Media> {
        self.media
            .iter()
            .find(|m| m.kind == "audio" && m.proto.starts_with("RTP/AVP") && m.port != 0)
    }
}

/// The codecs the dial-in speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
}

impl Codec {
    pub fn payload(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    pub fn parse(name: &str) -> Option<Codec> {
        match name.to_ascii_uppercase().as_str() {
            "PCMU" => Some(Codec::Pcmu),
            "PCMA" => Some(Codec::Pcma),
            _ => None,
        }
    }
}

/// What was agreed for one call's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub codec: Codec,
    /// Payload type of the caller's codec (static, as offered).
    pub payload: u8,
    /// RFC 4733 `telephone-event` payload type, if offered.
    pub dtmf_payload: Option<u8>,
    pub remote: Option<std::net::SocketAddr>,
    /// The caller put us on hold (sendonly/inactive or address 0.0.0.0).
    pub on_hold: bool,
    pub direction: Direction,
}

/// Picks the first of the caller's codecs that we allow (their order
/// wins, RFC 3264 section 6.1). `None`: nothing in common (→ 488).
pub fn negotiate(offer: &SessionDescription, allowed: &[Codec]) -> Option<Negotiated> {
    let audio = offer.audio()?;
    let (payload, codec) = audio.formats.iter().find_map(|&pt| {
        let (enc, clock) = audio.encoding(pt)?;
        let codec = Codec::parse(&enc).filter(|c| clock == 8000 && allowed.contains(c))?;
        Some((pt, codec))
    })?;
    let dtmf_payload = audio.formats.iter().copied().find(|&pt| {
        audio
            .encoding(pt)
            .is_some_and(|(e, c)| e == "TELEPHONE-EVENT" && c == 8000)
    });
    let unspecified = audio.connection.is_some_and(|a| a.is_unspecified());
    let remote = audio
        .connection
        .filter(|a| !a.is_unspecified())
        .map(|a| std::net::SocketAddr::new(a, audio.port));
    Some(Negotiated {
        codec,
        payload,
        dtmf_payload,
        remote,
        on_hold: unspecified || matches!(audio.direction, Direction::SendOnly | Direction::Inactive),
        direction: audio.direction,
    })
}

/// Our side of the session: the answer (or an offer in a 200 to an
/// INVITE without SDP).
pub struct LocalMedia<'a> {
    pub session_id: u64,
    pub version: u64,
    pub address: IpAddr,
    pub port: u16,
    /// Codecs to list, first the chosen one.
    pub codecs: &'a [Codec],
    pub dtmf_payload: Option<u8>,
    pub direction: Direction,
}

impl LocalMedia<'_> {
    pub fn to_sdp(&self) -> String {
        let ip = match self.address {
            IpAddr::V4(_) => "IP4",
            IpAddr::V6(_) => "IP6",
        };
        let mut s = String::new();
        let _ = write!(
            s,
            "v=0\r\no=kontor {} {} IN {ip} {}\r\ns=Kontor\r\nc=IN {ip} {}\r\nt=0 0\r\nm=audio {} RTP/AVP",
            self.session_id, self.version, self.address, self.address, self.port
        );
        for c in self.codecs {
            let _ = write!(s, " {}", c.payload());
        }
        if let Some(pt) = self.dtmf_payload {
            let _ = write!(s, " {pt}");
        }
        s.push_str("\r\n");
        for c in self.codecs {
            let _ = write!(s, "a=rtpmap:{} {}/8000\r\n", c.payload(), c.name());
        }
        if let Some(pt) = self.dtmf_payload {
            let _ = write!(s, "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n");
        }
        let _ = write!(s, "a=ptime:20\r\na={}\r\n", self.direction.attr());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 18 8 0 101\r\na=rtpmap:18 G729/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n";

    #[test]
    fn picks_the_callers_first_common_codec() {
        let sd = SessionDescription::parse(OFFER.as_bytes()).unwrap();
        let n = negotiate(&sd, &[Codec::Pcmu, Codec::Pcma]).unwrap();
        assert_eq!(n.codec, Codec::Pcma);
        assert_eq!(n.dtmf_payload, Some(101));
        assert_eq!(n.remote, Some("127.0.0.1:6000".parse().unwrap()));
        assert!(!n.on_hold);
        assert_eq!(negotiate(&sd, &[Codec::Pcmu]).unwrap().codec, Codec::Pcmu);
        let g729_only = OFFER.replace("18 8 0 101", "18");
        let sd = SessionDescription::parse(g729_only.as_bytes()).unwrap();
        assert!(negotiate(&sd, &[Codec::Pcmu, Codec::Pcma]).is_none());
    }

    #[test]
    fn hold_and_errors() {
        let hold = format!("{OFFER}a=sendonly\r\n");
        let sd = SessionDescription::parse(hold.as_bytes()).unwrap();
        assert!(negotiate(&sd, &[Codec::Pcmu]).unwrap().on_hold);
        let zero = OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
        let n = negotiate(&SessionDescription::parse(zero.as_bytes()).unwrap(), &[Codec::Pcmu]).unwrap();
        assert!(n.on_hold && n.remote.is_none());
        for bad in [
            "",
            "o=x 1 1 IN IP4 1.2.3.4\r\n",
            "v=0\r\nm=audio 6000 RTP/AVP 0\r\n",
            "v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 999.1.1.1\r\n",
            "v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n",
            "v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 300\r\n",
            "v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nxx=1\r\n",
        ] {
            assert!(SessionDescription::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn answer_round_trips() {
        let local = LocalMedia {
            session_id: 7,
            version: 2,
            address: "127.0.0.1".parse().unwrap(),
            port: 20000,
            codecs: &[Codec::Pcma],
            dtmf_payload: Some(101),
            direction: Direction::SendRecv,
        };
        let sd = SessionDescription::parse(local.to_sdp().as_bytes()).unwrap();
        let n = negotiate(&sd, &[Codec::Pcma]).unwrap();
        assert_eq!(n.remote, Some("127.0.0.1:20000".parse().unwrap()));
        assert_eq!(n.dtmf_payload, Some(101));
    }
}
