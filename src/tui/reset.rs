//! "Reset this step": remove what the lesson names, then replay the earlier steps' solutions
//! headlessly, reporting progress to the event loop as it goes. Removal calls the engine
//! directly; what could not be removed is reported, and the reset goes on.

use std::path::PathBuf;
use std::sync::mpsc::Sender;

use super::event::{AppEvent, ResetPlan, ResetUpdate};
use crate::cli::describe;
use crate::engine::net::NetError;
use crate::engine::{EngineError, Store};
use crate::i18n::t;

pub fn spawn(plan: ResetPlan, store: Store, state: PathBuf, tx: Sender<AppEvent>) {
    let report = tx.clone();
    let worker = move || {
        let res = run(&plan, &store, &state, &tx);
        let _ = tx.send(AppEvent::Reset(ResetUpdate::Finished(res)));
    };
    if let Err(e) = std::thread::Builder::new()
        .name("gorae-reset".into())
        .spawn(worker)
    {
        let _ = report.send(AppEvent::Reset(ResetUpdate::Finished(Err(e.to_string()))));
    }
}

/// Stop what the last session left running, off the event loop (each stop may wait).
pub fn spawn_stop(ids: Vec<String>, store: Store, tx: Sender<AppEvent>) {
    let report = tx.clone();
    let n = ids.len();
    let worker = move || {
        let _ = store.reconcile();
        let problems = stop_containers(&store, &ids);
        let _ = tx.send(AppEvent::Stopped { n, problems });
    };
    if let Err(e) = std::thread::Builder::new()
        .name("gorae-stop".into())
        .spawn(worker)
    {
        let problems = vec![e.to_string()];
        let _ = report.send(AppEvent::Stopped { n, problems });
    }
}

/// `docker rm -f` each container; the messages for those that could not be removed (one
/// already gone is not a problem: gone is what was asked).
pub fn remove_containers(store: &Store, ids: &[String]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| match store.remove_container(id, true) {
            Ok(_) | Err(EngineError::NoSuchContainer(_)) => None,
            Err(e) => Some(problem(id, &e)),
        })
        .collect()
}

/// `docker rmi -f` each image; as [`remove_containers`].
pub fn remove_images(store: &Store, ids: &[String]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| match store.remove_image(id, true) {
            Ok(_) | Err(EngineError::NoSuchImage(_)) => None,
            Err(e) => Some(problem(id, &e)),
        })
        .collect()
}

/// `docker volume rm` each volume; as [`remove_containers`].
pub fn remove_volumes(store: &Store, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| match store.remove_volume(n, true) {
            Ok(()) | Err(EngineError::NoSuchVolume(_)) => None,
            Err(e) => Some(problem(n, &e)),
        })
        .collect()
}

/// `docker network rm` each network; as [`remove_containers`].
pub fn remove_networks(store: &Store, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| match store.remove_network(n) {
            Ok(_) | Err(EngineError::Network(NetError::NotFound(_))) => None,
            Err(e) => Some(problem(n, &e)),
        })
        .collect()
}

/// `docker stop -t 1` each container; as [`remove_containers`].
pub fn stop_containers(store: &Store, ids: &[String]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| match store.stop_container(id, 1) {
            Ok(_) | Err(EngineError::NoSuchContainer(_)) => None,
            Err(e) => Some(problem(id, &e)),
        })
        .collect()
}

fn problem(id: &str, e: &EngineError) -> String {
    // IDs as Docker shortens them; names as they are.
    let short: String = if id.len() > 12 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        id.chars().take(12).collect()
    } else {
        id.to_string()
    };
    t(
        "tui_engine_problem",
        &[("name", &short), ("error", &describe(e))],
    )
}

fn run(
    plan: &ResetPlan,
    store: &Store,
    state: &std::path::Path,
    tx: &Sender<AppEvent>,
) -> Result<(), String> {
    let total = 5;
    let list = |set: &std::collections::BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>();
    let remove = &plan.remove;
    let progress = |done: usize, what: &str| {
        let _ = tx.send(AppEvent::Reset(ResetUpdate::Progress {
            done,
            total,
            what: what.to_string(),
        }));
    };
    let problems = |list: Vec<String>| {
        for p in list {
            let _ = tx.send(AppEvent::Reset(ResetUpdate::Problem(p)));
        }
    };
    // As every CLI command does first: a dead monitor's record stops saying "running".
    let _ = store.reconcile();
    let containers = list(&remove.containers);
    if !containers.is_empty() {
        progress(1, &format!("docker rm -f {}", containers.join(" ")));
        problems(remove_containers(store, &containers));
    }
    let images = list(&remove.images);
    if !images.is_empty() {
        progress(2, &format!("docker rmi -f {}", images.join(" ")));
        problems(remove_images(store, &images));
    }
    let volumes = list(&remove.volumes);
    if !volumes.is_empty() {
        progress(3, &format!("docker volume rm {}", volumes.join(" ")));
        problems(remove_volumes(store, &volumes));
    }
    let networks = list(&remove.networks);
    if !networks.is_empty() {
        progress(4, &format!("docker network rm {}", networks.join(" ")));
        problems(remove_networks(store, &networks));
    }
    if plan.replay.is_empty() {
        return Ok(());
    }
    progress(5, &plan.replay.join(" ; "));
    let sandbox = super::term::Sandbox::prepare(state).map_err(|e| e.to_string())?;
    super::term::replay(
        &sandbox,
        &plan.replay,
        &super::term::ReplayOptions::default(),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("root"), dir.path().join("catalog")).unwrap();
        (dir, store)
    }

    #[test]
    fn what_is_already_gone_is_not_a_problem() {
        let (_dir, store) = store();
        let ids = vec!["0123456789abcdef".to_string()];
        assert_eq!(remove_containers(&store, &ids), Vec::<String>::new());
        assert_eq!(remove_images(&store, &ids), Vec::<String>::new());
        assert_eq!(stop_containers(&store, &ids), Vec::<String>::new());
        let names = vec!["redis-data".to_string()];
        assert_eq!(remove_volumes(&store, &names), Vec::<String>::new());
        assert_eq!(remove_networks(&store, &names), Vec::<String>::new());
    }

    #[test]
    fn a_failure_names_the_container_and_the_engines_reason() {
        let e = EngineError::Runtime("container did not stop".into());
        let text = problem("0123456789abcdef0123", &e);
        assert!(text.contains("0123456789ab"), "{text}");
        assert!(!text.contains("0123456789abc"), "{text}");
        assert!(text.contains("container did not stop"), "{text}");
    }
}
