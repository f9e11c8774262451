//! A real SMTP server for tests, listening on loopback. It speaks enough
//! ESMTP for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and records
//! each message only once it has answered 250 to the data, as a real
//! server takes responsibility only then. Modes let a test make it refuse
//! (4xx) or hang after receiving the data (to kill the sender mid-delivery).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::MimeHeaders;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// Accept every message.
    Accept,
    /// Answer 451 (try again later) to MAIL FROM.
    TempFail,
    /// Read the whole message, then never answer.
    StallAfterData,
}

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub rcpt: Vec<String>,
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("parsable message")
    }
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }
    pub fn text(&self) -> String {
        self.parsed().body_text(0).map(|s| s.into_owned()).unwrap_or_default()
    }
    pub fn html(&self) -> String {
        self.parsed().body_html(0).map(|s| s.into_owned()).unwrap_or_default()
    }
    /// A raw header value (first occurrence), decoded as text.
    pub fn header(&self, name: &str) -> Option<String> {
        let msg = self.parsed();
        msg.header_raw(name).map(|v| v.trim().to_string())
    }
    pub fn to(&self) -> Vec<String> {
        let msg = self.parsed();
        msg.to()
            .map(|a| a.iter().filter_map(|x| x.address().map(str::to_string)).collect())
            .unwrap_or_default()
    }
    pub fn attachments(&self) -> Vec<(String, String, Vec<u8>)> {
        let msg = self.parsed();
        msg.attachments()
            .map(|a| {
                let ct = a
                    .content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
                    .unwrap_or_default();
                (a.attachment_name().unwrap_or("").to_string(), ct, a.contents().to_vec())
            })
            .collect()
    }
    /// The first http(s) link in the text part that contains `needle`.
    pub fn link_containing(&self, needle: &str) -> Option<String> {
        self.text()
            .split_whitespace()
            .find(|w| (w.starts_with("http://") || w.starts_with("https://")) && w.contains(needle))
            .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_string())
    }
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    mode: Arc<Mutex<SmtpMode>>,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    data_seen: Arc<Mutex<usize>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::start_on(0).await
    }

    /// Listens on a given loopback port (0 = any free one).
    pub async fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind smtp sink");
        let sink = SmtpSink {
            port: listener.local_addr().unwrap().port(),
            mode: Arc::new(Mutex::new(SmtpMode::Accept)),
            received: Arc::default(),
            data_seen: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: SmtpMode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }

    /// How many messages were fully transmitted (accepted or not).
    pub fn data_transmissions(&self) -> usize {
        *self.data_seen.lock().unwrap()
    }

    /// Waits until at least `n` messages were accepted, or panics.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("expected {n} mails within {timeout:?}, got {}", got.len());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `n` messages were transmitted (used with StallAfterData).
    pub async fn wait_for_transmissions(&self, n: usize, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.data_transmissions() < n {
            if tokio::time::Instant::now() > deadline {
                panic!("expected {n} transmissions within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
        let mut from = String::new();
        let mut rcpt = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end().to_string();
            let upper = cmd.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                w.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 OK\r\n")
                    .await?;
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                w.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("RSET") {
                from.clear();
                rcpt.clear();
                w.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                if *self.mode.lock().unwrap() == SmtpMode::TempFail {
                    w.write_all(b"451 4.3.0 try again later\r\n").await?;
                    continue;
                }
                from = cmd[10..]
                    .trim()
                    .trim_matches(['<', '>'])
                    .split('>')
                    .next()
                    .unwrap_or("")
                    .to_string();
                w.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                rcpt.push(cmd[8..].trim().trim_matches(['<', '>']).to_string());
                w.write_all(b"250 OK\r\n").await?;
            } else if upper == "DATA" {
                w.write_all(b"354 go ahead\r\n").await?;
                let mut raw = Vec::new();
                loop {
                    let mut l = Vec::new();
                    if r.read_until(b'\n', &mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == b".\r\n" || l == b".\n" {
                        break;
                    }
                    // Dot-unstuffing (RFC 5321 4.5.2).
                    let l = if l.starts_with(b"..") { l[1..].to_vec() } else { l };
                    raw.extend_from_slice(&l);
                }
                *self.data_seen.lock().unwrap() += 1;
                if *self.mode.lock().unwrap() == SmtpMode::StallAfterData {
                    // Hold the connection open without answering, like a
                    // server that dies before taking responsibility.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return Ok(());
                }
                self.received.lock().unwrap().push(ReceivedMail {
                    from: std::mem::take(&mut from),
                    rcpt: std::mem::take(&mut rcpt),
                    raw,
                });
                w.write_all(b"250 2.0.0 queued\r\n").await?;
            } else if upper.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                w.write_all(b"500 unknown command\r\n").await?;
            }
        }
    }
}
