//! gorae: `gorae` opens the lesson TUI; `gorae docker …` (or a link named `docker`) is the
//! Docker-compatible CLI (a link named `docker-compose` is `docker compose`); `gorae lesson check`
//! lints lessons; `gorae lesson try` tries an attempt at a step; `gorae doctor` says what this
//! machine can do.

use gorae::engine::helper::Helper;

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let argv0 = args.first().cloned().unwrap_or_default();
    let invoked_as = std::path::Path::new(&argv0)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("gorae")
        .to_string();
    let code = if invoked_as == "docker" {
        gorae::cli::main(args.split_off(1))
    } else if invoked_as == "docker-compose" {
        // Compose v1's name: the same as `docker compose …`.
        let mut rest = vec!["compose".to_string()];
        rest.extend(args.split_off(1));
        gorae::cli::main(rest)
    } else {
        match args.get(1).map(String::as_str) {
            Some("docker") => gorae::cli::main(args.split_off(2)),
            Some(arg) if let Some(helper) = Helper::from_arg(arg) => run_helper(helper, &args[2..]),
            Some("doctor") => gorae::doctor::main(args.split_off(2)),
            Some("classroom") => gorae::classroom::main(args.split_off(2)),
            Some("lesson") if args.get(2).map(String::as_str) == Some("check") => {
                gorae::course::lint_main(args.split_off(3))
            }
            Some("lesson") if args.get(2).map(String::as_str) == Some("try") => {
                gorae::course::attempt::try_main(args.split_off(3))
            }
            _ => gorae::tui::main(args.split_off(1)),
        }
    };
    std::process::exit(code);
}

/// The engine's hidden helper processes (`gorae __monitor …` and others; see engine::helper).
fn run_helper(helper: Helper, args: &[String]) -> i32 {
    use gorae::engine::{archive, monitor, runtime};
    match helper {
        Helper::Monitor => monitor::main(args),
        Helper::RemoveTree => runtime::remove_tree_main(args),
        Helper::PackUpper => archive::pack_upper_main(args),
        Helper::Diff => archive::diff_main(args),
        Helper::NetHolder => gorae::engine::net::holder::main(args),
        Helper::Copy => gorae::engine::cp::main(args),
        Helper::Health => gorae::engine::health::main(args),
        Helper::Probe => gorae::engine::doctor::probe_main(args),
        Helper::SpareMonitor => monitor::spare::main(args),
    }
}
