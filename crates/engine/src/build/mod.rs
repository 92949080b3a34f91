//! `docker build`: a Dockerfile parser, RUN in real build containers, COPY/ADD into staged
//! layers, a build cache in `<root>/build-cache.json` — BuildKit's way by default (steps are
//! cache records outside the image index), the classic builder's (one untagged intermediate
//! image per step) when asked. Nothing here prints: progress goes through
//! [`BuildProgress`] so the CLI decides what the user sees.

mod builder;
mod cache;
mod copy;
mod dockerfile;
mod error;
mod ignore;

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::PathBuf;

pub use cache::{CachePruned, CacheRecord};
pub use dockerfile::{Form, Instruction, Op, escape_directive, expand, expand_shown, parse};
pub use error::{BuildError, Result, SyntaxKind};
pub use ignore::IgnoreRules;

use builder::{Builder, Stage};

use crate::image::{PullOutcome, PullProgress, Reference};
use crate::{Action, EngineError, Event, Store, archive};

/// The label that marks a build container with the builder's pid and start time, so a
/// killed build's container is removed by the next command's reconcile.
pub const BUILD_LABEL: &str = "io.gorae.build";

/// What a build reports as it goes; the CLI prints Docker's lines (BuildKit's display or the
/// classic builder's) from these.
pub trait BuildProgress: PullProgress {
    fn event(&mut self, e: BuildEvent<'_>);
    /// Polled between steps and every 100 ms while a RUN runs (a live display redraws then);
    /// true stops the build cleanly.
    fn cancelled(&mut self) -> bool;
}

/// Where a stage starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseKind {
    /// An image: already in the store, or pulled for this build.
    Image {
        pulled: bool,
    },
    /// An earlier stage of this Dockerfile.
    Stage,
    Scratch,
}

