//! Drives the real Madoguchi window: tauri-driver in front of WebKitWebDriver, under the
//! display that `cargo xtask test` provides with Xvfb.
//!
//! Nothing here skips quietly: without a display, a driver or the app binary, the test fails
//! and says what is missing.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// A running window and the driver process behind it. Dropping it ends both.
pub struct Window {
    pub client: Client,
    driver: Child,
    /// The app's config and data folders (XDG), fresh for each window.
    pub home: tempfile::TempDir,
}

fn required_path(var: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(default);
    assert!(path.exists(), "{} not found (set {var}; `cargo xtask test` does)", path.display());
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Window {
    /// Starts the app binary in a fresh data folder and connects a WebDriver session to it.
    pub async fn open() -> Window {
        Self::open_with(&[]).await
    }

    /// As [`Window::open`], with extra environment for the app (a development build reads
    /// its server from MADOGUCHI_DEV_*).
    pub async fn open_with(env: &[(&str, &str)]) -> Window {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: run the end-to-end tests through `cargo xtask test` (it starts Xvfb)"
        );
        let app = required_path("MADOGUCHI_APP_BIN", || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/madoguchi")
        });
        let tauri_driver = required_path("TAURI_DRIVER_BIN", || PathBuf::from("tauri-driver"));
        let native =
            required_path("WEBKIT_WEBDRIVER_BIN", || PathBuf::from("/usr/bin/WebKitWebDriver"));
        let home = tempfile::tempdir().unwrap();
        let (port, native_port) = (free_port(), free_port());
        let driver = Command::new(tauri_driver)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(native)
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("start tauri-driver");
        // With the server linked in for some tests, two TLS providers are compiled: pick ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("no WebDriver session at {url} after 30 s: {e}"),
            }
        };
        Window { client, driver, home }
    }

    /// Waits for an element and returns its visible text.
    pub async fn text(&self, css: &str) -> String {
        let el = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
        el.text().await.unwrap()
    }

    /// Calls one of the app's commands as the page would, with a channel argument named
    /// `channel` when given (its messages are counted in `window.__e2eMessages`).
    pub async fn invoke(
        &self,
        cmd: &str,
        args: serde_json::Value,
        channel: Option<&str>,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let script = r#"
            const [cmd, args, channel, done] = arguments;
            const internals = window.__TAURI_INTERNALS__;
            if (channel) {
                window.__e2eMessages = 0;
                const id = internals.transformCallback(() => { window.__e2eMessages += 1; });
                args[channel] = `__CHANNEL__:${id}`;
            }
            internals.invoke(cmd, args).then((ok) => done({ ok }), (err) => done({ err }));
        "#;
        let answer = self
            .client
            .execute_async(
                script,
                vec![cmd.into(), args, channel.map_or(serde_json::Value::Null, Into::into)],
            )
            .await
            .expect("execute_async");
        match answer.get("ok") {
            Some(ok) => Ok(ok.clone()),
            None => Err(answer.get("err").cloned().unwrap_or(answer)),
        }
    }

    /// Saves a PNG of the window under `tests/e2e/artifacts/` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real picture, not a blank");
        path
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// Replaces the text of the input at `css` with `text`, as typed.
pub async fn type_into(w: &Window, css: &str, text: &str) {
    let input = w.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Waits until `css` shows `expected`, for answers that arrive after typing.
pub async fn until_text(w: &Window, css: &str, expected: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(el) = w.client.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if last.contains(expected) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} shows {last:?}, expected {expected:?}");
}
