//! docs/cli.md keeps up with the command line: every subcommand, every option's environment
//! variable, every variable read directly, and every exit code are documented.

use clap::CommandFactory;
use credguard_cli::args::Cli;
use credguard_cli::context::DIRECT_ENV;

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md"))
        .expect("docs/cli.md")
}

#[test]
fn every_command_variable_and_exit_code_is_documented() {
    let doc = doc();
    let cli = Cli::command();
    let mut envs = Vec::new();
    let mut commands = Vec::new();
    fn walk(c: &clap::Command, path: String, envs: &mut Vec<String>, commands: &mut Vec<String>) {
        for a in c.get_arguments() {
            if let Some(e) = a.get_env() {
                envs.push(e.to_string_lossy().into_owned());
            }
        }
        for s in c.get_subcommands() {
            let p = format!("{path}{} ", s.get_name()).trim_start().to_owned();
            commands.push(p.trim_end().to_owned());
            walk(s, p, envs, commands);
        }
    }
    walk(&cli, String::new(), &mut envs, &mut commands);
    assert!(envs.len() >= 8, "{envs:?}");
    for e in envs.iter().chain(
        DIRECT_ENV
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        assert!(
            doc.contains(&format!("`{e}`")),
            "docs/cli.md does not name {e}"
        );
    }
    for c in commands
        .iter()
        .filter(|c| *c != "help" && !c.ends_with(" help"))
    {
        assert!(
            doc.contains(c.as_str()),
            "docs/cli.md does not describe `credguard {c}`"
        );
    }
    for code in 0..=8 {
        assert!(
            doc.contains(&format!("| {code} |")),
            "exit code {code} undocumented"
        );
    }
}
