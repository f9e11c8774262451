//! CSV import and export of employees, as German offices exchange them:
//! UTF-8 (with or without BOM) or Windows-1252, comma or semicolon,
//! German or English headers. The import is planned first (creates,
//! updates matched by e-mail, per-row errors) and written only on confirm.

use std::collections::HashMap;

use kernel::error::FieldError;
use kernel::{DomainError, DomainResult, Lang};
use serde::Serialize;

use super::model::{normalize_email, EmployeeInput, NewEmployee};
use super::Employee;
use crate::secretary::ports::ImportPlan;

/// One problem in the file, located by line (1 = header line) and field.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub line: usize,
    /// The input field (name, email, mobile, …); "file" for the whole file.
    pub field: String,
    pub code: String,
    /// Translated, ready to show.
    pub message: String,
}

/// A planned row change, for the preview table.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportChange {
    pub line: usize,
    /// "create" or "update"
    pub action: &'static str,
    pub name: String,
    pub email: String,
    /// For updates: the input fields that change.
    pub changed: Vec<String>,
}

/// What an import would do; shown before anything is written.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportPlanView {
    /// Set once the upload is kept for confirmation (and no errors were found).
    pub upload_id: Option<i64>,
    /// Data rows in the file (header and empty lines not counted).
    pub rows: usize,
    pub creates: usize,
    pub updates: usize,
    pub unchanged: usize,
    pub errors: Vec<RowError>,
    /// The first 200 changes (creates and updates, in file order).
    pub changes: Vec<ImportChange>,
}

/// The checked file: what would happen, and what is wrong.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub plan: ImportPlan,
    pub view: ImportPlanView,
}

/// Decodes the bytes: UTF-8 (a BOM is dropped), else Windows-1252, the
/// encoding German Excel still writes by default. UTF-16 with a BOM (Excel's
/// "Unicode text") is read too.
pub fn decode(bytes: &[u8]) -> String {
    let rest = match encoding_rs::Encoding::for_bom(bytes) {
        Some((enc, len)) if enc != encoding_rs::UTF_8 => {
            return enc.decode_without_bom_handling(&bytes[len..]).0.into_owned();
        }
        Some((_, len)) => &bytes[len..],
        None => bytes,
    };
    match std::str::from_utf8(rest) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(rest)
            .0
            .into_owned(),
    }
}

/// The columns a file may have, in export order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Email,
    Cc,
    Position,
    Responsibility,
    Sms,
    Mobile,
    Deputy,
    Extension,
    WantsTransfer,
    VipTransfer,
    VipSms,
    AbsenceInfo,
}

const COLUMN_COUNT: usize = 13;

/// The German headers [`export`] writes, indexed by `Col as usize`.
const GERMAN_HEADERS: [&str; COLUMN_COUNT] = [
    "Name",
    "E-Mail",
    "CC",
    "Position",
    "Zuständigkeit",
    "SMS-Benachrichtigung",
    "Mobilnummer",
    "Vertreter",
    "Durchwahl",
    "Durchstellen",
    "VIP-Durchstellen",
    "VIP-SMS",
    "Abwesenheitsinfo",
];

/// Recognises a header in German or English, ignoring case, spaces,
/// hyphens, underscores and brackets ("Vertreter (E-Mail)" = "vertreteremail").
fn column(header: &str) -> Option<Col> {
    let key: String = header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    Some(match key.as_str() {
        "name" => Col::Name,
        "email" | "emailadresse" | "emailaddress" | "mail" => Col::Email,
        "cc" => Col::Cc,
        "position" => Col::Position,
        "zuständigkeit" | "zustaendigkeit" | "responsibility" => Col::Responsibility,
        "smsbenachrichtigung" | "sms" | "smsenabled" | "smsnotification" => Col::Sms,
        "mobilnummer" | "mobil" | "mobile" | "mobilenumber" => Col::Mobile,
        "vertreter" | "vertreteremail" | "deputy" | "deputyemail" => Col::Deputy,
        "durchwahl" | "extension" => Col::Extension,
        "durchstellen" | "wantstransfer" => Col::WantsTransfer,
        "vipdurchstellen" | "viptransfer" => Col::VipTransfer,
        "vipsms" => Col::VipSms,
        "abwesenheitsinfo" | "absenceinfo" => Col::AbsenceInfo,
        _ => return None,
    })
}

