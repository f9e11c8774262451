//! The help page of the secretary area (German and English), in the
//! spirit of the original help text (seed 001).

use askama::Template;
use axum::response::Response;

use crate::context::Ctx;
use crate::pages::render;

pub struct HelpSection {
    pub id: &'static str,
    pub title: String,
    pub paragraphs: Vec<String>,
}

#[derive(Template)]
#[template(path = "secretary/help.html")]
struct HelpPage<'a> {
    ctx: &'a Ctx,
    sections: Vec<HelpSection>,
}

/// (anchor, number of paragraphs) of each section, in reading order.
const SECTIONS: [(&str, usize); 11] = [
    ("intro", 1),
    ("settings", 4),
    ("employees", 5),
    ("transfer", 3),
    ("schedule", 3),
    ("login", 1),
    ("import", 3),
    ("vips", 2),
    ("faq", 2),
    ("calls", 3),
    ("statistics", 2),
];

pub async fn page(ctx: Ctx) -> Response {
    let sections = SECTIONS
        .iter()
        .map(|(id, n)| HelpSection {
            id,
            title: ctx.t(&format!("secretary.help.{id}.title")),
            paragraphs: (1..=*n).map(|i| ctx.t(&format!("secretary.help.{id}.p{i}"))).collect(),
        })
        .collect();
    render(&HelpPage { ctx: &ctx, sections })
}
