//! Room numbers and PINs, validated at the boundary.
//!
//! A room number is 8 digits typed on a phone keypad: no leading zero, 7
//! random digits and a Luhn check digit, so a mistyped digit or swapped
//! neighbours are caught before any lookup, and numbers carry no sequence
//! (a customer cannot guess the next customer's room from their own).

use kernel::{DomainError, DomainResult, FieldError};
use rand::Rng;

/// Digits of a room number.
pub const ROOM_NUMBER_DIGITS: usize = 8;
/// Shortest and longest PIN.
pub const PIN_MIN: usize = 4;
pub const PIN_MAX: usize = 8;

/// A personal conference room number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomNumber(u32);

/// The Luhn check digit for `payload` (digits, most significant first).
fn luhn_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = d as u32;
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn digits(n: u32) -> Vec<u8> {
    n.to_string().bytes().map(|b| b - b'0').collect()
}

impl RoomNumber {
    /// A fresh random number (the store retries on the rare collision with
    /// a number ever handed out, tombstones included).
    pub fn generate(rng: &mut impl Rng) -> Self {
        let payload: u32 = rng.gen_range(1_000_000..10_000_000);
        let check = luhn_digit(&digits(payload));
        RoomNumber(payload * 10 + check as u32)
    }

    /// Parses what people type: digits with optional spaces, dashes or dots.
    pub fn parse(raw: &str, field: &str) -> DomainResult<Self> {
        let clean: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '/')).collect();
        if clean.is_empty() {
            return Err(DomainError::validation(field, "required"));
        }
        if clean.len() != ROOM_NUMBER_DIGITS || !clean.bytes().all(|b| b.is_ascii_digit()) || clean.starts_with('0') {
            return Err(DomainError::validation_with(
                field,
                "room_number_invalid",
                vec![("digits", ROOM_NUMBER_DIGITS.to_string())],
            ));
        }
        let n: u32 = clean
            .parse()
            .map_err(|_| DomainError::validation(field, "room_number_invalid"))?;
        let d = digits(n);
        if luhn_digit(&d[..ROOM_NUMBER_DIGITS - 1]) != d[ROOM_NUMBER_DIGITS - 1] {
            // Caught by the check digit: a typo, whatever rooms exist.
            return Err(DomainError::validation(field, "room_number_typo"));
        }
        Ok(RoomNumber(n))
    }

    /// A number read back from storage (checked like typed input).
    pub fn from_stored(n: i64) -> DomainResult<Self> {
        RoomNumber::parse(&n.to_string(), "number")
            .map_err(|_| DomainError::internal(format!("stored room number {n}")))
    }

    pub fn value(self) -> u32 {
        self.0
    }

    /// Grouped for reading and dictating: "4711 0815".
    pub fn grouped(self) -> String {
        let s = self.0.to_string();
        format!("{} {}", &s[..4], &s[4..])
    }
}

impl std::fmt::Display for RoomNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A PIN as typed: 4–8 digits, not trivial.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// PINs anyone would try first (besides repeated digits and runs).
const COMMON_PINS: &[&str] = &[
    "1212", "1122", "2580", "0852", "1004", "2000", "6969", "1010", "7777", "4444", "2468", "1357", "12121212",
    "11223344", "13579", "112233", "121212", "123123", "147258", "159753", "696969",
];

fn pin_problem(pin: &str) -> Option<&'static str> {
    let len = pin.chars().count();
    if !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Some("pin_digits_only");
    }
    if !(PIN_MIN..=PIN_MAX).contains(&len) {
        return Some("pin_length");
    }
    let d: Vec<i16> = pin.bytes().map(|b| (b - b'0') as i16).collect();
    let same = d.windows(2).all(|w| w[0] == w[1]);
    let up = d.windows(2).all(|w| w[1] - w[0] == 1);
    let down = d.windows(2).all(|w| w[0] - w[1] == 1);
    // "1212", "123123": a short block repeated.
    let repeated = (1..=len / 2).any(|k| len.is_multiple_of(k) && d.chunks(k).all(|c| c == &d[..k]));
    if same || up || down || repeated || COMMON_PINS.contains(&pin) {
        return Some("pin_trivial");
    }
    None
}

impl Pin {
    pub fn parse(raw: &str, field: &str) -> DomainResult<Self> {
        let pin = raw.trim();
        if pin.is_empty() {
            return Err(DomainError::validation(field, "required"));
        }
        match pin_problem(pin) {
            Some("pin_length") => Err(DomainError::validation_with(
                field,
                "pin_length",
                vec![("min", PIN_MIN.to_string()), ("max", PIN_MAX.to_string())],
            )),
            Some(code) => Err(DomainError::validation(field, code)),
            None => Ok(Pin(pin.to_string())),
        }
    }