#[derive(Debug)]
pub enum BuildEvent<'a> {
    /// The Dockerfile was read (`bytes`) and parsed.
    Parsed {
        bytes: u64,
        instructions: &'a [Instruction],
    },
    /// The context: `.dockerignore`'s size (None: there is none), the tar the classic builder
    /// sends, and the bytes of the files in it (what BuildKit transfers).
    Context {
        ignore_bytes: Option<u64>,
        tar_bytes: u64,
        file_bytes: u64,
    },
    /// A stage's base image was looked up before any step ran (BuildKit's "load metadata
    /// for"): its name as Docker prints it (`docker.io/library/busybox:latest`).
    Metadata {
        name: String,
    },
    /// Instruction `n` of `total` begins; `shown` is it as BuildKit names the step (variables
    /// expanded, the instruction word in capitals).
    Step {
        n: usize,
        total: usize,
        instruction: &'a Instruction,
        shown: &'a str,
    },
    PullStarted(&'a Reference),
    PullFinished(&'a PullOutcome),
    /// The stage's base: `name` is its `name@digest` for an image.
    Base {
        kind: BaseKind,
        short_id: &'a str,
        name: Option<String>,
    },
    RunningIn(&'a str),
    /// Output of a RUN, as it comes.
    Output {
        stderr: bool,
        data: &'a [u8],
    },
    /// A RUN's process could not start (the step then fails with its exit code).
    StartFailed(&'a EngineError),
    RemovedContainer(&'a str),
    UsingCache,
    /// The image a step ended with.
    StepImage(&'a str),
    UnusedArgs(&'a [String]),
    /// The last step is done: the image (`sha256:…`) is stored and about to be tagged.
    Exporting {
        image_id: &'a str,
    },
    /// A tag now names the image (`name:tag`, as given).
    Tagged(&'a Reference),
}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub context: PathBuf,
    pub dockerfile: PathBuf,
    /// How the Dockerfile is named in errors ("Dockerfile").
    pub dockerfile_name: String,
    pub tags: Vec<Reference>,
    pub no_cache: bool,
    pub build_args: BTreeMap<String, String>,
    /// BuildKit (Docker's default): steps are cache records, not images, and the history is
    /// in BuildKit's words. Off: the classic builder's intermediate images and `#(nop)`s.
    pub buildkit: bool,
}

#[derive(Debug, Clone)]
pub struct BuildOutcome {
    pub image_id: String,
    pub tags: Vec<String>,
}

#[derive(Clone)]
struct Context {
    root: PathBuf,
    ignore: IgnoreRules,
}

pub fn build(
    store: &Store,
    opts: &BuildOptions,
    progress: &mut dyn BuildProgress,
) -> Result<BuildOutcome> {
    // New layers and configs are not in the index until each step is stored.
    let _writing = store.writing()?;
    let text = fs::read_to_string(&opts.dockerfile).map_err(|e| BuildError::Dockerfile {
        path: opts.dockerfile.display().to_string(),
        source: e,
    })?;
    let instructions = parse(&opts.dockerfile_name, &text)?;
    progress.event(BuildEvent::Parsed {
        bytes: text.len() as u64,
        instructions: &instructions,
    });
    let escape = escape_directive(&text);
    let meta_args = meta_args(&instructions, opts);
    for name in base_images(&instructions, &meta_args, escape) {
        progress.event(BuildEvent::Metadata { name });
    }
    let ctx_root = fs::canonicalize(&opts.context)
        .map_err(|e| BuildError::Context(format!("{}: {e}", opts.context.display())))?;
    if !ctx_root.is_dir() {
        return Err(BuildError::Context(format!(
            "{}: not a directory",
            opts.context.display()
        )));
    }
    let ignore_text = fs::read_to_string(ctx_root.join(".dockerignore")).ok();
    let ignore = IgnoreRules::parse(ignore_text.as_deref().unwrap_or_default());
    let ctx = Context {
        root: ctx_root,
        ignore,
    };
    let (tar_bytes, file_bytes) = context_size(&ctx);
    progress.event(BuildEvent::Context {
        ignore_bytes: ignore_text.map(|t| t.len() as u64),
        tar_bytes,
        file_bytes,
    });

    let mut builder = Builder {
        store,
        opts,
        progress,
        ctx,
        stages: Vec::new(),
        meta_args: BTreeMap::new(),
        used_args: HashSet::new(),
        escape,
        steps_cached: 0,
        steps_built: 0,
        records_used: Vec::new(),
    };
    let total = instructions.len();
    let mut current: Option<(Option<String>, Stage)> = None;
    for (n, ins) in instructions.iter().enumerate() {
        if builder.progress.cancelled() {
            return Err(BuildError::Cancelled);
        }
        let shown = shown(ins, current.as_ref().map(|(_, s)| s), &builder, escape);
        builder.progress.event(BuildEvent::Step {
            n: n + 1,
            total,
            instruction: ins,
            shown: &shown,
        });
        match (&ins.op, current.as_mut()) {
            (Op::Arg(list), None) => {
                for (k, default) in list {
                    let v = opts.build_args.get(k).cloned().or_else(|| default.clone());
                    if opts.build_args.contains_key(k) {
                        builder.used_args.insert(k.clone());
                    }
                    builder.meta_args.insert(k.clone(), v);
                }
            }
            (Op::From { image, alias }, _) => {
                if let Some((a, done)) = current.take() {
                    builder.stages.push((a, done.image));
                }
                let meta = builder.meta_args.clone();
                let name = expand(image, &|k| meta.get(k).cloned().flatten(), builder.escape);
                let stage = builder.from(&name)?;
                current = Some((alias.clone(), stage));
            }
            (_, Some((_, stage))) => builder.step(stage, ins)?,
            (_, None) => {
                return Err(BuildError::Syntax {
                    file: opts.dockerfile_name.clone(),
                    line: ins.line,
                    kind: SyntaxKind::NoFrom(ins.text.clone()),
                });
            }
        }
    }
    let Some((_, last)) = current else {
        return Err(BuildError::Syntax {
            file: opts.dockerfile_name.clone(),
            line: 1,
            kind: SyntaxKind::Empty,
        });
    };
    let unused: Vec<String> = opts
        .build_args
        .keys()
        .filter(|k| !builder.used_args.contains(*k))
        .cloned()
        .collect();
    if !unused.is_empty() {
        builder.progress.event(BuildEvent::UnusedArgs(&unused));
    }
    let img = last.image;
    builder
        .progress
        .event(BuildEvent::Exporting { image_id: &img.id });
    if opts.buildkit {
        store.records_used(&builder.records_used)?;
        // Only the result is an image: untagged until a tag names it (a `FROM` alone names
        // an image that is in the index already).
        if !store
            .images()?
            .iter()
            .any(|i| i.manifest_digest == img.manifest_digest)
        {
            store.add_untagged(&img.manifest_digest)?;
        }
    }
    let size = fs::metadata(store.blob_path(&img.manifest_digest))
        .map(|m| m.len())
        .unwrap_or(0);
    let mut tags = Vec::new();
    for r in &opts.tags {
        store.set_tag(r, &img.manifest_digest, size)?;
        store.emit(Event::on_image(Action::Tag).id(&img.id).name(&r.full()));
        builder.progress.event(BuildEvent::Tagged(r));
        tags.push(r.full());
    }
    let mut ev = Event::on_image(Action::Build)
        .id(&img.id)
        .attr("gorae.cachedSteps", builder.steps_cached.to_string())
        .attr("gorae.builtSteps", builder.steps_built.to_string());
    if let Some(t) = tags.first() {
        ev = ev.name(t);
    }
    store.emit(ev);
    Ok(BuildOutcome {
        image_id: img.id,
        tags,
    })
}

/// The ARGs before the first FROM with their values (build args win over defaults).
fn meta_args(
    instructions: &[Instruction],
    opts: &BuildOptions,
) -> BTreeMap<String, Option<String>> {
    let mut args = BTreeMap::new();
    for ins in instructions {
        match &ins.op {
            Op::Arg(list) => {
                for (k, default) in list {
                    let v = opts.build_args.get(k).cloned().or_else(|| default.clone());
                    args.insert(k.clone(), v);
                }
            }
            _ => break,
        }
    }
    args
}

/// The images the stages start from, once each, in order: not `scratch`, not earlier stages.
fn base_images(
    instructions: &[Instruction],
    meta: &BTreeMap<String, Option<String>>,
    escape: char,
) -> Vec<String> {
    let mut aliases: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for ins in instructions {
        let Op::From { image, alias } = &ins.op else {
            continue;
        };
        let name = expand(image, &|k| meta.get(k).cloned().flatten(), escape);
        let lower = name.to_ascii_lowercase();
        let is_stage =
            aliases.contains(&lower) || name.parse::<usize>().is_ok_and(|i| i < aliases.len());
        if let (false, true, Ok(r)) = (is_stage, name != "scratch", Reference::parse_any(&name)) {
            let full = r.canonical();
            if !names.contains(&full) {
                names.push(full);
            }
        }
        aliases.push(alias.clone().unwrap_or_default());
    }
    names
}

/// An instruction as BuildKit names its step: RUN keeps its quotes and unset variables,
/// COPY, ADD and WORKDIR are expanded as their words are; the instruction word in capitals.
fn shown(ins: &Instruction, stage: Option<&Stage>, b: &Builder, escape: char) -> String {
    let vars = |n: &str| match stage {
        Some(s) => s.var(n),
        None => b.meta_args.get(n).cloned().flatten(),
    };
    let text = match &ins.op {
        Op::Run(_) => expand_shown(&ins.text, &vars, escape),
        Op::Copy { .. } | Op::Workdir(_) => expand(&ins.text, &vars, escape),
        _ => ins.text.clone(),
    };
    match text.split_once(' ') {
        Some((word, rest)) => format!("{} {rest}", word.to_ascii_uppercase()),
        None => text.to_ascii_uppercase(),
    }
}

/// Roughly the size of the tar the classic builder sends (headers, padded contents, the end
/// blocks), and the bytes of the files in it.
fn context_size(ctx: &Context) -> (u64, u64) {
    let mut total = 1024u64;
    let mut files = 0u64;
    let _ = archive::walk_sorted(&ctx.root, &mut |rel, _abs, meta| {
        let rel = rel.trim_start_matches('/');
        let always = rel == "Dockerfile" || rel == ".dockerignore";
        if !always && ctx.ignore.excluded(rel) {
            return Ok(());
        }
        total += 512;
        if meta.is_file() {
            total += meta.len().div_ceil(512) * 512;
            files += meta.len();
        }
        Ok(())
    });
    (total, files)
}
