//! Container commands: restart, rename, top, commit, diff, wait, port; stop, kill and rm
//! through [`for_each`]. run/create/start/attach are in `run`, ps in `ps`, logs in `logs`.

use super::format::table_min;
use super::{CmdResult, Failure, describe};
use crate::engine::lifecycle::CommitOptions;
use crate::engine::{Action, EngineError, Event, EventType, Store};
use crate::i18n::t;

/// Run `f` on each name, printing the name on success (Docker's stop/kill/rm output).
pub fn for_each(names: &[String], f: impl Fn(&str) -> Result<(), EngineError>) -> CmdResult {
    let mut code = 0;
    for n in names {
        match f(n) {
            Ok(()) => println!("{n}"),
            Err(e) => {
                eprintln!("{}", describe(&e));
                code = 1;
            }
        }
    }
    Ok(code)
}

/// `docker rm`: with `-f`, a container that does not exist is reported but is no failure
/// (docker/cli's rm skips not-found errors under --force).
pub fn remove(store: &Store, names: &[String], force: bool, volumes: bool) -> CmdResult {
    let mut code = 0;
    for n in names {
        match store.remove_container_with(n, force, volumes) {
            Ok(_) => println!("{n}"),
            Err(e) => {
                eprintln!("{}", describe(&e));
                if !(force && matches!(e, EngineError::NoSuchContainer(_))) {
                    code = 1;
                }
            }
        }
    }
    Ok(code)
}

pub fn restart(store: &Store, names: &[String], time: u64) -> CmdResult {
    for_each(names, |n| {
        let c = store.stop_container(n, time)?;
        let c = store.load_container(&c.id)?;
        let mut m = store.start_monitor(&c, false)?;
        m.wait_started()?;
        store.emit(Event::container(Action::Restart, &c));
        Ok(())
    })
}

pub fn rename(store: &Store, name: &str, new_name: &str) -> CmdResult {
    // docker/cli's rename prints the daemon's error, then its own line.
    rename_inner(store, name, new_name).map_err(|f| {
        Failure::new(
            format!("{}\n{}", f.message, t("rename.failed", &[("name", name)])),
            1,
        )
    })
}

fn rename_inner(store: &Store, name: &str, new_name: &str) -> CmdResult {
    crate::engine::container::validate_name(new_name)?;
    let c = store.resolve_container(name)?;
    {
        let _lock = store.lock()?;
        if let Some(other) = store.containers()?.iter().find(|o| o.name == new_name) {
            let conflict = t("err-name-in-use", &[("name", new_name), ("id", &other.id)]);
            return Err(Failure::new(
                format!(
                    "{}{}",
                    t("err-daemon", &[]),
                    t("rename.allocating", &[("detail", &conflict)])
                ),
                1,
            ));
        }
        let mut rec = store.load_container(&c.id)?;
        // Its DNS names follow (the embedded DNS reads the name itself; inspect shows these).
        for e in rec.state.networks.values_mut() {
            for n in e.dns_names.iter_mut().filter(|n| **n == rec.name) {
                *n = new_name.to_string();
            }
        }
        rec.name = new_name.to_string();
        store.save_container(&rec)?;
    }
    store.emit(
        Event::new(EventType::Container, Action::Rename)
            .id(&c.id)
            .name(new_name)
            .image(&c.image)
            .attr("oldName", c.name.clone()),
    );
    Ok(0)
}

/// `docker top` prints through a tabwriter with minwidth 20 (docker/cli's top.go).
const TOP_MIN_WIDTH: usize = 20;

pub fn top(store: &Store, name: &str, ps_args: &[String]) -> CmdResult {
    if !ps_args.is_empty() {
        let (titles, rows) = store.top_ps(name, ps_args)?;
        let mut table_rows = vec![titles];
        table_rows.extend(rows);
        print!("{}", table_min(&table_rows, TOP_MIN_WIDTH));
        return Ok(0);
    }
    let procs = store.top(name)?;
    let mut rows = vec![vec![
        "UID".to_string(),
        "PID".into(),
        "PPID".into(),
        "C".into(),
        "STIME".into(),
        "TTY".into(),
        "TIME".into(),
        "CMD".into(),
    ]];
    for p in procs {
        let secs = p.cpu_secs;
        let stime = p
            .started
            .map(|t| {
                chrono::DateTime::<chrono::Local>::from(t)
                    .format("%H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        rows.push(vec![
            p.user,
            p.pid.to_string(),
            p.ppid,
            "0".into(),
            stime,
            p.tty,
            format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
            p.cmd,
        ]);
    }
    print!("{}", table_min(&rows, TOP_MIN_WIDTH));
    Ok(0)
}

pub fn commit(store: &Store, name: &str, repo: Option<&str>, opts: CommitOptions) -> CmdResult {
    let id = store.commit_container(name, repo, &opts)?;
    println!("{id}");
    Ok(0)
}

pub fn diff(store: &Store, name: &str) -> CmdResult {
    for (kind, path) in store.container_changes(name)? {
        println!("{kind} {path}");
    }
    Ok(0)
}

pub fn wait(store: &Store, names: &[String]) -> CmdResult {
    let mut code = 0;
    for n in names {
        match store.wait_container(n) {
            Ok(c) => println!("{c}"),
            Err(e) => {
                eprintln!("{}", describe(&e));
                code = 1;
            }
        }
    }
    Ok(code)
}

pub fn port(store: &Store, name: &str, which: Option<&str>) -> CmdResult {
    let c = store.resolve_container(name)?;
    let want = which.map(|w| {
        let (p, proto) = w.split_once('/').unwrap_or((w, "tcp"));
        (p.to_string(), proto.to_string())
    });
    let mut found = false;
    for p in &c.config.ports {
        if !c.is_running() {
            break;
        }
        for ip in crate::engine::proxy::published_ips(p) {
            let host = if ip.contains(':') {
                format!("[{ip}]:{}", p.host_port)
            } else {
                format!("{ip}:{}", p.host_port)
            };
            match &want {
                Some((port, proto)) => {
                    if p.container_port.to_string() == *port && p.proto == *proto {
                        println!("{host}");
                        found = true;
                    }
                }
                None => {
                    println!("{}/{} -> {host}", p.container_port, p.proto);
                    found = true;
                }
            }
        }
    }
    if let (Some(w), false) = (which, found) {
        return Err(Failure::new(
            t("port-none", &[("port", w), ("name", &c.name)]),
            1,
        ));
    }
    Ok(0)
}
