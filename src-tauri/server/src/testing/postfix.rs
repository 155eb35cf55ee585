//! A real mail relay for tests: a private Postfix instance (Debian's package) on loopback
//! ports, playing the prefecture's relay. It delivers `@example.jp` to maildirs, refuses some
//! recipients at RCPT (552 / 550 5.1.1 / 550 5.7.1 / 450), bounces others after accepting
//! them (an unknown local user; a full mailbox), and sends its bounces to the server's
//! bounce listener like any MTA would. Needs root (Postfix's master starts as root).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Addresses with a fixed fate at this relay.
pub mod to {
    /// Delivered to a maildir.
    pub const CLINIC: &str = "clinic@example.jp";
    /// Accepted, then bounced by Postfix's local agent: unknown user (5.1.1).
    pub const UNKNOWN_LOCAL: &str = "nobody-here@local.test";
    /// Accepted, then bounced: mailbox full (5.2.2).
    pub const FULL: &str = "full@example.jp";
    /// Refused at RCPT.
    pub const FULL_AT_RCPT: &str = "fullrcpt@example.jp";
    pub const NO_USER_AT_RCPT: &str = "nouser@example.jp";
    pub const SPAM_AT_RCPT: &str = "spam@example.jp";
    pub const LATER_AT_RCPT: &str = "later@example.jp";
}

pub const BOUNCE_DOMAIN: &str = "bounce.madoguchi.test";

