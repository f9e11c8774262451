//! What agents' call screens need of one account, kept in memory. The
//! screen is the hottest path of the console (every incoming call), and
//! the data behind it changes rarely. Every change to an account's
//! secretary data writes an audit record in the same transaction, so the
//! newest audit id is a version: the screen reads it together with the
//! call (one query) and reloads the snapshot only when it moved. Correct
//! with several nodes, as the database decides.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kernel::{AccountId, Timestamp};

use super::{next_step, Reachability, Step};
use crate::secretary::schedule::active_at;
use crate::secretary::{Appointment, Employee, Faq, Settings, Vip};

/// Most accounts kept; beyond that the cache starts afresh.
const MAX_ACCOUNTS: usize = 20_000;

/// One account's secretary data as of `version`.
pub struct Snapshot {
    pub version: i64,
    /// The company name the default greeting was made with.
    pub company: String,
    pub settings: Settings,
    /// Sorted by last name.
    pub employees: Vec<Employee>,
    /// Appointments not ended when the snapshot was taken, by employee.
    pub appointments: HashMap<i64, Vec<Appointment>>,
    pub vips: Vec<Vip>,
    pub faqs: Vec<Faq>,
    /// Each employee's first routing step (same order as `employees`), for
    /// callers who are no VIP (`[0]`) and for VIPs (`[1]`).
    pub first_steps: [Vec<Step>; 2],
    /// Each employee's deputy's name (same order as `employees`).
    pub deputy_names: Vec<Option<String>>,
    /// The routing facts of the employees, by id.
    pub people: HashMap<i64, Reachability>,
}

impl Snapshot {
    /// The employee's status at `at` and whether an appointment gives it.
    pub fn status(&self, e: &Employee, at: Timestamp) -> (String, bool) {
        match self.appointments.get(&e.id).and_then(|a| active_at(a, at)) {
            Some(a) => (a.text.clone(), true),
            None => (e.absence_info.clone(), false),
        }
    }

    /// VIP entries with this caller ID.
    pub fn vips_for(&self, caller_id: &str) -> Vec<Vip> {
        if caller_id.is_empty() {
            return Vec::new();
        }
        self.vips.iter().filter(|v| v.phone == caller_id).cloned().collect()
    }
}

/// The routing facts of the employees, by id.
fn reachability(employees: &[Employee]) -> HashMap<i64, Reachability> {
    employees
        .iter()
        .map(|e| {
            (
                e.id,
                Reachability {
                    id: e.id,
                    name: e.name.clone(),
                    extension: e.extension.clone(),
                    wants_transfer: e.wants_transfer,
                    vip_transfer: e.vip_transfer,
                    deputy_id: e.deputy_id,
                },
            )
        })
        .collect()
}

impl Snapshot {
    /// Builds the snapshot and what can be worked out once for it.
    pub fn new(
        version: i64,
        company: &str,
        settings: Settings,
        employees: Vec<Employee>,
        appointments: Vec<Appointment>,
        vips: Vec<Vip>,
        faqs: Vec<Faq>,
    ) -> Self {
        let mut by_employee: HashMap<i64, Vec<Appointment>> = HashMap::new();
        for a in appointments {
            by_employee.entry(a.employee_id).or_default().push(a);
        }
        let people = reachability(&employees);
        let steps = |vip: bool| -> Vec<Step> {
            employees
                .iter()
                .map(|e| {
                    next_step(&people, e.id, &[], settings.with_transfer, vip).unwrap_or(Step::Message {
                        employee_id: e.id,
                        name: e.name.clone(),
                    })
                })
                .collect()
        };
        let first_steps = [steps(false), steps(true)];
        let deputy_names = employees
            .iter()
            .map(|e| e.deputy_id.and_then(|d| people.get(&d)).map(|p| p.name.clone()))
            .collect();
        Snapshot {
            version,
            company: company.to_string(),
            settings,
            employees,
            appointments: by_employee,
            vips,
            faqs,
            first_steps,
            deputy_names,
            people,
        }
    }
}

/// Snapshots by account.
#[derive(Default, Clone)]
pub struct SnapshotCache {
    inner: Arc<Mutex<HashMap<AccountId, Arc<Snapshot>>>>,
}

impl SnapshotCache {
    /// The snapshot if it is as new as `version` and made for `company`.
    pub fn get(&self, account: AccountId, version: i64, company: &str) -> Option<Arc<Snapshot>> {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&account)
            .filter(|s| s.version >= version && s.company == company)
            .cloned()
    }

    pub fn put(&self, account: AccountId, snapshot: Arc<Snapshot>) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ACCOUNTS && !map.contains_key(&account) {
            map.clear();
        }
        map.insert(account, snapshot);
    }
}
