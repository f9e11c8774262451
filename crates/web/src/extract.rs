//! Extractors that turn requests into checked inputs: the signed-in user
//! (with role checks), JSON bodies with precise errors, path and query
//! parameters that fail as JSON errors instead of plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use domain::identity::User;
use kernel::DomainError;
use serde::de::DeserializeOwned;

use crate::context::Ctx;
use crate::error::{ApiError, PageError, WebError};

fn ctx(parts: &Parts) -> Option<&Ctx> {
    parts.extensions.get::<Ctx>()
}

/// The signed-in user of an API call (401 otherwise).
pub struct ApiUser(pub User);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        ctx(parts)
            .and_then(|c| c.user.clone())
            .map(ApiUser)
            .ok_or_else(|| DomainError::unauthenticated().into())
    }
}

/// The signed-in operator of an API call (401/403 otherwise).
pub struct ApiOperator(#[allow(dead_code)] pub User);

impl<S: Send + Sync> FromRequestParts<S> for ApiOperator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, ApiError> {
        let ApiUser(user) = ApiUser::from_request_parts(parts, s).await?;
        if user.is_operator() {
            Ok(ApiOperator(user))
        } else {
            Err(DomainError::Forbidden.into())
        }
    }
}

/// The signed-in user of a page (redirect to sign-in otherwise).
pub struct PageUser(pub User);

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PageError> {
        ctx(parts)
            .and_then(|c| c.user.clone())
            .map(PageUser)
            .ok_or_else(|| DomainError::unauthenticated().into())
    }
}

/// The signed-in operator of a page.
pub struct PageOperator(pub User);

impl<S: Send + Sync> FromRequestParts<S> for PageOperator {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, PageError> {
        let PageUser(user) = PageUser::from_request_parts(parts, s).await?;
        if user.is_operator() {
            Ok(PageOperator(user))
        } else {
            Err(DomainError::Forbidden.into())
        }
    }
}

/// A JSON body. Requires `Content-Type: application/json` (which also
/// keeps other sites' plain forms out), and reports the exact field of a
/// type error.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let mime = ct.split(';').next().unwrap_or("").trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !json {
            return Err(WebError::UnsupportedMediaType.into());
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(ApiJson).map_err(ApiError)
    }
}

/// The whole body within the size limit (413 beyond it).
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, WebError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            WebError::PayloadTooLarge
        } else {
            WebError::MalformedJson(e.body_text())
        }
    })
}

/// Parses JSON, telling syntax errors (400) from shape errors (422, with
/// the path of the offending field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WebError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => WebError::MalformedJson(inner.to_string()),
            serde_json::error::Category::Data => {
                let detail = inner.to_string();
                // A missing field is reported at its parent's path; name it.
                let named = detail.split('`').nth(1).filter(|_| detail.starts_with("missing field"));
                let field = match (field.as_str(), named) {
                    (".", Some(n)) => n.to_string(),
                    (p, Some(n)) => format!("{p}.{n}"),
                    (p, None) => p.to_string(),
                };
                WebError::InvalidJson { field, detail }
            }
        }
    })
}

/// Path parameters; a bad one is a 404 in the API's error format.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, s)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|_| WebError::NotFound.into())
    }
}

/// Path parameters for pages; a bad one is the 404 page.
pub struct PagePath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PagePath<T> {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, PageError> {
        Path::<T>::from_request_parts(parts, s)
            .await
            .map(|Path(v)| PagePath(v))
            .map_err(|_| WebError::NotFound.into())
    }
}

/// Query parameters; a bad one is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, s)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| {
                WebError::InvalidJson {
                    field: "query".into(),
                    detail: e.body_text(),
                }
                .into()
            })
    }
}

/// Query parameters of a page; a bad one is the error page naming it
/// (instead of axum's plain-text rejection).
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, PageError> {
        Query::<T>::from_request_parts(parts, s)
            .await
            .map(|Query(v)| PageQuery(v))
            .map_err(|e| {
                WebError::InvalidJson {
                    field: "query".into(),
                    detail: e.body_text(),
                }
                .into()
            })
    }
}
