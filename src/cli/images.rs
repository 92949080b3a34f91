//! Image commands: pull, images, rmi, history.

use std::io::Write;

use super::filter::{Filters, daemon_failure, filter_failure};
use super::format::{
    Listing, Scope, ago, ellipsis, go_rfc3339, go_time, human_size, human_size4, table,
};
use super::{CmdResult, Failure};
use crate::engine::Store;
use crate::engine::image::{Image, LayerStatus, PullProgress, Reference};
use crate::engine::pattern::path_match;
use crate::i18n::t;

/// Prints Docker's per-layer lines ("9ad63333ebc9: Pull complete") to `out`.
struct LinePrinter<'a> {
    out: &'a mut dyn Write,
    quiet: bool,
    /// `…: Pulling from …`, printed once the manifest is found.
    header: Option<String>,
}

impl PullProgress for LinePrinter<'_> {
    fn found(&mut self) {
        if let Some(h) = self.header.take() {
            let _ = writeln!(self.out, "{h}");
        }
    }

    fn layer(&mut self, digest: &str, _size: u64, status: LayerStatus) {
        let short = crate::engine::image::short_hex(digest);
        if self.quiet {
            return;
        }
        let text = match status {
            LayerStatus::AlreadyExists => "Already exists",
            LayerStatus::Pulling => "Pulling fs layer",
            LayerStatus::Complete => "Pull complete",
        };
        if status == LayerStatus::Pulling {
            return; // the non-tty form prints only final states
        }
        let _ = writeln!(self.out, "{short}: {text}");
    }
}

/// Pull with Docker's output to `out` (stdout for `pull`, stderr for `run`'s implicit pull).
/// `command`: the `pull` command's own lines too (`Using default tag`, the canonical name at
/// the end); `run` shows only what Docker's daemon streams.
pub fn pull_to(
    store: &Store,
    name: &str,
    quiet: bool,
    command: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let r = Reference::parse_any(name)?;
    let mut header = None;
    if !quiet {
        // A ':' before the last '/' is a registry port, not a tag.
        let tag_given = name
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'));
        if !tag_given && r.digest.is_none() && command {
            let _ = writeln!(out, "Using default tag: latest");
        }
        let repo = crate::engine::registry::RemoteRef::of(&r).repository;
        // By digest, Docker's daemon names the whole reference (tag dropped).
        let what = match r.digest {
            Some(_) => r.canonical_full(),
            None => r.tag.clone(),
        };
        header = Some(format!("{what}: Pulling from {repo}"));
    }
    let outcome = {
        let mut printer = LinePrinter { out, quiet, header };
        store.pull(name, &mut printer)?
    };
    if quiet {
        let _ = writeln!(out, "{}", outcome.reference.canonical());
        return Ok(());
    }
    let _ = writeln!(out, "Digest: {}", outcome.manifest_digest);
    if outcome.updated {
        let _ = writeln!(
            out,
            "Status: Downloaded newer image for {}",
            outcome.reference.full()
        );
    } else {
        let _ = writeln!(
            out,
            "Status: Image is up to date for {}",
            outcome.reference.full()
        );
    }
    if command {
        let _ = writeln!(out, "{}", outcome.reference.canonical());
    }
    Ok(())
}

pub fn pull(store: &Store, name: &str, quiet: bool) -> CmdResult {
    let mut stdout = std::io::stdout();
    pull_to(store, name, quiet, true, &mut stdout)?;
    Ok(0)
}

/// `docker images` flags.
pub struct ListOptions<'a> {
    /// `--digests`: the DIGEST column.
    pub digests: bool,
    pub all: bool,
    pub quiet: bool,
    pub no_trunc: bool,
    pub format: Option<&'a str>,
    pub filters: &'a [String],
    pub repository: Option<&'a str>,
}

const IMAGE_FILTERS: &[&str] = &["before", "dangling", "label", "reference", "since"];
const IMAGE_DOCKER_ONLY: &[&str] = &["until"];
const IMAGE_GO_TYPE: &str = "*formatter.imageContext";

