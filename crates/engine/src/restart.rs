//! Restart policies (`--restart no|on-failure[:N]|always|unless-stopped`), decided as Docker's
//! restart manager decides them (moby's restartmanager): 100 ms back-off doubling to a minute,
//! back to 100 ms once a run lasted 10 s; `on-failure:N` gives up after N restarts.
//!
//! The container's monitor applies the decision (`monitor::main`): it records the exit as
//! `restarting` (RestartCount + 1), emits `die`, waits out the back-off and then re-executes
//! itself for the next run, so every run starts from a fresh, single-threaded monitor with the
//! same pid (reconcile still knows it). A user's stop or kill (`stopped_by_user`) ends
//! restarting, and `rm -f` during the back-off finds the monitor leaving.
//!
//! Without a daemon nothing starts containers when the machine boots: `always` and
//! `unless-stopped` act from the container's start until a user stops it, and no further.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::container::Container;
use super::{EngineError, Result, Store};

/// Docker's first back-off, its multiplier's ceiling, and how long a run must last for the
/// back-off to start again from the first.
pub const FIRST_DELAY: Duration = Duration::from_millis(100);
pub const MAX_DELAY: Duration = Duration::from_secs(60);
pub const RESET_AFTER: Duration = Duration::from_secs(10);
/// How often the monitor looks at the record during a back-off (a stop or rm -f is seen this
/// soon).
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// Docker's HostConfig.RestartPolicy, as the record keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct RestartPolicy {
    /// `no` (or empty: a record from before restart policies), `always`, `on-failure`,
    /// `unless-stopped`.
    pub name: String,
    /// `on-failure`'s N; 0: no limit.
    pub maximum_retry_count: i64,
}

/// What a `--restart` value can be refused for (Docker's CLI refuses the format itself, its
/// daemon the rest; the CLI words them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum PolicyError {
    #[error("invalid restart policy format: no policy provided before colon")]
    NoPolicyBeforeColon,
    #[error("invalid restart policy format: maximum retry count must be an integer")]
    CountNotInteger,
    #[error(
        "invalid restart policy: unknown policy '{0}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
    )]
    Unknown(String),
    /// A count given to `no`, `always` or `unless-stopped` (`negative`: and below zero).
    #[error(
        "invalid restart policy: maximum retry count can only be used with 'on-failure'{}",
        if *negative { " and cannot be negative" } else { "" }
    )]
    CountOnlyOnFailure { negative: bool },
    #[error("invalid restart policy: maximum retry count cannot be negative")]
    NegativeCount,
}

/// Read a `--restart` value as Docker's CLI parses it (opts.ParseRestartPolicy) and its daemon
/// validates it (ValidateRestartPolicy). Empty is `no`.
pub fn parse(value: &str) -> std::result::Result<RestartPolicy, PolicyError> {
    if value.is_empty() {
        return Ok(RestartPolicy::default());
    }
    let (name, count) = match value.split_once(':') {
        Some(("", _)) => return Err(PolicyError::NoPolicyBeforeColon),
        Some((name, count)) => (name, count),
        None => (value, ""),
    };
    let count: i64 = if count.is_empty() {
        0
    } else {
        // Go's strconv.Atoi: an optional sign and digits, nothing else.
        count.parse().map_err(|_| PolicyError::CountNotInteger)?
    };
    match name {
        "no" | "always" | "unless-stopped" if count != 0 => Err(PolicyError::CountOnlyOnFailure {
            negative: count < 0,
        }),
        "on-failure" if count < 0 => Err(PolicyError::NegativeCount),
        "no" | "always" | "unless-stopped" | "on-failure" => Ok(RestartPolicy {
            name: name.to_string(),
            maximum_retry_count: count,
        }),
        other => Err(PolicyError::Unknown(other.to_string())),
    }
}

impl RestartPolicy {
    /// `no`: never restarted (an empty name too).
    pub fn is_none(&self) -> bool {
        self.name.is_empty() || self.name == "no"
    }

