//! Docker's command-line grammar (the subset gorae implements), as clap definitions.

use clap::{ArgAction, Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "docker",
    disable_version_flag = true,
    disable_help_subcommand = true,
    about = "gorae: a Docker-compatible engine for learning"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

// Each command's flags are made only when that command is used (`defer`): making all of
// them took ~0.6 ms of every command's start. Use `command_of` to read one's flags.
#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum Cmd {
    /// Download an image (from gorae's bundled catalog)
    #[command(override_usage = "[OPTIONS] NAME[:TAG|@DIGEST]")]
    Pull {
        #[arg(short, long)]
        quiet: bool,
        name: String,
    },
    /// Upload an image to a registry
    #[command(override_usage = "[OPTIONS] NAME[:TAG]")]
    Push {
        /// Push all tags of an image to the repository
        #[arg(short, long)]
        all_tags: bool,
        /// Suppress verbose output
        #[arg(short, long)]
        quiet: bool,
        name: String,
    },
    /// Authenticate to a registry
    #[command(override_usage = "[OPTIONS] [SERVER]")]
    Login {
        /// Username
        #[arg(short, long)]
        username: Option<String>,
        /// Password
        #[arg(short, long)]
        password: Option<String>,
        /// Take the password from stdin
        #[arg(long)]
        password_stdin: bool,
        server: Option<String>,
    },
    /// Log out from a registry
    #[command(override_usage = "[SERVER]")]
    Logout { server: Option<String> },
    /// List images
    #[command(override_usage = "[OPTIONS] [REPOSITORY[:TAG]]")]
    Images {
        #[arg(short, long)]
        all: bool,
        #[arg(long)]
        digests: bool,
        #[arg(short, long)]
        quiet: bool,
        #[arg(long)]
        no_trunc: bool,
        /// Format output using a Go template, "table …" or "json"
        #[arg(long)]
        format: Option<String>,
        /// Filter output based on conditions provided (key=value, repeatable)
        #[arg(value_name = "filter", short, long)]
        filter: Vec<String>,
        repository: Option<String>,
    },
    /// Search Docker Hub for images
    #[command(override_usage = "[OPTIONS] TERM")]
    Search {
        #[arg(value_name = "filter", short, long)]
        filter: Vec<String>,
        #[arg(long)]
        format: Option<String>,
        #[arg(
            value_name = "int",
            long,
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        limit: i64,
        #[arg(long)]
        no_trunc: bool,
        term: String,
    },
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    #[command(override_usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")]
    Tag { source: String, target: String },
    /// Remove one or more images
    #[command(override_usage = "[OPTIONS] IMAGE [IMAGE...]")]
    Rmi {
        #[arg(short, long)]
        force: bool,
        #[arg(required = true)]
        images: Vec<String>,
    },
    /// Show the history of an image
    #[command(override_usage = "[OPTIONS] IMAGE")]
    History {
        #[arg(long)]
        no_trunc: bool,
        #[arg(short, long)]
        quiet: bool,
        #[arg(value_name = "bool", short = 'H', long, default_value_t = true, action = ArgAction::Set)]
        human: bool,
        /// Format output using a custom template, "table …" or "json"
        #[arg(long)]
        format: Option<String>,
        image: String,
    },
    /// Return low-level information on objects
    #[command(override_usage = "[OPTIONS] NAME|ID [NAME|ID...]")]
    Inspect {
        #[arg(short, long)]
        format: Option<String>,
        #[arg(long = "type")]
        kind: Option<String>,
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Create and run a new container from an image
    #[command(override_usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]")]
    Run(RunArgs),
    /// Create a new container
    // `run`'s definition, less the flags Docker's create has not (refused: help::refused_on_create).
    #[command(override_usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]")]
    Create(CreateArgs),
    /// Start one or more stopped containers
    #[command(override_usage = "[OPTIONS] CONTAINER [CONTAINER...]")]
    Start {
        #[arg(short, long)]
        attach: bool,
        #[arg(short, long)]
        interactive: bool,
        /// Proxy all received signals to the process (hidden in Docker's help)
        #[arg(value_name = "bool", long, default_value_t = true, action = ArgAction::Set, hide = true)]
        sig_proxy: bool,
        /// Override the key sequence for detaching a container
        #[arg(long)]
        detach_keys: Option<String>,
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Attach local standard input, output, and error streams to a running container
    #[command(override_usage = "[OPTIONS] CONTAINER")]
    Attach {
        #[arg(long)]
        no_stdin: bool,
        #[arg(long)]
        detach_keys: Option<String>,
        /// Proxy all received signals to the process
        #[arg(value_name = "bool", long, default_value_t = true, action = ArgAction::Set)]
        sig_proxy: bool,
        container: String,
    },
    /// Execute a command in a running container
    #[command(override_usage = "[OPTIONS] CONTAINER COMMAND [ARG...]")]
    Exec(ExecArgs),
    /// List containers
    #[command(override_usage = "[OPTIONS]")]
    Ps {
        #[arg(short, long)]
        all: bool,
        #[arg(short, long)]
        quiet: bool,
        #[arg(short, long)]
        latest: bool,
        #[arg(value_name = "int", short = 'n', long)]
        last: Option<usize>,
        #[arg(long)]
        no_trunc: bool,
        #[arg(short, long)]
        size: bool,
        /// Format output using a Go template, "table …" or "json"
        #[arg(long)]
        format: Option<String>,
        /// Filter output based on conditions provided (key=value, repeatable)
        #[arg(value_name = "filter", short, long)]
        filter: Vec<String>,
    },
    /// Fetch the logs of a container
    #[command(override_usage = "[OPTIONS] CONTAINER")]
    Logs {
        #[arg(short, long)]
        follow: bool,
        #[arg(short = 'n', long)]
        tail: Option<String>,
        #[arg(short, long)]
        timestamps: bool,
        container: String,
    },
    /// Stop one or more running containers
    #[command(override_usage = "[OPTIONS] CONTAINER [CONTAINER...]")]
    Stop {
        #[arg(
            value_name = "int",
            short = 't',
            long = "timeout",
            alias = "time",
            default_value_t = 10
        )]
        time: u64,
        #[arg(short, long)]
        signal: Option<String>,
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Kill one or more running containers
    #[command(override_usage = "[OPTIONS] CONTAINER [CONTAINER...]")]
    Kill {
        #[arg(short, long, default_value = "KILL")]
        signal: String,
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Restart one or more containers
    #[command(override_usage = "[OPTIONS] CONTAINER [CONTAINER...]")]
    Restart {
        #[arg(
            value_name = "int",
            short = 't',
            long = "timeout",
            alias = "time",
            default_value_t = 10
        )]
        time: u64,
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Remove one or more containers
    #[command(override_usage = "[OPTIONS] CONTAINER [CONTAINER...]")]
    Rm {
        #[arg(short, long)]
        force: bool,
        #[arg(short, long)]
        volumes: bool,
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Rename a container
    #[command(override_usage = "CONTAINER NEW_NAME")]
    Rename { container: String, new_name: String },
    /// Display the running processes of a container
    #[command(override_usage = "CONTAINER [ps OPTIONS]")]
    Top {
        container: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        ps_args: Vec<String>,
    },
    /// Create a new image from a container's changes
    #[command(override_usage = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]")]
    Commit {
        #[arg(short, long, default_value = "")]
        message: String,
        #[arg(short, long, default_value = "")]
        author: String,
        #[arg(short, long)]
        change: Vec<String>,
        #[arg(value_name = "bool", short, long, default_value_t = true, action = ArgAction::Set)]
        pause: bool,
        container: String,
        repository: Option<String>,
    },
    /// Copy files/folders between a container and the local filesystem
    #[command(
        override_usage = "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH"
    )]
    Cp {
        /// Archive mode (copy all uid/gid information)
        #[arg(short, long)]
        archive: bool,
        /// Always follow symlinks in SRC_PATH
        #[arg(short = 'L', long)]
        follow_link: bool,
        /// Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached
        #[arg(short, long)]
        quiet: bool,
        #[arg(allow_hyphen_values = true)]
        src: String,
        #[arg(allow_hyphen_values = true)]
        dest: String,
    },
    /// Display a live stream of container(s) resource usage statistics
    #[command(override_usage = "[OPTIONS] [CONTAINER...]")]
    Stats {
        /// Show all containers (default shows just running)
        #[arg(short, long)]
        all: bool,
        /// Disable streaming stats and only pull the first result
        #[arg(long)]
        no_stream: bool,
        /// Do not truncate output
        #[arg(long)]
        no_trunc: bool,
        /// Format output using a custom template, "table …" or "json"
        #[arg(long)]
        format: Option<String>,
        containers: Vec<String>,
    },
    /// Update configuration of one or more containers
    #[command(override_usage = "[OPTIONS] CONTAINER [CONTAINER...]")]
    Update {
        /// Memory limit
        #[arg(value_name = "bytes", short, long)]
        memory: Option<String>,
        /// Number of CPUs
        #[arg(value_name = "decimal", long)]
        cpus: Option<String>,
        /// Tune container pids limit (set -1 for unlimited)
        #[arg(value_name = "int", long, allow_hyphen_values = true)]
        pids_limit: Option<String>,
        /// Restart policy to apply when a container exits
        #[arg(long)]
        restart: Option<String>,
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Pause all processes within one or more containers
    #[command(override_usage = "CONTAINER [CONTAINER...]")]
    Pause {
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Unpause all processes within one or more containers
    #[command(override_usage = "CONTAINER [CONTAINER...]")]
    Unpause {
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Inspect changes to files or directories on a container's filesystem
    #[command(override_usage = "CONTAINER")]
    Diff { container: String },
    /// Block until one or more containers stop, then print their exit codes
    #[command(override_usage = "CONTAINER [CONTAINER...]")]
    Wait {
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Get real time events from the server
    #[command(override_usage = "[OPTIONS]")]
    Events {
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        format: Option<String>,
        #[arg(value_name = "filter", short, long)]
        filter: Vec<String>,
    },
    /// List port mappings or a specific mapping for the container
    #[command(override_usage = "CONTAINER [PRIVATE_PORT[/PROTO]]")]
    Port {
        container: String,
        private_port: Option<String>,
    },
    /// Show the gorae version information
    #[command(override_usage = "[OPTIONS]")]
    Version {
        #[arg(short, long)]
        format: Option<String>,
    },
    /// Display system-wide information
    #[command(override_usage = "[OPTIONS]")]
    Info {
        #[arg(short, long)]
        format: Option<String>,
    },
    /// Build an image from a Dockerfile
    #[command(override_usage = "[OPTIONS] PATH | URL | -")]
    Build {
        #[arg(short, long)]
        tag: Vec<String>,
        #[arg(short, long)]
        file: Option<String>,
        #[arg(long)]
        no_cache: bool,
        #[arg(short, long)]
        quiet: bool,
        #[arg(long, value_name = "string")]
        progress: Option<String>,
        #[arg(long)]
        build_arg: Vec<String>,
        path: String,
    },
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    #[command(override_usage = "[OPTIONS] IMAGE [IMAGE...]")]
    Save {
        #[arg(short, long)]
        output: Option<String>,
        #[arg(required = true)]
        images: Vec<String>,
    },
    /// Load an image from a tar archive or STDIN
    #[command(override_usage = "[OPTIONS]")]
    Load {
        #[arg(short, long)]
        input: Option<String>,
        #[arg(short, long)]
        quiet: bool,
    },
    /// Export a container's filesystem as a tar archive
    #[command(override_usage = "[OPTIONS] CONTAINER")]
    Export {
        #[arg(short, long)]
        output: Option<String>,
        container: String,
    },
    /// Import the contents from a tarball to create a filesystem image
    #[command(override_usage = "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]")]
    Import {
        #[arg(short, long)]
        change: Vec<String>,
        #[arg(short, long)]
        message: Option<String>,
        file: String,
        repository: Option<String>,
    },
}

/// `create`'s flags: `run`'s, with those Docker's create has not hidden (and refused:
/// help::refused_on_create). Hidden here, not on the variant, as its flags are made late.
#[derive(Args, Debug)]
#[command(
    mut_arg("detach", |a| a.hide(true)),
    mut_arg("detach_keys", |a| a.hide(true)),
    mut_arg("sig_proxy", |a| a.hide(true))
)]
pub struct CreateArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug, Clone)]
// No terminal width: Docker's long flag names (`--health-start-interval duration`) must not
// push clap into its next-line layout (help text is never wrapped here anyway).
#[command(disable_help_flag = true, term_width = 0)]
pub struct RunArgs {
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
    #[arg(short, long)]
    pub interactive: bool,
    #[arg(short, long)]
    pub tty: bool,
    #[arg(short, long)]
    pub detach: bool,
    #[arg(long)]
    pub rm: bool,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(short, long)]
    pub env: Vec<String>,
    #[arg(short, long)]
    pub workdir: Option<String>,
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    #[arg(long)]
    pub entrypoint: Option<String>,
    #[arg(short, long)]
    pub user: Option<String>,
    #[arg(short, long)]
    pub publish: Vec<String>,
    #[arg(short = 'P', long)]
    pub publish_all: bool,
    #[arg(long)]
    pub init: bool,
    #[arg(short, long)]
    pub label: Vec<String>,
    /// Bind mount a volume
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Attach a filesystem mount to the container
    #[arg(value_name = "mount", long)]
    pub mount: Vec<String>,
    /// Connect a container to a network
    #[arg(value_name = "network", long, visible_alias = "net")]
    pub network: Option<String>,
    /// Add network-scoped alias for the container
    #[arg(long, visible_alias = "net-alias")]
    pub network_alias: Vec<String>,
    /// IPv4 address (e.g., 172.30.100.104)
    #[arg(long)]
    pub ip: Option<String>,
    /// Read in a file of environment variables
    #[arg(long)]
    pub env_file: Vec<String>,
    /// Memory limit
    #[arg(value_name = "bytes", short, long)]
    pub memory: Option<String>,
    /// Number of CPUs
    #[arg(value_name = "decimal", long)]
    pub cpus: Option<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(value_name = "int", long, allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
    /// Signal to stop the container
    #[arg(long)]
    pub stop_signal: Option<String>,
    /// Restart policy to apply when a container exits
    #[arg(long, default_value = "no")]
    pub restart: String,
    /// Pull image before running ("always", "missing", "never")
    #[arg(long, value_name = "string", default_value = "missing")]
    pub pull: String,
    // Descriptions: `flag.health-*` in the catalogs (src/cli/help.rs reads them).
    #[arg(long, value_name = "string")]
    pub health_cmd: Option<String>,
    #[arg(long, value_name = "duration", allow_hyphen_values = true)]
    pub health_interval: Option<String>,
    #[arg(long, value_name = "int", allow_hyphen_values = true)]
    pub health_retries: Option<String>,
    #[arg(long, value_name = "duration", allow_hyphen_values = true)]
    pub health_start_interval: Option<String>,
    #[arg(long, value_name = "duration", allow_hyphen_values = true)]
    pub health_start_period: Option<String>,
    #[arg(long, value_name = "duration", allow_hyphen_values = true)]
    pub health_timeout: Option<String>,
    #[arg(long)]
    pub no_healthcheck: bool,
    /// Proxy received signals to the process
    #[arg(value_name = "bool", long, default_value_t = true, action = ArgAction::Set)]
    pub sig_proxy: bool,
    /// Override the key sequence for detaching a container
    #[arg(long)]
    pub detach_keys: Option<String>,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ExecArgs {
    #[arg(short, long)]
    pub interactive: bool,
    #[arg(short, long)]
    pub tty: bool,
    #[arg(short, long)]
    pub detach: bool,
    #[arg(short, long)]
    pub workdir: Option<String>,
    #[arg(short, long)]
    pub env: Vec<String>,
    #[arg(short, long)]
    pub user: Option<String>,
    /// Override the key sequence for detaching a container
    #[arg(long)]
    pub detach_keys: Option<String>,
    pub container: String,
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Go's strconv.ParseBool, the values pflag takes for a boolean flag's `=VALUE`.
fn go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `docker NAME`'s definition in `root` ([`Cli`]'s), its flags made (see `defer` on [`Cmd`]).
pub fn built_subcommand<'a>(
    root: &'a mut clap::Command,
    name: &str,
) -> Option<&'a mut clap::Command> {
    let sub = root.find_subcommand_mut(name)?;
    sub.build();
    Some(sub)
}