    /// A random 6-digit PIN that passes the rules (the access PIN of the
    /// welcome e-mail).
    pub fn random(rng: &mut impl Rng) -> Self {
        loop {
            if let Ok(pin) = Pin::parse(&format!("{:06}", rng.gen_range(0..1_000_000)), "pin") {
                return pin;
            }
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The two PINs of a room, set together at first login and changed later.
#[derive(Debug, Clone)]
pub struct PinPair {
    pub moderator: Pin,
    pub participant: Pin,
}

impl PinPair {
    /// Checks both PINs and that they differ; every problem at once.
    pub fn parse(moderator: &str, participant: &str) -> DomainResult<Self> {
        let mut errors: Vec<FieldError> = Vec::new();
        let m = Pin::parse(moderator, "moderator_pin").map_err(|e| errors.extend(e.field_errors().to_vec()));
        let p = Pin::parse(participant, "participant_pin").map_err(|e| errors.extend(e.field_errors().to_vec()));
        match (m, p) {
            (Ok(m), Ok(p)) if m == p => Err(DomainError::validation("participant_pin", "pin_same")),
            (Ok(moderator), Ok(participant)) => Ok(PinPair { moderator, participant }),
            _ => Err(DomainError::Validation(errors)),
        }
    }
}

/// Which PIN matched: the role in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRole {
    Moderator,
    Participant,
}

/// Brute-force rules for PIN entry: per room and client, 5 free tries,
/// then a delay that doubles (5 s … 15 min); per room, 20 wrong tries
/// within an hour alert the owner by e-mail (once per hour).
pub const PIN_PER_CLIENT: crate::throttle::Policy = crate::throttle::Policy {
    free: 5,
    base_secs: 5,
    max_secs: 900,
};
pub const PIN_ALERT_PER_ROOM: i64 = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn room_numbers_are_random_checked_and_keypad_friendly() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let n = RoomNumber::generate(&mut rng);
            let s = n.to_string();
            assert_eq!(s.len(), 8);
            assert!(!s.starts_with('0'));
            assert_eq!(RoomNumber::parse(&n.grouped(), "room").unwrap(), n);
            seen.insert(n);
        }
        assert!(seen.len() > 9_990, "no sequence, few collisions");
        // One wrong digit or two swapped neighbours are caught.
        let n = RoomNumber::generate(&mut rng).to_string();
        let mut wrong = n.clone().into_bytes();
        wrong[3] = if wrong[3] == b'9' { b'0' } else { wrong[3] + 1 };
        assert!(RoomNumber::parse(std::str::from_utf8(&wrong).unwrap(), "room").is_err());
        let mut swapped = n.clone().into_bytes();
        if swapped[4] != swapped[5]
            && !(swapped[4] == b'0' && swapped[5] == b'9' || swapped[4] == b'9' && swapped[5] == b'0')
        {
            swapped.swap(4, 5);
            assert!(RoomNumber::parse(std::str::from_utf8(&swapped).unwrap(), "room").is_err());
        }
        for bad in ["", "1234567", "123456789", "0123456-7", "1234abcd"] {
            assert!(RoomNumber::parse(bad, "room").is_err(), "{bad}");
        }
    }

    #[test]
    fn pins_are_digits_not_trivial() {
        for ok in ["4711", "80935", "27182818", "9051"] {
            assert!(Pin::parse(ok, "pin").is_ok(), "{ok}");
        }
        let code = |p: &str| Pin::parse(p, "pin").unwrap_err().field_errors()[0].code;
        assert_eq!(code(""), "required");
        assert_eq!(code("12a4"), "pin_digits_only");
        assert_eq!(code("123"), "pin_length");
        assert_eq!(code("123456789"), "pin_length");
        for trivial in ["0000", "1234", "4321", "98765", "1212", "123123", "2580", "11111111"] {
            assert_eq!(code(trivial), "pin_trivial", "{trivial}");
        }
        assert!(format!("{:?}", Pin::parse("4711", "pin").unwrap()).contains("****"));
    }

    #[test]
    fn random_pins_follow_the_rules() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        for _ in 0..1000 {
            let pin = Pin::random(&mut rng);
            assert_eq!(pin.expose().len(), 6);
            assert!(Pin::parse(pin.expose(), "pin").is_ok());
        }
    }

    #[test]
    fn the_two_pins_differ() {
        assert!(PinPair::parse("4711", "9051").is_ok());
        let e = PinPair::parse("4711", "4711").unwrap_err();
        assert_eq!(e.field_errors()[0].field, "participant_pin");
        assert_eq!(e.field_errors()[0].code, "pin_same");
        let e = PinPair::parse("1234", "12").unwrap_err();
        let fields: Vec<_> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["moderator_pin", "participant_pin"]);
    }
}
