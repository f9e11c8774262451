//! The playout buffer between a caller's RTP packets and the 20 ms mixer
//! tick: puts frames back in sequence order, drops duplicates and frames
//! that come after their turn, waits (rather than skipping) when the
//! stream merely runs a little late, and sheds frames when it ran ahead,
//! so the delay stays around one frame.

use std::collections::VecDeque;

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

/// Frames held at most; more means the sender is far ahead (burst after
/// a stall) and the oldest go.
const MAX_DEPTH: usize = 6;
/// A frame is shed when, over this many ticks, the next frame was always
/// already waiting after a pop: the stream runs a frame ahead of the
/// clock for good (e.g. after a stall), which is needless delay.
const SHED_AFTER: u32 = 50;
/// A jump this far in sequence numbers is a new stream, not loss.
const RESYNC: i32 = 100;

/// Counters for monitoring and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    pub received: u64,
    /// Arrived after their turn was taken (played as loss).
    pub late: u64,
    pub duplicates: u64,
    /// Dropped to keep the delay down.
    pub shed: u64,
    /// Turns with nothing to play.
    pub missing: u64,
}

pub struct JitterBuffer {
    /// Slot 0 is the frame to play next (`next_seq`).
    slots: VecDeque<Option<Box<[i16]>>>,
    next_seq: Option<u16>,
    /// Ticks in the current observation window, and the fewest frames
    /// left waiting after a pop in it.
    window: u32,
    min_left: usize,
    pub stats: JitterStats,
}

impl Default for JitterBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl JitterBuffer {
    pub fn new() -> Self {
        JitterBuffer {
            slots: VecDeque::with_capacity(MAX_DEPTH + 1),
            next_seq: None,
            window: 0,
            min_left: usize::MAX,
            stats: JitterStats::default(),
        }
    }

    /// Frames waiting (including gaps before the newest).
    pub fn depth(&self) -> usize {
        self.slots.len()
    }

    /// Takes in one decoded frame with its RTP sequence number.
    pub fn push(&mut self, seq: u16, frame: &[i16]) {
        self.stats.received += 1;
        let next = *self.next_seq.get_or_insert(seq);
        let offset = seq.wrapping_sub(next) as i16 as i32;
        if offset < 0 {
            if offset > -RESYNC {
                self.stats.late += 1;
                return;
            }
            self.restart(seq);
        } else if offset >= RESYNC {
            self.restart(seq);
        }
        let offset = seq.wrapping_sub(self.next_seq.unwrap_or(seq)) as usize;
        while self.slots.len() <= offset {
            self.slots.push_back(None);
        }
        match &mut self.slots[offset] {
            Some(_) => self.stats.duplicates += 1,
            slot => *slot = Some(frame.into()),
        }
        while self.slots.len() > MAX_DEPTH {
            self.advance();
            self.stats.shed += 1;
        }
    }

    fn restart(&mut self, seq: u16) {
        self.slots.clear();
        self.next_seq = Some(seq);
        self.window = 0;
        self.min_left = usize::MAX;
    }

    fn advance(&mut self) -> Option<Box<[i16]>> {
        let frame = self.slots.pop_front().flatten();
        if let Some(n) = &mut self.next_seq {
            *n = n.wrapping_add(1);
        }
        frame
    }

    /// The frame for this tick: `None` when there is none (lost, or the
    /// stream paused). A gap with later frames already here is a loss and
    /// skipped; an empty buffer waits for the frame instead.
    pub fn pop(&mut self) -> Option<Box<[i16]>> {
        self.window += 1;
        if self.slots.is_empty() {
            self.stats.missing += 1;
            self.min_left = 0;
            return None;
        }
        let frame = self.advance();
        if frame.is_none() {
            self.stats.missing += 1;
        }
        self.min_left = self.min_left.min(self.slots.len());
        if self.window >= SHED_AFTER {
            if self.min_left >= 1 && self.slots.front().is_some_and(Option::is_some) {
                self.advance();
                self.stats.shed += 1;
            }
            self.window = 0;
            self.min_left = usize::MAX;
        }
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: i16) -> Vec<i16> {
        vec![v; FRAME]
    }

    fn val(frame: Option<Box<[i16]>>) -> Option<i16> {
        frame.map(|f| f[0])
    }

    #[test]
    fn reorders_and_drops_duplicates_and_late_frames() {
        let mut jb = JitterBuffer::new();
        jb.push(10, &f(10));
        jb.push(12, &f(12));
        jb.push(11, &f(11));
        jb.push(11, &f(99));
        assert_eq!(val(jb.pop()), Some(10));
        assert_eq!(val(jb.pop()), Some(11));
        assert_eq!(val(jb.pop()), Some(12));
        assert_eq!(jb.stats.duplicates, 1);
        // Underrun: waits; the frame that comes then is played, not dropped.
        assert_eq!(val(jb.pop()), None);
        jb.push(13, &f(13));
        assert_eq!(val(jb.pop()), Some(13));
        // Loss: 14 never comes, 15 is there: 14's turn is skipped.
        jb.push(15, &f(15));
        jb.push(16, &f(16));
        assert_eq!(val(jb.pop()), None);
        jb.push(14, &f(14));
        assert_eq!(jb.stats.late, 1);
        assert_eq!(val(jb.pop()), Some(15));
    }

    #[test]
    fn wraps_and_resyncs() {
        let mut jb = JitterBuffer::new();
        jb.push(65535, &f(1));
        jb.push(0, &f(2));
        assert_eq!(val(jb.pop()), Some(1));
        assert_eq!(val(jb.pop()), Some(2));
        jb.push(30000, &f(3));
        assert_eq!(val(jb.pop()), Some(3), "a new stream starts over");
    }

    #[test]
    fn sheds_frames_to_keep_the_delay_down() {
        let mut jb = JitterBuffer::new();
        for s in 0..20u16 {
            jb.push(s, &f(s as i16));
        }
        assert_eq!(jb.depth(), MAX_DEPTH, "a burst is cut to the maximum");
        // A steady stream one tick per frame: the extra frames go, one per
        // window, until the next frame arrives just in time.
        let mut next = 20u16;
        for _ in 0..SHED_AFTER * 8 {
            assert!(jb.pop().is_some(), "never runs dry");
            jb.push(next, &f(0));
            next += 1;
        }
        assert_eq!(jb.depth(), 1, "only the frame that just came waits");
        // Jitter (frames alternately early and late) keeps its frame of slack.
        let shed = jb.stats.shed;
        for i in 0..SHED_AFTER * 4 {
            jb.pop();
            if i % 2 == 0 {
                jb.push(next, &f(0));
                jb.push(next + 1, &f(0));
                next += 2;
            }
        }
        assert_eq!(
            jb.stats.shed, shed,
            "no shedding while the buffer runs empty now and then"
        );
    }
}
