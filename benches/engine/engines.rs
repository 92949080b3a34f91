//! The engines the bench runs side by side: gorae's CLI (the cargo build and the package's
//! static binary), any other `docker`-shaped CLI (Docker's, podman's), and the floor.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An engine taking part: its name and a runner of its `docker`-shaped CLI (true: the command
/// succeeded).
pub struct Engine<'a> {
    pub name: &'static str,
    pub cli: Box<Runner<'a>>,
}

pub type Runner<'a> = dyn Fn(&[&str]) -> bool + 'a;

impl Engine<'_> {
    pub fn run(&self, args: &[&str]) -> bool {
        (self.cli)(args)
    }
}

/// A CLI with its output discarded, as an engine's runner; `env`: variables it gets.
pub fn program(name: &'static str, env: Vec<(&'static str, PathBuf)>) -> Engine<'static> {
    Engine {
        name,
        cli: Box::new(move |args| {
            Command::new(name)
                .args(args)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        }),
    }
}

/// The floor's name in the start rows: the kernel's work for a container alone.
pub const FLOOR: &str = "floor";

/// The package's static binary's name in the start rows ([`package_binary`]).
pub const STATIC: &str = "static";

/// `unshare --mount --pid --uts --ipc --net --fork chroot <busybox> /bin/true`: the namespaces
/// a container gets and busybox's start in them, with no image, layers, cgroups, records or
/// monitor (issue 17 set the start target against it: 3.5 ms then, here). Printed beside the
/// engines in the start rows, because this VM's speed at process starts drifts by more than a
/// millisecond between stretches (`/bin/true` 0.6–1.6 ms), and with it any start's median.
/// None where it cannot run: not root, or no `unshare`.
pub fn floor(root: &Path, gorae: &dyn Fn(&[&str]) -> bool) -> Option<Engine<'static>> {
    let rootfs = root.join("floor-rootfs");
    let tar = root.join("floor.tar");
    let made = std::fs::create_dir_all(&rootfs).is_ok()
        && gorae(&["create", "--name", "floor", "busybox"])
        && gorae(&["export", "-o", &tar.to_string_lossy(), "floor"])
        && gorae(&["rm", "floor"])
        && answers(
            "tar",
            &[
                "-xf",
                &tar.to_string_lossy(),
                "-C",
                &rootfs.to_string_lossy(),
            ],
        );
    let rootfs = rootfs.to_string_lossy().to_string();
    let args = [
        "--mount",
        "--pid",
        "--uts",
        "--ipc",
        "--net",
        "--fork",
        "chroot",
        &rootfs,
        "/bin/true",
    ];
    if !(made && answers("unshare", &args)) {
        println!(
            "{FLOOR}: `unshare … chroot busybox /bin/true` cannot run here (needs root), no floor figure"
        );
        return None;
    }
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    Some(Engine {
        name: FLOOR,
        cli: Box::new(move |_| {
            answers(
                "unshare",
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        }),
    })
}

pub fn answers(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// podman's settings for the bench (`CONTAINERS_CONF`): as root it raises each container's
/// `nofile` and `nproc` to the maximum, which fails where the bounding set lacks
/// CAP_SYS_RESOURCE (as on the VMs this was measured on; crun then also refuses a hybrid
/// cgroup host). Docker sets no limits of its own; these are well under any host's.
pub fn podman_conf(root: &Path) -> Vec<(&'static str, PathBuf)> {
    let conf = root.join("containers.conf");
    let _ = std::fs::write(
        &conf,
        "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n[engine]\nruntime = \"runc\"\n",
    );
    vec![("CONTAINERS_CONF", conf)]
}

/// gorae's CLI (`bin docker …`) on the store `store` as an engine, named `name`; `pool`: its
/// GORAE_LAYER_POOL.
pub fn gorae_with(
    bin: &Path,
    name: &'static str,
    manifest: &Path,
    store: PathBuf,
    pool: Option<&'static str>,
) -> Engine<'static> {
    let (bin, images) = (bin.to_path_buf(), manifest.join("images/layout"));
    Engine {
        name,
        cli: Box::new(move |args: &[&str]| {
            let mut cmd = Command::new(&bin);
            cmd.arg("docker")
                .args(args)
                .env("GORAE_ROOT", &store)
                .env("GORAE_IMAGES", &images);
            if let Some(pool) = pool {
                cmd.env("GORAE_LAYER_POOL", pool);
            }
            cmd.stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        }),
    }
}

/// The binary the .deb and the static tarball carry (packaging/package.sh builds it the same
/// way): glibc linked in, so no loader, no libgcc_s and no symbol binding at each start, which
/// here is ~0.35 ms of a CLI's CPU (perf stat: 2.15 → 1.80 ms, 182 → 132 page faults per
/// `run`). None (said why) where it cannot be built.
pub fn package_binary(manifest: &Path) -> Option<PathBuf> {
    let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let dir = manifest.join("target/package-static");
    let built = Command::new("cargo")
        .args([
            "build",
            "--release",
            "--quiet",
            "--locked",
            "--target",
            &triple,
        ])
        .arg("--target-dir")
        .arg(&dir)
        .env(
            "RUSTFLAGS",
            "-C target-feature=+crt-static -C relocation-model=static",
        )
        .current_dir(manifest)
        .status()
        .is_ok_and(|s| s.success());
    let bin = dir.join(&triple).join("release/gorae");
    if built && bin.exists() {
        Some(bin)
    } else {
        println!("static: the package's static binary did not build here, no static figure");
        None
    }
}
