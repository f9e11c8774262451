//! The statistics export: one row per finished call with its latest note,
//! semicolon-separated UTF-8 with BOM (what German Excel opens directly).

use chrono_tz::Tz;
use kernel::{tr, Lang};

use super::{Call, Note, Outcome};
use crate::secretary::csv::guard;

/// The CSV file for `rows`; extra query fields become columns by label.
pub fn export(rows: &[(Call, Option<Note>)], tz: Tz, lang: Lang) -> Vec<u8> {
    let mut labels: Vec<String> = Vec::new();
    for (_, note) in rows {
        for e in note.iter().flat_map(|n| &n.extra) {
            if !labels.contains(&e.label) {
                labels.push(e.label.clone());
            }
        }
    }
    let mut header: Vec<String> = [
        "date",
        "time",
        "service_number",
        "caller_id",
        "employee",
        "outcome",
        "connected_to",
        "caller_name",
        "company",
        "phone",
        "concern",
    ]
    .iter()
    .map(|k| tr(lang, &format!("calls.csv.{k}")))
    .collect();
    header.extend(labels.iter().cloned());
    header.push(tr(lang, "calls.csv.agent"));
    header.push(tr(lang, "calls.csv.corrected"));

    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = ::csv::WriterBuilder::new().delimiter(b';').from_writer(&mut out);
        let mut write = |cells: Vec<String>| {
            if let Err(err) = w.write_record(cells.iter().map(|c| guard(c).into_owned())) {
                tracing::error!(%err, "csv export");
            }
        };
        write(header);
        for (call, note) in rows {
            let local = call.received_at.to_datetime().with_timezone(&tz);
            let outcome = match call.outcome {
                Some(Outcome::Connected) => tr(lang, "calls.outcome.connected"),
                Some(Outcome::Message) => tr(lang, "calls.outcome.message"),
                None => String::new(),
            };
            let n = note.as_ref();
            let field = |f: fn(&Note) -> &str| n.map(f).unwrap_or("").to_string();
            let mut cells = vec![
                local.format("%d.%m.%Y").to_string(),
                local.format("%H:%M").to_string(),
                call.service_number.clone(),
                call.caller_id.clone(),
                call.employee_name.clone(),
                outcome,
                field(|n| &n.connected_to),
                field(|n| &n.caller_name),
                field(|n| &n.company),
                field(|n| &n.phone),
                field(|n| &n.concern),
            ];
            for label in &labels {
                let v = n
                    .and_then(|n| n.extra.iter().find(|e| &e.label == label))
                    .map(|e| e.value.clone())
                    .unwrap_or_default();
                cells.push(v);
            }
            cells.push(call.agent_name.clone());
            let corrected = n.is_some_and(|n| n.corrects_id.is_some());
            cells.push(tr(lang, if corrected { "calls.csv.yes" } else { "calls.csv.no" }));
            write(cells);
        }
        if let Err(err) = w.flush() {
            tracing::error!(%err, "csv export");
        }
    }
    out
}
