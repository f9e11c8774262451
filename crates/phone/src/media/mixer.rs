//! Conference audio: every member hears the sum of all others, not
//! themselves. Sums are taken in 32 bits and brought back into 16 bits by
//! a soft limiter (no wrap-around, no hard clipping while a few talk at
//! once); quiet lines are gated so N open microphones do not add up to
//! hiss; and each member's voice fades in and out over one frame, so
//! joins, leaves, mutes and lost packets make no clicks.

use super::jitter::FRAME;

/// Below this RMS (about -55 dBFS) a frame counts as silence.
const GATE_RMS: f32 = 60.0;
/// Where the limiter starts bending (0.75 of full scale).
const KNEE: i32 = 24_576;
const HEADROOM: i32 = 32_767 - KNEE;

/// Brings a 32-bit sum into 16 bits: linear up to the knee, then a
/// curve that approaches full scale and never reaches it.
pub fn limit(x: i32) -> i16 {
    let a = x.abs();
    if a <= KNEE {
        return x as i16;
    }
    let over = (a - KNEE) as i64;
    let y = KNEE as i64 + over * HEADROOM as i64 / (over + HEADROOM as i64);
    (if x < 0 { -y } else { y }) as i16
}

/// Whether a frame is above the noise gate.
pub fn audible(frame: &[i16]) -> bool {
    let energy: i64 = frame.iter().map(|&s| s as i64 * s as i64).sum();
    energy as f32 > GATE_RMS * GATE_RMS * frame.len() as f32
}

/// One member's input to a tick.
pub struct Input<'a> {
    /// This tick's frame (`None`: nothing arrived, muted, or on hold).
    pub frame: Option<&'a [i16]>,
}

/// A member's fade state, kept by the caller between ticks.
#[derive(Debug, Clone, Default)]
pub struct Voice {
    /// Gain at the end of the last tick (0.0–1.0).
    gain: f32,
    /// The last frame heard, faded out when the voice stops.
    last: Option<Box<[i16]>>,
}

impl Voice {
    /// This tick's contribution into `out` (added), fading between the
    /// previous gain and the new one. Returns whether anything was added.
    fn contribute(&mut self, frame: Option<&[i16]>, out: &mut [i32; FRAME]) -> bool {
        let frame = frame.filter(|f| f.len() == FRAME && audible(f));
        let target = if frame.is_some() { 1.0 } else { 0.0 };
        let from = self.gain;
        self.gain = target;
        if from == 0.0 && target == 0.0 {
            self.last = None;
            return false;
        }
        let source: &[i16] = match (frame, &self.last) {
            (Some(f), _) => f,
            (None, Some(last)) => last,
            (None, None) => return false,
        };
        if from == target {
            for (o, &s) in out.iter_mut().zip(source) {
                *o += s as i32;
            }
        } else {
            let step = (target - from) / FRAME as f32;
            for (i, (o, &s)) in out.iter_mut().zip(source).enumerate() {
                *o += (s as f32 * (from + step * (i + 1) as f32)) as i32;
            }
        }
        if let Some(f) = frame {
            match &mut self.last {
                Some(last) => last.copy_from_slice(f),
                None => self.last = Some(f.into()),
            }
        }
        true
    }
}

/// Mixes one tick of one room. `voices[i]` is member i's fade state and
/// `own[i]` receives what was added for them (to be taken out of their
/// own mix); `outputs[i]` gets member i's mix.
pub struct RoomMix {
    total: [i32; FRAME],
    own: Vec<[i32; FRAME]>,
    spoke: Vec<bool>,
}

impl Default for RoomMix {
    fn default() -> Self {
        RoomMix {
            total: [0; FRAME],
            own: Vec::new(),
            spoke: Vec::new(),
        }
    }
}

