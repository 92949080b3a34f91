//! `docker compose …` (and `docker-compose` through a link): the Compose model
//! (crates/compose) loaded from the files, orchestrated over the engine. `up.rs` makes and
//! removes things (up, down, start, stop, restart, build, run, exec); `view.rs` shows them
//! (ps, logs, ls, config).

mod help;
mod up;
mod view;

use std::collections::BTreeMap;

use clap::{Args, CommandFactory, Parser, Subcommand};
use gorae_compose::{ComposeError, LoadOptions, Loaded, Project, Warning};

use super::{CmdResult, Failure};
use crate::engine::Store;
use crate::engine::container::Container;
use crate::i18n::t;

/// Compose's labels (docker/compose pkg/api/labels.go).
pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const NUMBER: &str = "com.docker.compose.container-number";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const HASH: &str = "com.docker.compose.config-hash";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
pub const IMAGE: &str = "com.docker.compose.image";
pub const VERSION: &str = "com.docker.compose.version";
pub const NETWORK: &str = "com.docker.compose.network";
pub const VOLUME: &str = "com.docker.compose.volume";

/// The Compose version gorae's compose behaves like (labels, `version`).
pub const COMPOSE_VERSION: &str = "2.40.0";

#[derive(Parser, Debug)]
#[command(
    name = "docker compose",
    bin_name = "docker compose",
    about = "Define and run multi-container applications with Docker",
    disable_version_flag = true
)]
struct ComposeCli {
    /// Compose configuration files
    #[arg(short = 'f', long = "file", value_name = "stringArray")]
    file: Vec<String>,
    /// Project name
    #[arg(short = 'p', long = "project-name", value_name = "string")]
    project_name: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Create and start containers
    #[command(override_usage = "[OPTIONS] [SERVICE...]")]
    Up {
        /// Detached mode: Run containers in the background
        #[arg(short, long)]
        detach: bool,
        /// Build images before starting containers
        #[arg(long)]
        build: bool,
        services: Vec<String>,
    },
    /// Stop and remove containers, networks
    #[command(override_usage = "[OPTIONS]")]
    Down {
        /// Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers
        #[arg(short, long)]
        volumes: bool,
        /// Remove images used by services. "local" remove only images that don't have a custom tag ("local"|"all")
        #[arg(long, value_name = "string")]
        rmi: Option<String>,
    },
    /// List containers
    #[command(override_usage = "[OPTIONS] [SERVICE...]")]
    Ps {
        /// Show all stopped containers (including those created by the run command)
        #[arg(short, long)]
        all: bool,
        /// Only display IDs
        #[arg(short, long)]
        quiet: bool,
        services: Vec<String>,
    },
    /// View output from containers
    #[command(override_usage = "[OPTIONS] [SERVICE...]")]
    Logs {
        /// Follow log output
        #[arg(short, long)]
        follow: bool,
        /// Produce monochrome output
        #[arg(long)]
        no_color: bool,
        services: Vec<String>,
    },
    /// Build or rebuild services
    #[command(override_usage = "[SERVICE...]")]
    Build { services: Vec<String> },
    /// Execute a command in a running container
    #[command(override_usage = "[OPTIONS] SERVICE COMMAND [ARGS...]")]
    Exec(ExecArgs),
    /// Run a one-off command on a service
    #[command(override_usage = "[OPTIONS] SERVICE [COMMAND] [ARGS...]")]
    Run(RunArgs),
    /// Stop services
    #[command(override_usage = "[SERVICE...]")]
    Stop { services: Vec<String> },
    /// Start services
    #[command(override_usage = "[SERVICE...]")]
    Start { services: Vec<String> },
    /// Restart service containers
    #[command(override_usage = "[SERVICE...]")]
    Restart { services: Vec<String> },
    /// Parse, resolve and render compose file in canonical format
    #[command(override_usage = "[OPTIONS]")]
    Config {
        /// Print the service names, one per line
        #[arg(long)]
        services: bool,
        /// Print the volume names, one per line
        #[arg(long)]
        volumes: bool,
        /// Only validate the configuration, don't print anything
        #[arg(short, long)]
        quiet: bool,
    },
    /// List running compose projects
    #[command(override_usage = "[OPTIONS]")]
    Ls {
        /// Show all stopped Compose projects
        #[arg(short, long)]
        all: bool,
    },
}

