//! Wiring: turns settings into a running server (database, services,
//! router, outbox worker) and stops it cleanly.

pub mod config;
pub mod demo;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use domain::accounts::AccountService;
use domain::calls::{CallService, LocalHub};
use domain::cards::CardService;
use domain::conference::ConferenceService;
use domain::identity::IdentityService;
use domain::outbox::OutboxService;
use domain::planner::PlannerService;
use domain::portal::PortalService;
use domain::rooms::{EngineConfig, LocalBus, RoomEngine, RoomService};
use domain::secretary::SecretaryService;
use domain::Env;
use jobs::{HttpSmsGateway, MailboxTransport, OutboxWorker, SmtpMailer, Transport, WorkerConfig};
use kernel::{Clock, SystemClock};
use store::Db;
use tokio_util::sync::CancellationToken;

pub use config::{Settings, SettingsArgs};

/// The domain services, built once and shared by the web layer and the CLI.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub env: Env,
    pub accounts: AccountService,
    pub identity: IdentityService,
    pub outbox: OutboxService,
    pub portal: PortalService,
    pub secretary: SecretaryService,
    pub calls: CallService,
    /// In-process call events (agent consoles, dashboards).
    pub hub: LocalHub,
    /// Rooms and meetings; the engine inside runs the live rooms.
    pub rooms: RoomService,
    /// This node's room connections.
    pub room_bus: Arc<LocalBus>,
    pub cards: CardService,
    /// Personal conference rooms.
    pub conference: ConferenceService,
    /// Session planner, spontaneous sessions and their scheduler's work.
    pub planner: PlannerService,
}

impl Services {
    pub fn new(db: Db, base_url: &str, clock: Arc<dyn Clock>) -> Self {
        Self::with_rooms(db, base_url, clock, EngineConfig::default())
    }

    pub fn with_rooms(db: Db, base_url: &str, clock: Arc<dyn Clock>, rooms: EngineConfig) -> Self {
        let env = Env {
            clock,
            base_url: base_url.to_string(),
        };
        let shared = Arc::new(db.clone());
        let hub = LocalHub::default();
        let room_bus = Arc::new(LocalBus::default());
        let engine = RoomEngine::new(shared.clone(), room_bus.clone(), env.clock.clone(), rooms);
        let secretary = SecretaryService::new(shared.clone(), shared.clone(), shared.clone(), env.clone());
        let rooms = RoomService::new(shared.clone(), engine, env.clone());
        let cards = CardService::new(
            shared.clone(),
            shared.clone(),
            shared.clone(),
            rooms.clone(),
            env.clone(),
        );
        let conference = ConferenceService::new(
            shared.clone(),
            shared.clone(),
            shared.clone(),
            rooms.clone(),
            env.clone(),
        );
        let planner = PlannerService::new(
            shared.clone(),
            shared.clone(),
            rooms.clone(),
            conference.clone(),
            env.clone(),
        );
        Services {
            planner,
            accounts: AccountService::new(shared.clone(), env.clone()),
            identity: IdentityService::new(shared.clone(), shared.clone(), shared.clone(), env.clone()),
            outbox: OutboxService::new(shared.clone(), env.clone()),
            portal: PortalService::new(
                shared.clone(),
                shared.clone(),
                shared.clone(),
                shared.clone(),
                env.clone(),
            ),
            secretary: secretary.clone(),
            calls: CallService::new(
                shared.clone(),
                shared.clone(),
                secretary,
                shared,
                Arc::new(hub.clone()),
                env.clone(),
            ),
            hub,
            rooms,
            room_bus,
            cards,
            conference,
            db,
            env,
        }
    }

    /// Opens (and migrates) the database the settings name.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let db = Db::open(&settings.database_url).await?;
        Ok(Self::new(db, &settings.base_url, Arc::new(SystemClock)))
    }
}

struct DbReady(Db);

#[async_trait]
impl web::Readiness for DbReady {
    async fn ready(&self) -> bool {
        self.0.ping().await
    }
}