/// Picks the separator from the first non-empty line: the most frequent of
/// `;` `,` and tab outside quotes; on a tie `;`, as German Excel writes it.
fn sniff_delimiter(text: &str) -> u8 {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in line.bytes() {
        match c {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            _ => {
                if let Some(n) = counts.iter_mut().find(|(d, _)| *d == c) {
                    n.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .fold((b';', 0), |best, &(d, n)| if n > best.1 { (d, n) } else { best })
        .0
}

/// Yes/no cells as people type them; `None` for anything else.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "ja" | "yes" | "true" | "1" | "x" => Some(true),
        "nein" | "no" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "ja"
    } else {
        "nein"
    }
}

/// Characters that make a spreadsheet treat a cell as a formula; a
/// leading `'` protects them on export and is dropped again on import.
const FORMULA_START: [char; 4] = ['=', '+', '-', '@'];

/// Prefixes `'` where Excel would run the cell as a formula (CSV
/// injection through an employee-entered text). Phone-like cells
/// (+49 170 …) cannot call functions and stay as they are.
pub(crate) fn guard(v: &str) -> std::borrow::Cow<'_, str> {
    let phone_like = || v.chars().all(|c| c.is_ascii_digit() || " +-/().".contains(c));
    let risky = v.starts_with(['=', '@'])
        || (v.starts_with(['+', '-']) && !phone_like())
        || v.strip_prefix('\'')
            .is_some_and(|r| r.starts_with(FORMULA_START) || r.starts_with('\''));
    if risky {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

/// Undoes [`guard`]: drops a `'` that protects a formula character.
fn unguard(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) || rest.starts_with('\'') => rest,
        _ => v,
    }
}

fn file_error(code: &'static str, params: Vec<(&'static str, String)>) -> FieldError {
    FieldError::with("file", code, params)
}

/// A row error with its message translated under `key`.
fn row_error(lang: Lang, line: usize, e: FieldError, key: &str) -> RowError {
    let params: Vec<(&str, &str)> = e.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    RowError {
        line,
        message: kernel::tr_args(lang, key, &params),
        field: e.field,
        code: e.code.to_string(),
    }
}

fn translated(lang: Lang, line: usize, e: FieldError) -> RowError {
    let key = format!("errors.{}", e.code);
    row_error(lang, line, e, &key)
}

