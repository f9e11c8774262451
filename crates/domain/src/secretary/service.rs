use std::sync::Arc;

use kernel::phone::E164;
use kernel::{AccountId, DomainError, DomainResult, EmailAddress, Lang, Timestamp};
use serde::Serialize;

use super::csv::{self, ImportPlanView};
use super::schedule;
use super::{
    split_name, Appointment, AppointmentInput, AuditPage, Employee, EmployeeInput, EmployeePage, Faq, FaqInput,
    NewAudit, NewEmployee, NewSettings, NewVip, SecretaryStore, Settings, SettingsInput, Vip, VipInput,
};
use crate::accounts::AccountStore;
use crate::identity::{AccountRole, NewUser, User};
use crate::portal::PortalStore;
use crate::Env;

/// What a user may do with an account's secretary data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Admins, super admins and the operator (who alone sets the tariff flag).
    Manage { operator: bool },
    /// Members without a sub-account link: may look, not change.
    ReadOnly,
    /// A sub-account login: only this employee's absence info and appointments.
    Own(i64),
}

impl Access {
    pub fn can_manage(self) -> bool {
        matches!(self, Access::Manage { .. })
    }
    /// May read account-wide data (lists, settings, VIPs, FAQ).
    fn can_read_all(self) -> bool {
        !matches!(self, Access::Own(_))
    }
    /// May maintain this employee's absence info and appointments.
    fn can_edit_schedule(self, employee: i64) -> bool {
        match self {
            Access::Manage { .. } => true,
            Access::Own(e) => e == employee,
            Access::ReadOnly => false,
        }
    }
    fn can_read_employee(self, employee: i64) -> bool {
        match self {
            Access::Own(e) => e == employee,
            _ => true,
        }
    }
}

