//! Calendar entries (RFC 5545) for planner sessions: the download, the
//! e-mailed invitation (METHOD:REQUEST, RFC 5546), its updates (same UID,
//! higher SEQUENCE) and the cancellation (METHOD:CANCEL).
//!
//! Times are written in the entry's own zone (`DTSTART;TZID=…`) with a
//! VTIMEZONE that lists the zone's real transitions around the session,
//! computed from the tz database, so calendar programs without that zone
//! still show the right local time.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use ics::parameters::{PartStat, Role, TzIDParam, CN, RSVP};
use ics::properties::{
    Attendee, CalScale, Description, DtEnd, DtStart, Location, Method, Organizer, Sequence, Status, Summary, Trigger,
    TzName, URL,
};
use ics::{escape_text, Alarm, Daylight, Event, ICalendar, Standard, TimeZone as VTimeZone};
use kernel::Timestamp;

/// What the calendar file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarMethod {
    /// A file to download and import (no iTIP method).
    Publish,
    /// An invitation or its update, sent by e-mail.
    Request,
    /// The session was deleted.
    Cancel,
}

/// Everything a calendar entry says about a session.
pub struct CalendarEvent<'a> {
    pub uid: &'a str,
    pub sequence: i64,
    pub title: &'a str,
    pub description: &'a str,
    /// The join link (LOCATION and URL).
    pub location: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub zone: Tz,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendees: &'a [String],
    /// Minutes before the start the calendar should remind.
    pub alarm_min: i64,
    pub stamp: Timestamp,
}

fn local(zone: Tz, t: Timestamp) -> String {
    t.to_datetime().with_timezone(&zone).format("%Y%m%dT%H%M%S").to_string()
}

fn utc(t: Timestamp) -> String {
    t.to_datetime().format("%Y%m%dT%H%M%SZ").to_string()
}

/// `+0100`, `-0500`, `+0530`.
fn offset_text(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.abs() / 60;
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

/// (total offset s, is daylight time, abbreviation) in force at `at`.
fn offset_at(zone: Tz, at: DateTime<Utc>) -> (i32, bool, String) {
    let o = zone.offset_from_utc_datetime(&at.naive_utc());
    let name = o
        .abbreviation()
        .map(str::to_string)
        .unwrap_or_else(|| zone.name().to_string());
    (o.fix().local_minus_utc(), !o.dst_offset().is_zero(), name)
}

fn minute(m: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(m * 60, 0).unwrap_or_default()
}

/// One observance: the local onset (in the offset before it), from, to.
struct Observance {
    onset: NaiveDateTime,
    from: i32,
    to: i32,
    daylight: bool,
    name: String,
}

/// The zone's observances from a year before `from` to a year after `to`:
/// the one in force at the window's start, then every transition.
fn observances(zone: Tz, from: Timestamp, to: Timestamp) -> Vec<Observance> {
    let start = minute(from.to_datetime().timestamp() / 60 - 366 * 1440);
    let end = to.to_datetime() + Duration::days(366);
    let (off, dst, name) = offset_at(zone, start);
    let mut out = vec![Observance {
        onset: start.naive_utc() + Duration::seconds(off as i64),
        from: off,
        to: off,
        daylight: dst,
        name,
    }];
    let mut t = start;
    let mut current = (off, dst);
    while t < end {
        let next = t + Duration::days(1);
        let (o, d, _) = offset_at(zone, next);
        if (o, d) != current {
            // Narrow the change down to the minute (zones change on whole minutes).
            let (mut lo, mut hi) = (t.timestamp() / 60, next.timestamp() / 60);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let (mo, md, _) = offset_at(zone, minute(mid));
                if (mo, md) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = minute(hi);
            let (o2, d2, name2) = offset_at(zone, hi);
            out.push(Observance {
                onset: hi.naive_utc() + Duration::seconds(current.0 as i64),
                from: current.0,
                to: o2,
                daylight: d2,
                name: name2,
            });
            current = (o2, d2);
        }
        t = next;
    }
    out
}

fn vtimezone(zone: Tz, from: Timestamp, to: Timestamp) -> VTimeZone<'static> {
    let mut tz: Option<VTimeZone<'static>> = None;
    for o in observances(zone, from, to) {
        let onset = o.onset.format("%Y%m%dT%H%M%S").to_string();
        let (f, t) = (offset_text(o.from), offset_text(o.to));
        if o.daylight {
            let mut d = Daylight::new(onset, f, t);
            d.push(TzName::new(o.name));
            match tz.as_mut() {
                Some(tz) => tz.add_daylight(d),
                None => tz = Some(VTimeZone::daylight(zone.name(), d)),
            }
        } else {
            let mut s = Standard::new(onset, f, t);
            s.push(TzName::new(o.name));
            match tz.as_mut() {
                Some(tz) => tz.add_standard(s),
                None => tz = Some(VTimeZone::standard(zone.name(), s)),
            }
        }
    }
    tz.expect("a zone has at least one observance")
}