pub struct Postfix {
    pub dir: PathBuf,
    /// Plain SMTP with STARTTLS offered.
    pub smtp: SocketAddr,
    /// Implicit TLS (smtps).
    pub smtps: SocketAddr,
    /// Where it sends its bounces (the server's listener).
    pub bounce: SocketAddr,
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Postfix {
    /// Starts an instance in `dir` that sends bounces to `bounce_listener`, with the TLS
    /// certificate and key given.
    pub fn start(dir: &Path, bounce_listener: SocketAddr, cert: &Path, key: &Path) -> Postfix {
        assert!(is_root(), "the mail tests run a private Postfix, whose master must start as root");
        let dir = dir.join("postfix");
        for sub in ["queue", "data", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // virtual(8) writes the maildirs as nobody; Postfix's own data belongs to its user.
        // (Postfix is a Linux program: the suites built for Windows never start it.)
        #[cfg(unix)]
        {
            std::os::unix::fs::chown(dir.join("mail"), Some(65534), Some(65534)).unwrap();
            let id = |flag: &str| -> u32 {
                let out = Command::new("id").args([flag, "postfix"]).output().unwrap();
                String::from_utf8_lossy(&out.stdout).trim().parse().expect("a postfix user")
            };
            std::os::unix::fs::chown(dir.join("data"), Some(id("-u")), Some(id("-g"))).unwrap();
        }
        // A third listener plays the institution's own mail server: it refuses the full
        // mailbox, so the relay, having accepted the notice, bounces it back for real.
        let (smtp, smtps, mx) = (free_port(), free_port(), free_port());
        let d = dir.display();
        let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
        write(
            "main.cf",
            format!(
                "compatibility_level = 3.6\n\
                 queue_directory = {d}/queue\ndata_directory = {d}/data\n\
                 mail_owner = postfix\nsetgid_group = postdrop\n\
                 myhostname = relay.madoguchi.test\nmydomain = madoguchi.test\n\
                 inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n\
                 mydestination = local.test\nlocal_recipient_maps =\nalias_maps =\nalias_database =\n\
                 mynetworks = 127.0.0.0/8\n\
                 virtual_mailbox_domains = example.jp\nvirtual_mailbox_base = {d}/mail\n\
                 virtual_mailbox_maps = texthash:{d}/vmailbox\n\
                 virtual_uid_maps = static:65534\nvirtual_gid_maps = static:65534\n\
                 transport_maps = texthash:{d}/transport\n\
                 smtpd_recipient_restrictions = check_recipient_access texthash:{d}/rcpt_access, permit_mynetworks, reject_unauth_destination\n\
                 smtpd_tls_security_level = may\nsmtpd_tls_cert_file = {cert}\nsmtpd_tls_key_file = {key}\n\
                 smtp_tls_security_level = none\nsmtp_dns_support_level = disabled\n\
                 maillog_file = {d}/maillog\nmaillog_file_prefixes = {d}\nbiff = no\nsmtputf8_enable = no\n\
                 queue_run_delay = 1s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 2s\n\
                 delay_warning_time = 0\n",
                cert = cert.display(),
                key = key.display()
            ),
        );
        let services = [
            ("pickup", "unix", "n", "60", "1", "pickup"),
            ("cleanup", "unix", "n", "-", "0", "cleanup"),
            ("qmgr", "unix", "n", "300", "1", "qmgr"),
            ("tlsmgr", "unix", "-", "1000?", "1", "tlsmgr"),
            ("rewrite", "unix", "-", "-", "-", "trivial-rewrite"),
            ("bounce", "unix", "-", "-", "0", "bounce"),
            ("defer", "unix", "-", "-", "0", "bounce"),
            ("trace", "unix", "-", "-", "0", "bounce"),
            ("verify", "unix", "-", "-", "1", "verify"),
            ("flush", "unix", "n", "1000?", "0", "flush"),
            ("proxymap", "unix", "-", "-", "-", "proxymap"),
            ("smtp", "unix", "-", "-", "-", "smtp"),
            ("relay", "unix", "-", "-", "-", "smtp"),
            ("showq", "unix", "n", "-", "-", "showq"),
            ("error", "unix", "-", "-", "-", "error"),
            ("retry", "unix", "-", "-", "-", "error"),
            ("discard", "unix", "-", "-", "-", "discard"),
            ("local", "unix", "-", "-", "-", "local"),
            ("virtual", "unix", "-", "-", "-", "virtual"),
            ("anvil", "unix", "-", "-", "1", "anvil"),
            ("scache", "unix", "-", "-", "1", "scache"),
            ("postlog", "unix-dgram", "n", "-", "1", "postlogd"),
        ];
        let mut master = format!(
            "127.0.0.1:{smtp} inet n - n - - smtpd\n\
             127.0.0.1:{smtps} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt\n\
             127.0.0.1:{mx} inet n - n - - smtpd -o smtpd_recipient_restrictions=check_recipient_access,texthash:{d}/mx_access,permit_mynetworks\n"
        );
        for (name, kind, private, wakeup, limit, program) in services {
            let unprivileged = if matches!(program, "local" | "virtual") { "n" } else { "-" };
            master.push_str(&format!(
                "{name} {kind} {private} {unprivileged} n {wakeup} {limit} {program}\n"
            ));
        }
        write("master.cf", master);
        write("vmailbox", format!("{} clinic/\n{} full/\n", to::CLINIC, to::FULL));
        write(
            "transport",
            format!(
                "{BOUNCE_DOMAIN} smtp:[{}]:{}\n{} smtp:[127.0.0.1]:{mx}\n",
                bounce_listener.ip(),
                bounce_listener.port(),
                to::FULL
            ),
        );
        write("mx_access", format!("{} 552 5.2.2 <{0}>: Mailbox full: quota exceeded\n", to::FULL));
        write(
            "rcpt_access",
            format!(
                "{} 552 5.2.2 <{0}>: Mailbox full\n\
                 {} 550 5.1.1 <{1}>: Recipient address rejected: User unknown\n\
                 {} 550 5.7.1 Message rejected as spam by policy\n\
                 {} 450 4.2.1 Mailbox busy, try again later\n",
                to::FULL_AT_RCPT,
                to::NO_USER_AT_RCPT,
                to::SPAM_AT_RCPT,
                to::LATER_AT_RCPT
            ),
        );
        let postfix = Postfix {
            smtp: ([127, 0, 0, 1], smtp).into(),
            smtps: ([127, 0, 0, 1], smtps).into(),
            bounce: bounce_listener,
            dir,
        };
        postfix.run(&["check"]);
        postfix.run(&["start"]);
        // Ready once the SMTP port answers.
        for _ in 0..100 {
            if std::net::TcpStream::connect(postfix.smtp).is_ok() {
                return postfix;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Postfix did not start: {}", postfix.log());
    }

    fn run(&self, args: &[&str]) {
        let out = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(&self.dir)
            .args(args)
            .output()
            .expect("postfix is installed (cargo xtask setup)");
        assert!(
            out.status.success(),
            "postfix {args:?}: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }

    /// Keeps what the relay accepts from now on in its hold queue instead of delivering it. A
    /// bench measures the hand-over; a real relay delivers on its own machine, not on the two
    /// cores the server and its bench share.
    pub fn hold_accepted(&self) {
        let out = Command::new("/usr/sbin/postconf")
            .arg("-c")
            .arg(&self.dir)
            .args(["-e", "smtpd_data_restrictions = check_client_access static:HOLD"])
            .output()
            .expect("postconf is installed with postfix");
        assert!(out.status.success(), "postconf: {}", String::from_utf8_lossy(&out.stderr));
        self.run(&["reload"]);
    }

    /// How many accepted mails wait in the hold queue.
    pub fn held(&self) -> usize {
        fn count(dir: &Path) -> usize {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| if e.file_type().is_ok_and(|t| t.is_dir()) { count(&e.path()) } else { 1 })
                .sum()
        }
        count(&self.dir.join("queue/hold"))
    }

    /// Postfix's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }

    /// The messages delivered to `mailbox` whose subject is `subject`, raw.
    pub fn delivered_titled(&self, mailbox: &str, subject: &str) -> Vec<Vec<u8>> {
        let parser = mail_parser::MessageParser::default();
        self.delivered(mailbox)
            .into_iter()
            .filter(|m| parser.parse(m).is_some_and(|p| p.subject() == Some(subject)))
            .collect()
    }

    /// The messages delivered to `mailbox` (`clinic`), raw.
    pub fn delivered(&self, mailbox: &str) -> Vec<Vec<u8>> {
        let new = self.dir.join("mail").join(mailbox).join("new");
        let mut files: Vec<_> = std::fs::read_dir(new)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files.into_iter().filter_map(|p| std::fs::read(p).ok()).collect()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("/usr/sbin/postfix").arg("-c").arg(&self.dir).arg("stop").output();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
