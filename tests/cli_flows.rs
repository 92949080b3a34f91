//! Flows recorded on a real Docker engine (issue 14), replayed through gorae: each
//! `tests/flows/NAME.flow` holds a learner's commands and the output Docker gave them (stdout,
//! stderr, exit code). Here every command runs as `sh -c COMMAND` with a `docker` link to gorae
//! first on PATH, in a private store holding the bundled images, and each block is compared
//! after normalising only ids, times and sizes (and what a flow's `~ REGEX` lines name, each
//! with a comment saying why). The format and the recorder: tests/flows/README.md.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use regex_lite::Regex;
use std::path::Path;
use std::process::Command;

/// The images the reference engine holds (`gorae docker save` of these, `docker load`ed).
const BUNDLED: [&str; 7] = [
    "busybox:latest",
    "busybox:1.35",
    "debian:latest",
    "debian:12",
    "nginx:latest",
    "redis:latest",
    "registry:2",
];

struct Step {
    line: usize,
    command: String,
    /// Further patterns this step's output ignores (`~ REGEX`).
    ignore: Vec<Regex>,
    /// Why gorae is known to answer otherwise (`% REASON`): the block must still differ.
    known: Option<String>,
    stdout: String,
    stderr: String,
    code: i32,
}

fn parse(name: &str, text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("{name}.flow:{}", i + 1);
        if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push(Step {
                line: i + 1,
                command: cmd.to_string(),
                ignore: Vec::new(),
                known: None,
                stdout: String::new(),
                stderr: String::new(),
                code: -1,
            });
            continue;
        }
        let Some(step) = steps.last_mut() else {
            continue;
        };
        let body = |prefix: char| {
            line.strip_prefix(prefix)
                .map(|rest| rest.strip_prefix(' ').unwrap_or(rest))
        };
        if let Some(re) = line.strip_prefix("~ ") {
            step.ignore
                .push(Regex::new(re).unwrap_or_else(|e| panic!("{at}: {e}")));
        } else if let Some(why) = line.strip_prefix("% ") {
            step.known = Some(why.to_string());
        } else if let Some(out) = body('|') {
            step.stdout.push_str(out);
            step.stdout.push('\n');
        } else if let Some(err) = body('!') {
            step.stderr.push_str(err);
            step.stderr.push('\n');
        } else if let Some(code) = line.strip_prefix("? ") {
            step.code = code.parse().unwrap_or_else(|e| panic!("{at}: {e}"));
        } else if !(line.is_empty() || line.starts_with('#') || line.starts_with("= ")) {
            panic!("{at}: not a flow line: {line}");
        }
    }
    for s in &steps {
        assert!(s.code >= 0, "{name}.flow:{}: no `? CODE` line", s.line);
    }
    steps
}

/// Ids, times and sizes (and the step's own patterns) replaced by placeholders. Tables whose
/// cells changed width that way are compared with their column gaps collapsed.
fn normalise(text: &str, ignore: &[Regex]) -> String {
    let rules: [(&str, &str); 7] = [
        (r"sha256:[0-9a-f]{64}", "sha256:<id>"),
        (r"\b[0-9a-f]{64}\b", "<id>"),
        (r"\b[0-9a-f]{12}\b", "<id>"),
        (
            r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d( [A-Z]+)?)?",
            "<time>",
        ),
        (
            r"(Less than a second|About a minute|About an hour|\b\d+ (second|minute|hour|day|week|month|year)s?)\b",
            "<time>",
        ),
        (
            r"\b\d+(\.\d+)?\s?(B|kB|KB|MB|GB|TB|KiB|MiB|GiB)\b",
            "<size>",
        ),
        (r"\b\d+(\.\d+)?%", "<pct>"),
    ];
    // Docker's daemon ends an exec's failure with "\r\n"; the recorder reads text lines.
    let mut out = text.replace("\r\n", "\n");
    for (re, with) in rules {
        out = Regex::new(re).unwrap().replace_all(&out, with).into_owned();
    }
    for re in ignore {
        out = re.replace_all(&out, "<~>").into_owned();
    }
    if out == text.replace("\r\n", "\n") {
        return out;
    }
    let gaps = Regex::new(r" {2,}").unwrap();
    out.lines()
        .map(|l| format!("{}\n", gaps.replace_all(l.trim_end(), "  ")))
        .collect()
}

fn run_flow(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/flows/{name}.flow"));
    let steps = parse(name, &std::fs::read_to_string(&path).expect("read flow"));
    let s = Sandbox::new();
    for image in BUNDLED {
        s.ok(&["pull", "-q", image]);
    }
    let bin = s.dir.path().join("bin");
    let work = s.dir.path().join("work");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    std::os::unix::fs::symlink(common::bin(), bin.join("docker")).unwrap();
    let path_var = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut differ = Vec::new();
    let mut known = 0;
    for step in &steps {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(&step.command)
            .current_dir(&work)
            .env("PATH", &path_var)
            .env("GORAE_ROOT", s.root())
            .env("GORAE_IMAGES", common::catalog());
        common::with_locale(&mut c, "C.UTF-8");
        let o = c.output().expect("spawn sh");
        let got = (
            normalise(&String::from_utf8_lossy(&o.stdout), &step.ignore),
            normalise(&String::from_utf8_lossy(&o.stderr), &step.ignore),
            o.status.code().unwrap_or(-1),
        );
        let want = (
            normalise(&step.stdout, &step.ignore),
            normalise(&step.stderr, &step.ignore),
            step.code,
        );
        if let Some(why) = &step.known {
            if got == want {
                differ.push(format!(
                    "{name}.flow:{}: $ {}\nnow matches Docker's: remove its `% {why}` line",
                    step.line, step.command
                ));
            }
            known += 1;
            continue;
        }
        if got != want {
            differ.push(format!(
                "{name}.flow:{}: $ {}\n--- Docker: exit {}\n{}{}--- gorae: exit {}\n{}{}",
                step.line,
                step.command,
                want.2,
                mark(&want.0, "| "),
                mark(&want.1, "! "),
                got.2,
                mark(&got.0, "| "),
                mark(&got.1, "! "),
            ));
        }
    }
    // The figures a run of this flow gives (shown with --nocapture).
    println!(
        "{name}: {} of {} blocks match Docker's, {known} known to differ",
        steps.len() - known - differ.len(),
        steps.len()
    );
    assert!(
        differ.is_empty(),
        "{} of {} blocks differ from Docker's:\n\n{}",
        differ.len(),
        steps.len(),
        differ.join("\n")
    );
}

fn mark(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

#[test]
fn every_flow_file_is_replayed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/flows");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            Some(n.strip_suffix(".flow")?.to_string())
        })
        .collect();
    names.sort();
    assert_eq!(names, FLOWS, "tests/cli_flows.rs must list every flow");
}

macro_rules! flows {
    ($($name:ident),*) => {
        const FLOWS: &[&str] = &[$(stringify!($name)),*];
        $(#[test] fn $name() { run_flow(stringify!($name)); })*
    };
}

flows!(containers, errors_help, images, storage_network);
