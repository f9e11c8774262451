//! What callers hear besides each other: the voice prompts (WAV assets
//! made by `assets/prompts/make.sh`) and the hold music, a soft tune
//! synthesized here.

use std::sync::{Arc, OnceLock};

use super::jitter::FRAME;

/// The menu's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::De => Lang::En,
            Lang::En => Lang::De,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }
}

macro_rules! prompts {
    ($($key:ident),* $(,)?) => {
        /// The voice prompts (assets/prompts/prompts.tsv).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum Prompt { $($key),* }

        impl Prompt {
            pub const ALL: &'static [Prompt] = &[$(Prompt::$key),*];

            fn wav(self, lang: Lang) -> &'static [u8] {
                match (self, lang) {
                    $(
                        (Prompt::$key, Lang::De) => include_bytes!(concat!("../../assets/prompts/de/", stringify!($key), ".wav")),
                        (Prompt::$key, Lang::En) => include_bytes!(concat!("../../assets/prompts/en/", stringify!($key), ".wav")),
                    )*
                }
            }
        }
    };
}

prompts!(
    welcome,
    enter_room,
    enter_pin,
    wrong,
    too_many,
    throttled,
    waiting,
    joined,
    locked,
    ended,
    removed,
    host_left,
    muted,
    unmuted,
    not_available,
    goodbye,
);

/// The samples of a 16-bit mono PCM WAV file (its `data` chunk).
pub fn wav_samples(bytes: &[u8]) -> Option<Vec<i16>> {
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().ok()?) as usize;
        let body = bytes.get(pos + 8..(pos + 8 + len).min(bytes.len()))?;
        if id == b"fmt " {
            let format = u16::from_le_bytes([*body.first()?, *body.get(1)?]);
            let channels = u16::from_le_bytes([*body.get(2)?, *body.get(3)?]);
            let rate = u32::from_le_bytes(body.get(4..8)?.try_into().ok()?);
            let bits = u16::from_le_bytes([*body.get(14)?, *body.get(15)?]);
            if (format, channels, rate, bits) != (1, 1, 8000, 16) {
                return None;
            }
        } else if id == b"data" {
            return Some(body.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect());
        }
        pos += 8 + len + (len & 1);
    }
    None
}

/// A prompt's samples (decoded once).
pub fn prompt(p: Prompt, lang: Lang) -> Arc<[i16]> {
    type Decoded = Vec<(Prompt, Lang, Arc<[i16]>)>;
    static CACHE: OnceLock<Decoded> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        Prompt::ALL
            .iter()
            .flat_map(|&p| [Lang::De, Lang::En].map(|l| (p, l)))
            .map(|(p, l)| {
                let samples = wav_samples(p.wav(l)).unwrap_or_default();
                (p, l, Arc::from(samples))
            })
            .collect()
    });
    cache
        .iter()
        .find(|(q, l, _)| *q == p && *l == lang)
        .map(|(_, _, s)| s.clone())
        .unwrap_or_else(|| Arc::from(Vec::new()))
}

/// The hold music: a calm broken-chord loop (C major, A minor, F major,
/// G major) of soft sine notes with a gentle attack and decay, about
/// -22 dBFS, 9.6 s long.
pub fn hold_music() -> Arc<[i16]> {
    static MUSIC: OnceLock<Arc<[i16]>> = OnceLock::new();
    MUSIC
        .get_or_init(|| {
            const CHORDS: [[f32; 4]; 4] = [
                [261.63, 329.63, 392.00, 523.25],
                [220.00, 261.63, 329.63, 440.00],
                [174.61, 220.00, 261.63, 349.23],
                [196.00, 246.94, 293.66, 392.00],
            ];
            let note = 4800; // 0.6 s per note
            let mut out = Vec::with_capacity(CHORDS.len() * 4 * note);
            for chord in CHORDS {
                for &f in &chord {
                    for n in 0..note {
                        let t = n as f32 / 8000.0;
                        let attack = (n as f32 / 400.0).min(1.0);
                        let decay = (-(t * 2.2)).exp();
                        let release = ((note - n) as f32 / 400.0).min(1.0);
                        let tone = (2.0 * std::f32::consts::PI * f * t).sin()
                            + 0.25 * (4.0 * std::f32::consts::PI * f * t).sin();
                        out.push((2600.0 * tone * attack * decay * release) as i16);
                    }
                }
            }
            Arc::from(out)
        })
        .clone()
}

/// Plays a queue of sounds frame by frame.
#[derive(Default)]
pub struct Player {
    queue: std::collections::VecDeque<Arc<[i16]>>,
    pos: usize,
}

impl Player {
    pub fn play(&mut self, sound: Arc<[i16]>) {
        self.queue.push_back(sound);
    }

    /// Stops what is playing and drops the queue (a key press cuts a prompt).
    pub fn stop(&mut self) {
        self.queue.clear();
        self.pos = 0;
    }

    pub fn is_playing(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The next frame, padded with silence at the end of a sound; `false`
    /// when nothing is queued.
    pub fn next(&mut self, out: &mut [i16; FRAME]) -> bool {
        let Some(sound) = self.queue.front() else {
            return false;
        };
        let end = (self.pos + FRAME).min(sound.len());
        let n = end - self.pos;
        out[..n].copy_from_slice(&sound[self.pos..end]);
        out[n..].fill(0);
        self.pos = end;
        if self.pos >= sound.len() {
            self.queue.pop_front();
            self.pos = 0;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_is_there_in_both_languages() {
        for &p in Prompt::ALL {
            for lang in [Lang::De, Lang::En] {
                let s = prompt(p, lang);
                assert!(s.len() > 4000, "{p:?} {lang:?}: {} samples", s.len());
                assert!(s.iter().any(|&x| x.abs() > 10000), "{p:?} {lang:?} is audible");
            }
        }
        assert_ne!(prompt(Prompt::welcome, Lang::De), prompt(Prompt::welcome, Lang::En));
    }

    #[test]
    fn player_plays_in_order_and_stops() {
        let mut p = Player::default();
        let mut out = [0i16; FRAME];
        assert!(!p.next(&mut out));
        p.play(Arc::from(vec![1i16; FRAME + 10]));
        p.play(Arc::from(vec![2i16; 5]));
        assert!(p.next(&mut out) && out[0] == 1);
        assert!(p.next(&mut out) && out[9] == 1 && out[10] == 0);
        assert!(p.next(&mut out) && out[0] == 2 && out[5] == 0);
        assert!(!p.next(&mut out));
        p.play(hold_music());
        p.stop();
        assert!(!p.is_playing());
        let music = hold_music();
        assert_eq!(music.len(), 16 * 4800);
        assert!(music.iter().all(|&s| s.abs() < 8000), "soft");
    }
}