/// The column titles of Docker's imageContext.
fn image_headers() -> serde_json::Value {
    serde_json::json!({
        "ID": "IMAGE ID",
        "Repository": "REPOSITORY",
        "Tag": "TAG",
        "Digest": "DIGEST",
        "CreatedSince": "CREATED",
        "CreatedAt": "CREATED AT",
        "Size": "SIZE",
        "Containers": "CONTAINERS",
        "VirtualSize": "SIZE",
        "SharedSize": "SHARED SIZE",
        "UniqueSize": "UNIQUE SIZE",
    })
}

/// One row of `docker images`: an image under one of its names (or `<none>`).
struct ImageRow<'a> {
    img: &'a Image,
    repo: String,
    tag: String,
    /// The repository's digest, `<none>` when none (or digests are not shown).
    digest: String,
}

/// Which images and names `docker images` lists: Docker's hiding of intermediate images,
/// the REPOSITORY argument, and `--filter`.
fn select<'a>(
    store: &Store,
    images: &'a [Image],
    o: &ListOptions,
    filters: &Filters,
) -> Result<Vec<ImageRow<'a>>, Failure> {
    let dangling = filters.get("dangling");
    let dangling_only = dangling.iter().any(|v| v == "true");
    if !dangling.is_empty() && !dangling_only && !dangling.iter().any(|v| v == "false") {
        return Err(daemon_failure(&t(
            "listing.invalid-filter",
            &[("filter", &format!("dangling=[{}]", dangling.join(" ")))],
        )));
    }
    let created_of =
        |name: &String| -> Result<u64, Failure> { Ok(store.resolve_image(name)?.created_millis()) };
    let mut before = None;
    for v in filters.get("before") {
        before = Some(created_of(v)?);
    }
    let mut since = None;
    for v in filters.get("since") {
        since = Some(created_of(v)?);
    }
    // Docker's CLI sends the REPOSITORY argument as one more `reference` filter: a glob.
    let mut references: Vec<&str> = filters
        .get("reference")
        .iter()
        .map(|r| r.as_str())
        .collect();
    references.extend(o.repository);
    let used: Vec<String> = store
        .containers()
        .map(|cs| cs.into_iter().map(|c| c.image_id).collect())
        .unwrap_or_default();
    // Build steps' images: shown only with -a, as Docker hides intermediate images.
    let intermediate = store.build_parents();
    // Docker's needDigest: a template naming `.Digest` shows them as --digests does.
    let digest_in_format = o.format.is_some_and(|f| f.contains("{{.Digest}}"));
    let mut rows = Vec::new();
    for img in images {
        let created = img.created_millis();
        if before.is_some_and(|b| created >= b) || since.is_some_and(|s| created <= s) {
            continue;
        }
        let no_labels = std::collections::BTreeMap::new();
        if !filters.matches_labels(img.config.config.labels.as_ref().unwrap_or(&no_labels)) {
            continue;
        }
        // Docker's CLI: a row per tag and per digest of its repository when digests are shown,
        // and one `<none>` tag row for a repository known only by a digest reference.
        let digests_of = |repo: &str| -> Vec<&str> {
            img.repo_digests
                .iter()
                .filter_map(|d| d.split_once('@'))
                .filter(|(r, _)| *r == repo)
                .map(|(_, d)| d)
                .collect()
        };
        if img.tags.is_empty() && img.repo_digests.is_empty() {
            // Untagged images kept only for a container are intermediate: shown with -a.
            let dangling_shown =
                o.all || (!used.contains(&img.id) && !intermediate.contains(&img.id));
            let filtered_out = (!dangling.is_empty() && !dangling_only) || !references.is_empty();
            if dangling_shown && !filtered_out {
                rows.push(ImageRow {
                    img,
                    repo: "<none>".into(),
                    tag: "<none>".into(),
                    digest: "<none>".into(),
                });
            }
            continue;
        }
        if dangling_only {
            continue;
        }
        let mut names: Vec<(&str, &str)> = img
            .tags
            .iter()
            .map(|t| t.rsplit_once(':').unwrap_or((t, "latest")))
            .collect();
        for d in &img.repo_digests {
            let repo = d.split_once('@').map(|(r, _)| r).unwrap_or(d);
            if !names.iter().any(|(n, _)| *n == repo) {
                names.push((repo, "<none>"));
            }
        }
        for (name, tag) in names {
            if !references.is_empty() {
                let mut found = false;
                for pattern in &references {
                    let full = format!("{name}:{tag}");
                    let hit = path_match(pattern, &full).and_then(|hit| {
                        if hit {
                            Ok(true)
                        } else {
                            path_match(pattern, name)
                        }
                    });
                    match hit {
                        Ok(h) => found |= h,
                        Err(_) => {
                            return Err(daemon_failure(&t("listing.bad-pattern", &[])));
                        }
                    }
                }
                if !found {
                    continue;
                }
            }
            let digests = digests_of(name);
            let shown = o.digests || (digest_in_format && tag != "<none>");
            if !shown || digests.is_empty() {
                // A repository known only by digest, digests not shown: Docker's CLI leaves
                // the cell empty rather than `<none>`.
                let digest = if tag == "<none>" && !digests.is_empty() {
                    ""
                } else {
                    "<none>"
                };
                rows.push(ImageRow {
                    img,
                    repo: name.into(),
                    tag: tag.into(),
                    digest: digest.into(),
                });
                continue;
            }
            for d in digests {
                rows.push(ImageRow {
                    img,
                    repo: name.into(),
                    tag: tag.into(),
                    digest: d.into(),
                });
            }
        }
    }
    Ok(rows)
}

