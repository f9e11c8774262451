//! G.711 µ-law (PCMU) and A-law (PCMA), ITU-T G.711: 8-bit companded
//! samples to and from 16-bit linear PCM.

use sip::sdp::Codec;

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

pub fn ulaw_encode(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(ULAW_CLIP) + ULAW_BIAS;
    let mut exponent = 7;
    while exponent > 0 && s & (0x80 << exponent) == 0 {
        exponent -= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) | mantissa) as u8
}

pub fn ulaw_decode(u: u8) -> i16 {
    let u = !u;
    let exponent = ((u >> 4) & 0x07) as i32;
    let mantissa = (u & 0x0F) as i32;
    let s = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    if u & 0x80 != 0 {
        -s as i16
    } else {
        s as i16
    }
}

pub fn alaw_encode(sample: i16) -> u8 {
    let mut pcm = (sample as i32) >> 3;
    let mask = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    // The segment: position of the highest bit above the 5 lowest.
    let seg = (0..8).find(|&seg| pcm <= (0x1F << seg) | ((1 << seg) - 1)).unwrap_or(8);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut aval = seg << 4;
    aval |= if seg < 2 {
        (pcm >> 1) & 0x0F
    } else {
        (pcm >> seg) & 0x0F
    };
    (aval ^ mask) as u8
}

pub fn alaw_decode(a: u8) -> i16 {
    let a = (a ^ 0x55) as i32;
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => t = (t + 0x108) << (seg - 1),
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

/// Decodes a payload into `out` (cleared first).
pub fn decode(codec: Codec, payload: &[u8], out: &mut Vec<i16>) {
    out.clear();
    match codec {
        Codec::Pcmu => out.extend(payload.iter().map(|&b| ulaw_decode(b))),
        Codec::Pcma => out.extend(payload.iter().map(|&b| alaw_decode(b))),
    }
}

/// Encodes samples, appending to `out`.
pub fn encode(codec: Codec, samples: &[i16], out: &mut Vec<u8>) {
    match codec {
        Codec::Pcmu => out.extend(samples.iter().map(|&s| ulaw_encode(s))),
        Codec::Pcma => out.extend(samples.iter().map(|&s| alaw_encode(s))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_within_the_step_size() {
        for s in (-32768i32..=32767).step_by(7) {
            let s = s as i16;
            for (enc, dec) in [
                (ulaw_encode as fn(i16) -> u8, ulaw_decode as fn(u8) -> i16),
                (alaw_encode, alaw_decode),
            ] {
                let back = dec(enc(s)) as i32;
                let err = (back - s as i32).abs();
                // Logarithmic steps: about 1/16 of the magnitude, at least 16.
                let allowed = ((s as i32).abs() / 14).max(16);
                assert!(err <= allowed, "{s} -> {back}");
            }
        }
        // Every code decodes to a value that encodes back to the same code.
        for code in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(code)), code);
            let u = ulaw_encode(ulaw_decode(code));
            assert!(u == code || ulaw_decode(u) == ulaw_decode(code), "µ-law has two zeros");
        }
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(alaw_encode(0), 0xD5);
    }
}
