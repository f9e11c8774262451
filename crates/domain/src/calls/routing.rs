//! Who the agent puts a caller through to. The rule (seed 001): with a
//! tariff that includes transfer, a caller is put through to the employee
//! they ask for when that employee wants transfers, or wants VIP
//! transfers and the caller is a VIP; otherwise a message is taken. When
//! the employee does not answer, their deputy is tried (under the same
//! rule), then the deputy's deputy, never anyone twice; when nobody is
//! left, the agent takes a message for the employee asked for.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// What the agent does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Step {
    /// Announce the caller and put them through to this person.
    Transfer {
        employee_id: i64,
        name: String,
        extension: String,
        /// True when this is a deputy of the employee asked for.
        deputy: bool,
    },
    /// Take a message for the employee asked for.
    Message { employee_id: i64, name: String },
}

/// The routing facts of one employee.
#[derive(Debug, Clone)]
pub struct Reachability {
    pub id: i64,
    pub name: String,
    pub extension: String,
    pub wants_transfer: bool,
    pub vip_transfer: bool,
    pub deputy_id: Option<i64>,
}

impl Reachability {
    fn takes_transfer(&self, vip: bool) -> bool {
        self.wants_transfer || (self.vip_transfer && vip)
    }
}

/// The next step for a caller asking for `target`, after the people in
/// `unanswered` did not pick up. `None` when `target` is unknown.
pub fn next_step(
    people: &HashMap<i64, Reachability>,
    target: i64,
    unanswered: &[i64],
    with_transfer: bool,
    vip: bool,
) -> Option<Step> {
    let asked = people.get(&target)?;
    let message = Step::Message {
        employee_id: asked.id,
        name: asked.name.clone(),
    };
    if !with_transfer || !asked.takes_transfer(vip) {
        return Some(message);
    }
    let mut seen = HashSet::new();
    let mut current = Some(asked);
    while let Some(person) = current {
        if !seen.insert(person.id) {
            break;
        }
        if person.takes_transfer(vip) && !unanswered.contains(&person.id) {
            return Some(Step::Transfer {
                employee_id: person.id,
                name: person.name.clone(),
                extension: person.extension.clone(),
                deputy: person.id != target,
            });
        }
        current = person.deputy_id.and_then(|d| people.get(&d));
    }
    Some(message)
}

/// True when `who` is `target` or on its deputy chain (whom the agent may
/// have connected the caller with).
pub fn in_chain(people: &HashMap<i64, Reachability>, target: i64, who: i64) -> bool {
    let mut seen = HashSet::new();
    let mut current = people.get(&target);
    while let Some(p) = current {
        if p.id == who {
            return true;
        }
        if !seen.insert(p.id) {
            return false;
        }
        current = p.deputy_id.and_then(|d| people.get(&d));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, wants: bool, vip: bool, deputy: Option<i64>) -> (i64, Reachability) {
        (
            id,
            Reachability {
                id,
                name: format!("P{id}"),
                extension: format!("{id}0"),
                wants_transfer: wants,
                vip_transfer: vip,
                deputy_id: deputy,
            },
        )
    }

    fn transfer_to(step: Option<Step>) -> Option<i64> {
        match step? {
            Step::Transfer { employee_id, .. } => Some(employee_id),
            Step::Message { .. } => None,
        }
    }

    #[test]
    fn transfer_only_with_tariff_and_wish() {
        let people: HashMap<_, _> = [person(1, true, false, None), person(2, false, true, None)].into();
        assert_eq!(transfer_to(next_step(&people, 1, &[], true, false)), Some(1));
        assert_eq!(
            transfer_to(next_step(&people, 1, &[], false, false)),
            None,
            "tariff without transfer"
        );
        assert_eq!(
            transfer_to(next_step(&people, 2, &[], true, false)),
            None,
            "VIP transfer, no VIP"
        );
        assert_eq!(
            transfer_to(next_step(&people, 2, &[], true, true)),
            Some(2),
            "VIP transfer, VIP"
        );
        assert_eq!(next_step(&people, 9, &[], true, true), None);
    }

    #[test]
    fn deputy_chain_skips_those_who_take_no_transfers_and_never_loops() {
        // 1 -> 2 (takes none) -> 3 -> 1 (a loop)
        let people: HashMap<_, _> = [
            person(1, true, false, Some(2)),
            person(2, false, false, Some(3)),
            person(3, true, false, Some(1)),
        ]
        .into();
        assert_eq!(transfer_to(next_step(&people, 1, &[1], true, false)), Some(3));
        match next_step(&people, 1, &[1, 3], true, false).unwrap() {
            Step::Message { employee_id, .. } => assert_eq!(employee_id, 1, "message for the one asked for"),
            s => panic!("{s:?}"),
        }
        assert!(in_chain(&people, 1, 3));
        assert!(!in_chain(&people, 3, 9));
    }
}