/// Physical line numbers of records. The csv crate's record position
/// points just past the previous record, i.e. before skipped blank lines
/// and before the "\n" of a "\r\n", so lines are counted here instead,
/// walking the text once.
struct Lines<'t> {
    bytes: &'t [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    /// The line of the record that starts at or after `byte` (increasing).
    fn at(&mut self, byte: u64) -> usize {
        let len = self.bytes.len();
        let mut start = usize::try_from(byte).unwrap_or(len).clamp(self.pos, len);
        while start < len && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        for i in self.pos..start {
            match self.bytes[i] {
                b'\n' => self.line += 1,
                b'\r' if self.bytes.get(i + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.pos = start;
        self.line
    }
}

/// Parses and checks the file against the account's current employees.
/// Never fails for bad rows (they become `RowError`s); fails only when
/// the file itself is unusable (no header, unknown columns, …) — as a
/// Validation error on field "file".
///
/// A column left out of the file keeps each existing employee's value
/// (new employees get the default), so a partial list cannot wipe data.
pub fn check(text: &str, existing: &[Employee], lang: Lang) -> DomainResult<Checked> {
    run(text, existing, lang, true)
}

/// Like [`check`], without building the plan: what the preview needs, in a
/// fraction of the memory (no row is kept once it is counted).
pub fn preview(text: &str, existing: &[Employee], lang: Lang) -> DomainResult<ImportPlanView> {
    Ok(run(text, existing, lang, false)?.view)
}

fn run(text: &str, existing: &[Employee], lang: Lang, build_plan: bool) -> DomainResult<Checked> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(DomainError::Validation(vec![file_error("csv_empty", vec![])]));
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = ::csv::StringRecord::new();
    let blank = |r: &::csv::StringRecord| r.iter().all(|f| f.trim().is_empty());
    let mut lines = Lines {
        bytes: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut line_of = |p: Option<&::csv::Position>| p.map_or(0, |p| lines.at(p.byte()));

    // Header line.
    loop {
        match reader.read_record(&mut record) {
            Ok(true) if blank(&record) => continue,
            Ok(true) => break,
            Ok(false) => return Err(DomainError::Validation(vec![file_error("csv_empty", vec![])])),
            Err(e) => {
                let line = line_of(e.position()).max(1).to_string();
                return Err(DomainError::Validation(vec![file_error(
                    "csv_unreadable",
                    vec![("line", line)],
                )]));
            }
        }
    }
    let mut index: [Option<usize>; COLUMN_COUNT] = [None; COLUMN_COUNT];
    // Columns without a heading (Excel's trailing ";;") are ignored while empty.
    let mut unnamed = Vec::new();
    let mut file_errors = Vec::new();
    for (i, h) in record.iter().enumerate() {
        let h = h.trim();
        if h.is_empty() {
            unnamed.push(i);
            continue;
        }
        match column(h) {
            None => file_errors.push(file_error("csv_unknown_column", vec![("column", h.to_string())])),
            Some(c) if index[c as usize].is_some() => {
                file_errors.push(file_error("csv_duplicate_column", vec![("column", h.to_string())]))
            }
            Some(c) => index[c as usize] = Some(i),
        }
    }
    for c in [Col::Name, Col::Email] {
        if index[c as usize].is_none() {
            let name = GERMAN_HEADERS[c as usize].to_string();
            file_errors.push(file_error("csv_missing_column", vec![("column", name)]));
        }
    }
    if !file_errors.is_empty() {
        return Err(DomainError::Validation(file_errors));
    }
    let width = record.len();

    let by_email: HashMap<String, &Employee> = existing.iter().map(|e| (normalize_email(&e.email), e)).collect();
    // E-mail → the line it first appears on.
    let mut in_file: HashMap<String, usize> = HashMap::new();
    let mut errors = Vec::new();
    let mut rows = 0;
    let mut plan = ImportPlan::default();
    let mut view = ImportPlanView::default();
    // Rows whose deputy is neither an employee yet nor an earlier row of the
    // file: (line, deputy e-mail, counted as update?), verified at the end.
    let mut unverified: Vec<(usize, String, bool)> = Vec::new();

    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = line_of(e.position());
                errors.push(translated(
                    lang,
                    line,
                    file_error("csv_unreadable", vec![("line", line.to_string())]),
                ));
                break;
            }
        }
        if blank(&record) {
            continue;
        }
        rows += 1;
        let line = line_of(record.position());
        if record.len() != width {
            let params = vec![("found", record.len().to_string()), ("expected", width.to_string())];
            errors.push(translated(
                lang,
                line,
                FieldError::with("row", "csv_field_count", params),
            ));
            continue;
        }
        let mut errs = Vec::new();
        for &i in &unnamed {
            if record.get(i).is_some_and(|v| !v.trim().is_empty()) {
                errs.push(FieldError::with(
                    "row",
                    "csv_value_without_column",
                    vec![("column", (i + 1).to_string())],
                ));
            }
        }
        let get = |c: Col| index[c as usize].map(|i| unguard(record.get(i).unwrap_or("").trim()));

        let raw_email = get(Col::Email).unwrap_or("");
        let email = normalize_email(raw_email);
        let mut duplicate = false;
        if !email.is_empty() {
            match in_file.entry(email.clone()) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    let params = vec![("line", first.get().to_string())];
                    errs.push(FieldError::with("email", "csv_duplicate_email", params));
                    duplicate = true;
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(line);
                }
            }
        }
        let prev = if duplicate { None } else { by_email.get(&email).copied() };

        let string = |c: Col, keep: fn(&Employee) -> &str| match get(c) {
            Some(v) => v.to_string(),
            None => prev.map_or("", keep).to_string(),
        };
        let mut flag = |c: Col, field: &str, keep: fn(&Employee) -> bool| match get(c) {
            None => prev.is_some_and(keep),
            Some(v) => parse_bool(v).unwrap_or_else(|| {
                errs.push(FieldError::with(
                    field,
                    "csv_bool_invalid",
                    vec![("value", v.to_string())],
                ));
                false
            }),
        };
        let sms_enabled = flag(Col::Sms, "sms_enabled", |e| e.sms_enabled);
        let wants_transfer = flag(Col::WantsTransfer, "wants_transfer", |e| e.wants_transfer);
        let vip_transfer = flag(Col::VipTransfer, "vip_transfer", |e| e.vip_transfer);
        let vip_sms = flag(Col::VipSms, "vip_sms", |e| e.vip_sms);
        let deputy = get(Col::Deputy).map(|d| Some(normalize_email(d)).filter(|d| !d.is_empty()));
        let input = EmployeeInput {
            name: get(Col::Name).unwrap_or("").to_string(),
            email: raw_email.to_string(),
            cc: match get(Col::Cc) {
                Some(v) => v
                    .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                None => prev.map(|e| e.cc.clone()).unwrap_or_default(),
            },
            position: string(Col::Position, |e| &e.position),
            responsibility: string(Col::Responsibility, |e| &e.responsibility),
            sms_enabled,
            mobile: string(Col::Mobile, |e| e.mobile.as_deref().unwrap_or("")),
            // Resolved below once all rows are known; kept when there is no column.
            deputy_id: prev.and_then(|e| e.deputy_id),
            extension: string(Col::Extension, |e| &e.extension),
            wants_transfer,
            vip_transfer,
            vip_sms,
            absence_info: get(Col::AbsenceInfo).map(str::to_string),
        };
        let new = match NewEmployee::parse(&input) {
            Ok(n) => Some(n),
            Err(DomainError::Validation(mut es)) => {
                errs.append(&mut es);
                None
            }
            Err(e) => return Err(e),
        };
        // The deputy's e-mail when that employee is only created by this file.
        let mut deferred = None;
        let mut deputy_id = None;
        if let Some(Some(d)) = &deputy {
            if *d == email {
                errs.push(FieldError::new("deputy_id", "deputy_self"));
            } else if let Some(e) = by_email.get(d) {
                deputy_id = Some(e.id);
            } else {
                deferred = Some(d.clone());
            }
        }
        if !errs.is_empty() {
            errors.extend(errs.into_iter().map(|e| translated(lang, line, e)));
            continue;
        }
        let Some(mut new) = new else { continue };
        if deputy.is_some() {
            new.deputy_id = deputy_id;
        }
        let changed = match prev {
            Some(e) => {
                let mut changed = new.changes(e);
                if deferred.is_some() && !changed.contains(&"deputy_id") {
                    changed.push("deputy_id");
                }
                if changed.is_empty() {
                    view.unchanged += 1;
                    continue;
                }
                changed
            }
            None => Vec::new(),
        };
        if view.changes.len() < 200 {
            view.changes.push(ImportChange {
                line,
                action: if prev.is_some() { "update" } else { "create" },
                name: new.name.clone(),
                email: new.email.clone(),
                changed: changed.iter().map(|c| c.to_string()).collect(),
            });
        }
        if let Some(d) = deferred {
            if !in_file.contains_key(&d) {
                unverified.push((line, d.clone(), prev.is_some()));
            }
            if build_plan {
                plan.deputies.push((new.email.clone(), Some(d)));
            }
        }
        match prev {
            Some(e) => {
                view.updates += 1;
                if build_plan {
                    plan.updates.push((e.id, new));
                }
            }
            None => {
                view.creates += 1;
                if build_plan {
                    plan.creates.push(new);
                }
            }
        }
    }
    // Deputies named before their own row: known now that every row was read.
    for (line, d, update) in unverified {
        if in_file.contains_key(&d) {
            continue;
        }
        let e = FieldError::with("deputy_id", "deputy_invalid", vec![("value", d)]);
        errors.push(row_error(lang, line, e, "errors.csv_deputy_unknown"));
        if update {
            view.updates -= 1;
        } else {
            view.creates -= 1;
        }
        view.changes.retain(|c| c.line != line);
    }
    view.rows = rows;
    errors.sort_by_key(|e| e.line);
    view.errors = errors;
    Ok(Checked { plan, view })
}