    /// The name Docker shows (`no` for an empty one).
    pub fn shown_name(&self) -> &str {
        if self.name.is_empty() {
            "no"
        } else {
            &self.name
        }
    }
}

/// What the monitor does when its container's process has exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Start it again after this back-off.
    Restart { after: Duration },
    /// Leave it exited.
    Stay,
}

/// The back-off before the next restart: Docker's timeout, from the one before (`previous`,
/// zero for none) and how long the run that just ended lasted.
pub fn next_delay(previous: Duration, ran_for: Duration) -> Duration {
    let previous = if ran_for >= RESET_AFTER {
        Duration::ZERO
    } else {
        previous
    };
    if previous.is_zero() {
        FIRST_DELAY
    } else {
        (previous * 2).min(MAX_DELAY)
    }
}

/// Docker's decision for an exit: `restart_count` restarts so far (since the last start by a
/// user), the run lasted `ran_for`, the back-off before it was `previous`. A stop or kill by
/// the user ends restarting whatever the policy (Docker cancels its restart manager then;
/// what `unless-stopped` adds, not coming back when the daemon starts, has no daemon here).
pub fn decide(
    policy: &RestartPolicy,
    exit_code: i32,
    restart_count: u32,
    ran_for: Duration,
    stopped_by_user: bool,
    previous: Duration,
) -> Decision {
    if stopped_by_user {
        return Decision::Stay;
    }
    let restart = match policy.name.as_str() {
        "always" | "unless-stopped" => true,
        "on-failure" => {
            let max = policy.maximum_retry_count;
            exit_code != 0 && (max <= 0 || i64::from(restart_count) < max)
        }
        _ => false,
    };
    if restart {
        Decision::Restart {
            after: next_delay(previous, ran_for),
        }
    } else {
        Decision::Stay
    }
}

/// Applied by the monitor to the record it marks exited (under the store lock): when the
/// policy says so it becomes `restarting`, RestartCount one more, as Docker records it before
/// the `die`. The back-off to wait, if any.
pub fn on_exit(c: &mut Container, ran_for: Duration, previous: Duration) -> Option<Duration> {
    let decision = decide(
        &c.config.restart_policy,
        c.state.exit_code.unwrap_or(0),
        c.state.restart_count,
        ran_for,
        c.state.stopped_by_user,
        previous,
    );
    match decision {
        Decision::Restart { after } => {
            c.state.status = "restarting".into();
            c.state.restart_count += 1;
            Some(after)
        }
        Decision::Stay => None,
    }
}

/// Wait out a back-off, looking at the record meanwhile. True when the container is to start
/// again; false when it was removed (`rm -f`) or stopped by its user (then it is left exited,
/// with its last exit code, as Docker leaves it).
pub fn back_off(store: &Store, id: &str, delay: Duration) -> bool {
    let until = std::time::Instant::now() + delay;
    loop {
        let mut go_on = false;
        let looked = store.update_container(id, |c| {
            if c.state.status != "restarting" {
                return;
            }
            if c.state.stopped_by_user {
                c.state.status = "exited".into();
                return;
            }
            go_on = true;
        });
        if looked.is_err() || !go_on {
            return false;
        }
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(LOOK_EVERY));
    }
}

/// A record still `restarting` when its monitor ends (the restart could not start the
/// process, or the monitor failed) is exited, as Docker leaves a container whose restart
/// failed.
pub fn settle(store: &Store, id: &str) {
    let _ = store.update_container(id, |c| {
        if c.state.status == "restarting" {
            c.state.status = "exited".into();
        }
    });
}

