//! Settings, from (highest first) command-line flags, `KONTOR_*`
//! environment variables, an optional `kontor.toml`, and defaults.
//! Unknown keys in the file and unknown `KONTOR_*` variables are errors,
//! so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Every setting as a flag with its environment variable. All optional
/// here; defaults are applied in [`Settings::resolve`].
#[derive(clap::Args, Debug, Default, Clone)]
pub struct SettingsArgs {
    /// Configuration file (TOML, same keys as the flags with underscores).
    /// Default: ./kontor.toml if it exists.
    #[arg(long, env = "KONTOR_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "KONTOR_LISTEN", global = true, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Public base URL used in links in e-mails [default: http://<listen>].
    #[arg(long, env = "KONTOR_BASE_URL", global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://<data-dir>/kontor.db].
    #[arg(long, env = "KONTOR_DATABASE_URL", global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// SMTP server: smtp://host:25 (plain), smtp://host:587?tls=required (STARTTLS),
    /// smtps://host:465 (TLS), with optional user:password@. Unset: mails stay in the dev mailbox.
    #[arg(long, env = "KONTOR_SMTP_URL", global = true, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Sender of all e-mails [default: "Kontor <noreply@kontor.localhost>"].
    #[arg(long, env = "KONTOR_MAIL_FROM", global = true, value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// HTTP SMS gateway (JSON POST). Unset: SMS stay in the dev mailbox.
    #[arg(long, env = "KONTOR_SMS_GATEWAY_URL", global = true, value_name = "URL")]
    pub sms_gateway_url: Option<String>,
    /// Folder for the SQLite database and uploads [default: ./data].
    #[arg(long, env = "KONTOR_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log level or filter, e.g. info, debug, "info,sqlx=warn" [default: info].
    #[arg(long, env = "KONTOR_LOG_LEVEL", global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "KONTOR_LOG_FORMAT", global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Development mode (local mailbox pages). Default: on when listening on
    /// loopback without SMTP, off otherwise.
    #[arg(long, env = "KONTOR_DEV", global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub dev: Option<bool>,
    /// Fill an empty database with demo data at start.
    #[arg(long, env = "KONTOR_DEMO", global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub demo: Option<bool>,
    /// How often the outbox worker looks for due messages, in ms [default: 500].
    #[arg(long, env = "KONTOR_OUTBOX_POLL_MS", global = true, value_name = "MS")]
    pub outbox_poll_ms: Option<u64>,
    /// How long a message being delivered is reserved, in s [default: 300].
    #[arg(long, env = "KONTOR_OUTBOX_LEASE_SECS", global = true, value_name = "SECS")]
    pub outbox_lease_secs: Option<u64>,
    /// STUN/TURN servers for audio/video, as a JSON list of RTCIceServer
    /// objects, e.g. '[{"urls":"stun:stun.example.org:3478"},{"urls":"turn:turn.example.org",
    /// "username":"u","credential":"p"}]' [default: none, enough on one network].
    #[arg(long, env = "KONTOR_ICE_SERVERS", global = true, value_name = "JSON")]
    pub ice_servers: Option<String>,
    /// Seconds a room member whose connection dropped keeps their place [default: 15].
    #[arg(long, env = "KONTOR_ROOM_GRACE_SECS", global = true, value_name = "SECS")]
    pub room_grace_secs: Option<u64>,
    /// The phone number callers dial for conference rooms, as shown to users,
    /// e.g. "+49 30 1234 5678" [default: none; the demo shows an example].
    /// Several numbers are separated by commas, each with an optional
    /// language for its voice menu: "+49 30 1234 5678, +44 20 7946 0958 (en)".
    #[arg(long, env = "KONTOR_DIAL_IN", global = true, value_name = "NUMBERS")]
    pub dial_in: Option<String>,
    /// Where the phone dial-in listens for SIP (UDP), or "off"
    /// [default: 127.0.0.1:5060 in development and demo mode, otherwise off].
    #[arg(long, env = "KONTOR_SIP_LISTEN", global = true, value_name = "ADDR")]
    pub sip_listen: Option<String>,
    /// The address callers send audio to (SDP), when SIP listens on 0.0.0.0
    /// [default: the listen address].
    #[arg(long, env = "KONTOR_SIP_PUBLIC_IP", global = true, value_name = "IP")]
    pub sip_public_ip: Option<String>,
    /// Addresses or networks of SIP trunks let in without a password,
    /// e.g. "192.0.2.10, 10.0.0.0/8" [default: 127.0.0.1, ::1 when SIP listens on loopback].
    #[arg(long, env = "KONTOR_SIP_TRUNKS", global = true, value_name = "LIST")]
    pub sip_trunks: Option<String>,
    /// Digest credentials "user:password" for trunks from other addresses [default: none].
    #[arg(long, env = "KONTOR_SIP_DIGEST", global = true, value_name = "USER:PASSWORD")]
    pub sip_digest: Option<String>,
    /// Audio codecs in order of preference [default: PCMA,PCMU].
    #[arg(long, env = "KONTOR_SIP_CODECS", global = true, value_name = "LIST")]
    pub sip_codecs: Option<String>,
    /// UDP ports for call audio (RTP on even, RTCP on odd ports) [default: 20000-20999].
    #[arg(long, env = "KONTOR_RTP_PORTS", global = true, value_name = "FIRST-LAST")]
    pub rtp_ports: Option<String>,
    /// How long a call rings before the voice menu answers, in ms [default: 500].
    #[arg(long, env = "KONTOR_SIP_RING_MS", global = true, value_name = "MS")]
    pub sip_ring_ms: Option<u64>,
}

