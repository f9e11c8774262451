use std::sync::Arc;

use kernel::phone::E164;
use kernel::{AccountId, DomainError, DomainResult, Lang, Timestamp};

use super::notify::{self, Notice};
use super::snapshot::{Snapshot, SnapshotCache};
use super::stats::{self, Period, PeriodInput, Stats};
use super::{
    check_fields, in_chain, next_step, ApiToken, ApiTokenInput, Call, CallEvent, CallEvents, CallPage, CallScreen,
    CallStatus, CallStore, CreatedApiToken, IncomingCall, ManualCall, NewCall, NewNote, Note, NoteInput, Onboarding,
    OnboardingStep, Outcome, ScreenEmployee, ServiceNumber, Step, VipHit,
};
use crate::accounts::AccountStore;
use crate::identity::{PlatformRole, User};
use crate::secretary::schedule::zone;
use crate::secretary::{
    render_greeting, split_name, Access, SecretaryService, SecretaryStore, Vip, NO_TRANSFER_NOTICE,
};
use crate::Env;

/// Calls for agents, customers and the operator.
#[derive(Clone)]
pub struct CallService {
    store: Arc<dyn CallStore>,
    secretary_store: Arc<dyn SecretaryStore>,
    secretary: SecretaryService,
    accounts: Arc<dyn AccountStore>,
    events: Arc<dyn CallEvents>,
    snapshots: SnapshotCache,
    env: Env,
}

fn require_agent(actor: &User) -> DomainResult<()> {
    match actor.platform_role {
        Some(PlatformRole::Agent | PlatformRole::Operator) => Ok(()),
        None => Err(DomainError::Forbidden),
    }
}