/// `docker NAME`'s definition on its own, its flags made.
pub fn command_of(name: &str) -> Option<clap::Command> {
    let mut root = <Cli as clap::CommandFactory>::command();
    built_subcommand(&mut root, name).map(std::mem::take)
}

/// pflag's `--flag=true` / `-a=false` for boolean flags, which clap's SetTrue refuses: `=true`
/// becomes the bare flag, `=false` drops it. `args` are the arguments after `root`'s name
/// (subcommands descended as they come). Other values are left for clap to refuse, in Go's
/// words (help::clap_exit); nothing after `--` or a command's trailing arguments is touched.
pub fn go_bool_flags(root: &clap::Command, args: &[String]) -> Vec<String> {
    let mut cmd = root;
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            out.push(a.clone());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let found = cmd.get_arguments().find(|x| {
                x.get_long() == Some(name) || x.get_all_aliases().is_some_and(|v| v.contains(&name))
            });
            match (found, value) {
                (Some(x), Some(v)) if matches!(x.get_action(), ArgAction::SetTrue) => {
                    match go_bool(v) {
                        Some(true) => out.push(format!("--{name}")),
                        Some(false) => {}
                        None => out.push(a.clone()),
                    }
                }
                (Some(x), None) if x.get_action().takes_values() => {
                    out.push(a.clone());
                    out.extend(it.next().cloned());
                }
                _ => out.push(a.clone()),
            }
        } else if let Some(body) = a.strip_prefix('-').filter(|b| !b.is_empty()) {
            out.extend(shorthands(cmd, a, body, &mut it));
        } else {
            out.push(a.clone());
            if let Some(sub) = cmd.find_subcommand(a) {
                cmd = sub;
            } else if cmd.get_arguments().any(|x| x.is_trailing_var_arg_set()) {
                // The first positional of `run IMAGE CMD…`-like commands: the rest is theirs.
                break;
            }
        }
    }
    out.extend(it.cloned());
    out
}