/// The same keys as a TOML file.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    base_url: Option<String>,
    database_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    sms_gateway_url: Option<String>,
    data_dir: Option<PathBuf>,
    log_level: Option<String>,
    log_format: Option<String>,
    dev: Option<bool>,
    demo: Option<bool>,
    outbox_poll_ms: Option<u64>,
    outbox_lease_secs: Option<u64>,
    ice_servers: Option<String>,
    room_grace_secs: Option<u64>,
    dial_in: Option<String>,
    sip_listen: Option<String>,
    sip_public_ip: Option<String>,
    sip_trunks: Option<String>,
    sip_digest: Option<String>,
    sip_codecs: Option<String>,
    rtp_ports: Option<String>,
    sip_ring_ms: Option<u64>,
}

const KNOWN_ENV: &[&str] = &[
    "KONTOR_CONFIG",
    "KONTOR_LISTEN",
    "KONTOR_BASE_URL",
    "KONTOR_DATABASE_URL",
    "KONTOR_SMTP_URL",
    "KONTOR_MAIL_FROM",
    "KONTOR_SMS_GATEWAY_URL",
    "KONTOR_DATA_DIR",
    "KONTOR_LOG_LEVEL",
    "KONTOR_LOG_FORMAT",
    "KONTOR_DEV",
    "KONTOR_DEMO",
    "KONTOR_OUTBOX_POLL_MS",
    "KONTOR_OUTBOX_LEASE_SECS",
    "KONTOR_ICE_SERVERS",
    "KONTOR_ROOM_GRACE_SECS",
    "KONTOR_DIAL_IN",
    "KONTOR_SIP_LISTEN",
    "KONTOR_SIP_PUBLIC_IP",
    "KONTOR_SIP_TRUNKS",
    "KONTOR_SIP_DIGEST",
    "KONTOR_SIP_CODECS",
    "KONTOR_RTP_PORTS",
    "KONTOR_SIP_RING_MS",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub base_url: String,
    pub database_url: String,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub sms_gateway_url: Option<String>,
    pub data_dir: PathBuf,
    pub log_level: String,
    pub log_format: LogFormat,
    pub dev: bool,
    pub demo: bool,
    pub outbox_poll: Duration,
    pub outbox_lease: Duration,
    /// RTCIceServer objects for the browsers (checked at start).
    pub ice_servers: serde_json::Value,
    pub room_grace: Duration,
    /// The conference dial-in numbers shown to users (empty: none).
    pub dial_in: Vec<phone::DialInNumber>,
    /// The phone dial-in (`None`: off).
    pub phone: Option<phone::PhoneConfig>,
    /// The phone dial-in was switched on by default (development): a busy
    /// port is then only a warning.
    pub phone_by_default: bool,
    /// How often the planner's scheduler looks for due reminders and
    /// expired spontaneous sessions (the most a reminder is late).
    pub scheduler_interval: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn err(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

impl Settings {
    pub fn resolve(args: &SettingsArgs) -> Result<Settings, ConfigError> {
        for (key, _) in std::env::vars() {
            if key.starts_with("KONTOR_") && !key.starts_with("KONTOR_TEST_") && !KNOWN_ENV.contains(&key.as_str()) {
                return Err(err(format!(
                    "unknown setting {key} in the environment (known: {})",
                    KNOWN_ENV.join(", ")
                )));
            }
        }
        let file = match &args.config {
            Some(path) => Self::read_file(path)?,
            None if std::path::Path::new("kontor.toml").exists() => {
                Self::read_file(std::path::Path::new("kontor.toml"))?
            }
            None => FileSettings::default(),
        };
        macro_rules! pick {
            ($field:ident) => {
                args.$field.clone().or(file.$field.clone())
            };
        }
        let listen_raw = pick!(listen).unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_raw
            .parse()
            .map_err(|_| err(format!("listen: {listen_raw:?} is not an address like 127.0.0.1:8080")))?;
        let base_url = match pick!(base_url) {
            Some(u) => {
                let parsed = url::Url::parse(&u).map_err(|e| err(format!("base-url: {u:?}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(err("base-url: must start with http:// or https://"));
                }
                u.trim_end_matches('/').to_string()
            }
            None if listen.ip().is_unspecified() => format!("http://localhost:{}", listen.port()),
            None => format!("http://{listen}"),
        };
        let data_dir = pick!(data_dir).unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = pick!(database_url).unwrap_or_else(|| format!("sqlite://{}/kontor.db", data_dir.display()));
        store::Backend::from_url(&database_url).map_err(|e| err(e.to_string()))?;
        let smtp_url = pick!(smtp_url).filter(|s| !s.trim().is_empty());
        if let Some(u) = &smtp_url {
            let parsed = url::Url::parse(u).map_err(|e| err(format!("smtp-url: {u:?}: {e}")))?;
            if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host_str().is_none() {
                return Err(err(format!(
                    "smtp-url: {u:?} must look like smtp://host:port or smtps://host:port"
                )));
            }
        }
        let sms_gateway_url = pick!(sms_gateway_url).filter(|s| !s.trim().is_empty());
        let log_format = match pick!(log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(err(format!("log-format: {other:?} is neither text nor json"))),
        };
        let dev = pick!(dev).unwrap_or(listen.ip().is_loopback() && smtp_url.is_none());
        let poll = pick!(outbox_poll_ms).unwrap_or(500);
        if !(10..=60_000).contains(&poll) {
            return Err(err("outbox-poll-ms: must be between 10 and 60000"));
        }
        let lease = pick!(outbox_lease_secs).unwrap_or(300);
        if !(1..=86_400).contains(&lease) {
            return Err(err("outbox-lease-secs: must be between 1 and 86400"));
        }
        let ice_servers = match pick!(ice_servers).filter(|s| !s.trim().is_empty()) {
            None => serde_json::Value::Array(Vec::new()),
            Some(text) => parse_ice_servers(&text)?,
        };
        let demo = pick!(demo).unwrap_or(false);
        let numbers = match pick!(dial_in) {
            Some(text) => {
                let numbers = phone::PhoneConfig::parse_numbers(&text).map_err(|e| err(format!("dial-in: {e}")))?;
                if numbers.iter().any(|n| n.digits.len() > 15) {
                    return Err(err(format!("dial-in: {text:?} has a number longer than 15 digits")));
                }
                numbers
            }
            None if demo => phone::PhoneConfig::parse_numbers("+49 30 5557 0100, +44 20 7946 0100 (en)")
                .expect("demo numbers are valid"),
            None => Vec::new(),
        };
        let (phone, phone_by_default) = phone_settings(args, &file, dev || demo, numbers.clone())?;
        let dial_in = numbers;
        let grace = pick!(room_grace_secs).unwrap_or(15);
        if !(1..=3600).contains(&grace) {
            return Err(err("room-grace-secs: must be between 1 and 3600"));
        }
        Ok(Settings {
            listen,
            base_url,
            database_url,
            smtp_url,
            mail_from: pick!(mail_from).unwrap_or_else(|| "Kontor <noreply@kontor.localhost>".into()),
            sms_gateway_url,
            data_dir,
            log_level: pick!(log_level).unwrap_or_else(|| "info".into()),
            log_format,
            dev,
            demo,
            outbox_poll: Duration::from_millis(poll),
            outbox_lease: Duration::from_secs(lease),
            ice_servers,
            room_grace: Duration::from_secs(grace),
            dial_in,
            phone,
            phone_by_default,
            scheduler_interval: Duration::from_secs(1),
        })
    }

    /// The dial-in numbers as the conference center shows them.
    pub fn dial_in_phones(&self) -> Vec<domain::conference::DialInPhone> {
        self.dial_in
            .iter()
            .map(|n| domain::conference::DialInPhone {
                number: n.display.clone(),
                language: n.lang.code().to_string(),
            })
            .collect()
    }

    /// The settings part of the room engine.
    pub fn engine_config(&self) -> domain::rooms::EngineConfig {
        domain::rooms::EngineConfig {
            grace: self.room_grace,
            ..Default::default()
        }
    }

    fn read_file(path: &std::path::Path) -> Result<FileSettings, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| err(format!("config: cannot read {}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| err(format!("config: {}: {}", path.display(), e.message())))
    }
}

/// The phone dial-in's settings: off unless `sip_listen` is set, or in
/// development/demo mode (then on loopback, with loopback as the trunk).
fn phone_settings(
    args: &SettingsArgs,
    file: &FileSettings,
    dev: bool,
    numbers: Vec<phone::DialInNumber>,
) -> Result<(Option<phone::PhoneConfig>, bool), ConfigError> {
    macro_rules! pick {
        ($field:ident) => {
            args.$field.clone().or(file.$field.clone())
        };
    }
    let (listen, by_default) = match pick!(sip_listen).as_deref().map(str::trim) {
        Some("off") | Some("") => return Ok((None, false)),
        Some(addr) => (
            addr.parse::<SocketAddr>().map_err(|_| {
                err(format!(
                    "sip-listen: {addr:?} is not an address like 127.0.0.1:5060 (or off)"
                ))
            })?,
            false,
        ),
        None if dev => (SocketAddr::from(([127, 0, 0, 1], 5060)), true),
        None => return Ok((None, false)),
    };
    let public_ip = match pick!(sip_public_ip) {
        Some(ip) => ip
            .trim()
            .parse()
            .map_err(|_| err(format!("sip-public-ip: {ip:?} is not an IP address")))?,
        None if listen.ip().is_unspecified() => {
            return Err(err(
                "sip-public-ip: needed when sip-listen is 0.0.0.0 or [::] (the address callers send audio to)",
            ))
        }
        None => listen.ip(),
    };
    let trunks = match pick!(sip_trunks) {
        Some(list) => phone::PhoneConfig::parse_trunks(&list).map_err(|e| err(format!("sip-trunks: {e}")))?,
        None if listen.ip().is_loopback() => phone::PhoneConfig::parse_trunks("127.0.0.1, ::1").expect("valid"),
        None => Vec::new(),
    };
    let digest = match pick!(sip_digest) {
        Some(pair) => {
            let (user, password) = pair
                .split_once(':')
                .filter(|(u, p)| !u.is_empty() && p.len() >= 12)
                .ok_or_else(|| err("sip-digest: user:password with a password of at least 12 characters"))?;
            Some((user.to_string(), password.to_string()))
        }
        None => None,
    };
    if trunks.is_empty() && digest.is_none() {
        return Err(err("sip-trunks or sip-digest: without either no call would be let in"));
    }
    let codecs = phone::PhoneConfig::parse_codecs(&pick!(sip_codecs).unwrap_or_else(|| "PCMA,PCMU".into()))
        .map_err(|e| err(format!("sip-codecs: {e}")))?;
    let rtp_ports = phone::PhoneConfig::parse_ports(&pick!(rtp_ports).unwrap_or_else(|| "20000-20999".into()))
        .map_err(|e| err(format!("rtp-ports: {e}")))?;
    let ring = pick!(sip_ring_ms).unwrap_or(500);
    if ring > 30_000 {
        return Err(err("sip-ring-ms: at most 30000"));
    }
    Ok((
        Some(phone::PhoneConfig {
            listen,
            public_ip,
            trunks,
            digest,
            realm: "kontor".into(),
            codecs,
            rtp_ports,
            numbers,
            ring: Duration::from_millis(ring),
        }),
        by_default,
    ))
}

/// Checks the ICE server list: a JSON array of objects, each with `urls`
/// (a stun:/turn:/turns: URL or a list of them).
fn parse_ice_servers(text: &str) -> Result<serde_json::Value, ConfigError> {
    let bad = |why: &str| {
        err(format!(
            "ice-servers: {why} (expected e.g. [{{\"urls\":\"stun:stun.example.org:3478\"}}])"
        ))
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let list = value.as_array().ok_or_else(|| bad("not a list"))?;
    for server in list {
        let urls = server.get("urls").ok_or_else(|| bad("an entry has no \"urls\""))?;
        let urls: Vec<&str> = match urls {
            serde_json::Value::String(u) => vec![u.as_str()],
            serde_json::Value::Array(us) => us.iter().filter_map(|u| u.as_str()).collect(),
            _ => return Err(bad("\"urls\" must be a string or a list of strings")),
        };
        if urls.is_empty()
            || !urls
                .iter()
                .all(|u| ["stun:", "turn:", "turns:"].iter().any(|p| u.starts_with(p)))
        {
            return Err(bad("every URL must start with stun:, turn: or turns:"));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::parse_ice_servers;

    #[test]
    fn ice_servers_are_checked_at_start() {
        let ok = parse_ice_servers(
            r#"[{"urls":"stun:stun.example.org:3478"},{"urls":["turn:t.example.org","turns:t.example.org:443"],"username":"u","credential":"p"}]"#,
        )
        .unwrap();
        assert_eq!(ok.as_array().unwrap().len(), 2);
        for (bad, why) in [
            ("stun:x", "not JSON"),
            (r#"{"urls":"stun:x"}"#, "not a list"),
            (r#"[{"url":"stun:x"}]"#, "no \"urls\""),
            (r#"[{"urls":"http://x"}]"#, "stun:, turn: or turns:"),
            (r#"[{"urls":[]}]"#, "stun:, turn: or turns:"),
        ] {
            let e = parse_ice_servers(bad).unwrap_err().to_string();
            assert!(e.starts_with("ice-servers:") && e.contains(why), "{bad}: {e}");
        }
    }
}
