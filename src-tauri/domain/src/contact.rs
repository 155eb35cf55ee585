//! 窓口の連絡先: the prefecture window's contact, set once in the prefecture's settings and
//! named in its mails and at the tree's call-back endings. Apart from `api`, which carries it,
//! and `notice`, which writes it into mails, so neither imports the other.

use serde::{Deserialize, Serialize};

/// 窓口の連絡先: how an institution reaches the prefecture's window of the schemes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowContact {
    /// 窓口名, e.g. 東京都保健医療局 医療政策部 医療政策課.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 20))]
    pub phone: String,
    /// 受付時間, as the window words it (平日 9時〜17時).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub hours: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
}

impl WindowContact {
    /// A name, and a phone number or a mail address an institution can use; nothing overlong.
    pub fn is_usable(&self) -> bool {
        let within = |s: &str, n: usize| s.chars().count() <= n && !s.chars().any(char::is_control);
        let (phone, email) = (self.phone.trim(), self.email.trim());
        !self.name.trim().is_empty()
            && within(&self.name, 100)
            && within(&self.hours, 100)
            && (!phone.is_empty() || !email.is_empty())
            && (phone.is_empty() || crate::form::phone_shape_ok(phone))
            && (email.is_empty() || crate::form::email_shape_ok(email))
    }
}
