//! A real browser for end-to-end tests: Debian's chromium, driven through
//! chromedriver (WebDriver) with fantoccini. Headless, its own profile,
//! loopback only. Screenshots go to `test-output/` at the workspace root.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: std::path::PathBuf,
    /// Browsers take turns: two Chromes and their servers on a 2-core
    /// machine starve each other into timeouts.
    /// Browsers take turns (one test's browsers at a time); the first of a
    /// pair holds the turn.
    _turn: Option<tokio::sync::MutexGuard<'static, ()>>,
}

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where screenshots of the browser tests are written.
pub fn output_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-output");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    pub async fn start() -> Browser {
        Self::start_with(&[]).await
    }

    /// Starts chromium with extra flags, e.g. fake media devices for WebRTC.
    pub async fn start_with(extra_args: &[&str]) -> Browser {
        let turn = TURN.lock().await;
        Self::launch(extra_args, Some(turn)).await
    }

    /// Two browsers with their own profiles, for tests where two people
    /// meet (WebRTC between two pages).
    pub async fn start_pair(extra_args: &[&str]) -> (Browser, Browser) {
        let mut b = Self::start_several(extra_args, 2).await;
        let second = b.pop().expect("two");
        (b.pop().expect("two"), second)
    }

    /// `n` browsers taking their turn together (asking for one more while
    /// holding some would wait for itself).
    pub async fn start_several(extra_args: &[&str], n: usize) -> Vec<Browser> {
        let turn = TURN.lock().await;
        let mut all = vec![Self::launch(extra_args, Some(turn)).await];
        for _ in 1..n {
            all.push(Self::launch(extra_args, None).await);
        }
        all
    }

    async fn launch(extra_args: &[&str], turn: Option<tokio::sync::MutexGuard<'static, ()>>) -> Browser {
        let driver_bin = std::env::var("KONTOR_TEST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("KONTOR_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&driver_bin).exists() && std::path::Path::new(&chromium).exists(),
            "browser tests need Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver"
        );
        let port = free_port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = std::env::temp_dir().join(format!("kontor-chrome-{port}-{}", std::process::id()));
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(extra_args.iter().map(|s| s.to_string()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_err = None;
        for _ in 0..100 {
            match ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        profile,
                        _turn: turn,
                    }
                }
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("could not start a browser session: {last_err:?}");
    }

    /// Saves a PNG of the current page as `test-output/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(output_dir().join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
