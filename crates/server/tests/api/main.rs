//! Black-box tests: the real server on a random port with its own fresh
//! database, once on SQLite and once on PostgreSQL (`…::sqlite` /
//! `…::postgres`), talking HTTP, SMTP and to the real binary.

mod helpers;

mod accounts;
mod api_errors;
mod auth;
mod browser;
mod browser_calls;
mod browser_cards;
mod browser_conference;
mod browser_planner;
mod browser_registration;
mod browser_rooms;
mod calls;
mod calls_pages;
mod cards;
mod conference;
mod outbox;
mod phone;
mod planner;
mod portal;
mod portal_pages;
mod process;
mod rooms;
mod secretary;
mod secretary_pages;
mod system;
