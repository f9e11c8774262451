//! RTP (RFC 3550) packets: header parsing and building, and the sender
//! reports of RTCP.

/// A received RTP packet, borrowing its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parses a datagram; `None` for anything that is not RTP version 2
    /// with a consistent length (RTCP on the same port included).
    pub fn parse(data: &'a [u8]) -> Option<RtpPacket<'a>> {
        if data.len() < 12 || data[0] >> 6 != 2 {
            return None;
        }
        let padding = data[0] & 0x20 != 0;
        let extension = data[0] & 0x10 != 0;
        let csrcs = (data[0] & 0x0F) as usize;
        let payload_type = data[1] & 0x7F;
        // 72–76 are RTCP packet types (RFC 5761).
        if (72..=76).contains(&payload_type) {
            return None;
        }
        let mut start = 12 + 4 * csrcs;
        if extension {
            let len = u16::from_be_bytes([*data.get(start + 2)?, *data.get(start + 3)?]) as usize;
            start += 4 + 4 * len;
        }
        let mut end = data.len();
        if padding {
            let pad = *data.last()? as usize;
            end = end.checked_sub(pad)?;
        }
        let payload = data.get(start..end)?;
        Some(RtpPacket {
            marker: data[1] & 0x80 != 0,
            payload_type,
            seq: u16::from_be_bytes([data[2], data[3]]),
            timestamp: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
            ssrc: u32::from_be_bytes([data[8], data[9], data[10], data[11]]),
            payload,
        })
    }
}

/// Writes an RTP header and payload into `out` (cleared first).
pub fn write(out: &mut Vec<u8>, marker: bool, pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) {
    out.clear();
    out.push(0x80);
    out.push(if marker { 0x80 | pt } else { pt });
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ts.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

/// An RTCP sender report without report blocks, plus an SDES CNAME
/// (a compound packet, RFC 3550 section 6.1).
pub fn sender_report(ssrc: u32, ntp: u64, rtp_ts: u32, packets: u32, octets: u32, cname: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&[0x80, 200, 0, 6]);
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&ntp.to_be_bytes());
    out.extend_from_slice(&rtp_ts.to_be_bytes());
    out.extend_from_slice(&packets.to_be_bytes());
    out.extend_from_slice(&octets.to_be_bytes());
    let cname = &cname.as_bytes()[..cname.len().min(255)];
    // SDES: one chunk, CNAME item, end, padded to 32 bits.
    let chunk_len = 4 + 2 + cname.len() + 1;
    let padded = chunk_len.div_ceil(4) * 4;
    out.extend_from_slice(&[0x81, 202]);
    out.extend_from_slice(&((padded / 4) as u16).to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.push(1);
    out.push(cname.len() as u8);
    out.extend_from_slice(cname);
    out.resize(out.len() + padded - chunk_len + 1, 0);
    out
}

/// What an incoming RTCP compound packet reported about our stream:
/// fraction lost (0–255) and interarrival jitter, from the first report
/// block.
pub fn report_block(data: &[u8]) -> Option<(u8, u32)> {
    if data.len() < 8 || data[0] >> 6 != 2 {
        return None;
    }
    let count = (data[0] & 0x1F) as usize;
    let first = match data[1] {
        200 => 28,
        201 => 8,
        _ => return None,
    };
    if count == 0 || data.len() < first + 24 {
        return None;
    }
    let block = &data[first..first + 24];
    Some((
        block[4],
        u32::from_be_bytes([block[12], block[13], block[14], block[15]]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses() {
        let mut buf = Vec::new();
        write(&mut buf, true, 8, 65535, 160, 0xdead_beef, &[1, 2, 3]);
        let p = RtpPacket::parse(&buf).unwrap();
        assert!(p.marker);
        assert_eq!(
            (p.payload_type, p.seq, p.timestamp, p.ssrc),
            (8, 65535, 160, 0xdead_beef)
        );
        assert_eq!(p.payload, &[1, 2, 3]);
        // CSRC, extension and padding are skipped.
        let mut ext = vec![
            0xB1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 0xbe, 0xde, 0, 1, 7, 7, 7, 7,
        ];
        ext.extend_from_slice(&[5, 6, 0, 2]);
        assert_eq!(RtpPacket::parse(&ext).unwrap().payload, &[5, 6]);
        assert!(RtpPacket::parse(&[0x80, 200, 0, 1]).is_none());
        let sr = sender_report(1, 2, 3, 4, 5, "kontor");
        assert!(RtpPacket::parse(&sr).is_none(), "RTCP is not taken for RTP");
        assert_eq!(sr.len() % 4, 0);
        assert_eq!(report_block(&sr), None, "no report block");
    }
}
