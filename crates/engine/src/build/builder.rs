//! The builder: one image per step, RUN in build containers.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

use super::cache::cache_key;
use super::copy::{Source, clean_abs, ensure_dir, resolve_in_image};
use super::dockerfile::{Form, Instruction, Op, expand};
use super::error::{BuildError, Result};
use super::{BUILD_LABEL, BaseKind, BuildEvent, BuildOptions, BuildProgress, Context};
use crate::container::process_start_time;
use crate::image::{History, Image, ImageConfig, Reference};
use crate::lifecycle::CreateOptions;
use crate::time::rfc3339_now;
use crate::{EngineError, Store, archive};

/// One stage's running state.
pub(super) struct Stage {
    pub(super) image: Image,
    pub(super) config: ImageConfig,
    /// ARGs declared in this stage: name → value (None: declared without a value).
    pub(super) args: BTreeMap<String, Option<String>>,
    pub(super) shell: Vec<String>,
    /// A CMD was given in this stage (BuildKit's `cmdSet`: ENTRYPOINT keeps it then).
    pub(super) cmd_set: bool,
}

impl Stage {
    fn env_value(&self, name: &str) -> Option<String> {
        let env = self.config.config.env.as_deref().unwrap_or(&[]);
        env.iter()
            .rev()
            .find_map(|e| {
                e.split_once('=')
                    .filter(|(k, _)| *k == name)
                    .map(|(_, v)| v)
            })
            .map(str::to_string)
    }

    /// A variable as instructions see it: ENV wins over ARG.
    pub(super) fn var(&self, name: &str) -> Option<String> {
        self.env_value(name)
            .or_else(|| self.args.get(name).cloned().flatten())
    }

    /// Build args passed to RUN: declared, with a value, not shadowed by ENV (sorted).
    fn run_args(&self) -> Vec<String> {
        self.args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
            .filter(|(k, _)| self.env_value(k).is_none())
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

/// Docker's empty base image: no layers, no config, never stored itself.
pub(super) fn scratch() -> Image {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    Image {
        id: String::new(),
        manifest_digest: String::new(),
        manifest: crate::image::Manifest {
            schema_version: 2,
            media_type: crate::image::MT_MANIFEST.into(),
            config: crate::image::Descriptor {
                media_type: crate::image::MT_CONFIG.into(),
                digest: String::new(),
                size: 0,
                annotations: None,
            },
            layers: Vec::new(),
            annotations: None,
        },
        config: ImageConfig {
            architecture: arch.into(),
            os: "linux".into(),
            rootfs: crate::image::RootFs {
                kind: "layers".into(),
                diff_ids: Vec::new(),
            },
            ..Default::default()
        },
        tags: Vec::new(),
        repo_digests: Vec::new(),
    }
}

pub(super) struct Builder<'a> {
    pub(super) store: &'a Store,
    pub(super) opts: &'a BuildOptions,
    pub(super) progress: &'a mut dyn BuildProgress,
    pub(super) ctx: Context,
    /// Finished stages: alias, result.
    pub(super) stages: Vec<(Option<String>, Image)>,
    pub(super) meta_args: BTreeMap<String, Option<String>>,
    pub(super) used_args: HashSet<String>,
    pub(super) escape: char,
    /// Steps taken from the cache and steps run, for the `build` event (the course judges a
    /// rebuild by its cache use).
    pub(super) steps_cached: usize,
    pub(super) steps_built: usize,
    /// BuildKit mode: the cache records this build reused (their use is counted at the end).
    pub(super) records_used: Vec<String>,
}

/// What BuildKit's history says for a step (Docker shows it as the COMMENT).
const BUILDKIT_COMMENT: &str = "buildkit.dockerfile.v0";

const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// A list as Go's `%v` prints it, which BuildKit's history shows: `[/bin/bash -c]`.
fn go_plain_list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

/// A list as Go's `%q` prints it, which is what Docker's history shows: `["cat" "/x"]`.
fn go_list(v: &[String]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
    format!("[{}]", items.join(" "))
}

impl Builder<'_> {
    pub(super) fn stage_image(&self, name: &str) -> Option<Image> {
        let lower = name.to_ascii_lowercase();
        if let Some((_, img)) = self
            .stages
            .iter()
            .rev()
            .find(|(a, _)| a.as_deref() == Some(lower.as_str()))
        {
            return Some(img.clone());
        }
        name.parse::<usize>()
            .ok()
            .and_then(|i| self.stages.get(i))
            .map(|(_, img)| img.clone())
    }

