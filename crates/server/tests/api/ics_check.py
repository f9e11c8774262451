"""Reads calendar files with the third-party `icalendar` package and prints
what a calendar program would take from them, as JSON (one object per
file). Exits non-zero if a file does not parse or a component reports
errors. Used by tests/api/planner.rs."""
import datetime
import json
import sys

import icalendar


def attendees(ev):
    a = ev.get("ATTENDEE")
    if a is None:
        return []
    return a if isinstance(a, list) else [a]


def check(path):
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    errors = [(c.name, c.errors) for c in cal.walk() if getattr(c, "errors", None)]
    if errors:
        raise SystemExit(f"{path}: {errors}")
    events = list(cal.walk("VEVENT"))
    zones = list(cal.walk("VTIMEZONE"))
    if len(events) != 1 or len(zones) != 1:
        raise SystemExit(f"{path}: {len(events)} events, {len(zones)} zones")
    ev = events[0]
    tz = zones[0].to_tz()  # the VTIMEZONE must describe a usable zone
    start = ev.decoded("DTSTART")
    end = ev.decoded("DTEND")
    alarms = [str(a.get("TRIGGER").to_ical(), "ascii") for a in ev.walk("VALARM")]
    return {
        "method": str(cal.get("METHOD", "")),
        "version": str(cal.get("VERSION")),
        "uid": str(ev.get("UID")),
        "sequence": int(ev.get("SEQUENCE", 0)),
        "status": str(ev.get("STATUS", "")),
        "summary": str(ev.get("SUMMARY")),
        "description": str(ev.get("DESCRIPTION", "")),
        "location": str(ev.get("LOCATION", "")),
        "tzid": str(ev["DTSTART"].params.get("TZID")),
        "start_utc": start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start_local": start.strftime("%Y-%m-%dT%H:%M"),
        "vtimezone_offset_at_start": str(start.replace(tzinfo=tz).utcoffset()),
        "minutes": int((end - start).total_seconds() // 60),
        "dtstamp": ev.decoded("DTSTAMP").strftime("%Y%m%dT%H%M%SZ"),
        "organizer": str(ev.get("ORGANIZER")),
        "attendees": sorted(str(a) for a in attendees(ev)),
        "alarms": alarms,
    }


print(json.dumps([check(p) for p in sys.argv[1:]]))
