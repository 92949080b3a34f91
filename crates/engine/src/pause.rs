//! `docker pause` / `docker unpause`: the container's processes frozen and thawed with the
//! cgroup freezer (v1 `freezer.state`, v2 `cgroup.freeze`), so they cannot see or catch it,
//! unlike SIGSTOP. The record says `paused`; `Container::state_name` reports it as Docker's
//! State.Status does.

use super::container::Container;
use super::runtime::cgroup::{self, FreezeError};
use super::runtime::parse_signal;
use super::{Action, EngineError, Event, Result, Store};

fn freezer_error(c: &Container, op: &str, e: FreezeError) -> EngineError {
    let (unavailable, detail) = match e {
        FreezeError::Unavailable => (true, "the cgroup freezer is not available".to_string()),
        FreezeError::Failed(d) => (false, d),
    };
    EngineError::Freezer {
        id: c.id.clone(),
        op: op.into(),
        unavailable,
        detail,
    }
}

impl Store {
    /// `docker pause`: freeze a running container.
    pub fn pause_container(&self, key: &str) -> Result<Container> {
        let c = self.resolve_container(key)?;
        self.refuse_if_restarting(&c, "pause")?;
        if !c.is_running() {
            return Err(EngineError::NotRunning(c.id.clone()));
        }
        if c.is_paused() {
            return Err(EngineError::Paused {
                id: c.id.clone(),
                op: "pause".into(),
            });
        }
        cgroup::set_frozen(&c.id, true).map_err(|e| freezer_error(&c, "pause", e))?;
        let c = self.update_container(&c.id, |c| c.state.paused = true)?;
        self.emit(Event::container(Action::Pause, &c));
        Ok(c)
    }

    /// `docker unpause`: thaw a paused container.
    pub fn unpause_container(&self, key: &str) -> Result<Container> {
        let c = self.resolve_container(key)?;
        if !c.is_paused() {
            return Err(EngineError::Paused {
                id: c.id.clone(),
                op: "unpause".into(),
            });
        }
        self.thaw(&c)
    }

    fn thaw(&self, c: &Container) -> Result<Container> {
        cgroup::set_frozen(&c.id, false).map_err(|e| freezer_error(c, "unpause", e))?;
        let c = self.update_container(&c.id, |c| c.state.paused = false)?;
        self.emit(Event::container(Action::Unpause, &c));
        Ok(c)
    }

    /// After a signal that is to end a paused container (SIGKILL, or its stop signal), thaw
    /// it so the signal is delivered, as Docker's daemon does (an `unpause` event follows).
    pub(crate) fn thaw_after_signal(&self, c: &Container, sig: i32) {
        if !c.is_paused() {
            return;
        }
        // Docker: with a stop signal set, only that one (or KILL) thaws; without, any does.
        let configured = !c.config.stop_signal.is_empty()
            || self
                .resolve_image(&c.image_id)
                .is_ok_and(|i| !i.config.config.stop_signal.is_empty());
        let ends = sig == libc::SIGKILL || !configured || self.stop_signal_of(c) == sig;
        if ends {
            let _ = self.thaw(c);
        }
    }

    /// The signal `docker stop` sends: `--stop-signal`, else the image's STOPSIGNAL, else TERM.
    pub fn stop_signal_of(&self, c: &Container) -> i32 {
        let image = || {
            self.resolve_image(&c.image_id)
                .ok()
                .map(|i| i.config.config.stop_signal)
                .unwrap_or_default()
        };
        let named = if c.config.stop_signal.is_empty() {
            image()
        } else {
            c.config.stop_signal.clone()
        };
        parse_signal(&named).unwrap_or(libc::SIGTERM)
    }

    /// A container between two runs of its restart policy refuses `op` (exec, pause) with
    /// Docker's message.
    pub fn refuse_if_restarting(&self, c: &Container, op: &str) -> Result<()> {
        if c.is_restarting() {
            return Err(EngineError::Restarting {
                id: c.id.clone(),
                op: op.into(),
            });
        }
        Ok(())
    }

    /// A paused container refuses `op` (exec, attach, start, rm without -f) with Docker's
    /// conflict.
    pub fn refuse_if_paused(&self, c: &Container, op: &str) -> Result<()> {
        if c.is_paused() {
            return Err(EngineError::Paused {
                id: c.id.clone(),
                op: op.into(),
            });
        }
        Ok(())
    }
}

impl Store {
    /// `docker update`: change a container's limits (those given; the others stay), in its
    /// record and, while it runs, in its cgroups.
    pub fn update_resources(
        &self,
        key: &str,
        change: &super::container::Resources,
    ) -> Result<Container> {
        let c = self.resolve_container(key)?;
        let c = self.update_container(&c.id, |c| {
            let r = &mut c.config.resources;
            r.memory = change.memory.or(r.memory);
            r.pids_limit = change.pids_limit.or(r.pids_limit);
            r.nano_cpus = change.nano_cpus.or(r.nano_cpus);
        })?;
        if c.is_running() && !cgroup::update_limits(&c.id, &c.config.resources.limits()) {
            return Err(EngineError::Runtime(format!(
                "Cannot update container {}: its cgroup limits cannot be changed here",
                c.id
            )));
        }
        Ok(c)
    }
}
