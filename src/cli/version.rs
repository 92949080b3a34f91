//! `docker --version` / `-v`, and `docker version --format` / `docker info --format`: Docker's
//! Go templates over documents with Docker's field names (`{{.Client.Version}}`,
//! `{{.ServerVersion}}`, `{{json .}}`).

use serde_json::{Value, json};

use super::format::{Scope, Template};
use super::{CmdResult, Failure, inspect};
use crate::engine::Store;
use crate::i18n::t;

/// gorae's version, the same in every place that prints one.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The Docker Engine API version gorae's commands follow.
pub const API_VERSION: &str = "1.47";

/// The build's commit when the build recorded one (GORAE_GIT_COMMIT), else "gorae".
pub fn git_commit() -> &'static str {
    option_env!("GORAE_GIT_COMMIT").unwrap_or("gorae")
}

/// `docker --version`: Docker's one line.
pub fn version_line() -> String {
    format!("Docker version {VERSION}, build {}", git_commit())
}

pub(super) fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

pub(super) fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The host's distribution, as /etc/os-release names it.
pub(super) fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| "Linux".into())
}

/// `docker info`'s egress: the value of its " Egress:" line, and the warning to print when
/// containers cannot get out (with the package that fixes it).
pub(super) fn egress() -> (String, Option<String>) {
    use crate::engine::net::egress::{self, Egress, Missing};
    match egress::availability() {
        Egress::Pasta(p) | Egress::Slirp(p) => {
            let tool = p.file_name().map(|n| n.to_string_lossy().to_string());
            (
                format!("{} ({})", tool.unwrap_or_default(), p.display()),
                None,
            )
        }
        Egress::None(m) => {
            let key = match m {
                Missing::Tool => "info.no-egress-tool",
                Missing::Nft => "info.no-egress-nft",
                Missing::Tun => "info.no-egress-tun",
            };
            ("none".into(), Some(t(key, &[])))
        }
    }
}

/// `docker version` with or without `--format`.
pub fn version(store: &Store, format: Option<&str>) -> CmdResult {
    let Some(format) = format else {
        return inspect::version(store);
    };
    let engine = json!({
        "Version": VERSION,
        "APIVersion": API_VERSION,
        "MinAPIVersion": "1.24",
        "GitCommit": git_commit(),
        "Os": "linux",
        "Arch": arch(),
        "KernelVersion": kernel(),
    });
    let doc = json!({
        "Client": {
            "Platform": { "Name": "gorae" },
            "Version": VERSION,
            "APIVersion": API_VERSION,
            "DefaultAPIVersion": API_VERSION,
            "GitCommit": git_commit(),
            "Os": "linux",
            "Arch": arch(),
            "Context": "gorae",
        },
        "Server": {
            "Platform": { "Name": "gorae engine" },
            "Components": [{ "Name": "Engine", "Version": VERSION, "Details": engine }],
            "Version": VERSION,
            "APIVersion": API_VERSION,
            "MinAPIVersion": "1.24",
            "GitCommit": git_commit(),
            "Os": "linux",
            "Arch": arch(),
            "KernelVersion": kernel(),
        },
    });
    print_template(format, &doc)
}

/// `docker info` with or without `--format`.
pub fn info(store: &Store, format: Option<&str>) -> CmdResult {
    let Some(format) = format else {
        return inspect::info(store);
    };
    let containers = store.containers()?;
    let running = containers.iter().filter(|c| c.is_running()).count();
    let images = store.images()?;
    let os = os_name();
    let cgroup_v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let rootless = crate::engine::runtime::sys::geteuid() != 0;
    let mut security = vec!["name=capabilities".to_string()];
    if rootless {
        security.push("name=rootless".into());
    }
    if cgroup_v2 {
        security.push("name=cgroupns".into());
    }
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string();
    let ncpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let (egress_value, warning) = egress();
    let warnings: Vec<String> = warning.into_iter().collect();
    let doc = json!({
        "ID": "",
        "Containers": containers.len(),
        "ContainersRunning": running,
        "ContainersPaused": 0,
        "ContainersStopped": containers.len() - running,
        "Images": images.len(),
        "Driver": "overlay2",
        "LoggingDriver": "json-file",
        "CgroupDriver": if cgroup_v2 { "systemd" } else { "cgroupfs" },
        "CgroupVersion": if cgroup_v2 { "2" } else { "1" },
        "KernelVersion": kernel(),
        "OperatingSystem": os,
        "OSType": "linux",
        "Architecture": std::env::consts::ARCH,
        "NCPU": ncpu,
        "DockerRootDir": store.root.display().to_string(),
        "Name": hostname,
        "ServerVersion": VERSION,
        "Runtimes": { "gorae": { "path": "gorae" } },
        "DefaultRuntime": "gorae",
        "SecurityOptions": security,
        "Egress": egress_value,
        "Warnings": warnings,
        "Labels": [],
        "ClientInfo": { "Version": VERSION, "Context": "gorae", "Debug": false },
    });
    print_template(format, &doc)
}

/// Docker's template handling for version/info: "json" is `{{json .}}`; a template that does
/// not parse is "template parsing error: …" (exit 64); output ends with a newline. Keys are
/// the Go field names the templates see (`APIVersion`, where `{{json .}}` in Docker says
/// `ApiVersion`).
fn print_template(format: &str, doc: &Value) -> CmdResult {
    let src = if format == "json" {
        "{{json .}}"
    } else {
        format
    };
    let tpl = Template::parse(src).map_err(|e| {
        Failure::new(
            t("listing.template-error", &[("detail", &e.to_string())]),
            64,
        )
    })?;
    match tpl.execute(doc, Scope::Map) {
        Ok(out) => {
            println!("{out}");
            Ok(0)
        }
        // Go's error as Docker prints it, after what the template wrote and a newline.
        Err((partial, e)) => {
            println!("{partial}");
            Err(Failure::new(e.to_string(), 1))
        }
    }
}
