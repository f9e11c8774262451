//! The OpenAPI document and a browsable page built from it, server-side,
//! so the docs work offline and under a strict content security policy.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use utoipa::openapi::OpenApi;

use crate::context::Ctx;
use crate::pages::render;
use crate::state::AppState;

pub fn docs_router(openapi: Arc<OpenApi>) -> Router<AppState> {
    let json: Arc<Value> = Arc::new(serde_json::to_value(&*openapi).unwrap_or_default());
    let for_page = json.clone();
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json((*json).clone()) }),
        )
        .route(
            "/api/docs",
            get(move |ctx: Ctx| async move { docs_page(&ctx, &for_page) }),
        )
}

struct Op {
    method: String,
    path: String,
    summary: String,
    description: String,
    request: Option<String>,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage<'a> {
    ctx: &'a Ctx,
    groups: Vec<(String, Vec<Op>)>,
}

/// Resolves `$ref`s one level deep so the request shape is readable.
fn schema_text(schema: &Value, doc: &Value) -> String {
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or("");
            doc.pointer(&format!("/components/schemas/{name}"))
                .cloned()
                .unwrap_or(Value::Null)
        }
        None => schema.clone(),
    };
    serde_json::to_string_pretty(&resolved).unwrap_or_default()
}

fn docs_page(ctx: &Ctx, doc: &Value) -> Response {
    let mut groups: BTreeMap<String, Vec<Op>> = BTreeMap::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                let tag = op
                    .pointer("/tags/0")
                    .and_then(Value::as_str)
                    .unwrap_or("other")
                    .to_string();
                let text = |k: &str| op.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                let request = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(|s| schema_text(s, doc));
                let responses = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .map(|r| {
                        r.iter()
                            .map(|(status, v)| {
                                (
                                    status.clone(),
                                    v.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                groups.entry(tag).or_default().push(Op {
                    method: method.clone(),
                    path: path.clone(),
                    summary: text("summary"),
                    description: text("description"),
                    request,
                    responses,
                });
            }
        }
    }
    render(&DocsPage {
        ctx,
        groups: groups.into_iter().collect(),
    })
}
