//! Statistics periods and counts. A period is a range of calendar days in
//! the account's time zone; counting happens on 15-minute buckets from
//! the database (every time zone's offset is a multiple of 15 minutes),
//! so days are exact across daylight-saving changes.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use kernel::{DomainError, DomainResult, Timestamp};
use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::secretary::schedule::local_to_instant;

/// Longest period one request may cover.
pub const MAX_DAYS: i64 = 366;
/// Bucket width the store groups by.
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

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

/// Builds the statistics from (bucket number, outcome, count) and
/// (employee, name, count) rows.
pub fn aggregate(
    period: Period,
    tz: Tz,
    buckets: &[(i64, Outcome, i64)],
    mut per_employee: Vec<EmployeeCount>,
) -> Stats {
    let mut per_day: Vec<DayCount> = (0..period.days())
        .map(|i| DayCount {
            day: period.from + Duration::days(i),
            count: 0,
        })
        .collect();
    let (mut connected, mut message) = (0, 0);
    for &(bucket, outcome, count) in buckets {
        let day = Timestamp(bucket * BUCKET_MS)
            .to_datetime()
            .with_timezone(&tz)
            .date_naive();
        let index = (day - period.from).num_days();
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
        // 22:30 UTC on 29 March is already 30 March in Berlin (UTC+2).
        let late = Timestamp::from_datetime("2026-03-29T22:30:00Z".parse().unwrap()).0 / BUCKET_MS;
        let early = Timestamp::from_datetime("2026-03-28T00:15:00Z".parse().unwrap()).0 / BUCKET_MS;
        let s = aggregate(
            p,
            tz,
            &[(late, Outcome::Message, 2), (early, Outcome::Connected, 1)],
            vec![],
        );
        let counts: Vec<i64> = s.per_day.iter().map(|d| d.count).collect();
        assert_eq!(counts, [1, 0, 2]);
        assert_eq!((s.total, s.connected, s.message), (3, 1, 2));
    }
}
