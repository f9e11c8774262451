use std::sync::Arc;

use kernel::{AccountId, DomainError, DomainResult, EmailAddress, Lang, UserId};
use serde::Deserialize;

use super::model::{email_field, finish, person_name};
use super::{
    AccountUser, Consent, NewConsent, NewRegistration, PortalStore, Registration, RegistrationInput, RegistrationStart,
    RegistrationStatus, MARKETING_VERSION, PRIVACY_VERSION, TERMS_VERSION,
};
use crate::identity::password;
use crate::identity::tokens::{self, TokenKind, TokenState};
use crate::identity::{AccountRole, NewUser, User, UserStatus, UserStore};
use crate::mail::Mail;
use crate::outbox::OutboxStore;
use crate::throttle::{self, Policy, ThrottleStore};
use crate::token::hash_token;
use crate::{blocking, Env};

/// Wrong customer-number/postal-code pairs per client: 5 tries, then a lock
/// from one minute up to an hour, so numbers cannot be enumerated.
pub const REGISTER_PAIR: Policy = Policy {
    free: 5,
    base_secs: 60,
    max_secs: 3600,
};

/// Password-reset requests per client address.
pub const RESET_REQUESTS: Policy = Policy {
    free: 10,
    base_secs: 60,
    max_secs: 3600,
};

/// An admin's invitation of a new employee.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: AccountRole,
    pub language: Option<Lang>,
}

/// A new invitation token (for a user created in the same transaction)
/// and the mail with its welcome link.
pub(crate) fn invitation(
    env: &Env,
    lang: Lang,
    first_name: &str,
    inviter: &User,
    account: AccountId,
    email: &str,
) -> (tokens::NewToken, crate::outbox::NewMessage) {
    let (secret, token) = tokens::issue(TokenKind::Invitation, None, None, env.clock.now());
    let mail = Mail::new(lang, "mail.invitation")
        .arg("first_name", first_name)
        .arg("inviter", &inviter.display_name())
        .button("mail.invitation.button", &env.link(&format!("/welcome/{secret}")))
        .to(Some(account), email);
    (token, mail)
}

#[derive(Clone)]
pub struct PortalService {
    store: Arc<dyn PortalStore>,
    users: Arc<dyn UserStore>,
    outbox: Arc<dyn OutboxStore>,
    throttle: Arc<dyn ThrottleStore>,
    env: Env,
}

async fn hash_password(pw: &str) -> DomainResult<String> {
    let pw = pw.to_string();
    blocking(move || password::hash(&pw)).await
}

impl PortalService {
    pub fn new(
        store: Arc<dyn PortalStore>,
        users: Arc<dyn UserStore>,
        outbox: Arc<dyn OutboxStore>,
        throttle: Arc<dyn ThrottleStore>,
        env: Env,
    ) -> Self {
        Self {
            store,
            users,
            outbox,
            throttle,
            env,
        }
    }

    fn now(&self) -> kernel::Timestamp {
        self.env.clock.now()
    }

    // ----- self-registration -------------------------------------------

    /// Step 1: the fields are well-formed and the pair names an account.
    /// A wrong pair counts towards the client's lock.
    pub async fn check_start(&self, s: &RegistrationStart, ip: &str) -> DomainResult<AccountId> {
        let mut errors = Vec::new();
        email_field(&mut errors, "email", &s.email);
        let number = s.customer_number.trim().to_ascii_uppercase();
        let zip = s.postal_code.trim().to_ascii_uppercase();
        if number.is_empty() {
            errors.push(kernel::error::FieldError::new("customer_number", "required"));
        }
        if zip.is_empty() {
            errors.push(kernel::error::FieldError::new("postal_code", "required"));
        }
        finish(errors)?;
        let key = format!("register:ip:{ip}");
        let now = self.now();
        throttle::check(&*self.throttle, &[&key], now).await?;
        match self.store.account_by_pair(&number, &zip).await? {
            Some(account) => Ok(account),
            None => {
                throttle::fail(&*self.throttle, &[(&key, REGISTER_PAIR)], now).await?;
                Err(DomainError::validation("customer_number", "customer_pair_mismatch"))
            }
        }
    }

