//! The operator's settings of the dial-in, parsed and checked at start.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sip::sdp::Codec;

use crate::media::sound::Lang;

/// A dial-in number and the language its callers hear first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialInNumber {
    /// As shown to users, e.g. "+49 30 1234 5678".
    pub display: String,
    pub digits: String,
    pub lang: Lang,
}

/// An allowed trunk: an address with a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Net {
    /// `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    pub fn parse(s: &str) -> Option<Net> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Net { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Everything the dial-in needs to run.
#[derive(Debug, Clone)]
pub struct PhoneConfig {
    /// Where SIP listens (UDP).
    pub listen: SocketAddr,
    /// The address put into SDP and Contact (where callers send media).
    pub public_ip: IpAddr,
    /// Sources accepted without authentication.
    pub trunks: Vec<Net>,
    /// Digest credentials for trunks from other addresses.
    pub digest: Option<(String, String)>,
    pub realm: String,
    /// Codecs in our order of preference.
    pub codecs: Vec<Codec>,
    pub rtp_ports: (u16, u16),
    pub numbers: Vec<DialInNumber>,
    /// How long the phone rings before the menu answers.
    pub ring: Duration,
}

impl PhoneConfig {
    /// `"+49 30 1234 5678, +44 20 7946 0958 (en)"`: numbers as shown,
    /// each with an optional language; the first one is German unless
    /// marked.
    pub fn parse_numbers(s: &str) -> Result<Vec<DialInNumber>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (display, lang) = match part.rsplit_once('(') {
                Some((d, l)) => {
                    let code = l.trim_end_matches(')');
                    let lang = Lang::parse(code).ok_or_else(|| format!("{part:?}: language must be (de) or (en)"))?;
                    (d.trim(), lang)
                }
                None => (part, Lang::De),
            };
            let digits: String = display.chars().filter(|c| c.is_ascii_digit()).collect();
            let valid = display.chars().all(|c| c.is_ascii_digit() || " +-/()".contains(c));
            if digits.len() < 3 || !valid {
                return Err(format!("{display:?} is not a phone number"));
            }
            out.push(DialInNumber {
                display: display.to_string(),
                digits,
                lang,
            });
        }
        Ok(out)
    }

    /// `"PCMU,PCMA"`.
    pub fn parse_codecs(s: &str) -> Result<Vec<Codec>, String> {
        let codecs: Vec<Codec> = s
            .split(',')
            .map(|c| Codec::parse(c.trim()).ok_or_else(|| format!("unknown codec {c:?} (PCMU, PCMA)")))
            .collect::<Result<_, _>>()?;
        if codecs.is_empty() {
            return Err("at least one codec".into());
        }
        Ok(codecs)
    }

    /// `"20000-20999"`.
    pub fn parse_ports(s: &str) -> Result<(u16, u16), String> {
        let (a, b) = s.split_once('-').ok_or("RTP ports as FIRST-LAST, e.g. 20000-20999")?;
        let (a, b): (u16, u16) = (
            a.trim().parse().map_err(|_| "bad first RTP port")?,
            b.trim().parse().map_err(|_| "bad last RTP port")?,
        );
        if a < 1024 || b < a + 3 {
            return Err("RTP ports: at least 4 ports above 1023".into());
        }
        Ok((a, b))
    }

    /// `"127.0.0.1, 10.0.0.0/8"`.
    pub fn parse_trunks(s: &str) -> Result<Vec<Net>, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Net::parse(p).ok_or_else(|| format!("{p:?} is not an address or network")))
            .collect()
    }

    /// The language for a dialed number (the Request-URI's user part):
    /// the configured number it matches, by its trailing digits.
    pub fn lang_for(&self, dialed: &str) -> Lang {
        let digits: String = dialed.chars().filter(|c| c.is_ascii_digit()).collect();
        let matches = |n: &DialInNumber| {
            !digits.is_empty() && (n.digits.ends_with(&digits) && digits.len() >= 4 || digits.ends_with(&n.digits))
        };
        self.numbers
            .iter()
            .find(|n| matches(n))
            .or(self.numbers.first())
            .map(|n| n.lang)
            .unwrap_or(Lang::De)
    }

    /// The numbers as users see them.
    pub fn display(&self) -> String {
        self.numbers
            .iter()
            .map(|n| match (self.numbers.len(), n.lang) {
                (1, _) => n.display.clone(),
                (_, Lang::De) => format!("{} (Deutsch)", n.display),
                (_, Lang::En) => format!("{} (English)", n.display),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_languages_and_networks() {
        let numbers = PhoneConfig::parse_numbers("+49 30 1234 5678, +44 20 7946 0958 (en)").unwrap();
        assert_eq!(numbers[0].digits, "493012345678");
        assert_eq!(numbers[1].lang, Lang::En);
        assert!(PhoneConfig::parse_numbers("abc").is_err());
        assert!(PhoneConfig::parse_numbers("+49 30 1 (fr)").is_err());
        let cfg = PhoneConfig {
            listen: "127.0.0.1:5060".parse().unwrap(),
            public_ip: "127.0.0.1".parse().unwrap(),
            trunks: PhoneConfig::parse_trunks("127.0.0.1, 10.0.0.0/8, fd00::/8").unwrap(),
            digest: None,
            realm: "kontor".into(),
            codecs: PhoneConfig::parse_codecs("PCMU, pcma").unwrap(),
            rtp_ports: PhoneConfig::parse_ports("20000-20999").unwrap(),
            numbers,
            ring: Duration::ZERO,
        };
        assert_eq!(cfg.lang_for("+442079460958"), Lang::En);
        assert_eq!(cfg.lang_for("79460958"), Lang::En, "trailing digits");
        assert_eq!(cfg.lang_for("0049301234 5678"), Lang::De);
        assert_eq!(cfg.lang_for("999"), Lang::De, "unknown: the first number's");
        assert_eq!(cfg.display(), "+49 30 1234 5678 (Deutsch), +44 20 7946 0958 (English)");
        assert!(cfg.trunks.iter().any(|t| t.contains("10.1.2.3".parse().unwrap())));
        assert!(!cfg.trunks.iter().any(|t| t.contains("11.1.2.3".parse().unwrap())));
        assert!(cfg
            .trunks
            .iter()
            .any(|t| t.contains("::ffff:127.0.0.1".parse().unwrap())));
        assert!(cfg.trunks.iter().any(|t| t.contains("fd12::1".parse().unwrap())));
        assert!(PhoneConfig::parse_trunks("10.0.0.0/33").is_err());
        assert!(PhoneConfig::parse_ports("5-6").is_err());
        assert!(PhoneConfig::parse_codecs("G729").is_err());
    }
}
