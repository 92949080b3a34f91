//! The Dockerfile parser, variable expansion, and .dockerignore matching: any text a user can
//! put in a build context must give instructions or a clean syntax error, never a panic or a
//! hang.
#![no_main]

use gorae::engine::build::{IgnoreRules, Op, expand, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Unset names, empty names and set names all take different paths through `${…}`.
    let vars = |name: &str| match name.len() % 3 {
        0 => None,
        1 => Some(String::new()),
        _ => Some(format!("<{name}>")),
    };
    match parse("Dockerfile", &text) {
        Ok(instructions) => {
            assert!(!instructions.is_empty());
            for i in &instructions {
                assert!(i.line >= 1);
                let words: Vec<&str> = match &i.op {
                    Op::From { image, .. } => vec![image],
                    Op::Copy { args, .. } => args.iter().map(String::as_str).collect(),
                    Op::Env(p) | Op::Label(p) => p
                        .iter()
                        .flat_map(|(k, v)| [k.as_str(), v.as_str()])
                        .collect(),
                    Op::Arg(p) => p
                        .iter()
                        .flat_map(|(k, v)| [Some(k.as_str()), v.as_deref()])
                        .flatten()
                        .collect(),
                    Op::Workdir(w) | Op::User(w) | Op::StopSignal(w) => vec![w],
                    Op::Expose(v) | Op::Volume(v) => v.iter().map(String::as_str).collect(),
                    _ => Vec::new(),
                };
                for w in words {
                    let _ = expand(w, &vars, '\\');
                    let _ = expand(w, &vars, '`');
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("Dockerfile:"), "{msg}");
        }
    }
    // The same text as a .dockerignore, matched against paths made of its own lines.
    let rules = IgnoreRules::parse(&text);
    let _ = rules.has_exceptions();
    for line in text.lines().take(8) {
        let _ = rules.excluded(line.trim());
    }
});
