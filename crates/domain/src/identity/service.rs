use std::sync::Arc;

use kernel::{DomainError, DomainResult, EmailAddress, Lang, Timestamp};

use super::password;
use super::{NewUser, SessionInfo, SessionStore, User, UserStore};
use crate::throttle::{self, ThrottleStore, LOGIN_PER_CLIENT, LOGIN_PER_EMAIL};
use crate::token::{hash_token, new_token};
use crate::{blocking, Env};

/// How long a session lives without activity.
pub const SESSION_IDLE_SECS: i64 = 14 * 24 * 3600;
/// Sessions are refreshed at most this often, to spare writes.
const TOUCH_EVERY_SECS: i64 = 300;

/// Sign-in, sessions and user creation.
#[derive(Clone)]
pub struct IdentityService {
    users: Arc<dyn UserStore>,
    sessions: Arc<dyn SessionStore>,
    throttle: Arc<dyn ThrottleStore>,
    env: Env,
}

/// A new session's secret, for the cookie; only its hash is stored.
pub struct NewSession {
    pub token: String,
    pub user: User,
}

/// Input for creating a user from the CLI or the operator.
pub struct UserInput<'a> {
    pub email: &'a str,
    pub password: Option<&'a str>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub language: Lang,
    pub platform_role: Option<super::PlatformRole>,
    pub membership: Option<(kernel::AccountId, super::AccountRole)>,
}

impl IdentityService {
    pub fn new(
        users: Arc<dyn UserStore>,
        sessions: Arc<dyn SessionStore>,
        throttle: Arc<dyn ThrottleStore>,
        env: Env,
    ) -> Self {
        Self {
            users,
            sessions,
            throttle,
            env,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.env.clock.now()
    }

    /// Creates a user after checking the e-mail and password policy.
    pub async fn create_user(&self, input: UserInput<'_>) -> DomainResult<User> {
        let email = EmailAddress::parse(input.email, "email")?;
        let password_hash = match input.password {
            Some(pw) => {
                password::check_policy(pw, email.as_str(), "password")?;
                let pw = pw.to_string();
                Some(blocking(move || password::hash(&pw)).await?)
            }
            None => None,
        };
        let user = NewUser {
            email,
            password_hash,
            first_name: input.first_name.trim().to_string(),
            last_name: input.last_name.trim().to_string(),
            language: input.language,
            platform_role: input.platform_role,
            membership: input.membership,
        };
        self.users.create(&user, self.now()).await
    }

    /// Checks e-mail and password and opens a session. Unknown e-mail,
    /// wrong password and disabled user all answer the same, in the same
    /// time, and count alike towards the lock of the e-mail address and
    /// of the client address (see [`crate::throttle`]).
    pub async fn login(&self, email: &str, pw: &str, user_agent: &str, ip: &str) -> DomainResult<NewSession> {
        let normalized = email.trim().to_lowercase();
        if normalized.is_empty() {
            return Err(DomainError::validation("email", "required"));
        }
        if pw.is_empty() {
            return Err(DomainError::validation("password", "required"));
        }
        let email_key = format!("login:email:{}", hash_token(&normalized));
        let ip_key = format!("login:ip:{ip}");
        let now = self.now();
        throttle::check(&*self.throttle, &[&email_key, &ip_key], now).await?;
        let creds = self.users.credentials_by_email(&normalized).await?;
        let stored = creds
            .as_ref()
            .and_then(|c| c.password_hash.clone())
            .unwrap_or_else(|| password::dummy_hash().to_string());
        let pw_owned = pw.to_string();
        let ok = blocking(move || password::verify(&pw_owned, &stored)).await?;
        let user = match creds {
            Some(c) if ok && c.password_hash.is_some() && c.user.status == super::UserStatus::Active => c.user,
            _ => {
                let keys = [
                    (email_key.as_str(), LOGIN_PER_EMAIL),
                    (ip_key.as_str(), LOGIN_PER_CLIENT),
                ];
                throttle::fail(&*self.throttle, &keys, now).await?;
                return Err(DomainError::Unauthenticated {
                    code: "invalid_credentials",
                });
            }
        };
        self.throttle.reset(&email_key).await?;
        self.users.record_login(user.id, now).await?;
        let token = new_token();
        let ua: String = user_agent.chars().take(300).collect();
        self.sessions
            .create(
                &hash_token(&token),
                user.id,
                now,
                now.plus_secs(SESSION_IDLE_SECS),
                &ua,
                ip,
            )
            .await?;
        Ok(NewSession { token, user })
    }

    /// The user behind a session cookie, sliding its expiry forward.
    /// The user (with memberships) behind a session cookie, sliding the
    /// session's expiry forward now and then.
    pub async fn session_user(&self, token: &str) -> DomainResult<Option<SessionInfo>> {
        let hash = hash_token(token);
        let now = self.now();
        let Some(info) = self.sessions.find(&hash, now).await? else {
            return Ok(None);
        };
        if now.millis() - info.last_seen_at.millis() > TOUCH_EVERY_SECS * 1000 {
            self.sessions
                .touch(&hash, now, now.plus_secs(SESSION_IDLE_SECS))
                .await?;
        }
        Ok(Some(info))
    }

    pub async fn logout(&self, token: &str) -> DomainResult<()> {
        self.sessions.delete(&hash_token(token)).await
    }

    pub async fn set_language(&self, user: &User, lang: Lang) -> DomainResult<()> {
        self.users.set_language(user.id, lang).await
    }

    pub async fn memberships(&self, user: &User) -> DomainResult<Vec<super::Membership>> {
        self.users.memberships(user.id).await
    }

    pub async fn count_operators(&self) -> DomainResult<i64> {
        self.users.count_operators().await
    }
}
