//! Appointments in the account's time zone and the effective status of an
//! employee at an instant: the active appointment that started latest,
//! else the absence info.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use kernel::error::FieldError;
use kernel::{DomainResult, Timestamp};

use super::{Appointment, AppointmentInput, NewAppointment};
use crate::portal::finish;

/// A moment as entered: a whole day or a local date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    Day(NaiveDate),
    At(NaiveDateTime),
}

fn parse_moment(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<Moment> {
    let s = raw.trim();
    if s.is_empty() {
        errors.push(FieldError::new(field, "required"));
        return None;
    }
    let parsed = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .map(Moment::Day)
        .ok()
        .or_else(|| parse_local_datetime(s).map(Moment::At));
    match parsed {
        Some(m) => Some(m),
        None => {
            errors.push(FieldError::with(field, "datetime_invalid", vec![("value", s.into())]));
            None
        }
    }
}

/// A local date and time as people type it: `2026-12-01T10:00` (form
/// fields), with seconds, with a space, or `01.12.2026 10:00`.
pub fn parse_local_datetime(raw: &str) -> Option<NaiveDateTime> {
    let s = raw.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// The instant a local wall-clock time names. In the autumn overlap the
/// earlier instant is taken; a time skipped in spring is moved forward by
/// the length of the gap (02:30 → 03:30 CEST), as calendar programs do.
pub fn local_to_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            // Read the time with the offset in force just before the gap.
            let before = local - Duration::hours(3);
            match tz.from_local_datetime(&before).earliest() {
                Some(t) => t.with_timezone(&Utc) + Duration::hours(3),
                None => Utc.from_utc_datetime(&local),
            }
        }
    }
}

fn to_ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp(t.timestamp_millis())
}

/// Checks an appointment's input in the account's time zone. A date start
/// means the start of that day; a date end includes that whole day.
pub fn parse_appointment(input: &AppointmentInput, tz: Tz) -> DomainResult<NewAppointment> {
    let mut errors = Vec::new();
    let start = parse_moment(&mut errors, "start", &input.start);
    let end = parse_moment(&mut errors, "end", &input.end);
    let text = input.text.trim().to_string();
    if text.is_empty() {
        errors.push(FieldError::new("text", "required"));
    } else if text.chars().count() > 2000 {
        errors.push(FieldError::with("text", "too_long", vec![("max", "2000".into())]));
    }
    let (Some(start), Some(end)) = (start, end) else {
        finish(errors)?;
        unreachable!("errors were recorded");
    };
    let starts_at = match start {
        Moment::Day(d) => local_to_instant(tz, d.and_hms_opt(0, 0, 0).expect("midnight")),
        Moment::At(t) => local_to_instant(tz, t),
    };
    let ends_at = match end {
        Moment::Day(d) => local_to_instant(tz, (d + Duration::days(1)).and_hms_opt(0, 0, 0).expect("midnight")),
        Moment::At(t) => local_to_instant(tz, t),
    };
    if ends_at <= starts_at {
        errors.push(FieldError::new("end", "end_before_start"));
    }
    finish(errors)?;
    Ok(NewAppointment {
        starts_at: to_ts(starts_at),
        ends_at: to_ts(ends_at),
        all_day: matches!((start, end), (Moment::Day(_), Moment::Day(_))),
        text,
    })
}

/// Start and end as the person entered them, in `tz` (an all-day end is
/// the last day, inclusive).
pub fn local_bounds(starts_at: Timestamp, ends_at: Timestamp, all_day: bool, tz: Tz) -> (String, String) {
    let local = |ms: i64| {
        Utc.timestamp_millis_opt(ms)
            .single()
            .unwrap_or_default()
            .with_timezone(&tz)
            .naive_local()
    };
    if all_day {
        let s = local(starts_at.0).date();
        let e = local(ends_at.0 - 1).date();
        (s.format("%Y-%m-%d").to_string(), e.format("%Y-%m-%d").to_string())
    } else {
        (
            local(starts_at.0).format("%Y-%m-%dT%H:%M").to_string(),
            local(ends_at.0).format("%Y-%m-%dT%H:%M").to_string(),
        )
    }
}

/// A short German description of the span for the audit log, e.g.
/// "22.11.2026 – 29.11.2026" or "27.11.2026 08:00 – 27.11.2026 17:00".
pub fn describe(a: &NewAppointment, tz: Tz) -> String {
    let (start, end) = local_bounds(a.starts_at, a.ends_at, a.all_day, tz);
    let german = |iso: &str| {
        NaiveDateTime::parse_from_str(iso, "%Y-%m-%dT%H:%M")
            .map(|t| t.format("%d.%m.%Y %H:%M").to_string())
            .or_else(|_| NaiveDate::parse_from_str(iso, "%Y-%m-%d").map(|d| d.format("%d.%m.%Y").to_string()))
            .unwrap_or_else(|_| iso.to_string())
    };
    format!("{} – {}", german(&start), german(&end))
}

/// The appointment that applies at `at`: among those running, the one
/// that started latest (the later-created one on a tie).
pub fn active_at(appointments: &[Appointment], at: Timestamp) -> Option<&Appointment> {
    appointments
        .iter()
        .filter(|a| a.starts_at <= at && at < a.ends_at)
        .max_by_key(|a| (a.starts_at, a.id))
}

/// What agents are told about the employee at `at`.
pub fn effective_status(absence_info: &str, appointments: &[Appointment], at: Timestamp) -> String {
    match active_at(appointments, at) {
        Some(a) => a.text.clone(),
        None => absence_info.to_string(),
    }
}

