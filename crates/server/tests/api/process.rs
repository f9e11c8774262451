//! The real `kontor` binary: configuration errors, CLI commands, graceful
//! shutdown, and the crash tests of the outbox (SIGKILL between a change
//! and its e-mail: the mail is delivered exactly once after restart).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use test_support::{db_test, Backend, SmtpMode, SmtpSink, TestDb};

use crate::helpers::{client, PASSWORD};

const BIN: &str = env!("CARGO_BIN_EXE_kontor");

/// The binary with a clean environment (no KONTOR_* from the caller).
fn kontor(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    c.current_dir(std::env::temp_dir());
    c
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Starts `kontor serve` and waits for the "listening" line.
    fn start(db_url: &str, extra: &[&str]) -> Server {
        let mut args = vec![
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            db_url,
            "--base-url",
            "http://kontor.test",
            "--log-level",
            "warn",
        ];
        args.extend_from_slice(extra);
        let mut child = kontor(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("server printed its address").unwrap();
            if let Some(url) = line.strip_prefix("Kontor listening on ") {
                break url.to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server { child, url }
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL: no cleanup at all
        self.child.wait().unwrap();
    }
}

/// A failing test must not leave its server running.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn terminate(mut self) -> std::process::ExitStatus {
        unsafe_sigterm(self.child.id());
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn unsafe_sigterm(pid: u32) {
    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(status.success());
}

fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = kontor(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_configuration_is_named_and_exits_non_zero() {
    let dir = std::env::temp_dir().join(format!("kontor-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("kontor.toml");
    std::fs::write(&toml, "listen = \"127.0.0.1:0\"\nsmtp_urll = \"smtp://x\"\n").unwrap();
    let (code, _, err) = run(&["--config", toml.to_str().unwrap(), "migrate"], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown field `smtp_urll`"), "{err}");

    let (code, _, err) = run(&["--database-url", "mysql://localhost/x", "migrate"], None);
    assert_eq!(code, 2);
    assert!(err.starts_with("kontor: database-url: unsupported scheme"), "{err}");

    let (code, _, err) = run(&["--listen", "localhost-8080"], None);
    assert_eq!(code, 2);
    assert!(err.contains("listen:"), "{err}");

    let (code, _, err) = run(&["--smtp-url", "http://mail", "migrate"], None);
    assert_eq!(code, 2);
    assert!(err.contains("smtp-url:"), "{err}");

    let mut c = kontor(&["migrate"]);
    c.env("KONTOR_SMTP_UR", "smtp://x");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown setting KONTOR_SMTP_UR"));

    let (code, _, err) = run(
        &["--database-url", "postgres://postgres@127.0.0.1:1/nowhere", "migrate"],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("database-url: cannot open database"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");

    let (code, out, _) = run(&["--help"], None);
    assert_eq!(code, 0);
    for setting in [
        "--listen",
        "--base-url",
        "--database-url",
        "--smtp-url",
        "--mail-from",
        "--sms-gateway-url",
        "--data-dir",
        "--log-level",
        "--log-format",
        "--dev",
        "KONTOR_SMTP_URL",
    ] {
        assert!(out.contains(setting), "--help documents {setting}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Settings precedence: flag over environment over file.
#[test]
fn flags_beat_environment_beat_file() {
    let dir = std::env::temp_dir().join(format!("kontor-prec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("k.toml");
    std::fs::write(&toml, "log_format = \"yaml\"\n").unwrap();
    let mut c = kontor(&["--config", toml.to_str().unwrap(), "migrate"]);
    let out = c.output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("log-format: \"yaml\""),
        "file value used"
    );
    c.env("KONTOR_LOG_FORMAT", "xml");
    let out = c.output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"xml\""),
        "env beats file"
    );
    let mut c = kontor(&["--config", toml.to_str().unwrap(), "--log-format", "csv", "migrate"]);
    c.env("KONTOR_LOG_FORMAT", "xml");
    let out = c.output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"csv\""),
        "flag beats env"
    );
    let _ = std::fs::remove_dir_all(dir);
}

async fn cli_creates_operator_and_account(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let (code, out, _) = run(&["--database-url", &url, "migrate"], None);
        assert_eq!(code, 0);
        assert!(
            out.contains(&format!("{} migration(s) applied", store::MIGRATIONS.len())),
            "{out}"
        );

        let (code, _, err) = run(
            &[
                "--database-url",
                &url,
                "operator",
                "create",
                "--email",
                "op@kontor.test",
                "--password-stdin",
            ],
            Some("kurz\n"),
        );
        assert_eq!(code, 1);
        assert!(
            err.contains("password: The password must be at least 12 characters long."),
            "{err}"
        );
        let (code, out, err) = run(
            &[
                "--database-url",
                &url,
                "operator",
                "create",
                "--email",
                "op@kontor.test",
                "--password-stdin",
                "--first-name",
                "Olaf",
            ],
            Some(&format!("{PASSWORD}\n")),
        );
        assert_eq!(code, 0, "{err}");
        let user: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(user["platform_role"], "operator");
        assert_eq!(user["first_name"], "Olaf");
        // Reception agents come from the same command.
        let agent = |role: &str| {
            let args = [
                "--database-url",
                &url,
                "operator",
                "create",
                "--role",
                role,
                "--email",
                "jonas@kontor.test",
                "--password-stdin",
            ];
            run(&args, Some(&format!("{PASSWORD}\n")))
        };
        let (code, _, err) = agent("boss");
        assert_eq!(code, 1);
        assert!(err.contains("role: use operator or agent"), "{err}");
        let (code, out, err) = agent("agent");
        assert_eq!(code, 0, "{err}");
        assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["platform_role"], "agent");

        let args = [
            "--database-url",
            &url,
            "account",
            "create",
            "--customer-number",
            "K-42",
            "--postal-code",
            "01067",
            "--name",
            "Dresdner Stollen GmbH",
            "--address",
            "Altmarkt 1",
            "--city",
            "Dresden",
        ];
        let (code, out, err) = run(&args, None);
        assert_eq!(code, 0, "{err}");
        let account: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(account["customer_number"], "K-42");
        assert_eq!(account["street"], "Altmarkt 1");
        let (code, _, err) = run(&args, None);
        assert_eq!(code, 1);
        assert!(
            err.contains("customer_number: This customer number is already taken."),
            "{err}"
        );

        let (code, out, _) = run(&["--database-url", &url, "demo"], None);
        assert_eq!(code, 0);
        assert!(
            out.contains("already has accounts"),
            "demo never touches a used database: {out}"
        );
    })
    .await
    .unwrap();
}

async fn demo_fills_an_empty_database(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let server = Server::start(&db.url, &["--demo"]);
    let url = server.url.clone();
    let password = kontor::demo::DEMO_PASSWORD;
    let c = login_as(&url, "operator@kontor.example", password).await;
    let page = get_json(&c, format!("{url}/api/v1/accounts")).await;
    assert_eq!(page["total"], 3);
    assert!(page["items"].to_string().contains("Bäckerei Schmidt GmbH"));
    // Anna (super admin of Mustermann AG) has a registration to approve and
    // an open invitation.
    let anna = login_as(&url, "anna.mustermann@mustermann.example", password).await;
    let me = get_json(&anna, format!("{url}/api/v1/me")).await;
    let account = me["memberships"][0]["account_id"].as_i64().unwrap();
    let regs = get_json(&anna, format!("{url}/api/v1/accounts/{account}/registrations")).await;
    assert_eq!(regs[0]["status"], "pending_approval");
    let users = get_json(&anna, format!("{url}/api/v1/accounts/{account}/users")).await;
    assert!(users.to_string().contains("\"invited\""));
    // The calls: a dashboard with answered calls, one call waiting for the agent.
    let latest = get_json(&anna, format!("{url}/api/v1/accounts/{account}/calls/latest")).await;
    assert_eq!(latest.as_array().unwrap().len(), 20);
    let agent = login_as(&url, "agent@kontor.example", password).await;
    let queue = get_json(&agent, format!("{url}/api/v1/agent/calls")).await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(server.terminate().code(), Some(0), "SIGTERM stops cleanly");
}

/// SMTP unreachable at start must not stop the server; mail waits.
async fn unreachable_smtp_does_not_stop_the_server(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let server = Server::start(&db.url, &["--smtp-url", "smtp://127.0.0.1:1"]);
    let r = client().get(format!("{}/readyz", server.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    server.kill();
}

/// An operator created with the CLI, so the database has no other mail.
fn create_operator(db_url: &str) {
    let (code, _, err) = run(
        &[
            "--database-url",
            db_url,
            "operator",
            "create",
            "--email",
            "op@kontor.test",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(code, 0, "{err}");
}

async fn login(url: &str) -> reqwest::Client {
    login_as(url, "op@kontor.test", PASSWORD).await
}

/// A client with a session of `email`.
async fn login_as(url: &str, email: &str, password: &str) -> reqwest::Client {
    let c = client();
    let r = c
        .post(format!("{url}/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login of {email}");
    c
}

/// GET `url` as `c`, the body as JSON.
async fn get_json(c: &reqwest::Client, url: String) -> Value {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

async fn create_account_with_mail(c: &reqwest::Client, url: &str, n: &str) {
    let r = c
        .post(format!("{url}/api/v1/accounts"))
        .json(&json!({"customer_number": n, "postal_code": "10115", "name": "Absturz GmbH", "contact_email": "chef@absturz.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

fn mails_to(sink: &SmtpSink, rcpt: &str) -> usize {
    sink.received()
        .iter()
        .filter(|m| m.rcpt.iter().any(|r| r == rcpt))
        .count()
}

async fn wait_for_mail_to(sink: &SmtpSink, rcpt: &str) {
    for _ in 0..1000 {
        if mails_to(sink, rcpt) > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no mail to {rcpt}");
}

/// Killed after the change committed, before the worker looked at it.
async fn crash_before_delivery_sends_exactly_once(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    // The worker looks once at start, then sleeps a minute: the mail waits.
    create_operator(&db.url);
    let server = Server::start(&db.url, &["--smtp-url", &sink.url(), "--outbox-poll-ms", "60000"]);
    let c = login(&server.url).await;
    create_account_with_mail(&c, &server.url, "K-900").await;
    server.kill();
    assert_eq!(mails_to(&sink, "chef@absturz.test"), 0);

    let server = Server::start(&db.url, &["--smtp-url", &sink.url(), "--outbox-poll-ms", "20"]);
    wait_for_mail_to(&sink, "chef@absturz.test").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(mails_to(&sink, "chef@absturz.test"), 1, "delivered exactly once");
    server.kill();
}

/// Killed while the SMTP transaction was under way (data sent, no answer
/// yet, so the server never took responsibility): after restart and the
/// lease, the mail is delivered once, with the same Message-ID.
async fn crash_during_delivery_sends_exactly_once(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let sink = SmtpSink::start().await;
    sink.set_mode(SmtpMode::StallAfterData);
    let lease = ["--outbox-lease-secs", "2", "--outbox-poll-ms", "50"];
    create_operator(&db.url);
    let mut args = vec!["--smtp-url"];
    let smtp = sink.url();
    args.push(&smtp);
    args.extend_from_slice(&lease);
    let server = Server::start(&db.url, &args);
    let c = login(&server.url).await;
    create_account_with_mail(&c, &server.url, "K-901").await;
    sink.wait_for_transmissions(1, Duration::from_secs(10)).await;
    server.kill();
    assert_eq!(mails_to(&sink, "chef@absturz.test"), 0);

    sink.set_mode(SmtpMode::Accept);
    let mut args = vec!["--smtp-url", smtp.as_str()];
    args.extend_from_slice(&lease);
    let server = Server::start(&db.url, &args);
    wait_for_mail_to(&sink, "chef@absturz.test").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(mails_to(&sink, "chef@absturz.test"), 1, "delivered exactly once");
    assert_eq!(sink.data_transmissions(), 2, "one interrupted try, one delivery");
    server.kill();
}

db_test!(
    cli_creates_operator_and_account,
    demo_fills_an_empty_database,
    unreachable_smtp_does_not_stop_the_server,
    crash_before_delivery_sends_exactly_once,
    crash_during_delivery_sends_exactly_once
);
