//! Image commands: pull, images, rmi, history.

use std::io::Write;

use super::format::{ago, ellipsis, human_size, table};
use super::{CmdResult, Failure};
use crate::engine::Store;
use crate::engine::image::{LayerStatus, PullProgress, Reference};

/// Prints Docker's per-layer lines ("9ad63333ebc9: Pull complete") to `out`.
struct LinePrinter<'a> {
    out: &'a mut dyn Write,
    quiet: bool,
}

impl PullProgress for LinePrinter<'_> {
    fn layer(&mut self, short: &str, status: LayerStatus) {
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
pub fn pull_to(store: &Store, name: &str, quiet: bool, out: &mut dyn Write) -> Result<(), Failure> {
    let r = Reference::parse(name)?;
    if !quiet {
        // A ':' before the last '/' is a registry port, not a tag.
        let tag_given = name
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'));
        if !tag_given {
            let _ = writeln!(out, "Using default tag: latest");
        }
        let repo = crate::engine::registry::RemoteRef::of(&r).repository;
        let _ = writeln!(out, "{}: Pulling from {repo}", r.tag);
    }
    let outcome = {
        let mut printer = LinePrinter { out, quiet };
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
    let _ = writeln!(out, "{}", outcome.reference.canonical());
    Ok(())
}

pub fn pull(store: &Store, name: &str, quiet: bool) -> CmdResult {
    let mut stdout = std::io::stdout();
    pull_to(store, name, quiet, &mut stdout)?;
    Ok(0)
}

pub fn list(
    store: &Store,
    all: bool,
    quiet: bool,
    no_trunc: bool,
    repo: Option<&str>,
) -> CmdResult {
    let images = store.images()?;
    let used: Vec<String> = store
        .containers()
        .map(|cs| cs.into_iter().map(|c| c.image_id).collect())
        .unwrap_or_default();
    let mut rows = vec![vec![
        "REPOSITORY".to_string(),
        "TAG".into(),
        "IMAGE ID".into(),
        "CREATED".into(),
        "SIZE".into(),
    ]];
    let mut ids = Vec::new();
    // Build steps' images: shown only with -a, as Docker hides intermediate images.
    let intermediate = store.build_parents();
    for img in &images {
        let id = if no_trunc {
            img.id.clone()
        } else {
            img.short_id()
        };
        let created = if img.created_millis() == 0 {
            "N/A".to_string()
        } else {
            ago(img.created_millis())
        };
        let size = human_size(store.image_size(img));
        if img.tags.is_empty() {
            // Untagged images kept only for a container are intermediate: shown with -a.
            let dangling_shown =
                all || (!used.contains(&img.id) && !intermediate.contains(&img.id));
            if repo.is_none() && dangling_shown {
                rows.push(vec![
                    "<none>".into(),
                    "<none>".into(),
                    id.clone(),
                    created,
                    size,
                ]);
                ids.push(id);
            }
            continue;
        }
        for tag in &img.tags {
            let (name, tag) = tag.rsplit_once(':').unwrap_or((tag, "latest"));
            if let Some(r) = repo {
                let want = Reference::parse(r).ok();
                let matches = match &want {
                    Some(w) if r.contains(':') => w.name == name && w.tag == tag,
                    Some(w) => w.name == name,
                    None => false,
                };
                if !matches {
                    continue;
                }
            }
            rows.push(vec![
                name.into(),
                tag.into(),
                id.clone(),
                created.clone(),
                size.clone(),
            ]);
            ids.push(id.clone());
        }
    }
    if quiet {
        ids.dedup();
        for id in ids {
            println!("{id}");
        }
    } else {
        print!("{}", table(&rows));
    }
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
            Err(e) => {
                eprintln!("{}", super::describe(&e));
                code = 1;
            }
        }
    }
    Ok(code)
}

pub fn history(store: &Store, name: &str, no_trunc: bool, quiet: bool, human: bool) -> CmdResult {
    let img = store.resolve_image(name)?;
    let mut rows = vec![vec![
        "IMAGE".to_string(),
        "CREATED".into(),
        "CREATED BY".into(),
        "SIZE".into(),
        "COMMENT".into(),
    ]];
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
            Some(id) if no_trunc => id.clone(),
            Some(id) => crate::engine::image::short_hex(id),
            None => "<missing>".into(),
        };
        if quiet {
            println!("{id}");
            continue;
        }
        let created_ms = crate::engine::image::parse_time_millis(&h.created);
        let created = if !human {
            h.created.clone()
        } else if created_ms == 0 {
            "N/A".into()
        } else {
            ago(created_ms)
        };
        let by = if no_trunc {
            h.created_by.clone()
        } else {
            ellipsis(&h.created_by, 45)
        };
        let size = if human {
            human_size(size)
        } else {
            size.to_string()
        };
        rows.push(vec![id, created, by, size, h.comment.clone()]);
    }
    if !quiet {
        print!("{}", table(&rows));
    }
    Ok(0)
}
