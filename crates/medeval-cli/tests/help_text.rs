//! The help a user reads: addressed to users, pointing only at documents that exist, with every
//! flag under the heading it belongs to.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{medeval, stdout};

/// Every subcommand's help text, with the command's own.
fn every_help() -> Vec<(String, String)> {
    let top = stdout(&medeval(&["--help"]));
    let mut helps = vec![("medeval".to_owned(), top.clone())];
    let commands = top
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(commands.len() >= 10, "{top}");
    for command in commands {
        let help = stdout(&medeval(&[&command, "--help"]));
        helps.push((command, help));
    }
    helps
}

#[test]
fn help_speaks_to_users_and_points_only_at_documents_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (command, help) in every_help() {
        // A code comment about the binary's structure is not help.
        for internal in ["wiring", "argument parsing", "cargo feature", "--features"] {
            assert!(
                !help.contains(internal),
                "{command} --help says {internal:?}:\n{help}"
            );
        }
        // Read-only commands must not promise to create the store.
        if command != "run" && command != "demo" {
            assert!(!help.contains("created if missing"), "{command}:\n{help}");
        }
        for (at, _) in help.match_indices("docs/") {
            let name: String = help[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'))
                .collect();
            let name = name.trim_end_matches('.');
            assert!(
                root.join(name).is_file(),
                "{command} --help points at {name}, which does not exist"
            );
        }
    }
}

#[test]
fn run_help_lists_only_planning_flags_under_planning() {
    let help = stdout(&medeval(&["run", "--help"]));
    let (before, planning) = help.split_once("Planning (with --plan):").unwrap();
    for flag in ["--fresh", "--no-progress", "--dry-run", "--store"] {
        assert!(before.contains(flag), "{flag} missing from run --help");
        assert!(
            !planning.contains(flag),
            "{flag} is listed under Planning:\n{planning}"
        );
    }
    for flag in ["--effect", "--alpha", "--power", "--design-effect"] {
        assert!(
            planning.contains(flag),
            "{flag} is not under Planning:\n{planning}"
        );
    }
}

#[test]
fn output_formats_are_named_alike_in_every_command() {
    for command in ["show", "table", "compare", "rank"] {
        let help = stdout(&medeval(&[command, "--help"]));
        let values: Vec<&str> = help
            .lines()
            .filter_map(|line| line.trim().strip_prefix("- "))
            .filter_map(|value| value.split(':').next())
            .collect();
        assert!(values.contains(&"table"), "{command} --help:\n{help}");
        assert!(!values.contains(&"terminal"), "{command} --help:\n{help}");
    }
}
