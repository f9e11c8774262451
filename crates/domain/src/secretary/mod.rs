//! The virtual secretary, customer side (PRODUCT.md section 2, seed 001):
//! company settings with the greeting, employees, absence info and
//! appointments, VIP callers, FAQ, CSV import/export and the audit log.
//! Agents (issue 5) read what is kept here.

pub mod csv;
mod model;
mod ports;
pub mod schedule;
mod service;

pub use model::*;
pub use ports::{ImportPlan, SecretaryStore};
pub use service::{Access, EmployeeStatus, SecretaryService};