fn allow(ok: bool) -> DomainResult<()> {
    if ok {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// The status of an employee at an instant.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EmployeeStatus {
    #[schema(value_type = i64)]
    pub at: Timestamp,
    /// What agents are told: the active appointment's text, else the absence info.
    pub status: String,
    /// The appointment that applies, if any.
    pub appointment: Option<Appointment>,
}

/// Identifies the state of an employee list: any create, change or delete
/// changes it (ids only grow, every change sets `updated_at`).
fn list_stamp(employees: &[Employee]) -> String {
    let newest_id = employees.iter().map(|e| e.id).max().unwrap_or(0);
    let newest_change = employees.iter().map(|e| e.updated_at.0).max().unwrap_or(0);
    format!("{}:{newest_id}:{newest_change}", employees.len())
}

#[derive(Clone)]
pub struct SecretaryService {
    store: Arc<dyn SecretaryStore>,
    accounts: Arc<dyn AccountStore>,
    portal: Arc<dyn PortalStore>,
    env: Env,
}

impl SecretaryService {
    pub fn new(
        store: Arc<dyn SecretaryStore>,
        accounts: Arc<dyn AccountStore>,
        portal: Arc<dyn PortalStore>,
        env: Env,
    ) -> Self {
        Self {
            store,
            accounts,
            portal,
            env,
        }
    }

    fn now(&self) -> Timestamp {
        self.env.clock.now()
    }

    fn audit(&self, actor: &User, action: &'static str, subject: &str, detail: impl Into<String>) -> NewAudit {
        NewAudit {
            at: self.now(),
            actor_id: Some(actor.id),
            actor_name: actor.display_name(),
            action,
            subject: subject.to_string(),
            detail: detail.into(),
        }
    }

    /// What `actor` may do in `account`. Outsiders get NotFound, so ids of
    /// other tenants are indistinguishable from missing ones.
    pub async fn access(&self, actor: &User, account: AccountId) -> DomainResult<Access> {
        if actor.is_operator() {
            self.accounts.get(account).await?;
            return Ok(Access::Manage { operator: true });
        }
        let member = match self.portal.account_user(account, actor.id).await {
            Ok(m) => m,
            Err(DomainError::NotFound { .. }) => return Err(DomainError::not_found("account")),
            Err(e) => return Err(e),
        };
        Ok(match member.role {
            AccountRole::SuperAdmin | AccountRole::Admin => Access::Manage { operator: false },
            AccountRole::Member => match self.store.employee_of_login(account, actor.id).await? {
                Some(e) => Access::Own(e),
                None => Access::ReadOnly,
            },
        })
    }

    async fn managing(&self, actor: &User, account: AccountId) -> DomainResult<Access> {
        let access = self.access(actor, account).await?;
        allow(access.can_manage())?;
        Ok(access)
    }

    // ----- settings ----------------------------------------------------

    pub async fn settings(&self, actor: &User, account: AccountId) -> DomainResult<Settings> {
        self.access(actor, account).await?;
        self.current_settings(account).await
    }

    /// The stored settings, or the defaults of a new account (no access check).
    pub(crate) async fn current_settings(&self, account: AccountId) -> DomainResult<Settings> {
        match self.store.settings(account).await? {
            Some(s) => Ok(s),
            None => {
                let a = self.accounts.get(account).await?;
                Ok(Settings::default_for(account, &a.name, &a.time_zone))
            }
        }
    }

    /// The customer confirms the data agents work with is right (the
    /// onboarding checklist's last step). Repeating it renews the date.
    pub async fn confirm(&self, actor: &User, account: AccountId) -> DomainResult<Settings> {
        self.managing(actor, account).await?;
        let current = self.current_settings(account).await?;
        let audit = self.audit(actor, "settings.confirmed", "", "");
        self.store
            .confirm_settings(account, &current, audit, self.now())
            .await?;
        self.current_settings(account).await
    }

    pub async fn save_settings(
        &self,
        actor: &User,
        account: AccountId,
        input: &SettingsInput,
    ) -> DomainResult<Settings> {
        let access = self.managing(actor, account).await?;
        let current = self.current_settings(account).await?;
        let new = NewSettings::parse(input, &current, access == Access::Manage { operator: true })?;
        let mut changed = Vec::new();
        if new.greeting != current.greeting {
            changed.push("greeting");
        }
        if new.instructions != current.instructions {
            changed.push("instructions");
        }
        if new.with_transfer != current.with_transfer {
            changed.push("with_transfer");
        }
        if new.query_fields != current.query_fields {
            changed.push("query_fields");
        }
        if new.time_zone != current.time_zone {
            changed.push("time_zone");
        }
        let audit = self.audit(actor, "settings.updated", "", changed.join(", "));
        self.store.save_settings(account, &new, audit, self.now()).await
    }

    // ----- employees ---------------------------------------------------

    pub async fn employees(
        &self,
        actor: &User,
        account: AccountId,
        search: &str,
        limit: i64,
        offset: i64,
    ) -> DomainResult<EmployeePage> {
        allow(self.access(actor, account).await?.can_read_all())?;
        self.store
            .employees(account, search.trim(), limit.clamp(1, 500), offset.max(0), self.now())
            .await
    }

    pub async fn employee(&self, actor: &User, account: AccountId, id: i64) -> DomainResult<Employee> {
        let access = self.access(actor, account).await?;
        allow(access.can_read_employee(id))?;
        self.store.employee(account, id).await
    }

    /// Every employee (for pick lists such as the deputy choice).
    pub async fn all_employees(&self, actor: &User, account: AccountId) -> DomainResult<Vec<Employee>> {
        allow(self.access(actor, account).await?.can_read_all())?;
        self.store.all_employees(account).await
    }

    /// An employee id given in an input must name an employee of this
    /// account; otherwise it is a field error (not a 404 of the request).
    async fn employee_field(&self, account: AccountId, id: i64, field: &str, code: &'static str) -> DomainResult<()> {
        match self.store.employee(account, id).await {
            Ok(_) => Ok(()),
            Err(DomainError::NotFound { .. }) => Err(DomainError::validation(field, code)),
            Err(e) => Err(e),
        }
    }

    async fn check_deputy(&self, account: AccountId, e: &NewEmployee, own_id: Option<i64>) -> DomainResult<()> {
        match e.deputy_id {
            Some(d) if Some(d) == own_id => Err(DomainError::validation("deputy_id", "deputy_self")),
            Some(d) => self.employee_field(account, d, "deputy_id", "deputy_invalid").await,
            None => Ok(()),
        }
    }

    pub async fn create_employee(
        &self,
        actor: &User,
        account: AccountId,
        input: &EmployeeInput,
    ) -> DomainResult<Employee> {
        self.managing(actor, account).await?;
        let new = NewEmployee::parse(input)?;
        self.check_deputy(account, &new, None).await?;
        let audit = self.audit(actor, "employee.created", &new.name, "");
        self.store.create_employee(account, &new, audit, self.now()).await
    }

    pub async fn update_employee(
        &self,
        actor: &User,
        account: AccountId,
        id: i64,
        input: &EmployeeInput,
    ) -> DomainResult<Employee> {
        self.managing(actor, account).await?;
        let current = self.store.employee(account, id).await?;
        let new = NewEmployee::parse(input)?;
        self.check_deputy(account, &new, Some(id)).await?;
        let audit = self.audit(actor, "employee.updated", &new.name, new.changes(&current).join(", "));
        self.store.update_employee(account, id, &new, audit, self.now()).await
    }

    /// Names of the employees that would lose their deputy if `id` went.
    pub async fn deputy_of(&self, actor: &User, account: AccountId, id: i64) -> DomainResult<Vec<String>> {
        self.managing(actor, account).await?;
        self.store.employee(account, id).await?;
        self.store.deputy_of(account, id).await
    }

    /// Deletes the employee; returns the names whose deputy was cleared.
    pub async fn delete_employee(&self, actor: &User, account: AccountId, id: i64) -> DomainResult<Vec<String>> {
        self.managing(actor, account).await?;
        let e = self.store.employee(account, id).await?;
        let audit = self.audit(actor, "employee.deleted", &e.name, "");
        self.store.delete_employee(account, id, audit).await
    }

    /// Gives the employee their own login (sub-account): an invitation to
    /// their e-mail address; they can then keep their absences current.
    pub async fn create_login(
        &self,
        actor: &User,
        account: AccountId,
        id: i64,
        lang: Option<Lang>,
    ) -> DomainResult<User> {
        self.managing(actor, account).await?;
        let e = self.store.employee(account, id).await?;
        if e.login_user_id.is_some() {
            return Err(DomainError::conflict("login", "employee_login_exists"));
        }
        let email = EmailAddress::parse(&e.email, "email")?;
        let (first_name, last_name) = split_name(&e.name);
        let lang = lang.unwrap_or(actor.language);
        let now = self.now();
        let (token, mail) = crate::portal::invitation(&self.env, lang, &first_name, actor, account, email.as_str());
        let user = NewUser {
            email,
            password_hash: None,
            first_name,
            last_name,
            language: lang,
            platform_role: None,
            membership: Some((account, AccountRole::Member)),
        };
        let audit = self.audit(actor, "employee.login_created", &e.name, "");
        self.store
            .create_login(account, id, &user, token, vec![mail], audit, now)
            .await
    }

    // ----- absence info and appointments -------------------------------

    pub async fn set_absence(&self, actor: &User, account: AccountId, id: i64, text: &str) -> DomainResult<Employee> {
        allow(self.access(actor, account).await?.can_edit_schedule(id))?;
        let text = text.trim();
        if text.chars().count() > 2000 {
            return Err(DomainError::validation_with(
                "absence_info",
                "too_long",
                vec![("max", "2000".into())],
            ));
        }
        let e = self.store.employee(account, id).await?;
        let audit = self.audit(actor, "absence.updated", &e.name, text);
        self.store.set_absence(account, id, text, audit, self.now()).await
    }

    async fn zone(&self, account: AccountId) -> DomainResult<chrono_tz::Tz> {
        Ok(schedule::zone(&self.accounts.get(account).await?.time_zone))
    }

    pub async fn appointments(
        &self,
        actor: &User,
        account: AccountId,
        employee: i64,
        include_past: bool,
    ) -> DomainResult<Vec<Appointment>> {
        allow(self.access(actor, account).await?.can_read_employee(employee))?;
        self.store.employee(account, employee).await?;
        self.store
            .appointments(account, employee, include_past, self.now())
            .await
    }

    pub async fn create_appointment(
        &self,
        actor: &User,
        account: AccountId,
        employee: i64,
        input: &AppointmentInput,
    ) -> DomainResult<Appointment> {
        allow(self.access(actor, account).await?.can_edit_schedule(employee))?;
        let e = self.store.employee(account, employee).await?;
        let zone = self.zone(account).await?;
        let new = schedule::parse_appointment(input, zone)?;
        let detail = format!("{}: {}", schedule::describe(&new, zone), new.text);
        let audit = self.audit(actor, "appointment.created", &e.name, detail);
        self.store
            .create_appointment(account, employee, &new, audit, self.now())
            .await
    }

    pub async fn update_appointment(
        &self,
        actor: &User,
        account: AccountId,
        employee: i64,
        id: i64,
        input: &AppointmentInput,
    ) -> DomainResult<Appointment> {
        allow(self.access(actor, account).await?.can_edit_schedule(employee))?;
        let e = self.store.employee(account, employee).await?;
        let zone = self.zone(account).await?;
        let new = schedule::parse_appointment(input, zone)?;
        let detail = format!("{}: {}", schedule::describe(&new, zone), new.text);
        let audit = self.audit(actor, "appointment.updated", &e.name, detail);
        self.store
            .update_appointment(account, employee, id, &new, audit, self.now())
            .await
    }

    pub async fn delete_appointment(
        &self,
        actor: &User,
        account: AccountId,
        employee: i64,
        id: i64,
    ) -> DomainResult<()> {
        allow(self.access(actor, account).await?.can_edit_schedule(employee))?;
        let e = self.store.employee(account, employee).await?;
        let a = self.store.appointment(account, employee, id).await?;
        let audit = self.audit(actor, "appointment.deleted", &e.name, a.text);
        self.store.delete_appointment(account, employee, id, audit).await
    }

    /// What agents would be told about the employee at `at` (default: now).
    pub async fn status(
        &self,
        actor: &User,
        account: AccountId,
        employee: i64,
        at: Option<Timestamp>,
    ) -> DomainResult<EmployeeStatus> {
        allow(self.access(actor, account).await?.can_read_employee(employee))?;
        let e = self.store.employee(account, employee).await?;
        let at = at.unwrap_or_else(|| self.now());
        let all = self.store.appointments(account, employee, true, at).await?;
        let appointment = schedule::active_at(&all, at).cloned();
        Ok(EmployeeStatus {
            at,
            status: schedule::effective_status(&e.absence_info, &all, at),
            appointment,
        })
    }

    // ----- VIP callers -------------------------------------------------

    pub async fn vips(&self, actor: &User, account: AccountId, employee: Option<i64>) -> DomainResult<Vec<Vip>> {
        allow(self.access(actor, account).await?.can_read_all())?;
        self.store.vips(account, employee).await
    }

    async fn check_vip_employee(&self, account: AccountId, v: &NewVip) -> DomainResult<()> {
        match v.employee_id {
            Some(e) => self.employee_field(account, e, "employee_id", "employee_invalid").await,
            None => Ok(()),
        }
    }

    pub async fn create_vip(&self, actor: &User, account: AccountId, input: &VipInput) -> DomainResult<Vip> {
        self.managing(actor, account).await?;
        let v = NewVip::parse(input)?;
        self.check_vip_employee(account, &v).await?;
        let audit = self.audit(actor, "vip.created", &v.name, v.phone.clone());
        self.store.create_vip(account, &v, audit).await
    }

    pub async fn update_vip(&self, actor: &User, account: AccountId, id: i64, input: &VipInput) -> DomainResult<Vip> {
        self.managing(actor, account).await?;
        self.store.vip(account, id).await?;
        let v = NewVip::parse(input)?;
        self.check_vip_employee(account, &v).await?;
        let audit = self.audit(actor, "vip.updated", &v.name, v.phone.clone());
        self.store.update_vip(account, id, &v, audit).await
    }

    pub async fn delete_vip(&self, actor: &User, account: AccountId, id: i64) -> DomainResult<()> {
        self.managing(actor, account).await?;
        let v = self.store.vip(account, id).await?;
        let audit = self.audit(actor, "vip.deleted", &v.name, v.phone);
        self.store.delete_vip(account, id, audit).await
    }

    /// VIP entries for a caller ID in any spelling.
    pub async fn vips_for_caller(&self, actor: &User, account: AccountId, caller: &str) -> DomainResult<Vec<Vip>> {
        allow(self.access(actor, account).await?.can_read_all())?;
        let phone = E164::parse(caller, "phone")?;
        self.store.vips_by_phone(account, phone.as_str()).await
    }

    // ----- FAQ ---------------------------------------------------------

    pub async fn faqs(&self, actor: &User, account: AccountId) -> DomainResult<Vec<Faq>> {
        allow(self.access(actor, account).await?.can_read_all())?;
        self.store.faqs(account).await
    }

    pub async fn create_faq(&self, actor: &User, account: AccountId, input: &FaqInput) -> DomainResult<Faq> {
        self.managing(actor, account).await?;
        let f = input.parse()?;
        let audit = self.audit(actor, "faq.created", &f.question, "");
        self.store.create_faq(account, &f, audit).await
    }

    pub async fn update_faq(&self, actor: &User, account: AccountId, id: i64, input: &FaqInput) -> DomainResult<Faq> {
        self.managing(actor, account).await?;
        let f = input.parse()?;
        let audit = self.audit(actor, "faq.updated", &f.question, "");
        self.store.update_faq(account, id, &f, audit).await
    }

    pub async fn delete_faq(&self, actor: &User, account: AccountId, id: i64) -> DomainResult<()> {
        self.managing(actor, account).await?;
        let question = self
            .store
            .faqs(account)
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or(DomainError::not_found("faq"))?
            .question;
        let audit = self.audit(actor, "faq.deleted", &question, "");
        self.store.delete_faq(account, id, audit).await
    }

    /// Puts the FAQ in the given order (`ids`: all of them, each once).
    pub async fn reorder_faqs(&self, actor: &User, account: AccountId, ids: &[i64]) -> DomainResult<Vec<Faq>> {
        self.managing(actor, account).await?;
        let mut current: Vec<i64> = self.store.faqs(account).await?.iter().map(|f| f.id).collect();
        let mut wanted = ids.to_vec();
        current.sort_unstable();
        wanted.sort_unstable();
        if current != wanted {
            return Err(DomainError::validation("ids", "faq_order_mismatch"));
        }
        let audit = self.audit(actor, "faq.reordered", "", "");
        self.store.reorder_faqs(account, ids, audit).await
    }

    /// Moves one FAQ entry one place up (`up`) or down.
    pub async fn move_faq(&self, actor: &User, account: AccountId, id: i64, up: bool) -> DomainResult<Vec<Faq>> {
        self.managing(actor, account).await?;
        let mut ids: Vec<i64> = self.store.faqs(account).await?.iter().map(|f| f.id).collect();
        let pos = ids.iter().position(|&f| f == id).ok_or(DomainError::not_found("faq"))?;
        let other = if up {
            pos.checked_sub(1)
        } else {
            Some(pos + 1).filter(|&p| p < ids.len())
        };
        if let Some(o) = other {
            ids.swap(pos, o);
        }
        let audit = self.audit(actor, "faq.reordered", "", "");
        self.store.reorder_faqs(account, &ids, audit).await
    }

    // ----- audit log ---------------------------------------------------

    pub async fn audit_log(
        &self,
        actor: &User,
        account: AccountId,
        limit: i64,
        offset: i64,
    ) -> DomainResult<AuditPage> {
        self.managing(actor, account).await?;
        self.store.audit(account, limit.clamp(1, 200), offset.max(0)).await
    }

    // ----- CSV ---------------------------------------------------------

    pub async fn export_csv(&self, actor: &User, account: AccountId) -> DomainResult<Vec<u8>> {
        self.managing(actor, account).await?;
        Ok(csv::export(&self.store.all_employees(account).await?))
    }

    /// Checks an uploaded file and shows what it would do. Nothing is
    /// written to the employees; a clean file is kept for [`Self::import_commit`].
    pub async fn import_preview(
        &self,
        actor: &User,
        account: AccountId,
        bytes: &[u8],
        lang: Lang,
    ) -> DomainResult<ImportPlanView> {
        self.managing(actor, account).await?;
        let text = csv::decode(bytes);
        let existing = self.store.all_employees(account).await?;
        let mut view = csv::preview(&text, &existing, lang)?;
        if view.errors.is_empty() && view.creates + view.updates > 0 {
            let stamp = list_stamp(&existing);
            view.upload_id = Some(self.store.save_upload(account, &text, &stamp, self.now()).await?);
        }
        Ok(view)
    }

    /// Writes a previewed import: every row or none. The file is checked
    /// again against the employees as they are now.
    pub async fn import_commit(
        &self,
        actor: &User,
        account: AccountId,
        upload: i64,
        lang: Lang,
    ) -> DomainResult<ImportPlanView> {
        self.managing(actor, account).await?;
        let (text, stamp) = self
            .store
            .upload(account, upload)
            .await?
            .ok_or(DomainError::not_found("import"))?;
        let existing = self.store.all_employees(account).await?;
        // What the admin confirmed must be what happens: if the list
        // changed since the preview, they have to look again.
        if list_stamp(&existing) != stamp {
            return Err(DomainError::conflict("file", "import_outdated"));
        }
        let checked = csv::check(&text, &existing, lang)?;
        if !checked.view.errors.is_empty() {
            return Err(DomainError::conflict("file", "import_outdated"));
        }
        let detail = format!("{} new, {} updated", checked.view.creates, checked.view.updates);
        let audit = self.audit(actor, "employees.imported", "", detail);
        self.store
            .import(account, upload, &checked.plan, audit, self.now())
            .await?;
        Ok(checked.view)
    }
}