fn require_operator(actor: &User) -> DomainResult<()> {
    if actor.is_operator() {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// A caller ID as E.164, or empty when withheld.
fn caller_id(raw: Option<&str>) -> DomainResult<String> {
    let raw = raw.map(str::trim).unwrap_or("");
    if raw.is_empty() || ["anonymous", "unknown", "restricted", "withheld"].contains(&raw.to_lowercase().as_str()) {
        return Ok(String::new());
    }
    Ok(E164::parse(raw, "caller_id")?.as_str().to_string())
}

fn vip_hits(vips: &[Vip]) -> Vec<VipHit> {
    vips.iter()
        .map(|v| VipHit {
            name: v.name.clone(),
            note: v.note.clone(),
            employee_id: v.employee_id,
            employee_name: v.employee_name.clone(),
        })
        .collect()
}

/// The VIP entry that applies to a call for `employee`: theirs, else company-wide.
fn vip_for(vips: &[Vip], employee: i64) -> Option<&Vip> {
    vips.iter()
        .find(|v| v.employee_id == Some(employee))
        .or_else(|| vips.iter().find(|v| v.employee_id.is_none()))
}

impl CallService {
    pub fn new(
        store: Arc<dyn CallStore>,
        secretary_store: Arc<dyn SecretaryStore>,
        secretary: SecretaryService,
        accounts: Arc<dyn AccountStore>,
        events: Arc<dyn CallEvents>,
        env: Env,
    ) -> Self {
        Self {
            store,
            secretary_store,
            secretary,
            accounts,
            events,
            snapshots: SnapshotCache::default(),
            env,
        }
    }

    fn now(&self) -> Timestamp {
        self.env.clock.now()
    }

    /// A call reported by a telephone system. The token must be an active
    /// API token; it allows this and nothing else.
    pub async fn ingest(&self, secret: &str, input: &IncomingCall) -> DomainResult<Call> {
        let hash = crate::token::hash_token(secret);
        if self.store.use_api_token(&hash, self.now()).await?.is_none() {
            return Err(DomainError::Unauthenticated {
                code: "api_token_invalid",
            });
        }
        let number = E164::parse(&input.service_number, "service_number")?;
        let caller = caller_id(input.caller_id.as_deref())?;
        let Some(account) = self.store.account_of_number(number.as_str()).await? else {
            return Err(DomainError::validation("service_number", "service_number_unknown"));
        };
        let call = self
            .store
            .create_call(&NewCall {
                account_id: account,
                service_number: number.as_str().to_string(),
                caller_id: caller,
                received_at: self.now(),
                source: "api",
                agent: None,
            })
            .await?;
        self.events.publish(CallEvent::Queued { call: call.clone() });
        Ok(call)
    }

    /// A call an agent opens by hand; it is theirs at once.
    pub async fn open(&self, actor: &User, input: &ManualCall) -> DomainResult<Call> {
        require_agent(actor)?;
        let account = AccountId(input.account_id);
        self.accounts
            .get(account)
            .await
            .map_err(|_| DomainError::validation("account_id", "account_unknown"))?;
        let caller = caller_id(input.caller_id.as_deref())?;
        let number = self.store.first_number(account).await?.unwrap_or_default();
        let call = self
            .store
            .create_call(&NewCall {
                account_id: account,
                service_number: number,
                caller_id: caller,
                received_at: self.now(),
                source: "console",
                agent: Some((actor.id, actor.display_name())),
            })
            .await?;
        self.events.publish(CallEvent::Claimed { call: call.clone() });
        Ok(call)
    }

    /// Calls waiting or being answered, oldest first.
    pub async fn queue(&self, actor: &User) -> DomainResult<Vec<Call>> {
        require_agent(actor)?;
        self.store.open_calls().await
    }

    /// Takes a waiting call; exactly one of several agents trying wins.
    pub async fn claim(&self, actor: &User, id: i64) -> DomainResult<Call> {
        require_agent(actor)?;
        let call = self
            .store
            .claim(id, actor.id, &actor.display_name(), self.now())
            .await?;
        self.events.publish(CallEvent::Claimed { call: call.clone() });
        Ok(call)
    }

    /// Puts a call the agent holds back into the queue.
    pub async fn release(&self, actor: &User, id: i64) -> DomainResult<Call> {
        require_agent(actor)?;
        let call = self.store.release(id, actor.id).await?;
        self.events.publish(CallEvent::Released { call: call.clone() });
        Ok(call)
    }

    pub async fn call(&self, actor: &User, id: i64) -> DomainResult<Call> {
        require_agent(actor)?;
        self.store.call(id).await
    }

    /// The account's secretary data as of `version` (from the cache when
    /// nothing changed since it was loaded).
    async fn snapshot(&self, account: AccountId, version: i64, company: &str) -> DomainResult<Arc<Snapshot>> {
        if let Some(s) = self.snapshots.get(account, version, company) {
            return Ok(s);
        }
        let now = self.now();
        let (settings, employees, appointments, vips, faqs) = tokio::try_join!(
            self.secretary.current_settings(account),
            self.secretary_store.all_employees(account),
            self.secretary_store.open_appointments(account, now),
            self.secretary_store.vips(account, None),
            self.secretary_store.faqs(account),
        )?;
        let snapshot = Arc::new(Snapshot::new(
            version,
            company,
            settings,
            employees,
            appointments,
            vips,
            faqs,
        ));
        self.snapshots.put(account, snapshot.clone());
        Ok(snapshot)
    }

    /// Everything the call screen needs, for the agent handling the call:
    /// one query for the call (and the data's version), the rest from the
    /// account's snapshot.
    pub async fn screen(&self, actor: &User, id: i64) -> DomainResult<CallScreen> {
        require_agent(actor)?;
        let now = self.now();
        let (call, snap) = self.call_with_snapshot(id).await?;
        let notes = if call.status == CallStatus::Done {
            self.store.notes(id).await?
        } else {
            Vec::new()
        };
        let settings = &snap.settings;
        let (first, last) = if actor.first_name.is_empty() && actor.last_name.is_empty() {
            split_name(&actor.display_name())
        } else {
            (actor.first_name.clone(), actor.last_name.clone())
        };
        let vips = snap.vips_for(&call.caller_id);
        let steps = &snap.first_steps[usize::from(!vips.is_empty())];
        let employees = snap
            .employees
            .iter()
            .zip(steps)
            .zip(&snap.deputy_names)
            .map(|((e, step), deputy)| {
                let (status, in_appointment) = snap.status(e, now);
                ScreenEmployee {
                    id: e.id,
                    name: e.name.clone(),
                    position: e.position.clone(),
                    responsibility: e.responsibility.clone(),
                    status,
                    in_appointment,
                    extension: e.extension.clone(),
                    wants_transfer: e.wants_transfer,
                    vip_transfer: e.vip_transfer,
                    deputy_id: e.deputy_id,
                    deputy_name: deputy.clone(),
                    first_step: step.clone(),
                }
            })
            .collect();
        Ok(CallScreen {
            greeting: render_greeting(&settings.greeting, &first, &last),
            instructions: settings.instructions.clone(),
            with_transfer: settings.with_transfer,
            no_transfer_notice: (!settings.with_transfer).then(|| NO_TRANSFER_NOTICE.to_string()),
            time_zone: settings.time_zone.clone(),
            employees,
            vips: vip_hits(&vips),
            faqs: snap.faqs.clone(),
            confirmed: settings.confirmed_at.is_some(),
            extra_fields: settings.query_fields.clone(),
            notes,
            call,
        })
    }

    /// The call with its account's snapshot (fresh: reloaded when the
    /// account's data changed since).
    async fn call_with_snapshot(&self, id: i64) -> DomainResult<(Call, Arc<Snapshot>)> {
        let (call, version) = self.store.call_and_version(id).await?;
        let snap = self.snapshot(call.account_id, version, &call.account_name).await?;
        Ok((call, snap))
    }

    /// The next step for a caller asking for `employee` after the people
    /// in `unanswered` did not pick up.
    pub async fn next_step(&self, actor: &User, id: i64, employee: i64, unanswered: &[i64]) -> DomainResult<Step> {
        require_agent(actor)?;
        let (call, snap) = self.call_with_snapshot(id).await?;
        let vip = !snap.vips_for(&call.caller_id).is_empty();
        next_step(&snap.people, employee, unanswered, snap.settings.with_transfer, vip)
            .ok_or_else(|| DomainError::validation("employee_id", "employee_unknown"))
    }

    /// Checks a note and builds it with its notifications.
    fn prepare(
        &self,
        actor: &User,
        call: &Call,
        snap: &Snapshot,
        input: &NoteInput,
        corrects: Option<i64>,
    ) -> DomainResult<(NewNote, Vec<crate::outbox::NewMessage>)> {
        let account = call.account_id;
        let (settings, people) = (&snap.settings, &snap.people);
        let vips = snap.vips_for(&call.caller_id);
        let employee = snap
            .employees
            .iter()
            .find(|e| e.id == input.employee_id)
            .ok_or_else(|| DomainError::validation("employee_id", "employee_unknown"))?;
        let (caller_name, company, phone, concern, extra) =
            check_fields(input, &settings.query_fields, &call.caller_id)?;
        let outcome = input.outcome.unwrap_or(Outcome::Message);
        let connected_to = match outcome {
            Outcome::Message => String::new(),
            Outcome::Connected => {
                if !settings.with_transfer {
                    return Err(DomainError::validation("outcome", "transfer_not_in_tariff"));
                }
                let who = input.connected_to.unwrap_or(employee.id);
                if !in_chain(people, employee.id, who) {
                    return Err(DomainError::validation("connected_to", "not_a_deputy"));
                }
                people.get(&who).map(|p| p.name.clone()).unwrap_or_default()
            }
        };
        let vip = vip_for(&vips, employee.id);
        let note = NewNote {
            corrects_id: corrects,
            agent_id: actor.id,
            agent_name: actor.display_name(),
            employee_id: employee.id,
            employee_name: employee.name.clone(),
            outcome,
            connected_to,
            caller_name,
            company,
            phone,
            concern,
            extra,
            vip: vip.is_some(),
        };
        let messages = notify::messages(&Notice {
            lang: Lang::De,
            account,
            tz: zone(&settings.time_zone),
            call,
            note: &note,
            employee,
            vip_name: vip.map(|v| v.name.as_str()),
            link: self.env.link(&format!("/portal/{}/calls/{}", account, call.id)),
        });
        Ok((note, messages))
    }

    /// Sends the note of a call the agent holds: the call is done and the
    /// notifications are queued, in one transaction.
    pub async fn send_note(&self, actor: &User, id: i64, input: &NoteInput) -> DomainResult<Call> {
        require_agent(actor)?;
        let (call, snap) = self.call_with_snapshot(id).await?;
        match call.status {
            CallStatus::Done => return Err(DomainError::conflict("call", "call_done")),
            CallStatus::Claimed if call.agent_id == Some(actor.id) => {}
            _ => return Err(DomainError::conflict("call", "call_not_yours")),
        }
        let (note, messages) = self.prepare(actor, &call, &snap, input, None)?;
        let call = self
            .store
            .finish(id, &note, &note.summary(), messages, self.now())
            .await?;
        self.events.publish(CallEvent::Done { call: call.clone() });
        Ok(call)
    }

    /// A correction of a sent note: a new note referring to the latest
    /// one, e-mailed again; the old note stays as it was.
    pub async fn correct(&self, actor: &User, id: i64, input: &NoteInput) -> DomainResult<Call> {
        require_agent(actor)?;
        let (call, snap) = self.call_with_snapshot(id).await?;
        let Some(latest) = call.note_id.filter(|_| call.status == CallStatus::Done) else {
            return Err(DomainError::conflict("call", "call_not_done"));
        };
        let (note, messages) = self.prepare(actor, &call, &snap, input, Some(latest))?;
        let call = self
            .store
            .correct(id, &note, &note.summary(), messages, self.now())
            .await?;
        self.events.publish(CallEvent::Done { call: call.clone() });
        Ok(call)
    }

    /// Customers (admins and members, not sub-account logins) and the operator.
    pub async fn reader(&self, actor: &User, account: AccountId) -> DomainResult<()> {
        match self.secretary.access(actor, account).await? {
            Access::Own(_) => Err(DomainError::Forbidden),
            _ => Ok(()),
        }
    }

    pub async fn latest(&self, actor: &User, account: AccountId, limit: i64) -> DomainResult<Vec<Call>> {
        self.reader(actor, account).await?;
        self.store.latest(account, limit.clamp(1, 100)).await
    }

    /// The account's zone and today's date in it.
    async fn zone_today(&self, account: AccountId) -> DomainResult<(chrono_tz::Tz, chrono::NaiveDate)> {
        let tz = zone(&self.accounts.get(account).await?.time_zone);
        let today = self.now().to_datetime().with_timezone(&tz).date_naive();
        Ok((tz, today))
    }

    /// The resolved period (for forms showing the dates of a preset).
    pub async fn period(&self, actor: &User, account: AccountId, input: &PeriodInput) -> DomainResult<Period> {
        self.reader(actor, account).await?;
        let (_, today) = self.zone_today(account).await?;
        Period::parse(input, today)
    }

    pub async fn calls(
        &self,
        actor: &User,
        account: AccountId,
        input: &PeriodInput,
        limit: i64,
        offset: i64,
    ) -> DomainResult<CallPage> {
        self.reader(actor, account).await?;
        let (tz, today) = self.zone_today(account).await?;
        let (start, end) = Period::parse(input, today)?.bounds(tz);
        self.store
            .calls(account, start, end, limit.clamp(1, 500), offset.max(0))
            .await
    }

    pub async fn stats(&self, actor: &User, account: AccountId, input: &PeriodInput) -> DomainResult<Stats> {
        self.reader(actor, account).await?;
        let (tz, today) = self.zone_today(account).await?;
        let period = Period::parse(input, today)?;
        let (start, end) = period.bounds(tz);
        let segments = stats::offset_segments(tz, start, end);
        let (days, employees) = self.store.counts(account, start, end, &segments).await?;
        Ok(stats::aggregate(period, &days, employees))
    }

    /// The period as CSV, with a file name naming the period.
    pub async fn export(
        &self,
        actor: &User,
        account: AccountId,
        input: &PeriodInput,
        lang: Lang,
    ) -> DomainResult<(String, Vec<u8>)> {
        self.reader(actor, account).await?;
        let (tz, today) = self.zone_today(account).await?;
        let period = Period::parse(input, today)?;
        let (start, end) = period.bounds(tz);
        let rows = self.store.export(account, start, end).await?;
        let name = format!("anrufe-{}-{}.csv", period.from, period.to);
        Ok((name, super::csv::export(&rows, tz, lang)))
    }

    /// A finished call of the account with all its notes.
    pub async fn detail(&self, actor: &User, account: AccountId, id: i64) -> DomainResult<(Call, Vec<Note>)> {
        self.reader(actor, account).await?;
        let call = self.store.account_call(account, id).await?;
        if call.status != CallStatus::Done {
            return Err(DomainError::not_found("call"));
        }
        let notes = self.store.notes(id).await?;
        Ok((call, notes))
    }

    /// The onboarding checklist: what the customer should check before the
    /// first call forwarding, and whether they confirmed it.
    pub async fn onboarding(&self, actor: &User, account: AccountId) -> DomainResult<Onboarding> {
        self.reader(actor, account).await?;
        let settings = self.secretary.current_settings(account).await?;
        let (employees, vips, faqs, numbers) = tokio::try_join!(
            self.secretary_store.employees(account, "", 1, 0, self.now()),
            self.secretary_store.vips(account, None),
            self.secretary_store.faqs(account),
            self.store.service_numbers(account),
        )?;
        let step = |key, done, required, count: Option<usize>| OnboardingStep {
            key,
            done,
            required,
            count: count.map(|c| c as i64),
        };
        Ok(Onboarding {
            confirmed_at: settings.confirmed_at,
            steps: vec![
                step("greeting", settings.updated_at.is_some(), true, None),
                step("employees", employees.total > 0, true, Some(employees.total as usize)),
                step("vips", !vips.is_empty(), false, Some(vips.len())),
                step("faq", !faqs.is_empty(), false, Some(faqs.len())),
                step("service_number", !numbers.is_empty(), true, None),
                step("confirm", settings.confirmed_at.is_some(), true, None),
            ],
        })
    }

    pub async fn service_numbers(&self, actor: &User, account: AccountId) -> DomainResult<Vec<ServiceNumber>> {
        self.reader(actor, account).await?;
        self.store.service_numbers(account).await
    }

    pub async fn add_service_number(&self, actor: &User, account: AccountId, raw: &str) -> DomainResult<ServiceNumber> {
        require_operator(actor)?;
        self.accounts.get(account).await?;
        let number = E164::parse(raw, "number")?;
        self.store
            .add_service_number(account, number.as_str(), self.now())
            .await
    }

    pub async fn remove_service_number(&self, actor: &User, account: AccountId, raw: &str) -> DomainResult<()> {
        require_operator(actor)?;
        let number = E164::parse(raw, "number").map_err(|_| DomainError::not_found("service_number"))?;
        self.store.remove_service_number(account, number.as_str()).await
    }

    pub async fn api_tokens(&self, actor: &User) -> DomainResult<Vec<ApiToken>> {
        require_operator(actor)?;
        self.store.api_tokens().await
    }

    pub async fn create_api_token(&self, actor: &User, input: &ApiTokenInput) -> DomainResult<CreatedApiToken> {
        require_operator(actor)?;
        let name = input.name.trim();
        if name.is_empty() {
            return Err(DomainError::validation("name", "required"));
        }
        if name.chars().count() > 100 {
            return Err(DomainError::validation_with(
                "name",
                "too_long",
                vec![("max", "100".into())],
            ));
        }
        let secret = format!("kt_{}", crate::token::new_token());
        let token = self
            .store
            .create_api_token(name, &crate::token::hash_token(&secret), actor.id, self.now())
            .await?;
        Ok(CreatedApiToken { token, secret })
    }

    pub async fn revoke_api_token(&self, actor: &User, id: i64) -> DomainResult<ApiToken> {
        require_operator(actor)?;
        self.store.revoke_api_token(id, self.now()).await
    }
}
