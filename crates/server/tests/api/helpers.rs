//! `TestApp`: the real server on a random port with its own fresh database
//! (SQLite or PostgreSQL) and a real SMTP sink, plus a cookie-keeping client.

use std::sync::Arc;
use std::time::Duration;

use kernel::{Lang, SystemClock};
use kontor::config::{LogFormat, Settings};
use kontor::{Running, Services};
use reqwest::{Client, Response};
use serde_json::Value;
use test_support::{Backend, SmtpSink, TestDb};

pub const OPERATOR_EMAIL: &str = "olivia@kontor.test";
pub const PASSWORD: &str = "Sonnenblume-Kaffee-42";

/// A client WebSocket as the live tests open them.
pub type WsStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One browser-like client (its own cookie jar) of a running server.
pub struct Visitor {
    pub url: String,
    pub client: Client,
}

/// The server plus its first visitor (`app.get(..)` etc. go through it).
pub struct TestApp {
    pub visitor: Visitor,
    pub smtp: SmtpSink,
    pub services: Services,
    /// Kept so the database lives as long as the app.
    pub _db: TestDb,
    running: Option<Running>,
}

pub fn settings(db_url: &str, smtp_url: Option<String>) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        base_url: "http://kontor.test".into(),
        database_url: db_url.to_string(),
        smtp_url,
        mail_from: "Kontor Test <noreply@kontor.test>".into(),
        sms_gateway_url: None,
        data_dir: std::env::temp_dir(),
        log_level: "warn".into(),
        log_format: LogFormat::Text,
        dev: true,
        demo: false,
        outbox_poll: Duration::from_millis(20),
        outbox_lease: Duration::from_secs(30),
        ice_servers: serde_json::json!([]),
        room_grace: Duration::from_millis(400),
        dial_in: phone::PhoneConfig::parse_numbers("+49 30 5557 0100").unwrap(),
        phone: None,
        phone_by_default: false,
        scheduler_interval: Duration::from_millis(50),
    }
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl std::ops::Deref for TestApp {
    type Target = Visitor;
    fn deref(&self) -> &Visitor {
        &self.visitor
    }
}

impl Visitor {
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.at(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.at(path)).json(body).send().await.unwrap()
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.client.put(self.at(path)).json(body).send().await.unwrap()
    }

    pub async fn put_json_owned(&self, path: &str, body: Value) -> Response {
        self.put_json(path, &body).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client.delete(self.at(path)).send().await.unwrap()
    }

    /// Like `post_json`, owning the body (for closures that build it).
    pub async fn post_owned(&self, path: &str, body: Value) -> Response {
        self.post_json(path, &body).await
    }

    /// Posts a form with the visitor's current CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.client.post(self.at(path)).form(&all).send().await.unwrap()
    }

    /// The CSRF token as a page embeds it (the cookie is set on first visit).
    pub async fn csrf(&self) -> String {
        let html = self.get("/api/docs").await.text().await.unwrap();
        hidden_value(&html, "_csrf").expect("csrf field on every page")
    }

    pub async fn login(&self, email: &str) {
        let r = self
            .post_json(
                "/api/v1/session",
                &serde_json::json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), 200, "login of {email}");
    }
}

impl TestApp {
    /// Another visitor of the same server, with its own cookies.
    pub fn second_client(&self) -> Visitor {
        Visitor {
            url: self.url.clone(),
            client: client(),
        }
    }

    /// `None` only when PostgreSQL was skipped explicitly.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        Self::spawn_clocked(backend, Arc::new(SystemClock), tweak).await
    }

    /// A server whose time is `clock` (a `ManualClock` for expiry and schedules).
    pub async fn spawn_clocked(
        backend: Backend,
        clock: Arc<dyn kernel::Clock>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let db = TestDb::create(backend).await?;
        let smtp = SmtpSink::start().await;
        let mut s = settings(&db.url, Some(smtp.url()));
        tweak(&mut s);
        let running = kontor::start(&s, clock).await.expect("server starts");
        let url = format!("http://{}", running.addr);
        Some(TestApp {
            visitor: Visitor { url, client: client() },
            smtp,
            services: running.services.clone(),
            _db: db,
            running: Some(running),
        })
    }

    /// Where the phone dial-in listens (started with `phone: Some(…)`).
    pub fn phone_addr(&self) -> std::net::SocketAddr {
        let running = self.running.as_ref().expect("running");
        running.phone.as_ref().expect("the phone dial-in is on").local_addr
    }

    /// The running dial-in.
    pub fn phone(&self) -> std::sync::Arc<phone::Phone> {
        self.running
            .as_ref()
            .and_then(|r| r.phone.clone())
            .expect("the phone dial-in is on")
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    /// A token that differs from `token` in its last character (never equal to it).
    pub fn tamper(token: &str) -> String {
        let last = if token.ends_with('A') { 'B' } else { 'A' };
        format!("{}{last}", &token[..token.len() - 1])
    }

    pub async fn create_user(
        &self,
        email: &str,
        role: Option<domain::identity::PlatformRole>,
        membership: Option<(kernel::AccountId, domain::identity::AccountRole)>,
    ) -> domain::identity::User {
        self.services
            .identity
            .create_user(domain::identity::UserInput {
                email,
                password: Some(PASSWORD),
                first_name: "Test",
                last_name: "Nutzer",
                language: Lang::De,
                platform_role: role,
                membership,
            })
            .await
            .unwrap()
    }

    /// Creates an operator and signs this app's client in as them.
    pub async fn login_operator(&self) {
        self.create_user(OPERATOR_EMAIL, Some(domain::identity::PlatformRole::Operator), None)
            .await;
        self.login(OPERATOR_EMAIL).await;
    }
}

/// The value of `<input ... name="NAME" value="...">` in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// The error object of an API error response, checked for shape.
pub async fn api_error(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    assert_eq!(
        r.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let body: Value = r.json().await.unwrap();
    let e = body["error"].clone();
    assert!(e["code"].is_string() && e["message"].is_string(), "error shape: {body}");
    e
}

/// The fields an error body's `details` name, in order.
pub fn error_fields(error: &Value) -> Vec<String> {
    error["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().expect("field").to_string())
        .collect()
}