/// Parses an IANA zone name, falling back to Europe/Berlin.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Europe::Berlin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(utc: &str) -> Timestamp {
        Timestamp(
            NaiveDateTime::parse_from_str(utc, "%Y-%m-%dT%H:%M")
                .unwrap()
                .and_utc()
                .timestamp_millis(),
        )
    }

    fn input(start: &str, end: &str) -> AppointmentInput {
        AppointmentInput {
            start: start.into(),
            end: end.into(),
            text: "Termin".into(),
        }
    }

    fn appointment(id: i64, a: &NewAppointment, text: &str) -> Appointment {
        Appointment {
            id,
            employee_id: 1,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            all_day: a.all_day,
            text: text.into(),
            start: String::new(),
            end: String::new(),
        }
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn whole_days_follow_the_local_calendar_across_the_autumn_switch() {
        // 25 Oct 2026 is the last Sunday of October: CEST (UTC+2) → CET (UTC+1).
        let a = parse_appointment(&input("2026-10-24", "2026-10-25"), BERLIN).unwrap();
        assert!(a.all_day);
        assert_eq!(a.starts_at, ms("2026-10-23T22:00"));
        assert_eq!(a.ends_at, ms("2026-10-25T23:00"), "midnight after the switch is UTC+1");
        // That weekend is 49 hours long.
        assert_eq!(a.ends_at.0 - a.starts_at.0, 49 * 3_600_000);
        assert_eq!(
            local_bounds(a.starts_at, a.ends_at, true, BERLIN),
            ("2026-10-24".into(), "2026-10-25".into())
        );
    }

    #[test]
    fn spring_gap_and_autumn_overlap_times() {
        // 29 Mar 2026 02:30 does not exist in Berlin: moved to 03:30 CEST.
        let a = parse_appointment(&input("2026-03-29T02:30", "2026-03-29T04:00"), BERLIN).unwrap();
        assert_eq!(a.starts_at, ms("2026-03-29T01:30"));
        assert_eq!(a.ends_at, ms("2026-03-29T02:00"));
        // 25 Oct 2026 02:30 happens twice: the first (CEST) one is meant.
        let b = parse_appointment(&input("2026-10-25T02:30", "2026-10-25T03:00"), BERLIN).unwrap();
        assert_eq!(b.starts_at, ms("2026-10-25T00:30"));
        assert_eq!(b.ends_at, ms("2026-10-25T02:00"));
    }

    #[test]
    fn effective_status_at_boundaries() {
        let holiday = parse_appointment(&input("2026-10-01", "2026-10-17"), BERLIN).unwrap();
        let meeting = parse_appointment(&input("2026-10-05T09:00", "2026-10-05T10:00"), BERLIN).unwrap();
        let all = [
            appointment(1, &holiday, "Urlaub"),
            appointment(2, &meeting, "Besprechung"),
        ];
        let at = |utc: &str| effective_status("Nur vormittags", &all, ms(utc));
        assert_eq!(at("2026-09-30T21:59"), "Nur vormittags");
        assert_eq!(at("2026-09-30T22:00"), "Urlaub", "start is inclusive (local midnight)");
        assert_eq!(at("2026-10-05T07:00"), "Besprechung", "the later start wins");
        assert_eq!(at("2026-10-05T08:00"), "Urlaub", "end is exclusive");
        assert_eq!(at("2026-10-17T21:59"), "Urlaub");
        assert_eq!(
            at("2026-10-17T22:00"),
            "Nur vormittags",
            "back to the absence info on the 18th"
        );
        // Same start: the later-created one wins.
        let twin = appointment(3, &holiday, "Urlaub (verlängert)");
        let both = [appointment(1, &holiday, "Urlaub"), twin];
        assert_eq!(
            effective_status("", &both, ms("2026-10-02T12:00")),
            "Urlaub (verlängert)"
        );
    }

    #[test]
    fn zones_shift_the_same_wall_clock() {
        let ny = parse_appointment(
            &input("2026-07-01T09:00", "2026-07-01T10:00"),
            chrono_tz::America::New_York,
        )
        .unwrap();
        let berlin = parse_appointment(&input("2026-07-01T09:00", "2026-07-01T10:00"), BERLIN).unwrap();
        assert_eq!(ny.starts_at.0 - berlin.starts_at.0, 6 * 3_600_000);
    }

    #[test]
    fn spans_are_described_in_german() {
        let a = parse_appointment(&input("2026-11-22", "2026-11-29"), BERLIN).unwrap();
        assert_eq!(describe(&a, BERLIN), "22.11.2026 – 29.11.2026");
        let b = parse_appointment(&input("2026-11-27T08:00", "2026-11-27T17:00"), BERLIN).unwrap();
        assert_eq!(describe(&b, BERLIN), "27.11.2026 08:00 – 27.11.2026 17:00");
    }

    #[test]
    fn bad_moments_are_named() {
        let e = parse_appointment(&input("1.10.", "2026-10-01"), BERLIN).unwrap_err();
        assert_eq!(e.field_errors()[0].field, "start");
        assert_eq!(e.field_errors()[0].code, "datetime_invalid");
        let e = parse_appointment(&input("2026-10-02", "01.10.2026"), BERLIN).unwrap_err();
        assert_eq!(e.field_errors()[0].code, "end_before_start");
        // German date format is understood.
        let a = parse_appointment(&input("01.10.2026", "17.10.2026"), BERLIN).unwrap();
        assert!(a.all_day);
    }
}
