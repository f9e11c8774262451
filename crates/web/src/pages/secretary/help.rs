//! The in-app help pages (German and English), in the spirit of the
//! original help texts: the secretary (seed 001) and company cards (seed 000).

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
    /// Translation prefix of the area, e.g. `secretary.help`.
    area: &'static str,
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

/// The same for company cards, the Info Counter and networking.
const CARD_SECTIONS: [(&str, usize); 6] = [
    ("access", 2),
    ("team", 2),
    ("office", 2),
    ("share", 2),
    ("counter", 3),
    ("link", 2),
];

fn help(ctx: &Ctx, area: &'static str, sections: &[(&'static str, usize)]) -> Response {
    let sections = sections
        .iter()
        .map(|(id, n)| HelpSection {
            id,
            title: ctx.t(&format!("{area}.{id}.title")),
            paragraphs: (1..=*n).map(|i| ctx.t(&format!("{area}.{id}.p{i}"))).collect(),
        })
        .collect();
    render(&HelpPage { ctx, area, sections })
}

pub async fn page(ctx: Ctx) -> Response {
    help(&ctx, "secretary.help", &SECTIONS)
}

pub async fn cards(ctx: Ctx) -> Response {
    help(&ctx, "cards.help", &CARD_SECTIONS)
}
