//! "Reset this step": remove what the course made, then replay the earlier steps' solutions
//! headlessly, reporting progress to the event loop as it goes.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::Sender;

use super::app::{AppEvent, ResetPlan, ResetUpdate};

/// Run `gorae docker <args>` quietly; true when it succeeded.
pub fn docker(args: &[&str]) -> bool {
    let Ok(exe) = std::env::current_exe() else {
        return false;
    };
    Command::new(exe)
        .arg("docker")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn spawn(plan: ResetPlan, state: PathBuf, tx: Sender<AppEvent>) {
    let report = tx.clone();
    let worker = move || {
        let res = run(&plan, &state, &tx);
        let _ = tx.send(AppEvent::Reset(ResetUpdate::Finished(res)));
    };
    if let Err(e) = std::thread::Builder::new()
        .name("gorae-reset".into())
        .spawn(worker)
    {
        let _ = report.send(AppEvent::Reset(ResetUpdate::Finished(Err(e.to_string()))));
    }
}

fn run(plan: &ResetPlan, state: &std::path::Path, tx: &Sender<AppEvent>) -> Result<(), String> {
    let total = 3;
    let progress = |done: usize, what: &str| {
        let _ = tx.send(AppEvent::Reset(ResetUpdate::Progress {
            done,
            total,
            what: what.to_string(),
        }));
    };
    if !plan.remove_containers.is_empty() {
        progress(1, "docker rm -f …");
        let mut args = vec!["rm", "-f"];
        args.extend(plan.remove_containers.iter().map(String::as_str));
        docker(&args);
    }
    if !plan.remove_images.is_empty() {
        progress(2, "docker rmi -f …");
        let mut args = vec!["rmi", "-f"];
        args.extend(plan.remove_images.iter().map(String::as_str));
        docker(&args);
    }
    if plan.replay.is_empty() {
        return Ok(());
    }
    progress(3, &plan.replay.join(" ; "));
    let sandbox = super::term::Sandbox::prepare(state).map_err(|e| e.to_string())?;
    super::term::replay(
        &sandbox,
        &plan.replay,
        &super::term::ReplayOptions::default(),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}