impl Store {
    /// `docker update --restart`: a new policy for a container (not one removed when it exits).
    pub fn update_restart_policy(&self, key: &str, policy: &RestartPolicy) -> Result<Container> {
        let c = self.resolve_container(key)?;
        if c.config.auto_remove && !policy.is_none() {
            return Err(EngineError::AutoRemoveRestart(c.id.clone()));
        }
        self.update_container(&c.id, |c| c.config.restart_policy = policy.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(v: &str) -> RestartPolicy {
        parse(v).unwrap()
    }

    const QUICK: Duration = Duration::from_millis(5);

    #[test]
    fn values_parse_and_are_refused_in_dockers_words() {
        assert_eq!(policy("").shown_name(), "no");
        assert_eq!(
            policy("on-failure:3"),
            RestartPolicy {
                name: "on-failure".into(),
                maximum_retry_count: 3
            }
        );
        assert_eq!(policy("on-failure:").maximum_retry_count, 0);
        assert_eq!(policy("unless-stopped").name, "unless-stopped");
        assert_eq!(parse(":3"), Err(PolicyError::NoPolicyBeforeColon));
        assert_eq!(parse("on-failure:x"), Err(PolicyError::CountNotInteger));
        assert_eq!(parse("on-failure:2:3"), Err(PolicyError::CountNotInteger));
        assert_eq!(parse("on-failure:-1"), Err(PolicyError::NegativeCount));
        assert_eq!(
            parse("always:2"),
            Err(PolicyError::CountOnlyOnFailure { negative: false })
        );
        assert_eq!(
            parse("no:-1"),
            Err(PolicyError::CountOnlyOnFailure { negative: true })
        );
        let bogus = parse("bogus").unwrap_err();
        assert_eq!(bogus, PolicyError::Unknown("bogus".into()));
        assert_eq!(
            bogus.to_string(),
            "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
        );
    }

    #[test]
    fn each_policy_decides_as_dockers_restart_manager() {
        let d = |p: &str, code, count, stopped| {
            decide(&policy(p), code, count, QUICK, stopped, Duration::ZERO)
        };
        let again = Decision::Restart { after: FIRST_DELAY };
        assert_eq!(d("no", 1, 0, false), Decision::Stay);
        assert_eq!(d("", 1, 0, false), Decision::Stay);
        assert_eq!(d("always", 0, 0, false), again);
        assert_eq!(d("unless-stopped", 0, 7, false), again);
        assert_eq!(d("on-failure", 0, 0, false), Decision::Stay);
        assert_eq!(d("on-failure", 3, 99, false), again, "no limit without N");
        assert_eq!(d("on-failure:2", 3, 0, false), again);
        assert_eq!(d("on-failure:2", 3, 1, false), again);
        assert_eq!(d("on-failure:2", 3, 2, false), Decision::Stay);
        for p in ["always", "unless-stopped", "on-failure"] {
            assert_eq!(
                d(p, 137, 0, true),
                Decision::Stay,
                "{p} after a user's stop"
            );
        }
    }

    #[test]
    fn the_back_off_doubles_to_a_minute_and_starts_over_after_a_long_run() {
        let mut delay = Duration::ZERO;
        let mut seen = Vec::new();
        for _ in 0..12 {
            delay = next_delay(delay, QUICK);
            seen.push(delay.as_millis());
        }
        assert_eq!(
            seen,
            [
                100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000
            ]
        );
        assert_eq!(next_delay(delay, RESET_AFTER), FIRST_DELAY);
        assert_eq!(
            next_delay(Duration::from_millis(800), Duration::from_millis(9999)),
            Duration::from_millis(1600)
        );
    }

    #[test]
    fn an_exit_that_restarts_is_recorded_restarting_with_one_more_restart() {
        let mut c = Container::default();
        c.config.restart_policy = policy("on-failure:1");
        c.state.status = "exited".into();
        c.state.exit_code = Some(3);
        assert_eq!(on_exit(&mut c, QUICK, Duration::ZERO), Some(FIRST_DELAY));
        assert_eq!(
            (c.state.status.as_str(), c.state.restart_count),
            ("restarting", 1)
        );
        c.state.status = "exited".into();
        assert_eq!(on_exit(&mut c, QUICK, FIRST_DELAY), None);
        assert_eq!(
            (c.state.status.as_str(), c.state.restart_count),
            ("exited", 1)
        );
    }
}
