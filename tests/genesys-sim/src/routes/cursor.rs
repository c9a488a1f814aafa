//! Opaque page cursors: an offset under a kind prefix, base64url. A cursor of one API
//! (`audit`, `offset` for usage jobs) is refused by the other.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub fn encode(kind: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{offset}"))
}

pub fn decode(kind: &str, cursor: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix(kind)?
        .strip_prefix(':')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_another_kind() {
        assert_eq!(decode("audit", &encode("audit", 500)), Some(500));
        assert_eq!(decode("audit", "nonsense"), None);
        assert_eq!(decode("audit", &encode("offset", 3)), None);
    }
}
