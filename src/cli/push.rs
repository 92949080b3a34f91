//! `docker push`, `docker login`, `docker logout`: Docker's lines over `engine::push` and
//! `engine::auth` (credentials in ~/.docker/config.json).

use std::io::{BufRead, IsTerminal, Read, Write};

use super::{CmdResult, Failure, describe};
use crate::engine::Store;
use crate::engine::auth::{self, Credentials};
use crate::engine::image::Reference;
use crate::engine::push::{LayerPush, PushEvent, PushProgress};
use crate::engine::{EngineError, registry};
use crate::i18n::t;

/// Prints Docker's non-terminal push lines (progress bars are left out there, as in Docker).
struct Printer {
    quiet: bool,
}

impl PushProgress for Printer {
    fn event(&mut self, e: PushEvent) {
        if self.quiet {
            return;
        }
        let line = match e {
            PushEvent::Repository(name) => format!("The push refers to repository [{name}]"),
            PushEvent::Layer { id, status } => match status {
                LayerPush::Preparing => format!("{id}: Preparing"),
                LayerPush::Pushing => return,
                LayerPush::Pushed => format!("{id}: Pushed"),
                LayerPush::AlreadyExists => format!("{id}: Layer already exists"),
                LayerPush::Mounted(from) => format!("{id}: Mounted from {from}"),
            },
            PushEvent::Tagged { tag, digest, size } => {
                format!("{tag}: digest: {digest} size: {size}")
            }
        };
        println!("{line}");
    }
}

pub fn push(store: &Store, name: &str, all_tags: bool, quiet: bool) -> CmdResult {
    let r = Reference::parse(name)?;
    let tag_given = name.rsplit('/').next().is_some_and(|l| l.contains(':'));
    if all_tags && tag_given {
        return Err(Failure::new(t("push.tag-with-all", &[]), 1));
    }
    if !all_tags && !tag_given && !quiet {
        println!("Using default tag: latest");
    }
    store.push(name, all_tags, &mut Printer { quiet })?;
    if quiet {
        println!("{}", if all_tags { r.name } else { r.full() });
    }
    Ok(0)
}

/// `docker login`'s flags.
pub struct LoginArgs {
    pub server: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_stdin: bool,
}

pub fn login(a: LoginArgs) -> CmdResult {
    if a.password.is_some() && a.password_stdin {
        return Err(Failure::new(t("login.both-passwords", &[]), 1));
    }
    if a.password.is_some() {
        eprintln!("{}", t("login.password-flag-warning", &[]));
    }
    let server = a
        .server
        .clone()
        .unwrap_or_else(|| auth::DOCKER_HUB_SERVER.to_string());
    let mut username = a.username.clone().filter(|u| !u.trim().is_empty());
    let mut password = a.password.clone();
    if a.password_stdin {
        if username.is_none() {
            return Err(Failure::new(t("login.stdin-needs-username", &[]), 1));
        }
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(e.to_string(), 1))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        password = Some(text.strip_suffix('\r').unwrap_or(text).to_string());
    }
    // Neither given: the stored credentials, if they still work.
    if username.is_none()
        && password.is_none()
        && let Some(stored) = auth::lookup(&server)
        && registry::login(&server, &stored).is_ok()
    {
        println!(
            "{}",
            t("login.existing", &[("user", stored.username.as_str())])
        );
        println!("\n{}", t("login.succeeded", &[]));
        return Ok(0);
    }
    if username.is_none() || password.is_none() {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::new(t("login.no-tty", &[]), 1));
        }
        if username.is_none() {
            username = Some(prompt(&t("login.prompt-username", &[]), true)?);
        }
        if password.is_none() {
            password = Some(prompt(&t("login.prompt-password", &[]), false)?);
            println!();
        }
    }
    let creds = Credentials {
        username: username.unwrap_or_default(),
        password: password.unwrap_or_default(),
    };
    if creds.username.is_empty() {
        return Err(Failure::new(t("login.username-required", &[]), 1));
    }
    if creds.password.is_empty() {
        return Err(Failure::new(t("login.password-required", &[]), 1));
    }
    registry::login(&server, &creds).map_err(login_failure)?;
    if auth::store(&server, &creds)? {
        let path = auth::config_path();
        eprintln!(
            "\n{}\n",
            t(
                "login.stored-warning",
                &[("path", path.to_string_lossy().as_ref())]
            )
        );
    }
    println!("{}", t("login.succeeded", &[]));
    Ok(0)
}

fn login_failure(e: EngineError) -> Failure {
    let daemon = t("err-daemon", &[]);
    let message = match &e {
        EngineError::RegistryDenied(d) => {
            format!("{daemon}{}", t("err-login-denied", &[("detail", d)]))
        }
        EngineError::RegistryUnreachable(d) => {
            format!(
                "{daemon}{}",
                t("err-registry-unreachable", &[("detail", d)])
            )
        }
        other => describe(other),
    };
    Failure::new(message, 1)
}

/// Ask on the terminal; without echo for a password (restored even when reading fails).
fn prompt(label: &str, echo: bool) -> Result<String, Failure> {
    use nix::sys::termios::{self, LocalFlags, SetArg};
    print!("{label}");
    let _ = std::io::stdout().flush();
    let stdin = std::io::stdin();
    let saved = if echo {
        None
    } else {
        termios::tcgetattr(&stdin).ok().inspect(|old| {
            let mut quiet = old.clone();
            quiet.local_flags.remove(LocalFlags::ECHO);
            let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
        })
    };
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if let Some(old) = saved {
        let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, &old);
    }
    read.map_err(|e| Failure::new(e.to_string(), 1))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub fn logout(server: Option<&str>) -> CmdResult {
    let server = server.unwrap_or(auth::DOCKER_HUB_SERVER);
    println!(
        "{}",
        t(
            "logout.removing",
            &[("server", auth::server_key(server).as_str())]
        )
    );
    auth::remove(server)?;
    Ok(0)
}
