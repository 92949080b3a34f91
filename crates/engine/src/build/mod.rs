//! `docker build` the way Docker's classic builder does it: a Dockerfile parser, one image per
//! step (untagged intermediates), RUN in real build containers, COPY/ADD into staged layers, a
//! build cache in `<root>/build-cache.json`. Nothing here prints: progress goes through
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

pub use dockerfile::{Form, Instruction, Op, expand, parse};
pub use error::{BuildError, Result, SyntaxKind};
pub use ignore::IgnoreRules;

use builder::{Builder, Stage};
use dockerfile::escape_directive;

use crate::image::{PullOutcome, PullProgress, Reference};
use crate::{Action, EngineError, Event, Store, archive};

/// The label that marks a build container with the builder's pid and start time, so a
/// killed build's container is removed by the next command's reconcile.
pub const BUILD_LABEL: &str = "io.gorae.build";

/// What a build reports as it goes; the CLI prints Docker's lines from these.
pub trait BuildProgress: PullProgress {
    fn context_size(&mut self, bytes: u64);
    fn step(&mut self, n: usize, total: usize, text: &str);
    fn pull_started(&mut self, r: &Reference);
    fn pull_finished(&mut self, o: &PullOutcome);
    fn running_in(&mut self, container_short: &str);
    /// Output of a RUN, as it comes.
    fn output(&mut self, stderr: bool, data: &[u8]);
    /// A RUN's process could not start (the step then fails with its exit code).
    fn start_failed(&mut self, e: &EngineError);
    fn removed_container(&mut self, container_short: &str);
    fn using_cache(&mut self);
    /// The image a step ended with.
    fn step_image(&mut self, short: &str);
    fn unused_args(&mut self, names: &[String]);
    /// Polled between steps and while a RUN runs; true stops the build cleanly.
    fn cancelled(&self) -> bool;
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
    let ctx_root = fs::canonicalize(&opts.context)
        .map_err(|e| BuildError::Context(format!("{}: {e}", opts.context.display())))?;
    if !ctx_root.is_dir() {
        return Err(BuildError::Context(format!(
            "{}: not a directory",
            opts.context.display()
        )));
    }
    let ignore =
        IgnoreRules::parse(&fs::read_to_string(ctx_root.join(".dockerignore")).unwrap_or_default());
    let ctx = Context {
        root: ctx_root,
        ignore,
    };
    progress.context_size(context_size(&ctx));

    let mut builder = Builder {
        store,
        opts,
        progress,
        ctx,
        stages: Vec::new(),
        meta_args: BTreeMap::new(),
        used_args: HashSet::new(),
        escape: escape_directive(&text),
        steps_cached: 0,
        steps_built: 0,
    };
    let total = instructions.len();
    let mut current: Option<(Option<String>, Stage)> = None;
    for (n, ins) in instructions.iter().enumerate() {
        if builder.progress.cancelled() {
            return Err(BuildError::Cancelled);
        }
        builder.progress.step(n + 1, total, &ins.text);
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
        builder.progress.unused_args(&unused);
    }
    let img = last.image;
    let size = fs::metadata(store.blob_path(&img.manifest_digest))
        .map(|m| m.len())
        .unwrap_or(0);
    let mut tags = Vec::new();
    for r in &opts.tags {
        store.set_tag(r, &img.manifest_digest, size)?;
        store.emit(Event::on_image(Action::Tag).id(&img.id).name(&r.full()));
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

/// Roughly the size of the tar Docker would send: headers, padded contents, the end blocks.
fn context_size(ctx: &Context) -> u64 {
    let mut total = 1024u64;
    let _ = archive::walk_sorted(&ctx.root, &mut |rel, _abs, meta| {
        let rel = rel.trim_start_matches('/');
        let always = rel == "Dockerfile" || rel == ".dockerignore";
        if !always && ctx.ignore.excluded(rel) {
            return Ok(());
        }
        total += 512;
        if meta.is_file() {
            total += meta.len().div_ceil(512) * 512;
        }
        Ok(())
    });
    total
}