    /// The whole registration. The answer is the same whether or not the
    /// e-mail is registered already; a registered address gets a "you
    /// already have an account" mail instead of a confirmation link.
    pub async fn register(&self, input: &RegistrationInput, ip: &str, lang: Lang) -> DomainResult<()> {
        let mut errors = Vec::new();
        let email = email_field(&mut errors, "email", &input.email);
        let first_name = person_name(&mut errors, "first_name", &input.first_name);
        let last_name = person_name(&mut errors, "last_name", &input.last_name);
        if !input.privacy_accepted {
            errors.push(kernel::error::FieldError::new("privacy_accepted", "privacy_required"));
        }
        finish(errors)?;
        let email = email.expect("validated");
        let start = RegistrationStart {
            email: input.email.clone(),
            customer_number: input.customer_number.clone(),
            postal_code: input.postal_code.clone(),
        };
        let account = self.check_start(&start, ip).await?;
        let lang = input.language.unwrap_or(lang);
        let now = self.now();
        let open_since = now.plus_secs(-TokenKind::ConfirmRegistration.lifetime_secs());
        if self.store.email_in_use(&email.normalized(), open_since).await? {
            let mail = Mail::new(lang, "mail.registration_exists")
                .arg("email", email.as_str())
                .button("mail.registration_exists.button", &self.env.link("/password/forgot"))
                .to(Some(account), email.as_str());
            return self.outbox.enqueue(vec![mail], now).await;
        }
        let (secret, token) = tokens::issue(TokenKind::ConfirmRegistration, None, None, now);
        let mail = Mail::new(lang, "mail.registration_confirm")
            .arg("first_name", &first_name)
            .button(
                "mail.registration_confirm.button",
                &self.env.link(&format!("/register/confirm/{secret}")),
            )
            .to(Some(account), email.as_str());
        let mut consents = vec![NewConsent {
            kind: "privacy",
            version: PRIVACY_VERSION,
        }];
        if input.marketing_accepted {
            consents.push(NewConsent {
                kind: "marketing",
                version: MARKETING_VERSION,
            });
        }
        let reg = NewRegistration {
            account_id: account,
            email,
            first_name,
            last_name,
            language: lang,
            marketing: input.marketing_accepted,
        };
        self.store
            .create_registration(&reg, &consents, token, vec![mail], now)
            .await
            .map(|_| ())
    }

    /// Where a link stands, for showing the right page before using it.
    pub async fn link_state(&self, token: &str, kinds: &[TokenKind]) -> DomainResult<TokenState> {
        self.store.token_state(&hash_token(token), kinds, self.now()).await
    }

    /// Uses the confirmation link; the account's super admins are told.
    pub async fn confirm(&self, token: &str) -> DomainResult<Registration> {
        let reg = self.store.confirm_registration(&hash_token(token), self.now()).await?;
        let link = self.env.link(&format!("/portal/{}/registrations", reg.account_id));
        let name = format!("{} {}", reg.first_name, reg.last_name);
        let mut messages = Vec::new();
        for (email, lang) in self.store.super_admins(reg.account_id).await? {
            messages.push(
                Mail::new(lang, "mail.registration_pending")
                    .arg("name", &name)
                    .arg("email", &reg.email)
                    .button("mail.registration_pending.button", &link)
                    .to(Some(reg.account_id), &email),
            );
        }
        if !messages.is_empty() {
            self.outbox.enqueue(messages, self.now()).await?;
        }
        Ok(reg)
    }

    // ----- access -------------------------------------------------------