pub fn list(store: &Store, o: &ListOptions) -> CmdResult {
    let filters = Filters::parse(o.filters, IMAGE_FILTERS, IMAGE_DOCKER_ONLY)
        .map_err(|e| filter_failure(e, "images", IMAGE_FILTERS))?;
    let custom = o.format.filter(|f| !f.is_empty());
    let images = store.images()?;
    let rows = select(store, &images, o, &filters)?;
    let id_of = |img: &Image| {
        if o.no_trunc {
            img.id.clone()
        } else {
            img.short_id()
        }
    };
    if o.quiet {
        let mut ids: Vec<String> = rows.iter().map(|r| id_of(r.img)).collect();
        ids.dedup();
        for id in ids {
            println!("{id}");
        }
        return Ok(0);
    }
    let listing = Listing::parse(custom)
        .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1))?;
    let created_since = |img: &Image| {
        if img.created_millis() == 0 {
            "N/A".to_string()
        } else {
            ago(img.created_millis())
        }
    };
    let Listing::Custom {
        template,
        table: as_table,
    } = listing
    else {
        let mut head = vec!["REPOSITORY".to_string(), "TAG".into()];
        if o.digests {
            head.push("DIGEST".into());
        }
        head.extend(["IMAGE ID".into(), "CREATED".into(), "SIZE".into()]);
        let mut out = vec![head];
        for r in &rows {
            let mut row = vec![r.repo.clone(), r.tag.clone()];
            if o.digests {
                row.push(r.digest.clone());
            }
            row.extend([
                id_of(r.img),
                created_since(r.img),
                human_size(store.image_size(r.img)),
            ]);
            out.push(row);
        }
        print!("{}", table(&out));
        return Ok(0);
    };
    let values: Vec<(serde_json::Value, Scope)> = rows
        .iter()
        .map(|r| {
            let size = store.image_size(r.img);
            (
                serde_json::json!({
                    "Containers": "N/A",
                    "CreatedAt": go_time(r.img.created_millis()),
                    "CreatedSince": created_since(r.img),
                    "Digest": r.digest,
                    "ID": id_of(r.img),
                    "Repository": r.repo,
                    "SharedSize": "N/A",
                    "Size": human_size(size),
                    "Tag": r.tag,
                    "UniqueSize": "N/A",
                    "VirtualSize": human_size4(size),
                }),
                Scope::Struct {
                    go_type: IMAGE_GO_TYPE,
                    labels: None,
                },
            )
        })
        .collect();
    let text = Listing::render(&template, as_table, &values, &image_headers())
        .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1))?;
    print!("{text}");
    Ok(0)
}

pub fn remove(store: &Store, names: &[String], force: bool) -> CmdResult {
    let mut code = 0;
    for name in names {
        match store.remove_image(name, force) {
            Ok(lines) => {
                for l in lines {
                    println!("{l}");
                }
            }
            Err(crate::engine::EngineError::NoSuchImage(n)) => {
                // Docker's daemon names the reference with its tag (`a:latest`).
                let shown = crate::engine::EngineError::NoSuchImage(tagged(&n));
                eprintln!("{}", super::describe(&shown));
                // docker/cli's rmi skips not-found errors under --force.
                if !force {
                    code = 1;
                }
            }
            Err(e) => {
                eprintln!("{}", super::describe(&e));
                code = 1;
            }
        }
    }
    Ok(code)
}

