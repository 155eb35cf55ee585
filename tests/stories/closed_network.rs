//! A desk on a prefecture's closed network, set up the way the office's IT sets up a PC: the
//! proxy in the system's settings (Windows: インターネット オプション, the registry's Internet
//! Settings; elsewhere HTTPS_PROXY) and the prefecture's private CA in the system's certificate
//! store (Windows: the user's ROOT store; elsewhere SSL_CERT_FILE). The officer's 設定 names
//! neither, and the desk still reaches the server, through the proxy.
//!
//! The system settings are process-wide, so this file holds one story.

use std::sync::{Arc, Mutex};

use madoguchi_core::settings::DeskSettings;
use madoguchi_core::sync::SyncError;
use madoguchi_domain::{Code, Coded};
use madoguchi_server::testing::{form, Backend, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An office's forward proxy: HTTPS only through CONNECT, each tunnel's target written down.
async fn connect_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tunnels = Arc::new(Mutex::new(Vec::new()));
    let seen = tunnels.clone();
    tokio::spawn(async move {
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let mut byte = [0u8; 1];
                    if inbound.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let Some(target) = head.strip_prefix("CONNECT ").and_then(|r| r.split(' ').next())
                else {
                    let refusal = "HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n";
                    let _ = inbound.write_all(refusal.as_bytes()).await;
                    return;
                };
                seen.lock().unwrap().push(target.to_owned());
                let mut outbound = TcpStream::connect(target).await.unwrap();
                inbound.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (port, tunnels)
}

/// The proxy set for the whole PC, undone when the story ends.
struct SystemProxy;

impl SystemProxy {
    fn set(port: u16) -> Self {
        // What the machine running the story has of its own (a proxy, a CA bundle, hosts
        // exempted) is not what an office PC has; on Windows these variables would win over
        // the registry and the certificate store.
        for name in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
        ] {
            std::env::remove_var(name);
        }
        #[cfg(windows)]
        {
            reg(&["add", INTERNET_SETTINGS, "/v", "ProxyEnable", "/t", "REG_DWORD", "/d", "1"]);
            let server = format!("127.0.0.1:{port}");
            reg(&["add", INTERNET_SETTINGS, "/v", "ProxyServer", "/t", "REG_SZ", "/d", &server]);
        }
        #[cfg(not(windows))]
        std::env::set_var("HTTPS_PROXY", format!("http://127.0.0.1:{port}"));
        SystemProxy
    }
}

impl Drop for SystemProxy {
    fn drop(&mut self) {
        #[cfg(windows)]
        reg(&["add", INTERNET_SETTINGS, "/v", "ProxyEnable", "/t", "REG_DWORD", "/d", "0"]);
        #[cfg(not(windows))]
        std::env::remove_var("HTTPS_PROXY");
    }
}

#[cfg(windows)]
const INTERNET_SETTINGS: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings";

/// Windows' own reg.exe, as IT's scripts set it.
#[cfg(windows)]
fn reg(args: &[&str]) {
    let status = std::process::Command::new("reg").args(args).arg("/f").status().unwrap();
    assert!(status.success(), "reg {args:?}: {status}");
}

/// The prefecture's CA installed as IT installs it, removed when the story ends.
struct SystemCa {
    #[cfg(windows)]
    der: Vec<u8>,
}

/// The machine's trusted roots, where a group policy puts a prefecture's CA (the user's ROOT
/// store, which the desk reads, includes them).
#[cfg(windows)]
fn machine_roots() -> schannel::cert_store::CertStore {
    schannel::cert_store::CertStore::open_local_machine("ROOT").unwrap()
}

impl SystemCa {
    fn install(pem: &str, dir: &std::path::Path) -> Self {
        #[cfg(windows)]
        {
            let _ = dir;
            let cert = schannel::cert_context::CertContext::from_pem(pem).unwrap();
            // The added copy is let go at once: a store is written when its last handle closes.
            machine_roots()
                .add_cert(&cert, schannel::cert_store::CertAdd::ReplaceExisting)
                .unwrap();
            SystemCa { der: cert.to_der().to_vec() }
        }
        #[cfg(not(windows))]
        {
            let file = dir.join("system-roots.pem");
            std::fs::write(&file, pem).unwrap();
            std::env::set_var("SSL_CERT_FILE", &file);
            SystemCa {}
        }
    }
}

impl Drop for SystemCa {
    fn drop(&mut self) {
        #[cfg(windows)]
        if let Some(cert) = machine_roots().certs().find(|c| c.to_der() == self.der) {
            let _ = cert.delete();
        }
        #[cfg(not(windows))]
        std::env::remove_var("SSL_CERT_FILE");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_system_proxy_and_the_system_ca_carry_a_desk_whose_settings_name_neither() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.officer("13").await;
    let id = server.submit(&form("13", 9)).await.id;
    let (port, tunnels) = connect_proxy().await;
    let _proxy = SystemProxy::set(port);

    let dir = tempfile::tempdir().unwrap();
    let desk = madoguchi_core::Desk::open(&dir.path().join("madoguchi.db"), false).await.unwrap();
    let settings = DeskSettings {
        prefecture: Some("13".parse().unwrap()),
        server_url: Some(server.url.clone()),
        desk_name: Some("窓口A".into()),
        ..Default::default()
    };
    desk.save_settings(&settings).await.unwrap();
    desk.save_server_token(&token).await.unwrap();

    // Before IT installs the CA: through the proxy, and the server's certificate not trusted,
    // which the officer is told as such (not "offline": waiting will not mend it).
    let refused = desk.sync_now().await.unwrap_err();
    assert!(matches!(refused, SyncError::Untrusted(_)), "{refused:?}");
    assert_eq!(refused.code(), Code::SyncCertificate);
    assert!(refused.message_ja().contains("情報システム担当"), "{}", refused.message_ja());
    let target = server.url.trim_start_matches("https://").to_owned();
    assert_eq!(tunnels.lock().unwrap().first(), Some(&target), "the system proxy carried it");

    // The CA in the system's store; the desk's next start (connect) trusts it.
    let _ca = SystemCa::install(&server.certs.ca_pem, dir.path());
    desk.connect().await.unwrap();
    let report = desk.sync_now().await.unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
    assert!(desk.store().application(id).await.unwrap().is_some(), "pulled through the proxy");
    assert!(tunnels.lock().unwrap().len() >= 2, "every request went through the proxy");
    assert!(tunnels.lock().unwrap().iter().all(|t| *t == target));
}
