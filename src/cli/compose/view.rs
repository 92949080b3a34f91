//! What shows things: ps, logs (`service-1  | line`, coloured per service on a terminal), ls,
//! config; and `up` without `-d` following the logs.

use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Duration;

use gorae_compose::Project;
use unicode_width::UnicodeWidthStr;

use super::super::format::{ago, ellipsis, table};
use super::super::ps::{ports_text, status_text};
use super::super::{CmdResult, Failure};
use super::{CONFIG_FILES, PROJECT, containers, selected, service_of};
use crate::engine::Store;
use crate::engine::container::{Container, LogLine};
use crate::i18n::t;

pub fn config(p: &Project, services: bool, volumes: bool, quiet: bool) -> CmdResult {
    if quiet {
        return Ok(0);
    }
    if services {
        for s in selected(p, &[])? {
            println!("{s}");
        }
        return Ok(0);
    }
    if volumes {
        for v in p.volumes.keys() {
            println!("{v}");
        }
        return Ok(0);
    }
    print!("{}", gorae_compose::project::config_yaml(p));
    Ok(0)
}

fn command_text(c: &Container) -> String {
    let full = crate::cli::ps::daemon_command(c);
    format!("\"{}\"", ellipsis(&full, 20))
}

pub fn ps(store: &Store, p: &Project, all: bool, quiet: bool, names: &[String]) -> CmdResult {
    selected(p, names)?;
    let list: Vec<Container> = containers(store, &p.name, all)
        .into_iter()
        .filter(|c| all || c.is_running())
        .filter(|c| names.is_empty() || names.iter().any(|n| n == service_of(c)))
        .collect();
    if quiet {
        for c in &list {
            println!("{}", c.id);
        }
        return Ok(0);
    }
    let mut rows = vec![
        [
            "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>(),
    ];
    for c in &list {
        rows.push(vec![
            c.name.clone(),
            c.image.clone(),
            command_text(c),
            service_of(c).to_string(),
            ago(c.created_millis()),
            status_text(c),
            ports_text(c),
        ]);
    }
    print!("{}", table(&rows));
    Ok(0)
}

/// Compose's log colours (cmd/formatter/colors.go order), for the prefixes on a terminal.
const COLOURS: &[&str] = &["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

struct Follower {
    id: String,
    prefix: String,
    path: PathBuf,
    offset: u64,
    pending: String,
}

fn prefixes(list: &[Container], colour: bool) -> Vec<String> {
    let label = |c: &Container| -> String {
        let n = c
            .config
            .labels
            .get(super::NUMBER)
            .cloned()
            .unwrap_or_else(|| "1".into());
        if c.config.labels.get(super::ONEOFF).map(String::as_str) == Some("True") {
            c.name.clone()
        } else {
            format!("{}-{n}", service_of(c))
        }
    };
    let width = list.iter().map(|c| label(c).width()).max().unwrap_or(0);
    list.iter()
        .enumerate()
        .map(|(i, c)| {
            let l = label(c);
            let pad = " ".repeat(width - l.width());
            if colour {
                format!("\x1b[{}m{l}{pad}  |\x1b[0m ", COLOURS[i % COLOURS.len()])
            } else {
                format!("{l}{pad}  | ")
            }
        })
        .collect()
}

fn print_line(out: &mut dyn Write, prefix: &str, l: &LogLine) {
    for line in l.log.split_inclusive('\n') {
        let _ = write!(out, "{prefix}{line}");
        if !line.ends_with('\n') {
            let _ = writeln!(out);
        }
    }
}

pub fn logs(
    store: &Store,
    p: &Project,
    follow: bool,
    no_color: bool,
    names: &[String],
) -> CmdResult {
    selected(p, names)?;
    let list: Vec<Container> = containers(store, &p.name, false)
        .into_iter()
        .filter(|c| names.is_empty() || names.iter().any(|n| n == service_of(c)))
        .collect();
    show_logs(
        store,
        &list,
        follow,
        !no_color && std::io::stdout().is_terminal(),
        true,
    )
}

fn show_logs(
    store: &Store,
    list: &[Container],
    follow: bool,
    colour: bool,
    past: bool,
) -> CmdResult {
    let prefixes = prefixes(list, colour);
    let mut out = std::io::stdout();
    let mut followers = Vec::new();
    for (c, prefix) in list.iter().zip(prefixes) {
        let path = store.container_dir(&c.id).join("log.jsonl");
        let offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if past {
            for l in store.read_logs(&c.id) {
                print_line(&mut out, &prefix, &l);
            }
        }
        followers.push(Follower {
            id: c.id.clone(),
            prefix,
            path,
            offset: if past { offset } else { 0 },
            pending: String::new(),
        });
    }
    let _ = out.flush();
    if !follow {
        return Ok(0);
    }
    loop {
        let mut any_running = false;
        for f in &mut followers {
            let running = store
                .load_container(&f.id)
                .map(|c| c.is_running())
                .unwrap_or(false);
            any_running |= running;
            read_new(f, &mut out);
        }
        let _ = out.flush();
        if !any_running {
            // A last look for what was written just before the end.
            for f in &mut followers {
                read_new(f, &mut out);
            }
            let _ = out.flush();
            return Ok(0);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn read_new(f: &mut Follower, out: &mut dyn Write) {
    let Ok(mut file) = std::fs::File::open(&f.path) else {
        return;
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len < f.offset {
        f.offset = 0;
    }
    if len <= f.offset || file.seek(SeekFrom::Start(f.offset)).is_err() {
        return;
    }
    let mut buf = String::new();
    if file.read_to_string(&mut buf).is_ok() {
        f.offset = len;
        f.pending.push_str(&buf);
        while let Some(i) = f.pending.find('\n') {
            let line: String = f.pending.drain(..=i).collect();
            if let Ok(l) = serde_json::from_str::<LogLine>(line.trim_end()) {
                print_line(out, &f.prefix, &l);
            }
        }
    }
}

/// `up` without `-d`: the services' output until they all stop (`Attaching to …` first).
pub fn follow_until_stopped(store: &Store, p: &Project, services: &[String]) -> CmdResult {
    let list: Vec<Container> = containers(store, &p.name, false)
        .into_iter()
        .filter(|c| services.iter().any(|s| s == service_of(c)))
        .collect();
    let names: Vec<String> = list.iter().map(|c| c.name.clone()).collect();
    println!("{}", t("compose-attaching", &[("list", &names.join(", "))]));
    show_logs(store, &list, true, std::io::stdout().is_terminal(), false)
}

/// `ls`: projects with containers, their state counts and files.
pub fn ls(store: &Store, all: bool) -> CmdResult {
    let mut projects: std::collections::BTreeMap<String, (Vec<Container>, String)> =
        Default::default();
    for c in store.containers().map_err(Failure::from)? {
        if let Some(p) = c.config.labels.get(PROJECT).cloned() {
            let files = c
                .config
                .labels
                .get(CONFIG_FILES)
                .cloned()
                .unwrap_or_default();
            let e = projects.entry(p).or_insert_with(|| (Vec::new(), files));
            e.0.push(c);
        }
    }
    let mut rows = vec![vec![
        "NAME".to_string(),
        "STATUS".into(),
        "CONFIG FILES".into(),
    ]];
    for (name, (cs, files)) in projects {
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for c in &cs {
            *counts.entry(c.state.status.as_str()).or_default() += 1;
        }
        if !all && !counts.contains_key("running") {
            continue;
        }
        // Compose: "running(2)", "exited(1), running(1)".
        let status = counts
            .iter()
            .map(|(s, n)| format!("{s}({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(vec![name, status, files]);
    }
    print!("{}", table(&rows));
    Ok(0)
}
