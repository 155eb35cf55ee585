//! madoguchi-server: the central server the desks sync with (G-MIS's part in our world).
//!
//! This first version only identifies itself; intake, decisions and the changes feed come
//! with the server issue.

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    match std::env::args().nth(1).as_deref() {
        Some("--version") => println!("madoguchi-server {version}"),
        _ => {
            println!("madoguchi-server {version}");
            println!("usage: madoguchi-server --version");
            println!("(this build serves nothing yet)");
        }
    }
}
