//! Drives the real Madoguchi window (tauri-driver in front of WebKitWebDriver, under the
//! display that `cargo xtask test` provides with Xvfb), and the server's public page in a real
//! browser (Debian's Chromium through chromedriver).
//!
//! Nothing here skips quietly: without a display, a driver or the app binary, the test fails
//! and says what is missing.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// A WebDriver process; dropping it ends the process.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A session on the driver at `port`, retried while the driver starts.
async fn session(port: u16, caps: serde_json::Map<String, serde_json::Value>) -> Client {
    // With the server linked in for some tests, two TLS providers are compiled: pick ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        match ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return c,
            Err(_) if started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("no WebDriver session at {url} after 30 s: {e}"),
        }
    }
}

/// Waits up to 10 s for the element at `css` and returns its visible text.
async fn text(client: &Client, css: &str) -> String {
    let found = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await;
    match found {
        Ok(el) => el.text().await.unwrap(),
        Err(e) => {
            let picture = screenshot(client, "did_not_appear").await;
            panic!("{css} did not appear: {e} (the window: {})", picture.display())
        }
    }
}

/// Saves a PNG of what `client` shows under `tests/e2e/artifacts/` and returns its path.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    // After the page has painted what the test just waited for: WebKit's snapshot is of the
    // last painted frame, which can be older than the DOM (a query typed half-way).
    let painted = "const done = arguments[0]; \
                   requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
    // WebKitWebDriver now and then answers a snapshot with an empty UnknownError (seen once in
    // a few hundred, right after the window re-rendered a list): a later frame is taken.
    let mut tries = 0;
    let png = loop {
        client.execute_async(painted, vec![]).await.expect("two animation frames");
        match client.screenshot().await {
            Ok(png) => break png,
            Err(e) if tries < 3 => {
                eprintln!("screenshot {name}: {e:?}; trying again");
                tries += 1;
            }
            Err(e) => panic!("screenshot {name}: {e:?}"),
        }
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, &png).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real picture, not a blank");
    path
}

/// A running window and the driver process behind it. Dropping it ends both.
pub struct Window {
    pub client: Client,
    driver: Driver,
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
        Self::open_in(tempfile::tempdir().unwrap(), env).await
    }

    /// As [`Window::open_with`], on the config and data folders under `home` (a desk's store
    /// prepared there beforehand).
    pub async fn open_in(home: tempfile::TempDir, env: &[(&str, &str)]) -> Window {
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
        let (port, native_port) = (free_port(), free_port());
        let driver = Command::new(tauri_driver)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(native)
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            // Where the debug build's file dialog takes its answer from (see `import_list`).
            .env("MADOGUCHI_DEV_PICK_DIR", home.path().join("picks"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("start tauri-driver");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
        let client = session(port, caps).await;
        Window { client, driver: Driver(driver), home }
    }

    /// Imports the list at `path` as an officer does: chosen in the file dialog (the debug
    /// build answers it with the newest list in the window's `picks` folder), then imported;
    /// the import's report, or its error.
    pub async fn import_list(
        &self,
        path: &std::path::Path,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let picks = self.home.path().join("picks");
        std::fs::create_dir_all(&picks).unwrap();
        let name = path.file_name().expect("a file name");
        std::fs::copy(path, picks.join(name)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let chosen = self.invoke("pick_registry_file", serde_json::json!({}), None).await?;
        self.invoke("import_registry", serde_json::json!({ "path": chosen }), Some("onProgress"))
            .await
    }

    /// Waits for an element and returns its visible text.
    pub async fn text(&self, css: &str) -> String {
        text(&self.client, css).await
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
        screenshot(&self.client, name).await
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        drop(self.driver);
    }
}

/// Replaces the text of the input at `css` with `text`, as typed.
pub async fn type_into(w: &Window, css: &str, text: &str) {
    let input = w.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    // WebKitWebDriver refuses to clear a field scrolled out of view (a new row low on a long page).
    let element = serde_json::to_value(&input).unwrap();
    w.client
        .execute("arguments[0].scrollIntoView({block: 'center'})", vec![element])
        .await
        .unwrap();
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

/// Debian's Chromium, headless, through chromedriver: the server's public page as an
/// applicant's browser sees it. Chromium accepts the test server's certificate by its key
/// (`spki_pin`, the base64 SHA-256 of its SubjectPublicKeyInfo) and no other.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
}

impl Browser {
    pub async fn open(spki_pin: &str) -> Browser {
        let chromedriver =
            required_path("CHROMEDRIVER_BIN", || PathBuf::from("/usr/bin/chromedriver"));
        let chromium = required_path("CHROMIUM_BIN", || PathBuf::from("/usr/bin/chromium"));
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    // Tests run as root in CI, where Chromium's sandbox cannot start.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    "--lang=ja",
                    format!("--ignore-certificate-errors-spki-list={spki_pin}"),
                ],
            }),
        );
        Browser { client: session(port, caps).await, _driver: Driver(driver) }
    }

    /// The `id` of the element that has the keyboard focus.
    pub async fn focused(&self) -> String {
        let id = self.client.execute("return document.activeElement.id", vec![]).await.unwrap();
        id.as_str().unwrap_or_default().to_owned()
    }

    /// Presses each key of `keys` in turn (text, or [`fantoccini::key::Key`]s as chars),
    /// wherever the focus is: what a keyboard sends, nothing aimed at an element.
    pub async fn press(&self, keys: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys.chars() {
            actions =
                actions.then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Holds `modifier` while pressing `key` (Ctrl+A).
    pub async fn chord(&self, modifier: fantoccini::key::Key, key: char) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let modifier = char::from(modifier);
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: modifier })
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key })
            .then(KeyAction::Up { value: modifier });
        self.client.perform_actions(actions).await.unwrap();
    }

    /// The visible text of the element at `css`, waited for.
    pub async fn text(&self, css: &str) -> String {
        text(&self.client, css).await
    }

    /// Waits until the element at `css` says `expected`, across a page load (an element of
    /// the page being left goes stale: it is looked for again).
    pub async fn until_text(&self, css: &str, expected: &str) {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last == expected {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} says {last:?}, expected {expected:?}");
    }

    /// axe-core's serious and critical violations on the page.
    pub async fn accessibility_violations(&self) -> Vec<serde_json::Value> {
        accessibility_violations(&self.client).await
    }
}

/// Runs axe-core (from ui/node_modules, as `npm install` put it there) on the page `client`
/// shows — the public pages in Chromium, the desk in its own window — and returns the
/// violations whose impact is serious or critical.
pub async fn accessibility_violations(client: &Client) -> Vec<serde_json::Value> {
    let axe =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&axe)
        .unwrap_or_else(|e| panic!("{}: {e} (run `npm install` in ui/)", axe.display()));
    // WebDriver scripts are not the page's: its CSP does not apply to them.
    client.execute(&source, vec![]).await.expect("load axe-core");
    let report = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then((r) => done(r.violations), (e) => done([{ impact: 'critical', id: String(e) }]));",
            vec![],
        )
        .await
        .expect("axe.run");
    report
        .as_array()
        .expect("a list of violations")
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .cloned()
        .collect()
}

/// Whether the page `client` shows is wider than its window (a reader must scroll sideways).
pub async fn scrolls_sideways(client: &Client) -> bool {
    let wider = client
        .execute(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
            vec![],
        )
        .await
        .expect("execute");
    wider == serde_json::Value::Bool(true)
}
