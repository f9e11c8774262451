//! CSV import and export of employees, as German offices exchange them:
//! UTF-8 (with or without BOM) or Windows-1252, comma or semicolon,
//! German or English headers. The import is planned first (creates,
//! updates matched by e-mail, per-row errors) and written only on confirm.

use kernel::{DomainResult, Lang};
use serde::Serialize;

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

/// Decodes the bytes: UTF-8 (a BOM is dropped), else Windows-1252.
pub fn decode(_bytes: &[u8]) -> String {
    todo!("csv helper")
}

/// Parses and checks the file against the account's current employees.
/// Never fails for bad rows (they become `RowError`s); fails only when
/// the file itself is unusable (no header, unknown columns, …) — as a
/// Validation error on field "file".
pub fn check(_text: &str, _existing: &[Employee], _lang: Lang) -> DomainResult<Checked> {
    todo!("csv helper")
}

/// The employees as CSV: UTF-8 with BOM, semicolon-separated, German
/// headers, so Excel opens it directly and [`check`] reads it back unchanged.
pub fn export(_employees: &[Employee]) -> Vec<u8> {
    todo!("csv helper")
}