    /// The actor's role in the account if it is at least `min`. Someone who
    /// is not a member gets `NotFound`, so accounts cannot be probed.
    pub async fn require(&self, actor: &User, account: AccountId, min: AccountRole) -> DomainResult<AccountRole> {
        let role = match self.store.account_user(account, actor.id).await {
            Ok(m) => m.role,
            Err(DomainError::NotFound { .. }) => return Err(DomainError::not_found("account")),
            Err(e) => return Err(e),
        };
        if role <= min {
            Ok(role)
        } else {
            Err(DomainError::Forbidden)
        }
    }

    /// The actor's role in the account, if a member.
    pub async fn role_in(&self, actor: &User, account: AccountId) -> DomainResult<Option<AccountRole>> {
        match self.store.account_user(account, actor.id).await {
            Ok(m) => Ok(Some(m.role)),
            Err(DomainError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    // ----- approval -----------------------------------------------------

    pub async fn registrations(
        &self,
        actor: &User,
        account: AccountId,
        status: Option<RegistrationStatus>,
    ) -> DomainResult<Vec<Registration>> {
        self.require(actor, account, AccountRole::SuperAdmin).await?;
        self.store.registrations(account, status).await
    }

    /// Approves a confirmed registration: the person becomes an invited
    /// member and gets the link to finish (terms, privacy, password).
    pub async fn approve(&self, actor: &User, account: AccountId, id: i64) -> DomainResult<User> {
        self.require(actor, account, AccountRole::SuperAdmin).await?;
        let reg = self.store.registration(account, id).await?;
        if reg.status != RegistrationStatus::PendingApproval {
            return Err(DomainError::conflict("status", "registration_not_pending"));
        }
        let now = self.now();
        let (secret, token) = tokens::issue(TokenKind::FinishRegistration, None, Some(id), now);
        let mail = Mail::new(reg.language, "mail.registration_approved")
            .arg("first_name", &reg.first_name)
            .button(
                "mail.registration_approved.button",
                &self.env.link(&format!("/welcome/{secret}")),
            )
            .to(Some(account), &reg.email);
        let user = NewUser {
            email: EmailAddress::parse(&reg.email, "email")?,
            password_hash: None,
            first_name: reg.first_name.clone(),
            last_name: reg.last_name.clone(),
            language: reg.language,
            platform_role: None,
            membership: Some((account, AccountRole::Member)),
        };
        self.store
            .approve_registration(account, id, actor.id, &user, token, vec![mail], now)
            .await
    }

    pub async fn reject(&self, actor: &User, account: AccountId, id: i64, reason: &str) -> DomainResult<Registration> {
        self.require(actor, account, AccountRole::SuperAdmin).await?;
        let reg = self.store.registration(account, id).await?;
        if reg.status != RegistrationStatus::PendingApproval {
            return Err(DomainError::conflict("status", "registration_not_pending"));
        }
        let reason = reason.trim();
        if reason.chars().count() > 500 {
            return Err(DomainError::validation_with(
                "reason",
                "too_long",
                vec![("max", "500".into())],
            ));
        }
        let key = if reason.is_empty() {
            "mail.registration_rejected"
        } else {
            "mail.registration_rejected_reason"
        };
        let mail = Mail::new(reg.language, key)
            .arg("first_name", &reg.first_name)
            .arg("reason", reason)
            .to(Some(account), &reg.email);
        let reason = (!reason.is_empty()).then_some(reason);
        self.store
            .reject_registration(account, id, actor.id, reason, vec![mail], self.now())
            .await
    }

    // ----- users of an account -----------------------------------------

    pub async fn users(&self, actor: &User, account: AccountId) -> DomainResult<Vec<AccountUser>> {
        self.require(actor, account, AccountRole::Admin).await?;
        self.store.account_users(account).await
    }

    /// Adds an employee: an invited user who sets a password from the mail.
    pub async fn invite(&self, actor: &User, account: AccountId, input: &InviteInput) -> DomainResult<User> {
        let my_role = self.require(actor, account, AccountRole::Admin).await?;
        if input.role == AccountRole::SuperAdmin && my_role != AccountRole::SuperAdmin {
            return Err(DomainError::Forbidden);
        }
        let mut errors = Vec::new();
        let email = email_field(&mut errors, "email", &input.email);
        let first_name = person_name(&mut errors, "first_name", &input.first_name);
        let last_name = person_name(&mut errors, "last_name", &input.last_name);
        finish(errors)?;
        let email = email.expect("validated");
        let lang = input.language.unwrap_or(actor.language);
        let now = self.now();
        let (token, mail) = invitation(&self.env, lang, &first_name, actor, account, email.as_str());
        let user = NewUser {
            email,
            password_hash: None,
            first_name,
            last_name,
            language: lang,
            platform_role: None,
            membership: Some((account, input.role)),
        };
        self.store.invite(&user, token, vec![mail], now).await
    }

    /// Sends a fresh invitation link; earlier links stop working.
    pub async fn resend_invitation(&self, actor: &User, account: AccountId, user: UserId) -> DomainResult<()> {
        self.require(actor, account, AccountRole::Admin).await?;
        let member = self.store.account_user(account, user).await?;
        if member.user.status != UserStatus::Invited {
            return Err(DomainError::conflict("status", "user_not_invited"));
        }
        let now = self.now();
        let (secret, token) = tokens::issue(TokenKind::Invitation, Some(user), None, now);
        let mail = Mail::new(member.user.language, "mail.invitation")
            .arg("first_name", &member.user.first_name)
            .arg("inviter", &actor.display_name())
            .button("mail.invitation.button", &self.env.link(&format!("/welcome/{secret}")))
            .to(Some(account), &member.user.email);
        self.store.replace_token(token, vec![mail], now).await
    }

    /// Changes a member's role. Super admins only; nobody changes their own
    /// role, and an account always keeps one super admin.
    pub async fn change_role(
        &self,
        actor: &User,
        account: AccountId,
        user: UserId,
        role: AccountRole,
    ) -> DomainResult<()> {
        self.require(actor, account, AccountRole::SuperAdmin).await?;
        self.store.account_user(account, user).await?;
        if user == actor.id {
            return Err(DomainError::validation("role", "cannot_change_own_role"));
        }
        self.store.set_role(account, user, role).await
    }

    /// Disables or enables a member's login. Super admins only, not oneself.
    pub async fn set_enabled(&self, actor: &User, account: AccountId, user: UserId, enabled: bool) -> DomainResult<()> {
        self.require(actor, account, AccountRole::SuperAdmin).await?;
        let member = self.store.account_user(account, user).await?;
        if user == actor.id {
            return Err(DomainError::validation("status", "cannot_disable_self"));
        }
        let status = match (enabled, member.user.status) {
            (false, _) => UserStatus::Disabled,
            (true, UserStatus::Disabled) => {
                if self.store.password_hash(user).await?.is_some() {
                    UserStatus::Active
                } else {
                    UserStatus::Invited
                }
            }
            (true, current) => current,
        };
        self.store.set_status(user, status).await
    }

    // ----- welcome page, password reset ----------------------------------

    /// Finishes an invitation or approved registration: terms accepted,
    /// privacy policy confirmed, password set. The link works once.
    pub async fn activate(&self, token: &str, terms: bool, privacy: bool, pw: &str) -> DomainResult<User> {
        let hash = hash_token(token);
        let kinds = [TokenKind::Invitation, TokenKind::FinishRegistration];
        let user_id = match self.store.token_state(&hash, &kinds, self.now()).await? {
            TokenState::Valid { user_id: Some(u), .. } => u,
            other => return Err(link_error(&other)),
        };
        let user = self.users.get(user_id).await?;
        let mut errors = Vec::new();
        if !terms {
            errors.push(kernel::error::FieldError::new("accept_terms", "terms_required"));
        }
        if !privacy {
            errors.push(kernel::error::FieldError::new("accept_privacy", "privacy_required"));
        }
        if let Err(DomainError::Validation(mut es)) = password::check_policy(pw, &user.email, "password") {
            errors.append(&mut es);
        }
        finish(errors)?;
        let consents = [
            NewConsent {
                kind: "terms",
                version: TERMS_VERSION,
            },
            NewConsent {
                kind: "privacy",
                version: PRIVACY_VERSION,
            },
        ];
        let pw_hash = hash_password(pw).await?;
        self.store.activate(&hash, &pw_hash, &consents, self.now()).await
    }

    /// Sends a reset link to an active user. The answer never says whether
    /// the address is known.
    pub async fn request_reset(&self, email: &str, ip: &str) -> DomainResult<()> {
        let email = EmailAddress::parse(email, "email")?;
        let key = format!("reset:ip:{ip}");
        let now = self.now();
        throttle::check(&*self.throttle, &[&key], now).await?;
        throttle::fail(&*self.throttle, &[(&key, RESET_REQUESTS)], now).await?;
        let Some(user) = self.store.user_by_email(&email.normalized()).await? else {
            return Ok(());
        };
        if user.status != UserStatus::Active {
            return Ok(());
        }
        let (secret, token) = tokens::issue(TokenKind::PasswordReset, Some(user.id), None, now);
        let mail = Mail::new(user.language, "mail.password_reset")
            .arg("first_name", &user.first_name)
            .button(
                "mail.password_reset.button",
                &self.env.link(&format!("/password/reset/{secret}")),
            )
            .to(None, &user.email);
        self.store.replace_token(token, vec![mail], now).await
    }

    pub async fn reset_password(&self, token: &str, pw: &str) -> DomainResult<User> {
        let hash = hash_token(token);
        let user_id = match self
            .store
            .token_state(&hash, &[TokenKind::PasswordReset], self.now())
            .await?
        {
            TokenState::Valid { user_id: Some(u), .. } => u,
            other => return Err(link_error(&other)),
        };
        let user = self.users.get(user_id).await?;
        password::check_policy(pw, &user.email, "password")?;
        let pw_hash = hash_password(pw).await?;
        self.store.reset_password(&hash, &pw_hash, self.now()).await
    }

    // ----- own profile ----------------------------------------------------

    pub async fn update_profile(&self, user: &User, first: &str, last: &str, lang: Lang) -> DomainResult<User> {
        let mut errors = Vec::new();
        let first = person_name(&mut errors, "first_name", first);
        let last = person_name(&mut errors, "last_name", last);
        finish(errors)?;
        self.store.update_profile(user.id, &first, &last, lang).await
    }

    /// Changes the password; every other session of the user ends (the one
    /// with `session_token`, if given, stays signed in).
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        session_token: Option<&str>,
    ) -> DomainResult<()> {
        let stored = self.store.password_hash(user.id).await?.unwrap_or_default();
        let current = current.to_string();
        let ok = blocking(move || password::verify(&current, &stored)).await?;
        if !ok {
            return Err(DomainError::validation("current_password", "current_password_wrong"));
        }
        password::check_policy(new, &user.email, "new_password")?;
        let hash = hash_password(new).await?;
        let keep = session_token.map(hash_token);
        self.store.set_password(user.id, &hash, keep.as_deref()).await
    }

    pub async fn consents(&self, user: &User) -> DomainResult<Vec<Consent>> {
        self.store.consents(user.id).await
    }

    pub async fn set_marketing(&self, user: &User, give: bool) -> DomainResult<()> {
        self.store.set_marketing(user.id, give, self.now()).await
    }
}

/// The error for a link that cannot be used, by why.
pub fn link_error(state: &TokenState) -> DomainError {
    let code = match state {
        TokenState::Expired => "link_expired",
        TokenState::Used => "link_used",
        _ => "link_invalid",
    };
    DomainError::Unauthenticated { code }
}