/// A name as Docker's daemon prints a reference it looked up: with its tag (`a:latest`).
pub fn tagged(name: &str) -> String {
    Reference::parse_any(name).map_or_else(|_| name.to_string(), |r| r.full())
}

/// `docker history`'s flags.
pub struct HistoryOptions<'a> {
    pub no_trunc: bool,
    pub quiet: bool,
    pub human: bool,
    pub format: Option<&'a str>,
}

pub fn history(store: &Store, name: &str, o: HistoryOptions) -> CmdResult {
    let img = store.resolve_image(name).map_err(|e| match e {
        crate::engine::EngineError::NoSuchImage(n) => {
            crate::engine::EngineError::NoSuchImage(tagged(&n))
        }
        other => other,
    })?;
    // Docker's `-q` is `{{.ID}}` unless a format is given.
    let format = match (o.format.filter(|f| !f.is_empty()), o.quiet) {
        (None, true) => Some("{{.ID}}"),
        (f, _) => f,
    };
    let listing = Listing::parse(format)
        .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1))?;
    let diff_ids = &img.config.rootfs.diff_ids;
    let mut layer_index = diff_ids.len();
    let n = img.config.history.len();
    // Locally built images show each step's image, as Docker does: one history entry per step.
    let mut step_ids = vec![img.id.clone()];
    while let Some(p) = step_ids.last().and_then(|id| store.build_parent(id)) {
        if step_ids.contains(&p) {
            break;
        }
        step_ids.push(p);
    }
    // Docker's historyContext, one object per entry, newest first.
    let mut entries = Vec::new();
    for (i, h) in img.config.history.iter().enumerate().rev() {
        let size = if h.empty_layer {
            0
        } else {
            layer_index = layer_index.saturating_sub(1);
            diff_ids
                .get(layer_index)
                .map(|d| store.layer_size(d))
                .unwrap_or(0)
        };
        let id = match step_ids.get(n - 1 - i) {
            Some(id) if o.no_trunc => id.clone(),
            Some(id) => crate::engine::image::short_hex(id),
            None => "<missing>".into(),
        };
        let created_ms = crate::engine::image::parse_time_millis(&h.created);
        let created_at = if created_ms == 0 {
            "N/A".to_string()
        } else {
            go_rfc3339(created_ms)
        };
        let created = if !o.human {
            created_at.clone()
        } else if created_ms == 0 {
            "N/A".into()
        } else {
            ago(created_ms)
        };
        let by = h.created_by.replace('\t', " ");
        let by = if o.no_trunc { by } else { ellipsis(&by, 45) };
        let size = if o.human {
            human_size(size)
        } else {
            size.to_string()
        };
        entries.push(serde_json::json!({
            "ID": id,
            "CreatedSince": created,
            "CreatedAt": created_at,
            "CreatedBy": by,
            "Size": size,
            "Comment": h.comment,
        }));
    }
    let Listing::Custom {
        template,
        table: as_table,
    } = listing
    else {
        let mut rows = vec![vec![
            "IMAGE".to_string(),
            "CREATED".into(),
            "CREATED BY".into(),
            "SIZE".into(),
            "COMMENT".into(),
        ]];
        for e in &entries {
            let field = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            rows.push(
                ["ID", "CreatedSince", "CreatedBy", "Size", "Comment"]
                    .map(field)
                    .to_vec(),
            );
        }
        print!("{}", table(&rows));
        return Ok(0);
    };
    let scope = Scope::Struct {
        go_type: "*formatter.historyContext",
        labels: None,
    };
    let rows: Vec<_> = entries.into_iter().map(|e| (e, scope)).collect();
    let headers = serde_json::json!({
        "ID": "IMAGE",
        "CreatedSince": "CREATED",
        "CreatedAt": "CREATED AT",
        "CreatedBy": "CREATED BY",
        "Size": "SIZE",
        "Comment": "COMMENT",
    });
    let out = Listing::render(&template, as_table, &rows, &headers)
        .map_err(|e| Failure::new(t("listing.template-exec", &[("detail", &e.0)]), 1))?;
    print!("{out}");
    Ok(0)
}
