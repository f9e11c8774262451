//! Database errors turned into domain errors. Unique violations become
//! `Conflict`s on the field the constraint guards, so the user is told
//! "this customer number is taken" instead of "internal error".

use kernel::DomainError;

/// Constraint name → (field, error code). Constraint names are the same on
/// both backends (see migrations); SQLite reports columns instead, so the
/// column list is matched too.
const UNIQUE: &[(&str, &str, &str, &str)] = &[
    (
        "accounts_customer_number_key",
        "accounts.customer_number",
        "customer_number",
        "customer_number_taken",
    ),
    ("users_email_key", "users.email_normalized", "email", "email_taken"),
    (
        "employees_email_unique",
        "employees.account_id, employees.email",
        "email",
        "employee_email_taken",
    ),
    (
        "service_numbers_pkey",
        "service_numbers.number",
        "number",
        "service_number_taken",
    ),
];

pub(crate) fn map(err: sqlx::Error) -> DomainError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() {
            let constraint = db.constraint().unwrap_or("");
            let message = db.message();
            for (name, columns, field, code) in UNIQUE {
                if constraint == *name || message.contains(columns) {
                    return DomainError::conflict(field, code);
                }
            }
            return DomainError::conflict("id", "already_exists");
        }
    }
    if let sqlx::Error::RowNotFound = err {
        return DomainError::not_found("record");
    }
    tracing::error!(error = %err, "database error");
    DomainError::internal(err)
}

pub(crate) trait MapDb<T> {
    fn db(self) -> Result<T, DomainError>;
}

impl<T> MapDb<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, DomainError> {
        self.map_err(map)
    }
}
