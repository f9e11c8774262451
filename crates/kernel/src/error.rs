//! One error type for the domain. Storage errors are turned into it by the
//! store, and the web layer turns it into responses in exactly one place.

/// A problem with one input field. `code` is a stable machine code; the
/// web layer shows the translation under `errors.<code>` with `params`
/// filled in, next to the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub params: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: &str, code: &'static str) -> Self {
        Self::with(field, code, Vec::new())
    }
    pub fn with(field: &str, code: &'static str, params: Vec<(&'static str, String)>) -> Self {
        FieldError {
            field: field.to_string(),
            code,
            params,
        }
    }
}

/// What can go wrong in a use case, independent of HTTP and SQL.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Bad input; never empty. All problems of one submission at once.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{} ({})", e.field, e.code)).collect::<Vec<_>>().join(", "))]
    Validation(Vec<FieldError>),
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The input is fine but clashes with existing data (a taken number).
    #[error("conflict on {}: {}", .0.field, .0.code)]
    Conflict(FieldError),
    /// Not signed in, or credentials/link not valid; `code` says which.
    #[error("unauthenticated: {code}")]
    Unauthenticated { code: &'static str },
    #[error("forbidden")]
    Forbidden,
    #[error("too many attempts, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn validation(field: &str, code: &'static str) -> Self {
        DomainError::Validation(vec![FieldError::new(field, code)])
    }

    pub fn validation_with(field: &str, code: &'static str, params: Vec<(&'static str, String)>) -> Self {
        DomainError::Validation(vec![FieldError::with(field, code, params)])
    }

    pub fn conflict(field: &str, code: &'static str) -> Self {
        DomainError::Conflict(FieldError::new(field, code))
    }

    pub fn not_found(what: &'static str) -> Self {
        DomainError::NotFound { what }
    }

    pub fn unauthenticated() -> Self {
        DomainError::Unauthenticated {
            code: "unauthenticated",
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        DomainError::Internal(e.to_string())
    }

    /// The stable machine code clients can switch on.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Validation(errors) => errors.first().map(|e| e.code).unwrap_or("invalid"),
            DomainError::Conflict(e) => e.code,
            DomainError::NotFound { .. } => "not_found",
            DomainError::Unauthenticated { code } => code,
            DomainError::Forbidden => "forbidden",
            DomainError::RateLimited { .. } => "rate_limited",
            DomainError::Internal(_) => "internal",
        }
    }

    /// The field problems this error carries (empty for non-field errors).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            DomainError::Validation(errors) => errors,
            DomainError::Conflict(e) => std::slice::from_ref(e),
            _ => &[],
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;
