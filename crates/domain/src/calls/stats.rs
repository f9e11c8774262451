//! Statistics periods and counts. A period is a range of calendar days in
//! the account's time zone. The database counts per local day: the period
//! is cut into segments of constant UTC offset (a year has at most a few
//! daylight-saving changes), and each call's instant plus its segment's
//! offset, divided by a day, is its local day number, exact across
//! daylight-saving changes and month ends.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use kernel::{DomainError, DomainResult, Timestamp};
use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::secretary::schedule::local_to_instant;

/// Longest period one request may cover.
pub const MAX_DAYS: i64 = 366;
const DAY_MS: i64 = 86_400_000;
const QUARTER_HOUR_MS: i64 = 15 * 60 * 1000;

/// A stretch of time with one UTC offset: applies to instants before `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetSegment {
    pub until: i64,
    pub offset_ms: i64,
}

fn offset_ms(tz: Tz, at: i64) -> i64 {
    use chrono::Offset;
    let utc = Timestamp(at).to_datetime();
    i64::from(utc.with_timezone(&tz).offset().fix().local_minus_utc()) * 1000
}

/// The offsets in force during [start, end), the last segment open-ended.
/// Offset changes are found hour by hour and placed to the quarter hour
/// (every zone changes on a quarter hour).
pub fn offset_segments(tz: Tz, start: Timestamp, end: Timestamp) -> Vec<OffsetSegment> {
    let mut segments = Vec::new();
    let mut current = offset_ms(tz, start.0);
    let mut t = start.0;
    while t < end.0 {
        let next = (t + 3_600_000).min(end.0);
        let o = offset_ms(tz, next);
        if o != current {
            let mut at = t - t.rem_euclid(QUARTER_HOUR_MS);
            while offset_ms(tz, at) == current {
                at += QUARTER_HOUR_MS;
            }
            segments.push(OffsetSegment {
                until: at,
                offset_ms: current,
            });
            current = o;
        }
        t = next;
    }
    segments.push(OffsetSegment {
        until: i64::MAX,
        offset_ms: current,
    });
    segments
}

/// The local day (days since 1970-01-01) of a local day number.
fn day_of(number: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + Duration::days(number)
}

/// The local day number of an instant, as the store computes it.
pub fn local_day_number(at: i64, segments: &[OffsetSegment]) -> i64 {
    let offset = segments.iter().find(|s| at < s.until).map(|s| s.offset_ms).unwrap_or(0);
    (at + offset).div_euclid(DAY_MS)
}

/// Calendar days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    #[schema(value_type = String, example = "2026-11-01")]
    pub from: NaiveDate,
    #[schema(value_type = String, example = "2026-11-30")]
    pub to: NaiveDate,
}