/// A shorthand cluster `-abc`, pflag's way: letters until one takes a value (the rest, or the
/// next argument, is that value); `-a=VALUE` gives one letter its value.
fn shorthands<'a>(
    cmd: &clap::Command,
    whole: &str,
    body: &str,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Vec<String> {
    let mut kept = String::new();
    for (i, c) in body.char_indices() {
        let Some(x) = cmd.get_arguments().find(|x| x.get_short() == Some(c)) else {
            return vec![whole.to_string()];
        };
        let after = &body[i + c.len_utf8()..];
        if x.get_action().takes_values() {
            let mut out = vec![format!("-{kept}{c}{after}")];
            if after.is_empty() {
                out.extend(rest.next().cloned());
            }
            return out;
        }
        if let Some(v) = after.strip_prefix('=') {
            if !matches!(x.get_action(), ArgAction::SetTrue) {
                return vec![whole.to_string()];
            }
            match (go_bool(v), x.get_long()) {
                (Some(true), _) => kept.push(c),
                (Some(false), _) => {}
                // Its long form, for clap to refuse in Go's words ("-a, --all").
                (None, Some(long)) => {
                    let mut out: Vec<String> = Some(kept)
                        .filter(|k| !k.is_empty())
                        .map(|k| format!("-{k}"))
                        .into_iter()
                        .collect();
                    out.push(format!("--{long}={v}"));
                    return out;
                }
                (None, None) => return vec![whole.to_string()],
            }
            break;
        }
        kept.push(c);
    }
    if kept.is_empty() {
        vec![]
    } else {
        vec![format!("-{kept}")]
    }
}
