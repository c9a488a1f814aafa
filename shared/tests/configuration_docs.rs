//! docs/configuration.md lists exactly the variables the functions read: each configuration is
//! asked which names it looks up (through a recording environment), and the tables must name
//! those and no others.

use credguard::audit::config::AuditConfig;
use credguard::config::{CommonConfig, EnvSource};
use credguard::revocation::config::RevocationConfig;
use credguard::rotation::config::ManagedSelection;
use credguard::rotation::RotationConfig;
use std::cell::RefCell;
use std::collections::BTreeSet;

/// Answers a few variables and remembers every name asked for.
struct Recording<'a> {
    answers: &'a [(&'a str, &'a str)],
    asked: RefCell<BTreeSet<String>>,
}

impl EnvSource for Recording<'_> {
    fn var(&self, key: &str) -> Option<String> {
        self.asked.borrow_mut().insert(key.to_owned());
        self.answers
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    }
}

fn read_by_the_code() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    // Both ways of naming the Genesys org, so that every branch asks what it asks.
    for endpoints in [
        &[("GENESYS_REGION", "us-east-1")][..],
        &[("GENESYS_API_BASE_URL", "https://api.example.test")][..],
    ] {
        let mut answers = vec![
            ("GENESYS_ADMIN_SECRET_ID", "credguard/admin"),
            ("RECORDS_TABLE_NAME", "records"),
        ];
        answers.extend_from_slice(endpoints);
        let env = Recording {
            answers: &answers,
            asked: RefCell::default(),
        };
        CommonConfig::from_env(&env).expect("common");
        RotationConfig::from_env(&env).expect("rotation");
        ManagedSelection::from_env(&env).expect("selection");
        RevocationConfig::from_env(&env).expect("revocation");
        AuditConfig::from_env(&env).expect("audit");
        names.extend(env.asked.into_inner());
    }
    // Read from the process environment directly: logging, and Lambda's own.
    names.extend(
        [
            "AWS_LAMBDA_LOG_LEVEL",
            "RUST_LOG",
            "AWS_LAMBDA_FUNCTION_NAME",
        ]
        .map(String::from),
    );
    names
}

fn documented() -> BTreeSet<String> {
    let path = format!("{}/../docs/configuration.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(&path).expect("docs/configuration.md");
    let mut names = BTreeSet::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let first = line.split('|').nth(1).unwrap_or_default();
        for part in first.split('`').skip(1).step_by(2) {
            if part
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                names.insert(part.to_owned());
            }
        }
    }
    names
}

#[test]
fn the_configuration_reference_lists_exactly_what_the_code_reads() {
    let read = read_by_the_code();
    let doc = documented();
    let undocumented: Vec<_> = read.difference(&doc).collect();
    let stale: Vec<_> = doc.difference(&read).collect();
    assert!(
        undocumented.is_empty(),
        "read but not documented: {undocumented:?}"
    );
    assert!(stale.is_empty(), "documented but never read: {stale:?}");
}