/// The employees as CSV: UTF-8 with BOM, semicolon-separated, German
/// headers, so Excel opens it directly and [`check`] reads it back unchanged.
pub fn export(employees: &[Employee]) -> Vec<u8> {
    let emails: HashMap<i64, &str> = employees.iter().map(|e| (e.id, e.email.as_str())).collect();
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = ::csv::WriterBuilder::new().delimiter(b';').from_writer(&mut out);
        // Writing to memory cannot fail and every record has the same width,
        // so errors are only logged.
        let mut write = |cells: &[&str]| {
            if let Err(err) = w.write_record(cells.iter().map(|c| guard(c).into_owned())) {
                tracing::error!(%err, "csv export");
            }
        };
        write(&GERMAN_HEADERS);
        for e in employees {
            let cc = e.cc.join(", ");
            let deputy = e.deputy_id.and_then(|d| emails.get(&d).copied()).unwrap_or("");
            write(&[
                &e.name,
                &e.email,
                &cc,
                &e.position,
                &e.responsibility,
                yes_no(e.sms_enabled),
                e.mobile.as_deref().unwrap_or(""),
                deputy,
                &e.extension,
                yes_no(e.wants_transfer),
                yes_no(e.vip_transfer),
                yes_no(e.vip_sms),
                &e.absence_info,
            ]);
        }
        if let Err(err) = w.flush() {
            tracing::error!(%err, "csv export");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use kernel::{AccountId, Timestamp};

    use super::*;

    fn employee(id: i64, name: &str, email: &str) -> Employee {
        Employee {
            id,
            account_id: AccountId(1),
            name: name.into(),
            email: email.into(),
            cc: Vec::new(),
            position: String::new(),
            responsibility: String::new(),
            sms_enabled: false,
            mobile: None,
            deputy_id: None,
            extension: String::new(),
            wants_transfer: false,
            vip_transfer: false,
            vip_sms: false,
            absence_info: String::new(),
            login_user_id: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    /// A few employees using every column, umlauts and awkward characters.
    fn staff() -> Vec<Employee> {
        let mut a = employee(1, "Jürgen Weiß", "juergen.weiss@example.de");
        a.cc = vec!["team@example.de".into(), "büro@example.de".into()];
        a.position = "Geschäftsführer".into();
        a.responsibility = "Neukunden; \"Interessenten\"".into();
        a.sms_enabled = true;
        a.mobile = Some("+491701234567".into());
        a.deputy_id = Some(2);
        a.extension = "12".into();
        a.wants_transfer = true;
        a.vip_sms = true;
        a.absence_info = "Nur vormittags im Haus.\nFreitags nie.".into();
        let mut b = employee(2, "Müller, Änne", "aenne.mueller@example.de");
        b.vip_transfer = true;
        b.extension = "+49 30 1234-13".into();
        b.deputy_id = Some(1);
        let mut c = employee(3, "=HYPERLINK(\"http://x\")", "c@example.de");
        c.position = "-Vertrieb-".into();
        c.absence_info = "'=quoted".into();
        vec![a, b, c]
    }

    fn file_errors(e: DomainError) -> Vec<FieldError> {
        match e {
            DomainError::Validation(es) => es,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn errors(c: &Checked) -> Vec<(usize, &str, &str)> {
        c.view
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn export_then_check_is_unchanged() {
        let staff = staff();
        let bytes = export(&staff);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = decode(&bytes);
        assert!(text.starts_with("Name;E-Mail;CC;Position;Zuständigkeit;"), "{text}");
        assert!(text.contains("\nMüller, Änne;aenne.mueller@example.de;"), "{text}");
        assert!(text.contains("team@example.de, büro@example.de"));
        assert!(text.contains(";ja;") && text.contains(";nein;"));
        assert!(text.contains(";+491701234567;aenne.mueller@example.de;"), "{text}");
        // Formula-like cells are defused for spreadsheets.
        assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
        assert!(text.contains(";'-Vertrieb-;"), "{text}");

        let c = check(&text, &staff, Lang::De).unwrap();
        assert_eq!(errors(&c), vec![]);
        assert_eq!(
            (c.view.rows, c.view.creates, c.view.updates, c.view.unchanged),
            (3, 0, 0, 3)
        );
        assert!(c.view.changes.is_empty());
        assert!(c.plan.creates.is_empty() && c.plan.updates.is_empty() && c.plan.deputies.is_empty());
    }

    #[test]
    fn export_into_empty_account_creates_everyone() {
        let staff = staff();
        let c = check(&decode(&export(&staff)), &[], Lang::De).unwrap();
        assert_eq!(errors(&c), vec![]);
        assert_eq!(c.view.creates, 3);
        let names: Vec<&str> = c.plan.creates.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Jürgen Weiß", "Müller, Änne", "=HYPERLINK(\"http://x\")"]);
        assert_eq!(c.plan.creates[2].absence_info.as_deref(), Some("'=quoted"));
        // Both deputies are new too: resolved by e-mail after insert.
        assert_eq!(
            c.plan.deputies,
            vec![
                (
                    "juergen.weiss@example.de".into(),
                    Some("aenne.mueller@example.de".into())
                ),
                (
                    "aenne.mueller@example.de".into(),
                    Some("juergen.weiss@example.de".into())
                ),
            ]
        );
        assert!(c.plan.creates.iter().all(|e| e.deputy_id.is_none()));
    }

    #[test]
    fn bom_is_dropped() {
        let plain = "Name;E-Mail\nJürgen Weiß;j@example.de\n";
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), plain.as_bytes()].concat();
        assert_eq!(decode(&with_bom), plain);
        assert_eq!(decode(plain.as_bytes()), plain);
        // Excel's "Unicode text": UTF-16 little endian with BOM, tab-separated.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(plain.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16), plain);
        // A BOM left in the text does not spoil the first header either.
        let c = check(&format!("\u{feff}{plain}"), &[], Lang::De).unwrap();
        assert_eq!((c.view.creates, c.view.errors.len()), (1, 0));
    }

    #[test]
    fn windows_1252_semicolon_file_with_german_headers() {
        let text = "Name;E-Mail-Adresse;Zuständigkeit;SMS-Benachrichtigung;Mobilnummer\r\n\
                    Jürgen Weiß;jw@example.de;Größere Aufträge;ja;0170 1234567\r\n\
                    \"Müller, Änne\";am@example.de;Büro;nein;\r\n";
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(!unmappable);
        assert!(bytes.contains(&0xFC), "ü is one byte in Windows-1252");
        assert!(std::str::from_utf8(&bytes).is_err());
        let decoded = decode(&bytes);
        assert_eq!(decoded, text);
        let c = check(&decoded, &[], Lang::De).unwrap();
        assert_eq!(errors(&c), vec![]);
        assert_eq!(c.view.creates, 2);
        let a = &c.plan.creates[0];
        assert_eq!((a.name.as_str(), a.email.as_str()), ("Jürgen Weiß", "jw@example.de"));
        assert_eq!(a.responsibility, "Größere Aufträge");
        assert!(a.sms_enabled);
        assert_eq!(a.mobile.as_deref(), Some("+491701234567"));
        assert_eq!(c.plan.creates[1].name, "Müller, Änne");
        assert_eq!(c.plan.creates[1].sort_key, "muller anne");
    }

    #[test]
    fn english_comma_file() {
        let text = "name,email,CC,Position,Responsibility,sms_enabled,mobile,deputy,Extension,wants_transfer,\
                    VIP transfer,vip_sms,Absence info\n\
                    Jane Doe,Jane@Example.com,\"a@example.com; b@example.com\",CEO,Sales,yes,+44 7700 900123,\
                    john@example.com,7,TRUE,no,false,Mornings only\n\
                    John Smith,john@example.com,,,,no,,,,0,X,,\n";
        // "X" is yes, but VIP transfer needs an extension: reported, not guessed.
        let c = check(text, &[], Lang::En).unwrap();
        assert_eq!(errors(&c), vec![(3, "extension", "extension_required_for_transfer")]);
        let c = check(text.replace(",0,X,,", ",0,,,").as_str(), &[], Lang::En).unwrap();
        assert_eq!(errors(&c), vec![]);
        assert_eq!(c.view.creates, 2);
        let jane = &c.plan.creates[0];
        assert_eq!(jane.email, "jane@example.com");
        assert_eq!(jane.cc, ["a@example.com", "b@example.com"]);
        assert_eq!(jane.mobile.as_deref(), Some("+447700900123"));
        assert!(jane.sms_enabled && jane.wants_transfer && !jane.vip_transfer && !jane.vip_sms);
        assert_eq!(jane.absence_info.as_deref(), Some("Mornings only"));
        // John is further down the file: the store links him after inserting.
        assert_eq!(jane.deputy_id, None);
        assert_eq!(
            c.plan.deputies,
            vec![("jane@example.com".into(), Some("john@example.com".into()))]
        );
        // "X" is yes, but VIP transfer needs an extension — reported, not guessed.
        let c = check(text.replace(",0,X,,", ",0,,,").as_str(), &[], Lang::En).unwrap();
        assert_eq!(errors(&c), vec![]);
    }

    #[test]
    fn tab_separated_file() {
        let c = check(
            "Name\tE-Mail\tPosition\nAnna Alt\ta@example.de\tChefin, Vertrieb\n",
            &[],
            Lang::De,
        )
        .unwrap();
        assert_eq!(errors(&c), vec![]);
        assert_eq!(c.plan.creates[0].position, "Chefin, Vertrieb");
    }

    #[test]
    fn row_errors_name_line_and_field() {
        let existing = [employee(9, "Bernd Bestand", "bernd@example.de")];
        let text = "Name;E-Mail;Mobil;Vertreter;SMS\n\
                    Anna Alt;anna@example.de;;;nein\n\
                    Bad Mail;not-an-address;;;\n\
                    Carl Clean;carl@example.de;0170 1234567;bernd@example.de;ja\n\
                    Dora Dial;dora@example.de;12ab;;\n\
                    Anna Again;ANNA@example.de;;;\n\
                    Emil Ente;emil@example.de;;nobody@example.de;\n\
                    Fritz Flag;fritz@example.de;;;vielleicht\n";
        let c = check(text, &existing, Lang::De).unwrap();
        assert_eq!(
            errors(&c),
            vec![
                (3, "email", "email_invalid"),
                (5, "mobile", "phone_invalid"),
                (6, "email", "csv_duplicate_email"),
                (7, "deputy_id", "deputy_invalid"),
                (8, "sms_enabled", "csv_bool_invalid"),
            ]
        );
        let msg = |line: usize| {
            c.view
                .errors
                .iter()
                .find(|e| e.line == line)
                .map(|e| e.message.as_str())
                .unwrap()
        };
        assert_eq!(msg(6), "Die E-Mail-Adresse kommt in Zeile 2 schon vor.");
        assert!(msg(7).contains("„nobody@example.de“"), "{}", msg(7));
        assert!(msg(8).contains("„vielleicht“"), "{}", msg(8));
        assert_eq!(c.view.rows, 7);
        // Only Anna and Carl are valid.
        assert_eq!((c.view.creates, c.view.updates, c.view.unchanged), (2, 0, 0));
        assert_eq!(c.plan.creates[1].deputy_id, Some(9));

        let en = check(text, &existing, Lang::En).unwrap();
        assert_eq!(
            en.view.errors[2].message,
            "This e-mail address already appears in line 2."
        );
    }

    #[test]
    fn multi_line_cells_shift_line_numbers() {
        let text = "Name;E-Mail;Abwesenheitsinfo\r\n\
                    Anna Alt;anna@example.de;\"Montags nicht.\r\nDienstags auch nicht.\r\n\r\nSonst ja.\"\r\n\
                    \r\n\
                    Bad;bad@;\r\n";
        let c = check(text, &[], Lang::De).unwrap();
        assert_eq!(errors(&c), vec![(7, "email", "email_invalid")]);
        assert_eq!(c.view.rows, 2);
        assert_eq!(
            c.plan.creates[0].absence_info.as_deref(),
            Some("Montags nicht.\r\nDienstags auch nicht.\r\n\r\nSonst ja.")
        );
    }

    #[test]
    fn empty_lines_and_separator_only_lines_are_skipped() {
        let text = "\nName;E-Mail;\n\nAnna Alt;anna@example.de;\n;;\n  \nBea Bau;bea@example.de;\n\n\nBad;bad;\n";
        let c = check(text, &[], Lang::De).unwrap();
        assert_eq!(errors(&c), vec![(10, "email", "email_invalid")]);
        assert_eq!((c.view.rows, c.view.creates), (3, 2));
        let c = check(&text.replace('\n', "\r\n"), &[], Lang::De).unwrap();
        assert_eq!(errors(&c), vec![(10, "email", "email_invalid")]);
        let c = check("Name;E-Mail\n", &[], Lang::De).unwrap();
        assert_eq!((c.view.rows, c.view.creates, c.view.errors.len()), (0, 0, 0));
    }

    #[test]
    fn wrong_field_count_is_a_row_error() {
        let c = check(
            "Name;E-Mail;Position\nAnna;a@example.de;x;y\nBea;b@example.de;z\n",
            &[],
            Lang::De,
        )
        .unwrap();
        assert_eq!(errors(&c), vec![(2, "row", "csv_field_count")]);
        assert_eq!(c.view.creates, 1);
        let c = check("Name;E-Mail;\nAnna;a@example.de;oops\n", &[], Lang::De).unwrap();
        assert_eq!(errors(&c), vec![(2, "row", "csv_value_without_column")]);
    }

    #[test]
    fn german_mobile_spellings_become_e164() {
        for raw in [
            "0170 1234567",
            "0170/1234567",
            "+49 (0)170-1234567",
            "0049 170 1234567",
            "'+491701234567",
        ] {
            let c = check(&format!("Name;E-Mail;Mobil\nAnna;a@example.de;{raw}\n"), &[], Lang::De).unwrap();
            assert_eq!(errors(&c), vec![], "{raw}");
            assert_eq!(c.plan.creates[0].mobile.as_deref(), Some("+491701234567"), "{raw}");
        }
        let c = check("Name;E-Mail;SMS\nAnna;a@example.de;ja\n", &[], Lang::De).unwrap();
        assert_eq!(errors(&c), vec![(2, "mobile", "mobile_required_for_sms")]);
    }

    #[test]
    fn unusable_files_are_file_errors() {
        let codes = |text: &str| file_errors(check(text, &[], Lang::De).unwrap_err());
        assert_eq!(codes(""), vec![file_error("csv_empty", vec![])]);
        assert_eq!(codes(" \r\n\n"), vec![file_error("csv_empty", vec![])]);
        assert_eq!(
            codes("Name;Position\nAnna;x\n"),
            vec![file_error("csv_missing_column", vec![("column", "E-Mail".into())])]
        );
        assert_eq!(
            codes("Name;E-Mail;Geburtstag\n"),
            vec![file_error("csv_unknown_column", vec![("column", "Geburtstag".into())])]
        );
        assert_eq!(
            codes("Name;E-Mail;Email\n"),
            vec![file_error("csv_duplicate_column", vec![("column", "Email".into())])]
        );
        // Everything wrong with the header is reported at once.
        assert_eq!(codes("Vorname,Telefon\n").len(), 4);
    }

    #[test]
    fn headers_are_matched_loosely() {
        for h in ["E-Mail", "email", "E-Mail-Adresse", " EMAIL ", "e_mail"] {
            assert_eq!(column(h), Some(Col::Email), "{h}");
        }
        assert_eq!(column("Vertreter (E-Mail)"), Some(Col::Deputy));
        assert_eq!(column("VIP transfer"), Some(Col::VipTransfer));
        assert_eq!(column("ZUSTÄNDIGKEIT"), Some(Col::Responsibility));
        assert_eq!(column("Telefon"), None);
        assert!(GERMAN_HEADERS
            .iter()
            .enumerate()
            .all(|(i, h)| column(h).map(|c| c as usize) == Some(i)));
    }

    #[test]
    fn updates_list_changed_fields() {
        let mut anna = employee(1, "Anna Alt", "anna@example.de");
        anna.position = "Vertrieb".into();
        anna.mobile = Some("+491701234567".into());
        anna.sms_enabled = true;
        anna.absence_info = "Nur vormittags".into();
        let bea = employee(2, "Bea Bau", "bea@example.de");
        let existing = [anna, bea];
        // No mobile, SMS or absence column: those stay as they are.
        let text = "Name;E-Mail;Position;Durchwahl\n\
                    Anna Alt;ANNA@example.de;Geschäftsführung;\n\
                    Bea Bau;bea@example.de;;\n\
                    Carl Neu;carl@example.de;;\n";
        let c = check(text, &existing, Lang::De).unwrap();
        assert_eq!(errors(&c), vec![]);
        assert_eq!((c.view.creates, c.view.updates, c.view.unchanged), (1, 1, 1));
        let (id, new) = &c.plan.updates[0];
        assert_eq!(*id, 1);
        assert_eq!(new.mobile.as_deref(), Some("+491701234567"));
        assert!(new.sms_enabled);
        assert_eq!(new.absence_info, None);
        let changes: Vec<_> = c
            .view
            .changes
            .iter()
            .map(|c| (c.line, c.action, c.changed.clone()))
            .collect();
        assert_eq!(
            changes,
            vec![(2, "update", vec!["position".to_string()]), (4, "create", vec![])]
        );

        // An empty cell in a present column does clear the value.
        let c = check(
            "Name;E-Mail;Mobil;SMS\nAnna Alt;anna@example.de;;nein\n",
            &existing,
            Lang::De,
        )
        .unwrap();
        assert_eq!(c.view.changes[0].changed, ["sms_enabled", "mobile"]);
        assert_eq!(c.plan.updates[0].1.mobile, None);
    }

    #[test]
    fn deputies_existing_new_self_and_cleared() {
        let mut anna = employee(1, "Anna Alt", "anna@example.de");
        anna.deputy_id = Some(2);
        let existing = [anna, employee(2, "Bea Bau", "bea@example.de")];

        // The only change is a deputy created by this file: still an update.
        let text = "Name;E-Mail;Vertreter\n\
                    Anna Alt;anna@example.de;carl@example.de\n\
                    Carl Neu;carl@example.de;BEA@example.de\n\
                    Bea Bau;bea@example.de;bea@example.de\n";
        let c = check(text, &existing, Lang::De).unwrap();
        assert_eq!(errors(&c), vec![(4, "deputy_id", "deputy_self")]);
        assert_eq!((c.view.creates, c.view.updates, c.view.unchanged), (1, 1, 0));
        assert_eq!(c.plan.updates[0].0, 1);
        assert_eq!(c.plan.updates[0].1.deputy_id, None);
        assert_eq!(c.view.changes[0].changed, ["deputy_id"]);
        assert_eq!(
            c.plan.deputies,
            vec![("anna@example.de".into(), Some("carl@example.de".into()))]
        );
        // Carl's deputy exists already: set directly.
        assert_eq!(c.plan.creates[0].deputy_id, Some(2));

        // Same deputy again: unchanged; an empty cell removes the deputy.
        let c = check(
            "Name;E-Mail;Vertreter\nAnna Alt;anna@example.de;bea@example.de\n",
            &existing,
            Lang::De,
        )
        .unwrap();
        assert_eq!((c.view.updates, c.view.unchanged), (0, 1));
        let c = check(
            "Name;E-Mail;Vertreter\nAnna Alt;anna@example.de;\n",
            &existing,
            Lang::De,
        )
        .unwrap();
        assert_eq!(c.view.changes[0].changed, ["deputy_id"]);
        assert_eq!(c.plan.updates[0].1.deputy_id, None);
        assert!(c.plan.deputies.is_empty());
        // No deputy column: kept.
        let c = check("Name;E-Mail\nAnna Alt;anna@example.de\n", &existing, Lang::De).unwrap();
        assert_eq!(c.view.unchanged, 1);
    }

    #[test]
    fn booleans_in_all_spellings() {
        for (v, want) in [
            ("ja", true),
            ("JA", true),
            ("Yes", true),
            ("true", true),
            ("1", true),
            ("x", true),
        ] {
            assert_eq!(parse_bool(v), Some(want), "{v}");
        }
        for v in ["nein", "No", "FALSE", "0", "", " "] {
            assert_eq!(parse_bool(v), Some(false), "{v}");
        }
        assert_eq!(parse_bool("vielleicht"), None);
        assert_eq!(parse_bool("j"), None);
    }

    #[test]
    fn delimiter_sniffing() {
        assert_eq!(sniff_delimiter("Name;E-Mail;Position"), b';');
        assert_eq!(sniff_delimiter("Name,E-Mail,Position"), b',');
        assert_eq!(sniff_delimiter("Name\tE-Mail"), b'\t');
        assert_eq!(sniff_delimiter("\"Name, voll\";E-Mail"), b';');
        assert_eq!(sniff_delimiter("\n\nName,E-Mail"), b',');
    }

    #[test]
    fn formula_guard_round_trips() {
        for v in [
            "=1+1",
            "@SUM(A1)",
            "+x",
            "-x",
            "'=x",
            "''x",
            "'x",
            "+49 170 1234567",
            "-12",
            "plain",
            "",
        ] {
            assert_eq!(unguard(&guard(v)), v, "{v}");
        }
        assert_eq!(guard("+49 170 1234567"), "+49 170 1234567");
        assert_eq!(guard("=1+1"), "'=1+1");
    }

    /// `cargo test -p domain --release -- --ignored --nocapture check_100k`
    #[test]
    #[ignore = "timing, run by hand"]
    fn check_100k() {
        let existing: Vec<Employee> = (0..50_000)
            .map(|i| employee(i, &format!("Nachname{i}, Vorname"), &format!("person{i}@example.de")))
            .collect();
        let staff: Vec<Employee> = (0..100_000)
            .map(|i| {
                let mut e = employee(i, &format!("Nachname{i}, Vorname"), &format!("person{i}@example.de"));
                e.position = if i % 3 == 0 { "Vertrieb".into() } else { String::new() };
                e.mobile = Some(format!("+49170{i:07}"));
                e.sms_enabled = i % 2 == 0;
                e.deputy_id = Some((i + 1) % 100_000);
                e.absence_info = "Nur vormittags im Haus".into();
                e
            })
            .collect();
        let text = decode(&export(&staff));
        drop(staff);
        let start = std::time::Instant::now();
        let c = check(&text, &existing, Lang::De).unwrap();
        eprintln!("check of 100,000 rows ({} bytes): {:?}", text.len(), start.elapsed());
        assert_eq!(errors(&c), vec![]);
        assert_eq!((c.view.creates, c.view.updates), (50_000, 50_000));
    }
}
