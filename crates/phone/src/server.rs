//! The SIP user agent server: one UDP socket, requests checked (syntax,
//! trunk address or digest, extensions) and handed to their call by
//! Call-ID; out-of-dialog OPTIONS answered here; broken messages get a
//! 400 when they can be addressed and never take the server down.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use domain::conference::ConferenceService;
use domain::rooms::RoomEngine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sip::{Challenge, Credentials, Message};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::call::{self, CallEvent};
use crate::config::PhoneConfig;
use crate::media::{MediaEngine, PortPool};

/// Methods a call understands.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO";
/// How long a nonce of a digest challenge is good for.
const NONCE_SECS: u64 = 300;

/// What the server shares with its calls.
pub struct Shared {
    pub config: PhoneConfig,
    pub conference: ConferenceService,
    pub engine: RoomEngine,
    pub media: MediaEngine,
    socket: Arc<UdpSocket>,
    /// Our address for Via and Contact.
    pub contact_addr: SocketAddr,
    calls: Mutex<HashMap<String, mpsc::Sender<CallEvent>>>,
    nonce_key: [u8; 32],
}

impl Shared {
    /// Sends a message; a failed UDP send is only logged (SIP retransmits).
    pub async fn send(&self, msg: &Message, to: SocketAddr) {
        if let Err(e) = self.socket.send_to(&msg.to_bytes(), to).await {
            tracing::debug!(error = %e, %to, "sending SIP");
        }
    }

    /// Forgets a finished call.
    pub fn forget(&self, call_id: &str) {
        self.calls.lock().unwrap().remove(call_id);
    }

    fn nonce(&self, secs: u64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.nonce_key).expect("any key length");
        mac.update(&secs.to_be_bytes());
        format!("{secs:x}.{}", hex::encode(&mac.finalize().into_bytes()[..16]))
    }

    /// A nonce we made in the last [`NONCE_SECS`]: `Some(stale)`.
    fn check_nonce(&self, nonce: &str, now: u64) -> Option<bool> {
        let (secs, _) = nonce.split_once('.')?;
        let secs = u64::from_str_radix(secs, 16).ok()?;
        (self.nonce(secs) == nonce).then_some(now.saturating_sub(secs) > NONCE_SECS)
    }
}

