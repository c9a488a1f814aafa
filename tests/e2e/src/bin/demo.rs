//! `make demo`: the main job end to end on the local stack (Genesys simulator + moto), through
//! the real function binaries. Run through `make demo`, which starts both and exports URLs.

#[tokio::main]
async fn main() {
    println!("== credguard demo on the local stack");
    let stack = credguard_e2e::DemoStack::up().await;
    credguard_e2e::demo_rotation::run(&stack).await;
    credguard_e2e::demo_revocation::run(&stack).await;
    credguard_e2e::demo_audit::run(
        &stack.endpoints,
        credguard_e2e::ADMIN_SECRET,
        credguard_e2e::TABLE,
    )
    .await;
    println!("\ndemo finished");
}
