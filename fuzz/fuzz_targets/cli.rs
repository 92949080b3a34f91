//! The `docker` command line and the TUI's options: any argv gives a command or a clap error
//! that renders, never a panic.
#![no_main]

use clap::Parser;
use gorae::cli::Cli;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Arguments are NUL-separated, so the fuzzer can build argv word by word; invalid UTF-8
    // is replaced, as every caller holds argv as `String`s.
    let text = String::from_utf8_lossy(data);
    let args: Vec<String> = text.split('\0').map(str::to_string).collect();
    let mut argv = vec!["docker".to_string()];
    argv.extend(args.iter().cloned());
    match Cli::try_parse_from(&argv) {
        Ok(cli) => {
            let _ = format!("{cli:?}");
        }
        Err(e) => {
            // What cli::main prints: the first non-blank line of the rendered error.
            let _ = e.kind();
            let _ = e.render().to_string();
        }
    }
    match gorae::tui::parse_args(&args) {
        Ok(o) => {
            let _ = format!("{o:?}");
        }
        Err(e) => {
            let _ = e.render().to_string();
        }
    }
});
