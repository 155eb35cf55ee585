//! The token in the real OS keychain (the Secret Service that `cargo xtask test` starts).

use madoguchi_core::keychain::{delete_token, load_token, save_token, Token};
use madoguchi_domain::Coded;

#[test]
fn the_token_round_trips_through_the_keychain_and_nowhere_else() {
    let server = format!("https://central.test/{}", std::process::id());
    assert_eq!(load_token(&server).unwrap_err().code(), "E-KEYCHAIN-EMPTY");
    save_token(&server, &Token::new("first")).unwrap();
    save_token(&server, &Token::new("second")).unwrap();
    assert_eq!(load_token(&server).unwrap().expose(), "second");
    delete_token(&server).unwrap();
    assert_eq!(load_token(&server).unwrap_err().code(), "E-KEYCHAIN-EMPTY");
    delete_token(&server).unwrap();
}