impl RoomMix {
    /// Mixes: `inputs[i]` and `voices[i]` belong to the same member; the
    /// result for member i is written to `outputs[i]`.
    pub fn mix(&mut self, voices: &mut [Voice], inputs: &[Input], outputs: &mut [[i16; FRAME]]) {
        let n = voices.len();
        self.total = [0; FRAME];
        self.own.resize(n, [0; FRAME]);
        self.spoke.resize(n, false);
        for i in 0..n {
            let own = &mut self.own[i];
            *own = [0; FRAME];
            self.spoke[i] = voices[i].contribute(inputs[i].frame, own);
            if self.spoke[i] {
                for (t, o) in self.total.iter_mut().zip(own.iter()) {
                    *t += o;
                }
            }
        }
        for (i, out) in outputs.iter_mut().enumerate().take(n) {
            if self.spoke[i] {
                for ((o, t), s) in out.iter_mut().zip(&self.total).zip(&self.own[i]) {
                    *o = limit(t - s);
                }
            } else {
                for (o, t) in out.iter_mut().zip(&self.total) {
                    *o = limit(*t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f32, amp: f32) -> Vec<i16> {
        (0..FRAME)
            .map(|n| (amp * (2.0 * std::f32::consts::PI * freq * n as f32 / 8000.0).sin()) as i16)
            .collect()
    }

    #[test]
    fn everyone_hears_the_others_but_not_themselves() {
        let a = tone(400.0, 8000.0);
        let b = tone(1000.0, 8000.0);
        let mut voices = vec![Voice::default(); 3];
        let mut outputs = vec![[0i16; FRAME]; 3];
        let mut mix = RoomMix::default();
        let inputs = [
            Input { frame: Some(&a) },
            Input { frame: Some(&b) },
            Input { frame: None },
        ];
        // First tick fades in; the second is steady.
        mix.mix(&mut voices, &inputs, &mut outputs);
        mix.mix(&mut voices, &inputs, &mut outputs);
        assert_eq!(&outputs[0][..], &b[..], "A hears B only");
        assert_eq!(&outputs[1][..], &a[..], "B hears A only");
        let both: Vec<i16> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        assert_eq!(&outputs[2][..], &both[..], "C hears both");
    }

    #[test]
    fn joins_and_leaves_fade_without_a_jump() {
        let a = tone(300.0, 20000.0);
        let mut voices = vec![Voice::default(); 2];
        let mut outputs = vec![[0i16; FRAME]; 2];
        let mut mix = RoomMix::default();
        mix.mix(
            &mut voices,
            &[Input { frame: Some(&a) }, Input { frame: None }],
            &mut outputs,
        );
        // The first samples of a join are near zero, the ramp is smooth.
        assert!(outputs[1][0].abs() < 400);
        mix.mix(
            &mut voices,
            &[Input { frame: None }, Input { frame: None }],
            &mut outputs,
        );
        assert!(outputs[1][FRAME - 1].abs() < 400, "faded out at the end");
        let max_step = outputs[1]
            .windows(2)
            .map(|w| (w[1] as i32 - w[0] as i32).abs())
            .max()
            .unwrap();
        // Never steeper than the tone itself (20000 · 2π · 300 / 8000 ≈ 4712).
        assert!(max_step <= 4712, "no click: {max_step}");
        mix.mix(
            &mut voices,
            &[Input { frame: None }, Input { frame: None }],
            &mut outputs,
        );
        assert!(outputs[1].iter().all(|&s| s == 0), "then silence");
    }

    #[test]
    fn loud_sums_are_limited_not_wrapped_and_quiet_lines_gated() {
        let loud = vec![30000i16; FRAME];
        let hiss = vec![20i16; FRAME];
        assert!(!audible(&hiss));
        let mut voices = vec![Voice::default(); 4];
        let mut outputs = vec![[0i16; FRAME]; 4];
        let mut mix = RoomMix::default();
        let inputs = [
            Input { frame: Some(&loud) },
            Input { frame: Some(&loud) },
            Input { frame: Some(&loud) },
            Input { frame: Some(&hiss) },
        ];
        mix.mix(&mut voices, &inputs, &mut outputs);
        mix.mix(&mut voices, &inputs, &mut outputs);
        assert!(
            outputs[3].iter().all(|&s| s > 30000 && s < 32767),
            "limited: {}",
            outputs[3][0]
        );
        assert!(outputs[0].iter().all(|&s| s > 29000), "two others, positive");
        assert_eq!(limit(-100_000), -limit(100_000));
        assert_eq!(limit(1000), 1000);
        assert!(limit(i32::MAX / 2) < i16::MAX);
    }
}
