use async_trait::async_trait;
use kernel::{AccountId, DomainResult, Timestamp};

use super::{
    Appointment, AuditPage, Employee, EmployeePage, Faq, FaqInput, NewAppointment, NewAudit, NewEmployee, NewSettings,
    NewVip, Settings, Vip,
};
use crate::identity::tokens::NewToken;
use crate::identity::{NewUser, User};
use crate::outbox::NewMessage;

/// A checked CSV import ready to be written in one transaction.
///
/// E-mails are normalised (lower case) and unique across the plan. A
/// deputy who already exists is set as `deputy_id` in the `NewEmployee`;
/// a deputy created by this same import cannot have an id yet, so that
/// row carries `deputy_id: None` and an entry in `deputies`. The store
/// writes creates, then updates (absence info `None`: keep the stored
/// text, or empty for a new employee), then applies `deputies` by
/// looking both e-mails up among the account's employees.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    pub creates: Vec<NewEmployee>,
    /// (existing id, new values)
    pub updates: Vec<(i64, NewEmployee)>,
    /// (employee e-mail, deputy e-mail): set after all rows exist; the
    /// deputy is always `Some` from [`super::csv::check`] (None would clear it).
    pub deputies: Vec<(String, Option<String>)>,
}

/// Storage of the secretary data. Every method takes the account id and
/// finds nothing outside it; every change writes its audit record in the
/// same transaction.
#[async_trait]
pub trait SecretaryStore: Send + Sync {
    /// The stored settings, or None when never saved.
    async fn settings(&self, account: AccountId) -> DomainResult<Option<Settings>>;
    async fn save_settings(
        &self,
        account: AccountId,
        s: &NewSettings,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Settings>;

    /// Marks the settings as checked by the customer (storing the current,
    /// possibly default, settings when none were saved yet).
    async fn confirm_settings(
        &self,
        account: AccountId,
        s: &Settings,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<()>;

    /// One page, ordered by last name; `status` computed at `now`.
    async fn employees(
        &self,
        account: AccountId,
        search: &str,
        limit: i64,
        offset: i64,
        now: Timestamp,
    ) -> DomainResult<EmployeePage>;
    /// Every employee of the account, ordered by last name (export, import).
    async fn all_employees(&self, account: AccountId) -> DomainResult<Vec<Employee>>;
    async fn employee(&self, account: AccountId, id: i64) -> DomainResult<Employee>;
    /// The employee whose sub-account login is `user`.
    async fn employee_of_login(&self, account: AccountId, user: kernel::UserId) -> DomainResult<Option<i64>>;
    /// Fails with Conflict(email, employee_email_taken) on a duplicate e-mail.
    async fn create_employee(
        &self,
        account: AccountId,
        e: &NewEmployee,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Employee>;
    async fn update_employee(
        &self,
        account: AccountId,
        id: i64,
        e: &NewEmployee,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Employee>;
    /// Deletes the employee (with appointments and VIPs); returns the
    /// names of employees who had them as deputy (their deputy is cleared).
    async fn delete_employee(&self, account: AccountId, id: i64, audit: NewAudit) -> DomainResult<Vec<String>>;
    /// Names of the employees who have `id` as deputy.
    async fn deputy_of(&self, account: AccountId, id: i64) -> DomainResult<Vec<String>>;
    async fn set_absence(
        &self,
        account: AccountId,
        id: i64,
        text: &str,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Employee>;
    /// Creates an invited member user linked to the employee as its
    /// sub-account login, with the invitation token and mail.
    #[allow(clippy::too_many_arguments)]
    async fn create_login(
        &self,
        account: AccountId,
        employee: i64,
        user: &NewUser,
        token: NewToken,
        messages: Vec<NewMessage>,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<User>;
    /// Writes a whole import, or nothing, and uses up the upload (NotFound
    /// when it was already used, so a double submit writes once).
    async fn import(
        &self,
        account: AccountId,
        upload: i64,
        plan: &ImportPlan,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<()>;
    /// Keeps an uploaded file until the admin confirms the preview, with a
    /// stamp of the employee list the preview was made against.
    async fn save_upload(&self, account: AccountId, content: &str, stamp: &str, now: Timestamp) -> DomainResult<i64>;
    /// The upload's content and stamp (None when unknown or already used).
    async fn upload(&self, account: AccountId, id: i64) -> DomainResult<Option<(String, String)>>;

    /// The employee's appointments; past ones (ended before `now`) only when asked.
    async fn appointments(
        &self,
        account: AccountId,
        employee: i64,
        include_past: bool,
        now: Timestamp,
    ) -> DomainResult<Vec<Appointment>>;
    async fn appointment(&self, account: AccountId, employee: i64, id: i64) -> DomainResult<Appointment>;
    /// Every appointment of the account not ended at `now` (for agents' screens).
    async fn open_appointments(&self, account: AccountId, now: Timestamp) -> DomainResult<Vec<Appointment>>;
    async fn create_appointment(
        &self,
        account: AccountId,
        employee: i64,
        a: &NewAppointment,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Appointment>;
    #[allow(clippy::too_many_arguments)]
    async fn update_appointment(
        &self,
        account: AccountId,
        employee: i64,
        id: i64,
        a: &NewAppointment,
        audit: NewAudit,
        now: Timestamp,
    ) -> DomainResult<Appointment>;
    async fn delete_appointment(&self, account: AccountId, employee: i64, id: i64, audit: NewAudit)
        -> DomainResult<()>;

    /// VIPs of the account; with `employee`, only those attached to them.
    async fn vips(&self, account: AccountId, employee: Option<i64>) -> DomainResult<Vec<Vip>>;
    async fn vip(&self, account: AccountId, id: i64) -> DomainResult<Vip>;
    /// VIP entries whose number is exactly this E.164 number.
    async fn vips_by_phone(&self, account: AccountId, phone: &str) -> DomainResult<Vec<Vip>>;
    async fn create_vip(&self, account: AccountId, v: &NewVip, audit: NewAudit) -> DomainResult<Vip>;
    async fn update_vip(&self, account: AccountId, id: i64, v: &NewVip, audit: NewAudit) -> DomainResult<Vip>;
    async fn delete_vip(&self, account: AccountId, id: i64, audit: NewAudit) -> DomainResult<()>;

    async fn faqs(&self, account: AccountId) -> DomainResult<Vec<Faq>>;
    /// Appended at the end.
    async fn create_faq(&self, account: AccountId, f: &FaqInput, audit: NewAudit) -> DomainResult<Faq>;
    async fn update_faq(&self, account: AccountId, id: i64, f: &FaqInput, audit: NewAudit) -> DomainResult<Faq>;
    async fn delete_faq(&self, account: AccountId, id: i64, audit: NewAudit) -> DomainResult<()>;
    /// `ids` must be exactly the account's FAQ ids, in the new order.
    async fn reorder_faqs(&self, account: AccountId, ids: &[i64], audit: NewAudit) -> DomainResult<Vec<Faq>>;

    async fn audit(&self, account: AccountId, limit: i64, offset: i64) -> DomainResult<AuditPage>;
}
