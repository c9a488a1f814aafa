//! docs/deploying.md's permission table names exactly the Genesys permissions the audit asks
//! its admin client for.

use credguard::audit::permissions::AUDIT_NEEDS;
use std::collections::BTreeSet;

#[test]
fn the_deployment_guide_lists_the_audits_genesys_permissions() {
    let guide = include_str!("../../docs/deploying.md");
    let row = guide
        .lines()
        .find(|l| l.starts_with("| audit |"))
        .expect("docs/deploying.md has the audit's permission row");
    let permissions_cell = row.split('|').nth(2).expect("a permissions cell");
    let listed: BTreeSet<&str> = permissions_cell.split('`').skip(1).step_by(2).collect();
    let needed: BTreeSet<&str> = AUDIT_NEEDS.iter().copied().collect();
    assert_eq!(listed, needed, "{row}");
}
