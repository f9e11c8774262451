//! Key presses: RFC 4733 telephone-events from RTP, and in-band tones
//! found in the audio by Goertzel filters (for trunks that do not send
//! events).

use super::jitter::FRAME;

/// The key of RFC 4733 event codes 0–15.
pub fn event_key(event: u8) -> Option<char> {
    "0123456789*#ABCD".chars().nth(event as usize)
}

/// Turns RFC 4733 packets into one key press each: an event is repeated
/// in several packets (same RTP timestamp; the end packet three times),
/// the key counts once, at its first packet.
#[derive(Default)]
pub struct EventReceiver {
    last: Option<(u32, u8)>,
    /// An event was seen: the caller's trunk sends events, so in-band
    /// detection is switched off (no double keys).
    pub seen: bool,
}

impl EventReceiver {
    pub fn receive(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        if payload.len() < 4 {
            return None;
        }
        let event = payload[0];
        let key = event_key(event)?;
        self.seen = true;
        if self.last == Some((timestamp, event)) {
            return None;
        }
        self.last = Some((timestamp, event));
        Some(key)
    }
}

/// Power of `freq` in a frame, by the Goertzel algorithm.
pub fn goertzel(samples: &[i16], freq: f32, rate: f32) -> f32 {
    let coeff = 2.0 * (2.0 * std::f32::consts::PI * freq / rate).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = x as f32 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// The DTMF key sounding in one 20 ms frame, if any: one row and one
/// column tone clearly above the others and together most of the energy.
pub fn frame_key(frame: &[i16]) -> Option<char> {
    let energy: f32 = frame.iter().map(|&x| (x as f32) * (x as f32)).sum();
    // Quieter than about -40 dBFS: no key.
    if energy < (FRAME as f32) * 330.0 * 330.0 {
        return None;
    }
    let rows: Vec<f32> = ROWS.iter().map(|&f| goertzel(frame, f, 8000.0)).collect();
    let cols: Vec<f32> = COLS.iter().map(|&f| goertzel(frame, f, 8000.0)).collect();
    let best = |v: &[f32]| {
        let (i, max) = v
            .iter()
            .enumerate()
            .fold((0, 0.0f32), |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc });
        let others = v
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, &p)| p)
            .fold(0.0f32, f32::max);
        (i, max, others)
    };
    let (r, rp, ro) = best(&rows);
    let (c, cp, co) = best(&cols);
    // A pure tone of amplitude A gives Goertzel power ≈ (A·N/2)²; the
    // frame's energy is ≈ N·A²/2 per tone: tones dominate when
    // power ≈ energy·N/2.
    let share = (rp + cp) / (energy * FRAME as f32 / 2.0);
    let clear = rp > 8.0 * ro && cp > 8.0 * co;
    // Twist: the two tones within 8 dB of each other.
    let twist = rp.max(cp) / rp.min(cp).max(1.0) < 6.3;
    (share > 0.6 && clear && twist).then(|| KEYS[r][c])
}

/// Debounces in-band keys: a key counts once it sounded in two frames in
/// a row, and again only after a frame without it.
#[derive(Default)]
pub struct InbandDetector {
    candidate: Option<char>,
    reported: Option<char>,
}

impl InbandDetector {
    pub fn frame(&mut self, frame: &[i16]) -> Option<char> {
        let key = frame_key(frame);
        let out = match key {
            Some(k) if self.candidate == Some(k) && self.reported != Some(k) => {
                self.reported = Some(k);
                Some(k)
            }
            _ => None,
        };
        if key.is_none() {
            self.reported = None;
        }
        self.candidate = key;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn tone(freqs: &[f32], amp: f32, start: usize) -> Vec<i16> {
        (start..start + FRAME)
            .map(|n| {
                freqs
                    .iter()
                    .map(|f| amp * (2.0 * std::f32::consts::PI * f * n as f32 / 8000.0).sin())
                    .sum::<f32>() as i16
            })
            .collect()
    }

    #[test]
    fn events_count_once() {
        let mut rx = EventReceiver::default();
        assert_eq!(rx.receive(100, &[5, 10, 0, 160]), Some('5'));
        assert_eq!(rx.receive(100, &[5, 10, 1, 64]), None);
        assert_eq!(rx.receive(100, &[5, 0x8a, 3, 32]), None, "end packet");
        assert_eq!(rx.receive(100, &[5, 0x8a, 3, 32]), None, "its repetition");
        assert_eq!(rx.receive(900, &[11, 10, 0, 160]), Some('#'));
        assert_eq!(rx.receive(1700, &[11, 10, 0, 160]), Some('#'), "same key again");
        assert_eq!(rx.receive(2500, &[16, 10, 0, 160]), None, "not a key");
        assert!(rx.seen);
    }

    #[test]
    fn inband_keys_are_found_and_debounced() {
        for (r, row) in ROWS.iter().enumerate() {
            for (c, col) in COLS.iter().enumerate() {
                let frame = tone(&[*row, *col], 6000.0, 0);
                assert_eq!(frame_key(&frame), Some(KEYS[r][c]));
            }
        }
        assert_eq!(frame_key(&tone(&[440.0], 8000.0, 0)), None, "a single tone");
        assert_eq!(frame_key(&tone(&[697.0, 1209.0], 20.0, 0)), None, "too quiet");
        assert_eq!(
            frame_key(&tone(&[440.0, 697.0, 1209.0, 2000.0], 6000.0, 0)),
            None,
            "speech-like mix"
        );
        let mut d = InbandDetector::default();
        let five = |i| tone(&[770.0, 1336.0], 6000.0, i * FRAME);
        assert_eq!(d.frame(&five(0)), None);
        assert_eq!(d.frame(&five(1)), Some('5'));
        assert_eq!(d.frame(&five(2)), None, "held key counts once");
        assert_eq!(d.frame(&vec![0; FRAME]), None);
        assert_eq!(d.frame(&five(3)), None);
        assert_eq!(d.frame(&five(4)), Some('5'));
    }
}
