//! SQL storage for SQLite and PostgreSQL. One set of queries serves both:
//! sqlx's `Any` driver picks the backend from the URL at runtime, and the
//! SQL is kept to the common subset (`$n` parameters, `RETURNING`,
//! `ON CONFLICT`, BIGINT millisecond timestamps). Every query on tenant
//! data takes the tenant id.

mod accounts;
mod calls;
mod cards;
mod conference;
mod db;
mod error;
mod identity;
mod migrate;
mod network;
mod outbox;
mod planner;
mod portal;
mod rooms;
mod secretary;
mod throttle;

pub use db::{Backend, Db, DbError};
pub use migrate::MIGRATIONS;