/// The calendar file, CRLF line ends and folded lines as RFC 5545 asks.
pub fn calendar(ev: &CalendarEvent<'_>, method: CalendarMethod) -> String {
    let mut cal = ICalendar::new("2.0", "-//Kontor//Sitzungsplaner//DE");
    cal.push(CalScale::new("GREGORIAN"));
    match method {
        CalendarMethod::Publish => {}
        CalendarMethod::Request => cal.push(Method::new("REQUEST")),
        CalendarMethod::Cancel => cal.push(Method::new("CANCEL")),
    }
    cal.add_timezone(vtimezone(ev.zone, ev.starts_at, ev.ends_at));

    let mut event = Event::new(ev.uid.to_string(), utc(ev.stamp));
    event.push(Sequence::new(ev.sequence.to_string()));
    let tzid = ev.zone.name();
    let mut start = DtStart::new(local(ev.zone, ev.starts_at));
    start.add(TzIDParam::new(tzid));
    event.push(start);
    let mut end = DtEnd::new(local(ev.zone, ev.ends_at));
    end.add(TzIDParam::new(tzid));
    event.push(end);
    event.push(Summary::new(escape_text(ev.title.to_string())));
    event.push(Description::new(escape_text(ev.description.to_string())));
    event.push(Location::new(escape_text(ev.location.to_string())));
    event.push(URL::new(ev.location.to_string()));
    let mut organizer = Organizer::new(format!("mailto:{}", ev.organizer_email));
    organizer.add(CN::new(quoted(ev.organizer_name)));
    event.push(organizer);
    for a in ev.attendees {
        let mut attendee = Attendee::new(format!("mailto:{a}"));
        attendee.add(Role::new("REQ-PARTICIPANT"));
        attendee.add(PartStat::new("NEEDS-ACTION"));
        attendee.add(RSVP::True);
        event.push(attendee);
    }
    if method == CalendarMethod::Cancel {
        event.push(Status::cancelled());
    } else {
        event.push(Status::confirmed());
        event.add_alarm(Alarm::display(
            Trigger::new(format!("-PT{}M", ev.alarm_min)),
            Description::new(escape_text(ev.title.to_string())),
        ));
    }
    cal.add_event(event);
    cal.to_string()
}

/// A parameter value in quotes (names may hold `,` `;` `:`); quotes
/// themselves cannot be written in a parameter and are dropped.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "").replace(['\r', '\n'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(attendees: &[String]) -> CalendarEvent<'_> {
        CalendarEvent {
            uid: "abc@kontor.test",
            sequence: 2,
            title: "Schulung; Teil 1, Grundlagen",
            description: "Zeile 1\nZeile 2",
            location: "http://kontor.test/s/123456789",
            starts_at: Timestamp(1_796_115_600_000), // 2026-12-01T09:00Z
            ends_at: Timestamp(1_796_119_200_000),
            zone: chrono_tz::Europe::Berlin,
            organizer_name: "Anna Mustermann",
            organizer_email: "anna@example.de",
            attendees,
            alarm_min: 15,
            stamp: Timestamp(1_796_000_000_000),
        }
    }

    #[test]
    fn writes_local_times_with_the_zone_and_its_transitions() {
        let a = vec!["x@example.de".to_string()];
        let text = calendar(&event(&a), CalendarMethod::Request);
        assert!(text.contains("METHOD:REQUEST\r\n"));
        assert!(
            text.contains("DTSTART;TZID=Europe/Berlin:20261201T100000\r\n"),
            "{text}"
        );
        assert!(text.contains("DTEND;TZID=Europe/Berlin:20261201T110000\r\n"));
        assert!(text.contains("SEQUENCE:2\r\n"));
        assert!(text.contains("SUMMARY:Schulung\\; Teil 1\\, Grundlagen\r\n"));
        assert!(text.contains("DESCRIPTION:Zeile 1\\nZeile 2\r\n"));
        assert!(text.contains("TRIGGER:-PT15M\r\n"));
        // Spring 2026: CET → CEST on 29 March at 02:00 local.
        assert!(
            text.contains("DTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"),
            "{text}"
        );
        assert!(
            text.contains("DTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.len() <= 75), "folded lines");
    }

    #[test]
    fn cancellation_has_status_and_no_alarm() {
        let text = calendar(&event(&[]), CalendarMethod::Cancel);
        assert!(text.contains("METHOD:CANCEL\r\n"));
        assert!(text.contains("STATUS:CANCELLED\r\n"));
        assert!(!text.contains("VALARM"));
    }

    #[test]
    fn zones_without_daylight_time_have_one_observance() {
        let ev = CalendarEvent {
            zone: chrono_tz::Asia::Tokyo,
            ..event(&[])
        };
        let text = calendar(&ev, CalendarMethod::Publish);
        assert!(!text.contains("METHOD:"));
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1);
        assert!(!text.contains("BEGIN:DAYLIGHT"));
        assert!(text.contains("TZOFFSETTO:+0900"));
        assert!(text.contains("DTSTART;TZID=Asia/Tokyo:20261201T180000"));
    }
}