#[derive(Args, Debug)]
struct ExecArgs {
    /// Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY
    #[arg(short = 'T', long = "no-tty", alias = "no-TTY")]
    no_tty: bool,
    /// Set environment variables
    #[arg(short, long, value_name = "stringArray")]
    env: Vec<String>,
    /// Run the command as this user
    #[arg(short, long, value_name = "string")]
    user: Option<String>,
    /// Path to workdir directory for this command
    #[arg(short, long, value_name = "string")]
    workdir: Option<String>,
    service: String,
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Automatically remove the container when it exits
    #[arg(long)]
    rm: bool,
    /// Run container in background and print container ID
    #[arg(short, long)]
    detach: bool,
    /// Set environment variables
    #[arg(short, long, value_name = "stringArray")]
    env: Vec<String>,
    /// Disable pseudo-TTY allocation (default: auto-detected)
    #[arg(short = 'T', long = "no-tty", alias = "no-TTY")]
    no_tty: bool,
    service: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

/// `docker compose ARGS…` (the arguments after `compose`).
pub fn main(args: &[String]) -> i32 {
    let argv = std::iter::once("docker compose".to_string()).chain(
        crate::cli::args::go_bool_flags(&ComposeCli::command(), args),
    );
    let cli = match ComposeCli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => return help::clap_exit(e, args),
    };
    super::finish(run(cli))
}

fn run(cli: ComposeCli) -> CmdResult {
    let store = super::open_store()?;
    let opts = LoadOptions {
        files: cli.file.iter().map(Into::into).collect(),
        project_name: cli.project_name.clone(),
        env: std::env::vars().collect::<BTreeMap<_, _>>(),
        cwd: std::env::current_dir().map_err(|e| Failure::new(e.to_string(), 1))?,
    };
    // `ls` needs no file; the others read the project.
    if let Cmd::Ls { all } = cli.cmd {
        return view::ls(&store, all);
    }
    let loaded = load(&opts)?;
    let p = &loaded.project;
    match cli.cmd {
        Cmd::Config {
            services,
            volumes,
            quiet,
        } => view::config(p, services, volumes, quiet),
        Cmd::Up {
            detach,
            build,
            services,
        } => up::up(&store, p, &services, detach, build),
        Cmd::Down { volumes, rmi } => up::down(&store, p, volumes, rmi.as_deref()),
        Cmd::Ps {
            all,
            quiet,
            services,
        } => view::ps(&store, p, all, quiet, &services),
        Cmd::Logs {
            follow,
            no_color,
            services,
        } => view::logs(&store, p, follow, no_color, &services),
        Cmd::Build { services } => up::build(&store, p, &services),
        Cmd::Exec(a) => up::exec(&store, p, a),
        Cmd::Run(a) => up::run(&store, p, a),
        Cmd::Stop { services } => up::stop(&store, p, &services),
        Cmd::Start { services } => up::start(&store, p, &services),
        Cmd::Restart { services } => up::restart(&store, p, &services),
        Cmd::Ls { .. } => Ok(0),
    }
}

/// Load the project, printing compose's warnings on stderr.
fn load(opts: &LoadOptions) -> Result<Loaded, Failure> {
    let loaded = gorae_compose::load(opts).map_err(|e| compose_failure(&e))?;
    for w in &loaded.warnings {
        let line = match w {
            Warning::Unset(v) => t("compose-warn-unset", &[("var", v)]),
            Warning::Version(f) => t("compose-warn-version", &[("file", f)]),
            Warning::Multiple(files) => t(
                "compose-warn-multiple",
                &[
                    ("files", &files.join(", ")),
                    ("using", files.first().map(String::as_str).unwrap_or("")),
                ],
            ),
        };
        eprintln!("{line}");
    }
    Ok(loaded)
}

/// A model error in the learner's language (exit 1, as compose).
pub fn compose_failure(e: &ComposeError) -> Failure {
    let (key, args) = e.message_args();
    let mut args: Vec<(&str, String)> = args;
    if let Some(i) = args.iter().position(|(k, _)| *k == "expected") {
        let word = t(&format!("compose-type-{}", args[i].1), &[]);
        args[i].1 = word;
    }
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Failure::new(t(key, &refs), 1)
}

/// The project's containers (one-off `run` containers only when `oneoff`), by service, number.
pub fn containers(store: &Store, project: &str, oneoff: bool) -> Vec<Container> {
    let mut v: Vec<Container> = store
        .containers()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.config.labels.get(PROJECT).map(String::as_str) == Some(project))
        .filter(|c| oneoff || c.config.labels.get(ONEOFF).map(String::as_str) != Some("True"))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

pub fn service_of(c: &Container) -> &str {
    c.config
        .labels
        .get(SERVICE)
        .map(String::as_str)
        .unwrap_or("")
}

/// Services named on the command line, checked (compose: `no such service: x`), or all.
fn selected(p: &Project, names: &[String]) -> Result<Vec<String>, Failure> {
    for n in names {
        if !p.services.contains_key(n) {
            return Err(Failure::new(
                t("compose-err-no-such-service", &[("name", n)]),
                1,
            ));
        }
    }
    let order = gorae_compose::project::start_order(p).map_err(|e| compose_failure(&e))?;
    if names.is_empty() {
        return Ok(order);
    }
    Ok(order.into_iter().filter(|s| names.contains(s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        ComposeCli::command().debug_assert();
        let c =
            ComposeCli::try_parse_from(["docker compose", "-f", "x.yaml", "logs", "-f"]).unwrap();
        assert_eq!(c.file, ["x.yaml"]);
        assert!(matches!(c.cmd, Cmd::Logs { follow: true, .. }));
    }
}
