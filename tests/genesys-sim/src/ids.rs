//! Random identifiers, secrets and tokens, and the hashing used to store them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// URL-safe random string from `n` random bytes (32 bytes -> 43 chars, like Genesys secrets).
pub fn random_string(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn new_secret() -> String {
    random_string(32)
}

/// Opaque bearer token; only its hash is kept.
pub fn new_token() -> String {
    random_string(48)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_tokens_are_url_safe_and_long() {
        let s = new_secret();
        assert_eq!(s.len(), 43);
        let t = new_token();
        assert!(t.len() >= 43);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(new_token(), new_token());
        assert_eq!(sha256_hex("a").len(), 64);
    }
}
