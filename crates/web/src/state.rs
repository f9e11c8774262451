use std::sync::Arc;

use async_trait::async_trait;
use domain::accounts::AccountService;
use domain::calls::{CallService, LocalHub};
use domain::cards::CardService;
use domain::conference::ConferenceService;
use domain::identity::IdentityService;
use domain::outbox::OutboxService;
use domain::portal::PortalService;
use domain::rooms::RoomService;
use domain::secretary::SecretaryService;

/// Whether the service can do its work (database reachable); `/readyz`.
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn ready(&self) -> bool;
}

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Public base URL, e.g. `https://kontor.example.com`.
    pub base_url: String,
    /// Development mode: the local mailbox pages are available.
    pub dev_mode: bool,
    /// STUN/TURN servers handed to browsers (a JSON list of RTCIceServer).
    pub ice_servers: serde_json::Value,
}

impl WebConfig {
    /// Cookies get `Secure` when the site is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// Everything handlers need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<WebConfig>,
    pub accounts: AccountService,
    pub identity: IdentityService,
    pub outbox: OutboxService,
    pub portal: PortalService,
    pub secretary: SecretaryService,
    pub calls: CallService,
    /// Call events for the live sockets (the same hub `calls` publishes to).
    pub hub: LocalHub,
    pub rooms: RoomService,
    /// Company cards, and networking through `cards.network()`.
    pub cards: CardService,
    pub conference: ConferenceService,
    pub planner: domain::planner::PlannerService,
    pub readiness: Arc<dyn Readiness>,
}

impl AppState {
    /// A person finished their registration or invitation: customers get
    /// their conference room and its welcome e-mail. A failure is logged;
    /// the room is handed out on their first visit of the center instead.
    pub async fn activated(&self, user: &domain::identity::User) {
        if user.platform_role.is_none() {
            if let Err(e) = self.conference.provision(user).await {
                tracing::error!(error = %e, user = user.id.0, "handing out the conference room");
            }
        }
    }

    /// What happens on every sign-in besides the session: a person whose
    /// e-mail is a card's contact becomes its first team member. A failure
    /// here is logged, not shown: signing in must not depend on it.
    pub async fn signed_in(&self, user: &domain::identity::User) {
        match self.cards.link_on_sign_in(user).await {
            Ok(cards) => {
                for c in cards {
                    tracing::info!(card = %c.public_id, user = user.id.0, "contact linked to company card");
                }
            }
            Err(e) => tracing::error!(error = %e, "linking company cards on sign-in"),
        }
    }
}
