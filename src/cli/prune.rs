//! `docker container prune` and `docker image prune`: Docker's flags, its confirmation prompt
//! on the terminal, and its report ("Deleted Containers:", "Total reclaimed space: …").

use std::io::{BufRead, Write};

use clap::Args;

use super::filter::{Filters, daemon_failure, filter_failure};
use super::format::human_size4;
use super::{CmdResult, Failure, inspect};
use crate::engine::Store;
use crate::engine::prune::ImageDeleted;
use crate::i18n::t;

const PRUNE_FILTERS: &[&str] = &["until", "label", "label!"];

/// Remove all stopped containers
#[derive(Args, Debug, Clone)]
pub struct ContainerPruneArgs {
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(value_name = "filter", long)]
    pub filter: Vec<String>,
}

/// Remove unused images
#[derive(Args, Debug, Clone)]
pub struct ImagePruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(value_name = "filter", long)]
    pub filter: Vec<String>,
}

/// The prune filters Docker's daemon applies: `until` (created before), `label`, `label!`.
pub(super) struct PruneFilter {
    until: Option<u64>,
    filters: Filters,
}

impl PruneFilter {
    pub(super) fn parse(raw: &[String], cmd: &str) -> Result<PruneFilter, Failure> {
        let filters = Filters::parse(raw, PRUNE_FILTERS, &[])
            .map_err(|e| filter_failure(e, cmd, PRUNE_FILTERS))?;
        let mut until = None;
        for v in filters.get("until") {
            match inspect::parse_when(v) {
                Some(ms) => until = Some(ms),
                None => {
                    return Err(daemon_failure(&t("prune.bad-until", &[("value", v)])));
                }
            }
        }
        Ok(PruneFilter { until, filters })
    }

    pub(super) fn accepts(
        &self,
        created_millis: u64,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> bool {
        if self.until.is_some_and(|u| created_millis >= u) {
            return false;
        }
        if !self.filters.matches_labels(labels) {
            return false;
        }
        // `label!=k` / `label!=k=v`: left out when every one of them holds.
        let not = self.filters.get("label!");
        let holds = |want: &String| match want.split_once('=') {
            Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
            None => labels.contains_key(want.as_str()),
        };
        not.is_empty() || !not.iter().all(holds)
    }
}

/// Docker's prompt.Confirm: the question and " [y/N] " on stdout, one line from stdin; only
/// "y" or "Y" goes on (end of input is no).
pub(super) fn confirm(warning: &str) -> bool {
    let mut out = std::io::stdout();
    let _ = write!(out, "{warning} {}", t("prune.confirm", &[]));
    let _ = out.flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    line.trim().eq_ignore_ascii_case("y")
}

pub(super) fn reclaimed(bytes: u64) {
    println!("{}", t("prune.reclaimed", &[("size", &human_size4(bytes))]));
}

/// `docker container prune`.
pub fn containers(store: &Store, a: &ContainerPruneArgs) -> CmdResult {
    let f = PruneFilter::parse(&a.filter, "container prune")?;
    // Cancelled: Docker exits 0 without a word.
    if !a.force && !confirm(&t("prune.container-warning", &[])) {
        return Ok(0);
    }
    let report = store.prune_containers(&|c| f.accepts(c.created_millis(), &c.config.labels))?;
    report_containers(&report);
    reclaimed(report.space_reclaimed);
    Ok(0)
}

/// "Deleted Containers:" and the IDs, then a blank line (nothing when none went).
pub(super) fn report_containers(report: &crate::engine::prune::ContainersPruned) {
    if !report.deleted.is_empty() {
        println!("{}", t("prune.deleted-containers", &[]));
        for id in &report.deleted {
            println!("{id}");
        }
        println!();
    }
}

/// Remove the unused images `f` accepts (dangling only unless `all`).
pub(super) fn prune_images_with(
    store: &Store,
    all: bool,
    f: &PruneFilter,
) -> Result<crate::engine::prune::ImagesPruned, Failure> {
    let no_labels = std::collections::BTreeMap::new();
    Ok(store.prune_images(all, &|img| {
        f.accepts(
            img.created_millis(),
            img.config.config.labels.as_ref().unwrap_or(&no_labels),
        )
    })?)
}

/// "Deleted Images:" with Docker's untagged/deleted lines, then a blank line.
pub(super) fn report_images(report: &crate::engine::prune::ImagesPruned) {
    if !report.deleted.is_empty() {
        println!("{}", t("prune.deleted-images", &[]));
        for d in &report.deleted {
            match d {
                ImageDeleted::Untagged(r) => println!("untagged: {r}"),
                ImageDeleted::Deleted(id) => println!("deleted: {id}"),
            }
        }
        println!();
    }
}

/// `docker image prune`.
pub fn images(store: &Store, a: &ImagePruneArgs) -> CmdResult {
    let f = PruneFilter::parse(&a.filter, "image prune")?;
    let warning = if a.all {
        t("prune.image-warning-all", &[])
    } else {
        t("prune.image-warning-dangling", &[])
    };
    if !a.force && !confirm(&warning) {
        return Ok(0);
    }
    let report = prune_images_with(store, a.all, &f)?;
    report_images(&report);
    reclaimed(report.space_reclaimed);
    Ok(0)
}
