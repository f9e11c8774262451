//! HTML forms: CSRF-checked parsing and the state a form is re-rendered
//! with (entered values, a message next to each bad field).

use std::collections::HashMap;

use axum::extract::{FromRequest, Request};
use kernel::{DomainError, Lang};
use serde::de::DeserializeOwned;

use crate::context::Ctx;
use crate::error::{field_message, PageError, WebError};

/// A form body whose `_csrf` field matched the visitor's CSRF cookie
/// (double-submit token; compared in constant time).
pub struct CsrfForm<T> {
    pub data: T,
    /// All submitted fields, to re-fill the form after an error.
    pub raw: HashMap<String, String>,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let ctx = req
            .extensions()
            .get::<Ctx>()
            .cloned()
            .expect("context middleware installed");
        let bytes = crate::extract::read_body(req, state).await?;
        let raw: HashMap<String, String> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let token = raw.get("_csrf").map(String::as_str).unwrap_or("");
        if !domain::token::secrets_equal(token, &ctx.csrf) {
            return Err(WebError::Csrf.into());
        }
        let data = serde_urlencoded::from_bytes(&bytes).map_err(|e| WebError::InvalidJson {
            field: "form".into(),
            detail: e.to_string(),
        })?;
        Ok(CsrfForm { data, raw })
    }
}

/// A form that carries nothing but its CSRF token (buttons like "delete").
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// Values and per-field messages of a form being shown again.
#[derive(Default, Clone)]
pub struct FormState {
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    /// A message for the whole form (e.g. wrong password).
    pub general: Option<String>,
}

impl FormState {
    pub fn with_values(values: HashMap<String, String>) -> Self {
        FormState {
            values,
            ..Default::default()
        }
    }

    /// The submitted values with the problems of `e` attached: a form
    /// shown again after a refused submission.
    pub fn failed(values: HashMap<String, String>, e: &DomainError, lang: Lang) -> Self {
        let mut fs = Self::with_values(values);
        fs.add_error(e, lang);
        fs
    }

    pub fn val(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_string(), value.to_string());
    }

    pub fn err(&self, name: &str) -> Option<&str> {
        self.errors.get(name).map(String::as_str)
    }

    pub fn has_err(&self, name: &str) -> bool {
        self.errors.contains_key(name)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.general.is_some()
    }

    /// Puts a domain error's messages next to their fields; errors not
    /// tied to a field become the general message.
    pub fn add_error(&mut self, e: &DomainError, lang: Lang) {
        let fields = e.field_errors();
        if fields.is_empty() {
            self.general = Some(WebError::Domain(clone_shallow(e)).message(lang));
        }
        for fe in fields {
            self.errors
                .entry(fe.field.clone())
                .or_insert_with(|| field_message(lang, fe));
        }
    }
}

fn clone_shallow(e: &DomainError) -> DomainError {
    match e {
        DomainError::NotFound { what } => DomainError::NotFound { what },
        DomainError::Unauthenticated { code } => DomainError::Unauthenticated { code },
        DomainError::Forbidden => DomainError::Forbidden,
        DomainError::RateLimited { retry_after_secs } => DomainError::RateLimited {
            retry_after_secs: *retry_after_secs,
        },
        other => DomainError::Internal(other.to_string()),
    }
}

/// A file posted with `multipart/form-data` as the field `file`, after the
/// form's `_csrf` field was checked (the CSV import, logo uploads).
pub struct Upload {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

impl Upload {
    pub async fn read(ctx: &Ctx, mut multipart: axum::extract::Multipart) -> Result<Upload, PageError> {
        let err = |e: axum::extract::multipart::MultipartError| -> PageError {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                WebError::PayloadTooLarge.into()
            } else {
                WebError::MalformedJson(e.body_text()).into()
            }
        };
        let (mut csrf, mut upload) = (
            String::new(),
            Upload {
                bytes: Vec::new(),
                file_name: String::new(),
            },
        );
        while let Some(field) = multipart.next_field().await.map_err(err)? {
            match field.name() {
                Some("_csrf") => csrf = field.text().await.map_err(err)?,
                Some("file") => {
                    upload.file_name = field.file_name().unwrap_or("").to_string();
                    upload.bytes = field.bytes().await.map_err(err)?.to_vec();
                }
                _ => {}
            }
        }
        if !domain::token::secrets_equal(&csrf, &ctx.csrf) {
            return Err(WebError::Csrf.into());
        }
        Ok(upload)
    }
}
