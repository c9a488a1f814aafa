//! Secret values (client secrets, access tokens) and what may be recorded about them.
//!
//! Secrets travel as [`SecretString`] end to end: its `Debug` prints `[REDACTED]`, it has no
//! `Display`, and it only serializes through [`expose`], which the credential payload uses on
//! purpose. Records, logs and events carry a [`fingerprint`] instead.

pub use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// SHA-256 of a secret value, hex encoded: lets records correlate a token or secret without
/// being able to reproduce it.
pub fn fingerprint(secret: &SecretString) -> String {
    fingerprint_str(secret.expose_secret())
}

pub fn fingerprint_str(value: &str) -> String {
    fingerprint_bytes(value.as_bytes())
}

pub fn fingerprint_bytes(value: &[u8]) -> String {
    hex_lower(&Sha256::digest(value))
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Serde helpers for the few places that must write a secret's value (the managed secret's
/// JSON, which consumers read). Use with `#[serde(with = "crate::redact::expose")]`.
pub mod expose {
    use super::{ExposeSecret, SecretString};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.expose_secret())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }

    /// The same for `Option<SecretString>`.
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            value: &Option<SecretString>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => s.serialize_some(v.expose_secret()),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<SecretString>, D::Error> {
            Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = SecretString::from("hunter2-very-secret");
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn fingerprint_is_sha256_hex() {
        // sha256("abc")
        assert_eq!(
            fingerprint(&SecretString::from("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