/// The transports the settings ask for; the dev mailbox where none is set.
pub fn transports(settings: &Settings) -> anyhow::Result<(Arc<dyn Transport>, Arc<dyn Transport>)> {
    let email: Arc<dyn Transport> = match &settings.smtp_url {
        Some(url) => {
            let mailer = SmtpMailer::new(url, &settings.mail_from).map_err(|e| anyhow::anyhow!("{e}"))?;
            Arc::new(mailer)
        }
        None => Arc::new(MailboxTransport),
    };
    let sms: Arc<dyn Transport> = match &settings.sms_gateway_url {
        Some(url) => Arc::new(HttpSmsGateway::new(url).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => Arc::new(MailboxTransport),
    };
    Ok((email, sms))
}

/// A server running in the background of this process.
pub struct Running {
    pub addr: SocketAddr,
    pub services: Services,
    /// The phone dial-in, when it runs.
    pub phone: Option<Arc<phone::Phone>>,
    shutdown: CancellationToken,
    tasks: tokio::task::JoinSet<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests and the message in hand
    /// finish, then closes the database.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
        self.services.db.close().await;
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until the server stopped (after a signal or `shutdown_token().cancel()`).
    pub async fn wait(mut self) {
        while self.tasks.join_next().await.is_some() {}
        self.services.db.close().await;
    }
}

/// Starts HTTP server and outbox worker; `settings.listen` may use port 0.
pub async fn start(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let db = Db::open(&settings.database_url).await?;
    let mut services = Services::with_rooms(db.clone(), &settings.base_url, clock.clone(), settings.engine_config());
    services.conference = services.conference.clone().with_dial_in(settings.dial_in_phones());
    services.planner = services.planner.clone().with_conference(services.conference.clone());
    if settings.demo {
        demo::seed(&services).await.context("demo data")?;
    }
    let (email, sms) = transports(settings)?;
    if let Some(url) = &settings.smtp_url {
        // Only a warning: the outbox keeps mails until the server answers.
        let mailer = SmtpMailer::new(url, &settings.mail_from).map_err(|e| anyhow::anyhow!("{e}"))?;
        tokio::spawn(async move {
            if let Err(e) = mailer.check().await {
                tracing::warn!(error = %e, "smtp-url: SMTP server not reachable yet; mails wait in the outbox");
            }
        });
    }
    let state = web::AppState {
        config: Arc::new(web::WebConfig {
            base_url: settings.base_url.clone(),
            dev_mode: settings.dev,
            ice_servers: settings.ice_servers.clone(),
        }),
        accounts: services.accounts.clone(),
        identity: services.identity.clone(),
        outbox: services.outbox.clone(),
        portal: services.portal.clone(),
        secretary: services.secretary.clone(),
        calls: services.calls.clone(),
        hub: services.hub.clone(),
        rooms: services.rooms.clone(),
        cards: services.cards.clone(),
        conference: services.conference.clone(),
        planner: services.planner.clone(),
        readiness: Arc::new(DbReady(db.clone())),
    };
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listen: cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();

    let worker = OutboxWorker::new(
        Arc::new(db.clone()),
        email,
        sms,
        clock,
        WorkerConfig {
            poll_interval: settings.outbox_poll,
            lease: settings.outbox_lease,
            ..Default::default()
        },
    );
    tasks.spawn(worker.run(shutdown.clone()));
    tasks.spawn(jobs::scheduler::run(
        services.planner.clone(),
        settings.scheduler_interval,
        shutdown.clone(),
    ));
    let engine = services.rooms.engine().clone();
    let engine_handle = engine.clone();
    let stop = shutdown.clone();
    tasks.spawn(async move { engine.run(stop.cancelled_owned()).await });

    let phone = match &settings.phone {
        Some(config) => {
            match phone::Phone::start(config.clone(), services.conference.clone(), engine_handle.clone()).await {
                Ok(p) => Some(Arc::new(p)),
                Err(e) if settings.phone_by_default => {
                    tracing::warn!(error = %e, listen = %config.listen, "phone dial-in not started (port busy?)");
                    None
                }
                Err(e) => return Err(anyhow::anyhow!("sip-listen: cannot listen on {}: {e}", config.listen)),
            }
        }
        None => None,
    };
    let app = web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let stop = shutdown.clone();
    tasks.spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "http server failed");
        }
    });
    Ok(Running {
        addr,
        services,
        phone,
        shutdown,
        tasks,
    })
}