    /// An image by name, pulled from the catalog when the store lacks it (true: pulled).
    pub(super) fn image(&mut self, name: &str) -> Result<(Image, bool)> {
        match self.store.resolve_image(name) {
            Ok(img) => Ok((img, false)),
            Err(EngineError::NoSuchImage(_)) => {
                let r = Reference::parse_any(name)?;
                self.progress.event(BuildEvent::PullStarted(&r));
                let outcome = self.store.pull(name, &mut *self.progress)?;
                self.progress.event(BuildEvent::PullFinished(&outcome));
                Ok((self.store.resolve_image(&outcome.image_id)?, true))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(super) fn from(&mut self, name: &str) -> Result<Stage> {
        let (image, kind, named) = match self.stage_image(name) {
            Some(img) => (img, BaseKind::Stage, None),
            None if name == "scratch" => (scratch(), BaseKind::Scratch, None),
            None => {
                let (img, pulled) = self.image(name)?;
                let named = Reference::parse_any(name).ok().map(|r| match r.digest {
                    Some(_) => r.canonical_full(),
                    None => format!("{}@{}", r.canonical(), img.manifest_digest),
                });
                (img, BaseKind::Image { pulled }, named)
            }
        };
        self.progress.event(BuildEvent::Base {
            kind,
            short_id: &image.short_id(),
            name: named,
        });
        Ok(Stage {
            config: image.config.clone(),
            image,
            args: BTreeMap::new(),
            shell: DEFAULT_SHELL.iter().map(|s| s.to_string()).collect(),
            cmd_set: false,
        })
    }

    /// Reuse a previous build's result for this step; true when it did.
    pub(super) fn cached(&mut self, stage: &mut Stage, key: &str) -> Result<bool> {
        if self.opts.no_cache {
            return Ok(false);
        }
        let found = if self.opts.buildkit {
            self.store.record_image(key)
        } else {
            let cache = self.store.read_cache();
            cache
                .steps
                .get(key)
                .and_then(|child| self.store.resolve_image(child).ok())
        };
        let Some(img) = found else {
            return Ok(false);
        };
        if img
            .config
            .rootfs
            .diff_ids
            .iter()
            .any(|d| !self.store.layer_ready(d))
        {
            return Ok(false);
        }
        if self.opts.buildkit {
            self.records_used.push(key.to_string());
        }
        self.progress.event(BuildEvent::UsingCache);
        self.steps_cached += 1;
        self.progress.event(BuildEvent::StepImage(&img.short_id()));
        stage.config = img.config.clone();
        stage.image = img;
        Ok(true)
    }

    /// Store the step's image (the stage's config plus a history entry and maybe a layer).
    pub(super) fn finish(
        &mut self,
        stage: &mut Stage,
        key: &str,
        created_by: String,
        layer: Option<(crate::image::Descriptor, String)>,
    ) -> Result<()> {
        let mut config = stage.config.clone();
        config.created = rfc3339_now();
        let buildkit = self.opts.buildkit;
        config.history.push(History {
            created: config.created.clone(),
            created_by,
            comment: if buildkit {
                BUILDKIT_COMMENT.into()
            } else {
                String::new()
            },
            empty_layer: layer.is_none(),
            ..Default::default()
        });
        let (desc, diff_id) = match layer {
            Some((desc, diff_id)) => {
                config.rootfs.diff_ids.push(diff_id.clone());
                (Some(desc), Some(diff_id))
            }
            None => (None, None),
        };
        let img = if buildkit {
            let (_, manifest) = self.store.store_image_blobs(&stage.image, config, desc)?;
            self.store.record_put(key, &manifest.digest, diff_id)?;
            self.store
                .load_image(&manifest.digest, Vec::new())
                .ok_or_else(|| EngineError::NoSuchImage(manifest.digest.clone()))?
        } else {
            let id = self.store.store_image(&stage.image, config, desc, None)?;
            self.store.cache_put(key, &stage.image.id, &id)?;
            self.store.resolve_image(&id)?
        };
        self.steps_built += 1;
        self.progress.event(BuildEvent::StepImage(&img.short_id()));
        stage.config = img.config.clone();
        stage.image = img;
        Ok(())
    }

    /// A step that only changes the config.
    fn meta(
        &mut self,
        stage: &mut Stage,
        created_by: String,
        apply: impl FnOnce(&mut Stage),
    ) -> Result<()> {
        let key = cache_key(&stage.image.id, &created_by);
        if self.cached(stage, &key)? {
            return Ok(());
        }
        apply(stage);
        self.finish(stage, &key, created_by, None)
    }

    fn argv(stage: &Stage, f: &Form) -> Vec<String> {
        match f {
            Form::Exec(v) => v.clone(),
            Form::Shell(s) => {
                let mut v = stage.shell.clone();
                v.push(s.clone());
                v
            }
        }
    }

    pub(super) fn step(&mut self, stage: &mut Stage, ins: &Instruction) -> Result<()> {
        let esc = self.escape;
        let kit = self.opts.buildkit;
        // The classic builder's `#(nop)` marks a step that ran no command; BuildKit writes
        // the instruction alone.
        let nop = |s: String| {
            if kit {
                s
            } else {
                format!("/bin/sh -c #(nop)  {s}")
            }
        };
        match &ins.op {
            Op::From { .. } => Ok(()),
            Op::Arg(list) => {
                let mut shown = Vec::new();
                let mut values = Vec::new();
                for (k, default) in list {
                    let v = if let Some(v) = self.opts.build_args.get(k) {
                        self.used_args.insert(k.clone());
                        Some(v.clone())
                    } else if let Some(d) = default {
                        Some(expand(d, &|n| stage.var(n), esc))
                    } else {
                        self.meta_args.get(k).cloned().flatten()
                    };
                    shown.push(match default {
                        Some(d) => format!("{k}={d}"),
                        None => k.clone(),
                    });
                    values.push((k.clone(), v));
                }
                let created_by = nop(format!("ARG {}", shown.join(" ")));
                // The args live in the builder's stage, not in the image: set them either way.
                for (k, v) in values {
                    stage.args.insert(k, v);
                }
                self.meta(stage, created_by, |_| {})
            }
            Op::Env(pairs) => {
                let vars = |n: &str| stage.var(n);
                let pairs: Vec<(String, String)> = pairs
                    .iter()
                    .map(|(k, v)| (expand(k, &vars, esc), expand(v, &vars, esc)))
                    .collect();
                let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                self.meta(stage, nop(format!("ENV {}", shown.join(" "))), |s| {
                    let env = s.config.config.env.get_or_insert_with(Vec::new);
                    for (k, v) in pairs {
                        env.retain(|e| e.split('=').next() != Some(k.as_str()));
                        env.push(format!("{k}={v}"));
                    }
                })
            }
            Op::Label(pairs) => {
                let vars = |n: &str| stage.var(n);
                let pairs: Vec<(String, String)> = pairs
                    .iter()
                    .map(|(k, v)| (expand(k, &vars, esc), expand(v, &vars, esc)))
                    .collect();
                let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                self.meta(stage, nop(format!("LABEL {}", shown.join(" "))), |s| {
                    let labels = s.config.config.labels.get_or_insert_with(BTreeMap::new);
                    labels.extend(pairs);
                })
            }
            Op::Cmd(f) => {
                let argv = Self::argv(stage, f);
                let shown = go_list(&argv);
                stage.cmd_set = true;
                self.meta(stage, nop(format!("CMD {shown}")), |s| {
                    s.config.config.cmd = Some(argv)
                })
            }
            Op::Entrypoint(f) => {
                let argv = Self::argv(stage, f);
                let shown = go_list(&argv);
                let base_cmd = stage.image.config.config.cmd.clone();
                let cmd_from_base = if kit {
                    !stage.cmd_set
                } else {
                    stage.config.config.cmd == base_cmd
                        && !stage
                            .image
                            .config
                            .history
                            .iter()
                            .rev()
                            .take_while(|h| h.created_by.contains("#(nop)"))
                            .any(|h| h.created_by.contains("#(nop)  CMD "))
                };
                self.meta(stage, nop(format!("ENTRYPOINT {shown}")), |s| {
                    s.config.config.entrypoint = Some(argv);
                    // An inherited CMD would become the new entrypoint's arguments: Docker drops it.
                    if cmd_from_base {
                        s.config.config.cmd = None;
                    }
                })
            }
            Op::Expose(ports) => {
                let vars = |n: &str| stage.var(n);
                let ports: Vec<String> = ports
                    .iter()
                    .map(|p| {
                        let p = expand(p, &vars, esc);
                        if p.contains('/') {
                            p
                        } else {
                            format!("{p}/tcp")
                        }
                    })
                    .collect();
                // BuildKit prints the instruction's port set as a Go map: sorted, deduplicated.
                let shown = if kit {
                    let set: std::collections::BTreeSet<&String> = ports.iter().collect();
                    let items: Vec<String> = set.iter().map(|p| format!("{p}:{{}}")).collect();
                    format!("map[{}]", items.join(" "))
                } else {
                    ports.join(" ")
                };
                self.meta(stage, nop(format!("EXPOSE {shown}")), |s| {
                    let map = s
                        .config
                        .config
                        .exposed_ports
                        .get_or_insert_with(BTreeMap::new);
                    for p in ports {
                        map.insert(p, serde_json::json!({}));
                    }
                })
            }
            Op::User(u) => {
                let u = expand(u, &|n| stage.var(n), esc);
                self.meta(stage, nop(format!("USER {u}")), |s| {
                    s.config.config.user = u
                })
            }
            Op::Volume(v) => {
                let vars = |n: &str| stage.var(n);
                let v: Vec<String> = v.iter().map(|p| expand(p, &vars, esc)).collect();
                let shown = if kit { go_plain_list(&v) } else { go_list(&v) };
                self.meta(stage, nop(format!("VOLUME {shown}")), |s| {
                    let map = s.config.config.volumes.get_or_insert_with(BTreeMap::new);
                    for p in v {
                        map.insert(p, serde_json::json!({}));
                    }
                })
            }
            Op::StopSignal(sig) => {
                let sig = expand(sig, &|n| stage.var(n), esc);
                self.meta(stage, nop(format!("STOPSIGNAL {sig}")), |s| {
                    s.config.config.stop_signal = sig
                })
            }
            Op::Healthcheck(h) => {
                let h = h.clone();
                self.meta(
                    stage,
                    nop(format!("HEALTHCHECK {}", h.history_text())),
                    |s| s.config.config.healthcheck = Some(h),
                )
            }
            Op::Maintainer(m) => {
                let m = m.clone();
                self.meta(stage, nop(format!("MAINTAINER {m}")), |s| {
                    s.config.author = m
                })
            }
            Op::Shell(v) => {
                stage.shell = v.clone();
                let shown = if kit { go_plain_list(v) } else { go_list(v) };
                self.meta(stage, nop(format!("SHELL {shown}")), |_| {})
            }
            Op::Workdir(w) => self.workdir(stage, w),
            Op::Run(f) => self.run(stage, f),
            Op::Copy {
                add,
                args,
                chown,
                from,
            } => self.copy(stage, *add, args, chown.as_deref(), from.as_deref()),
        }
    }

    fn workdir(&mut self, stage: &mut Stage, w: &str) -> Result<()> {
        let w = expand(w, &|n| stage.var(n), self.escape);
        let base = if stage.config.config.working_dir.is_empty() {
            "/".to_string()
        } else {
            stage.config.config.working_dir.clone()
        };
        let joined = if w.starts_with('/') {
            w.clone()
        } else {
            format!("{}/{w}", base.trim_end_matches('/'))
        };
        let comps = clean_abs(&joined);
        let path = format!("/{}", comps.join("/"));
        let created_by = if self.opts.buildkit {
            format!("WORKDIR {path}")
        } else {
            format!("/bin/sh -c #(nop) WORKDIR {path}")
        };
        let lowers = self.store.lower_dirs(&stage.image)?;
        let comps = resolve_in_image(&lowers, &comps);
        let exists = Source::Image(lowers.clone())
            .lookup(&comps)
            .is_some_and(|(_, m)| m.is_dir());
        if exists {
            let p = path.clone();
            return self.meta(stage, created_by, |s| s.config.config.working_dir = p);
        }
        let key = cache_key(&stage.image.id, &created_by);
        if self.cached(stage, &key)? {
            return Ok(());
        }
        let staging = self.store.tmp_path("build");
        let res = (|| -> Result<_> {
            fs::create_dir_all(&staging).map_err(|e| BuildError::io(&staging, e))?;
            ensure_dir(&staging, &comps, &lowers, None)?;
            Ok(self.store.write_layer_from_dir(&staging)?)
        })();
        archive::remove_tree(&staging);
        let layer = res?;
        stage.config.config.working_dir = path;
        self.finish(stage, &key, created_by, Some(layer))
    }

    fn run(&mut self, stage: &mut Stage, f: &Form) -> Result<()> {
        let argv = Self::argv(stage, f);
        let args = stage.run_args();
        let command = argv.join(" ");
        let created_by = if args.is_empty() {
            command.clone()
        } else {
            format!("|{} {} {command}", args.len(), args.join(" "))
        };
        let key = cache_key(&stage.image.id, &created_by);
        if self.cached(stage, &key)? {
            return Ok(());
        }
        let created_by = if self.opts.buildkit {
            format!("RUN {created_by} # buildkit")
        } else {
            created_by
        };
        let me = std::process::id() as i32;
        let owner = format!("{me}:{}", process_start_time(me).unwrap_or(0));
        let defaults = &stage.config.config;
        let opts = CreateOptions {
            image: stage.image.id.clone(),
            cmd: argv,
            entrypoint: Some(String::new()),
            env: args,
            workdir: (!defaults.working_dir.is_empty()).then(|| defaults.working_dir.clone()),
            user: (!defaults.user.is_empty()).then(|| defaults.user.clone()),
            labels: BTreeMap::from([(BUILD_LABEL.to_string(), owner)]),
            // A build step is not checked, whatever its base image's HEALTHCHECK says.
            healthcheck: Some(crate::health::HealthConfig {
                test: vec!["NONE".into()],
                ..Default::default()
            }),
            ..Default::default()
        };
        let c = self.store.create_container(&opts)?;
        self.progress.event(BuildEvent::RunningIn(&c.short_id()));
        let outcome = self.run_container(&c.id);
        let layer = match outcome {
            Ok(0) => self
                .store
                .write_layer_from_dir(&self.store.upper_dir(&c.id)),
            Ok(code) => Err(EngineError::Runtime(code.to_string())),
            Err(e) => {
                let _ = self.store.remove_container(&c.id, true);
                return Err(e);
            }
        };
        let _ = self.store.remove_container(&c.id, true);
        match (outcome, layer) {
            (Ok(0), Ok(layer)) => {
                self.progress
                    .event(BuildEvent::RemovedContainer(&c.short_id()));
                self.finish(stage, &key, created_by, Some(layer))
            }
            (Ok(0), Err(e)) => Err(e.into()),
            (Ok(code), _) => Err(BuildError::RunFailed { command, code }),
            (Err(e), _) => Err(e),
        }
    }

    /// Start a build container, stream its output, and return its exit code.
    fn run_container(&mut self, id: &str) -> Result<i32> {
        use crate::attach as proto;
        let c = self.store.load_container(id)?;
        let _monitor = self.store.start_monitor(&c, true)?;
        let mut stream = proto::connect(&self.store.root, id)
            .map_err(|e| EngineError::Runtime(format!("attach: {e}")))?;
        stream
            .write_all(&proto::encode(proto::START, &[]))
            .map_err(|e| EngineError::Runtime(format!("attach: {e}")))?;
        let fd = stream.as_raw_fd();
        let mut frames = proto::FrameBuffer::default();
        let mut buf = vec![0u8; 32 * 1024];
        let code = 'outer: loop {
            if self.progress.cancelled() {
                return Err(BuildError::Cancelled);
            }
            let mut p = [crate::runtime::sys::pollfd(fd, libc::POLLIN)];
            let n = crate::runtime::sys::poll(&mut p, 100).unwrap_or(0);
            if n == 0 {
                continue;
            }
            let got = match stream.read(&mut buf) {
                Ok(0) => {
                    return Err(EngineError::Runtime(
                        "the build container's monitor exited early".into(),
                    )
                    .into());
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(EngineError::Runtime(format!("attach: {e}")).into()),
            };
            frames.push(&buf[..got]);
            while let Ok(Some((kind, payload))) = frames.next_frame() {
                match kind {
                    proto::STDOUT => self.progress.event(BuildEvent::Output {
                        stderr: false,
                        data: &payload,
                    }),
                    proto::STDERR => self.progress.event(BuildEvent::Output {
                        stderr: true,
                        data: &payload,
                    }),
                    proto::EXIT if payload.len() == 4 => {
                        break 'outer i32::from_be_bytes([
                            payload[0], payload[1], payload[2], payload[3],
                        ]);
                    }
                    proto::ERROR if payload.len() >= 4 => {
                        let e = EngineError::decode(&String::from_utf8_lossy(&payload[4..]));
                        self.progress.event(BuildEvent::StartFailed(&e));
                        break 'outer e.exit_code();
                    }
                    _ => {}
                }
            }
        };
        // The monitor writes the record and then exits; wait so the upper dir is final.
        if let Ok(rec) = self.store.load_container(id) {
            self.store.wait_stopped(&rec, Some(Duration::from_secs(10)));
        }
        Ok(code)
    }
}

impl Store {
    /// Remove `c` if it is a build container whose builder is gone (a build killed mid-RUN).
    pub(crate) fn reconcile_build(&self, c: crate::container::Container) {
        let Some(owner) = c.config.labels.get(BUILD_LABEL) else {
            return;
        };
        let (pid, start) = owner.split_once(':').unwrap_or((owner, "0"));
        let pid: i32 = pid.parse().unwrap_or(0);
        let start: u64 = start.parse().unwrap_or(0);
        let alive = process_start_time(pid).is_some_and(|t| start == 0 || t == start);
        if alive {
            return;
        }
        if c.is_running() {
            // Not through remove_container: its wait reconciles, which would land here again.
            crate::runtime::sys::kill(c.state.pid, libc::SIGKILL);
            let deadline = std::time::Instant::now() + Duration::from_secs(3);
            while process_start_time(c.state.monitor_pid)
                .is_some_and(|t| c.state.monitor_start == 0 || t == c.state.monitor_start)
            {
                if std::time::Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            if self.load_container(&c.id).is_ok_and(|r| r.is_running())
                && process_start_time(c.state.monitor_pid).is_some()
            {
                return;
            }
        }
        let _ = self.destroy_container(&c);
    }
}