/// How a period is asked for: a preset, or `from`/`to` (YYYY-MM-DD).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct PeriodInput {
    /// today, week (this week from Monday), this_month, last_month or custom.
    pub preset: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Period {
    /// Resolves the input against `today` (in the account's zone).
    pub fn parse(input: &PeriodInput, today: NaiveDate) -> DomainResult<Period> {
        let preset = input
            .preset
            .as_deref()
            .unwrap_or(if input.from.is_some() || input.to.is_some() {
                "custom"
            } else {
                "today"
            });
        let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
        let period = match preset {
            "today" => Period { from: today, to: today },
            "week" => Period {
                from: today - Duration::days(today.weekday().num_days_from_monday() as i64),
                to: today,
            },
            "this_month" => Period {
                from: month_start(today),
                to: today,
            },
            "last_month" => {
                let last = month_start(today) - Duration::days(1);
                Period {
                    from: month_start(last),
                    to: last,
                }
            }
            "custom" => {
                let date = |field: &str, v: &Option<String>| -> DomainResult<NaiveDate> {
                    let v = v.as_deref().map(str::trim).unwrap_or("");
                    if v.is_empty() {
                        return Err(DomainError::validation(field, "required"));
                    }
                    NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .or_else(|_| NaiveDate::parse_from_str(v, "%d.%m.%Y"))
                        .map_err(|_| DomainError::validation(field, "date_invalid"))
                };
                let from = date("from", &input.from)?;
                let to = date("to", &input.to)?;
                if to < from {
                    return Err(DomainError::validation("to", "period_reversed"));
                }
                Period { from, to }
            }
            _ => return Err(DomainError::validation("preset", "period_preset_invalid")),
        };
        if period.days() > MAX_DAYS {
            return Err(DomainError::validation_with(
                "to",
                "period_too_long",
                vec![("max", MAX_DAYS.to_string())],
            ));
        }
        Ok(period)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// [start, end) as instants: local midnight of `from` to local midnight after `to`.
    pub fn bounds(&self, tz: Tz) -> (Timestamp, Timestamp) {
        let start = local_to_instant(tz, self.from.and_time(NaiveTime::MIN));
        let end = local_to_instant(tz, (self.to + Duration::days(1)).and_time(NaiveTime::MIN));
        (Timestamp::from_datetime(start), Timestamp::from_datetime(end))
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayCount {
    #[schema(value_type = String)]
    pub day: NaiveDate,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EmployeeCount {
    pub employee_id: Option<i64>,
    pub name: String,
    pub count: i64,
}

/// The counts of a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub period: Period,
    pub total: i64,
    pub connected: i64,
    pub message: i64,
    /// Every day of the period, also those without calls.
    pub per_day: Vec<DayCount>,
    /// Most calls first.
    pub per_employee: Vec<EmployeeCount>,
}

/// Builds the statistics from (local day number, outcome, count) and
/// (employee, name, count) rows.
pub fn aggregate(period: Period, days: &[(i64, Outcome, i64)], mut per_employee: Vec<EmployeeCount>) -> Stats {
    let mut per_day: Vec<DayCount> = (0..period.days())
        .map(|i| DayCount {
            day: period.from + Duration::days(i),
            count: 0,
        })
        .collect();
    let (mut connected, mut message) = (0, 0);
    for &(number, outcome, count) in days {
        let index = (day_of(number) - period.from).num_days();
        if let Some(d) = usize::try_from(index).ok().and_then(|i| per_day.get_mut(i)) {
            d.count += count;
            match outcome {
                Outcome::Connected => connected += count,
                Outcome::Message => message += count,
            }
        }
    }
    per_employee.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Stats {
        period,
        total: connected + message,
        connected,
        message,
        per_day,
        per_employee,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input(preset: &str) -> PeriodInput {
        PeriodInput {
            preset: Some(preset.into()),
            ..Default::default()
        }
    }

    #[test]
    fn presets() {
        let today = d("2026-03-04"); // a Wednesday
        assert_eq!(Period::parse(&input("today"), today).unwrap().days(), 1);
        assert_eq!(Period::parse(&input("week"), today).unwrap().from, d("2026-03-02"));
        let last = Period::parse(&input("last_month"), today).unwrap();
        assert_eq!((last.from, last.to), (d("2026-02-01"), d("2026-02-28")));
        let jan = Period::parse(&input("last_month"), d("2026-01-15")).unwrap();
        assert_eq!((jan.from, jan.to), (d("2025-12-01"), d("2025-12-31")));
        assert_eq!(
            Period::parse(&input("yesterday"), today).unwrap_err().code(),
            "period_preset_invalid"
        );
    }

    #[test]
    fn custom_periods_are_checked() {
        let p = |from: &str, to: &str| {
            Period::parse(
                &PeriodInput {
                    preset: None,
                    from: Some(from.into()),
                    to: Some(to.into()),
                },
                d("2026-01-01"),
            )
        };
        assert_eq!(p("01.03.2026", "2026-03-31").unwrap().days(), 31);
        assert_eq!(p("2026-03-31", "2026-03-01").unwrap_err().code(), "period_reversed");
        assert_eq!(p("2026-13-01", "2026-03-01").unwrap_err().code(), "date_invalid");
        assert_eq!(p("2025-01-01", "2026-03-01").unwrap_err().code(), "period_too_long");
    }

    #[test]
    fn days_follow_the_zone_across_dst() {
        let tz = chrono_tz::Europe::Berlin;
        // 29 March 2026: clocks go forward; that day has 23 hours.
        let p = Period {
            from: d("2026-03-28"),
            to: d("2026-03-30"),
        };
        let (start, end) = p.bounds(tz);
        assert_eq!(end.0 - start.0, (3 * 24 - 1) * 3_600_000);
        // One change, at 01:00 UTC on 29 March, from +1 h to +2 h.
        let segments = offset_segments(tz, start, end);
        let change = Timestamp::from_datetime("2026-03-29T01:00:00Z".parse().unwrap()).0;
        assert_eq!(segments.len(), 2);
        assert_eq!((segments[0].until, segments[0].offset_ms), (change, 3_600_000));
        assert_eq!(segments[1].offset_ms, 7_200_000);
        let day = |s: &str| local_day_number(Timestamp::from_datetime(s.parse().unwrap()).0, &segments);
        // 22:30 UTC on 29 March is already 30 March in Berlin (UTC+2);
        // 23:30 UTC on 27 March is 28 March (UTC+1).
        let late = day("2026-03-29T22:30:00Z");
        let early = day("2026-03-27T23:30:00Z");
        assert_eq!(day_of(late), d("2026-03-30"));
        let s = aggregate(
            p,
            &[(late, Outcome::Message, 2), (early, Outcome::Connected, 1)],
            vec![],
        );
        let counts: Vec<i64> = s.per_day.iter().map(|d| d.count).collect();
        assert_eq!(counts, [1, 0, 2]);
        assert_eq!((s.total, s.connected, s.message), (3, 1, 2));
    }
}