/// A running dial-in.
pub struct Phone {
    pub local_addr: SocketAddr,
    pub media: MediaEngine,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Phone {
    /// Binds the SIP socket and starts serving.
    pub async fn start(
        config: PhoneConfig,
        conference: ConferenceService,
        engine: RoomEngine,
    ) -> std::io::Result<Phone> {
        let socket = Arc::new(UdpSocket::bind(config.listen).await?);
        let local_addr = socket.local_addr()?;
        let media = MediaEngine::start(
            config.listen.ip(),
            PortPool::new(config.rtp_ports.0, config.rtp_ports.1),
        );
        let contact_addr = if local_addr.ip().is_unspecified() {
            SocketAddr::new(config.public_ip, local_addr.port())
        } else {
            local_addr
        };
        let shared = Arc::new(Shared {
            config,
            conference,
            engine,
            media: media.clone(),
            socket: socket.clone(),
            contact_addr,
            calls: Mutex::new(HashMap::new()),
            nonce_key: rand::random(),
        });
        let task = tokio::spawn(serve(shared.clone(), socket));
        tracing::info!(%local_addr, "phone dial-in (SIP/UDP) listening");
        Ok(Phone {
            local_addr,
            media,
            shared,
            task,
        })
    }

    /// Calls in progress.
    pub fn calls(&self) -> usize {
        self.shared.calls.lock().unwrap().len()
    }

    pub fn stop(&self) {
        self.task.abort();
        self.media.stop();
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(shared: Arc<Shared>, socket: Arc<UdpSocket>) {
    let mut buf = vec![0u8; sip::MAX_MESSAGE + 1];
    loop {
        let (n, src) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface here on some systems; keep serving.
                tracing::debug!(error = %e, "SIP receive");
                continue;
            }
        };
        let data = &buf[..n];
        if data.iter().all(|b| b.is_ascii_whitespace()) {
            continue; // keep-alive
        }
        match Message::parse(data) {
            Ok(msg) => handle(&shared, msg, src).await,
            Err(e) => {
                tracing::info!(%src, reason = e.reason, "malformed SIP message");
                if let Some(res) = Message::response_to_broken(&e) {
                    shared.send(&res, src).await;
                }
            }
        }
    }
}

/// A response to `req` with our usual headers.
pub fn reply(req: &Message, code: u16, reason: &str, to_tag: Option<&str>) -> Message {
    Message::response(req, code, reason, to_tag).with_header("Server", "Kontor")
}

async fn handle(shared: &Arc<Shared>, msg: Message, src: SocketAddr) {
    let Some(call_id) = msg.call_id().map(str::to_string) else {
        return;
    };
    let existing = shared.calls.lock().unwrap().get(&call_id).cloned();
    let Some(method) = msg.method().map(str::to_string) else {
        // A response (to our BYE): for its call, if still there.
        if let Some(call) = existing {
            let _ = call.send(CallEvent::Sip(msg, src)).await;
        }
        return;
    };
    // ACK and CANCEL cannot be challenged; they only ever match a call.
    if method != "ACK" && method != "CANCEL" && !authorized(shared, &msg, &method, src).await {
        return;
    }
    let unsupported: Vec<&str> = msg.headers("Require").collect();
    if !unsupported.is_empty() && method != "ACK" && method != "CANCEL" {
        let res = reply(&msg, 420, "Bad Extension", None).with_header("Unsupported", unsupported.join(", "));
        shared.send(&res, src).await;
        return;
    }
    if let Some(call) = existing {
        if call.send(CallEvent::Sip(msg.clone(), src)).await.is_ok() {
            return;
        }
        shared.forget(&call_id);
    }
    let has_to_tag = msg.to().is_some_and(|t| t.tag().is_some());
    match method.as_str() {
        "INVITE" if !has_to_tag => {
            let (tx, rx) = mpsc::channel(32);
            shared.calls.lock().unwrap().insert(call_id, tx);
            tokio::spawn(call::run(shared.clone(), msg, src, rx));
        }
        "ACK" => {}
        "OPTIONS" => {
            let res = reply(&msg, 200, "OK", Some(&call::new_tag()))
                .with_header("Allow", ALLOW)
                .with_header("Accept", "application/sdp")
                .with_header("Accept-Language", "de, en");
            shared.send(&res, src).await;
        }
        "INVITE" | "BYE" | "CANCEL" | "INFO" => {
            shared
                .send(&reply(&msg, 481, "Call/Transaction Does Not Exist", None), src)
                .await;
        }
        "REGISTER" | "SUBSCRIBE" | "NOTIFY" | "PUBLISH" | "MESSAGE" | "REFER" | "UPDATE" | "PRACK" => {
            let res = reply(&msg, 405, "Method Not Allowed", Some(&call::new_tag())).with_header("Allow", ALLOW);
            shared.send(&res, src).await;
        }
        _ => {
            let res = reply(&msg, 501, "Not Implemented", Some(&call::new_tag())).with_header("Allow", ALLOW);
            shared.send(&res, src).await;
        }
    }
}

/// Trunks are let in by address; others need digest credentials when
/// the operator set them, else they get a 403.
async fn authorized(shared: &Arc<Shared>, msg: &Message, method: &str, src: SocketAddr) -> bool {
    if shared.config.trunks.iter().any(|t| t.contains(src.ip())) {
        return true;
    }
    let Some((user, password)) = &shared.config.digest else {
        shared
            .send(&reply(msg, 403, "Forbidden", Some(&call::new_tag())), src)
            .await;
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut stale = false;
    if let Some(header) = msg.header("Authorization") {
        match Credentials::parse(header) {
            Ok(c) if &c.username == user && c.realm == shared.config.realm => match shared.check_nonce(&c.nonce, now) {
                Some(false) if c.verify(method, password).unwrap_or(false) => return true,
                Some(true) => stale = true,
                _ => {}
            },
            Ok(_) => {}
            Err(e) => {
                shared
                    .send(&reply(msg, 400, &format!("Bad Authorization: {e}"), None), src)
                    .await;
                return false;
            }
        }
    }
    let challenge = Challenge {
        realm: &shared.config.realm,
        nonce: &shared.nonce(now),
        stale,
    };
    let res =
        reply(msg, 401, "Unauthorized", Some(&call::new_tag())).with_header("WWW-Authenticate", challenge.header());
    shared.send(&res, src).await;
    false
}
