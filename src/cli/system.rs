//! `docker system df [-v]` and `docker system prune [-a] [-f] [--filter]`: Docker's tables,
//! prompt and report, over `engine::df` and `engine::prune`.

use clap::Args;

use super::format::{Listing, Scope, ago, human_size, human_size4, table};
use super::prune::{
    PruneFilter, confirm, prune_images_with, reclaimed, report_containers, report_images,
};
use super::{CmdResult, Failure, ps};
use crate::engine::Store;
use crate::engine::df::DiskUsage;
use crate::i18n::t;

/// Show docker disk usage
#[derive(Args, Debug, Clone)]
pub struct DfArgs {
    /// Format output using a custom template, "table …" or "json"
    #[arg(long)]
    pub format: Option<String>,
    /// Show detailed information on space usage
    #[arg(short, long)]
    pub verbose: bool,
}

/// Remove unused data
#[derive(Args, Debug, Clone)]
pub struct SystemPruneArgs {
    /// Remove all unused images not just dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Prune anonymous volumes
    #[arg(long)]
    pub volumes: bool,
    /// Provide filter values (e.g. "label=<key>=<value>")
    #[arg(value_name = "filter", long)]
    pub filter: Vec<String>,
}

/// Docker's RECLAIMABLE cell: the size, and its share of the total when there is one.
fn reclaimable(part: u64, total: u64) -> String {
    match (part * 100).checked_div(total) {
        Some(pct) => format!("{} ({pct}%)", human_size4(part)),
        None => human_size4(part),
    }
}

pub fn df(store: &Store, a: &DfArgs) -> CmdResult {
    let listing = Listing::parse(a.format.as_deref())
        .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1))?;
    if a.verbose && !matches!(listing, Listing::Default) {
        // Docker runs such a template once over all four lists; gorae does not.
        return Err(Failure::new(t("df.verbose-format", &[]), 1));
    }
    let du = store.disk_usage()?;
    if a.verbose {
        print!("{}", verbose(&du));
        return Ok(0);
    }
    let containers_size: u64 = du.containers.iter().map(|c| c.size).sum();
    let stopped_size: u64 = du
        .containers
        .iter()
        .filter(|c| !c.container.is_running())
        .map(|c| c.size)
        .sum();
    let volumes_size: u64 = du.volumes.iter().map(|v| v.size).sum();
    let unused_volumes: u64 = du
        .volumes
        .iter()
        .filter(|v| v.links == 0)
        .map(|v| v.size)
        .sum();
    // Docker's diskUsage contexts: every field a string, one Go type per row.
    let row = |kind: &str, go_type: &'static str, total: usize, active: usize, size, reclaim| {
        let v = serde_json::json!({
            "Type": kind,
            "TotalCount": total.to_string(),
            "Active": active.to_string(),
            "Size": size,
            "Reclaimable": reclaim,
        });
        (v, go_type)
    };
    let rows = [
        row(
            "Images",
            "*formatter.diskUsageImagesContext",
            du.images.len(),
            du.images.iter().filter(|i| i.containers > 0).count(),
            human_size4(du.layers_size),
            reclaimable(du.images_reclaimable(), du.layers_size),
        ),
        row(
            "Containers",
            "*formatter.diskUsageContainersContext",
            du.containers.len(),
            du.containers
                .iter()
                .filter(|c| c.container.is_running())
                .count(),
            human_size4(containers_size),
            reclaimable(stopped_size, containers_size),
        ),
        row(
            "Local Volumes",
            "*formatter.diskUsageVolumesContext",
            du.volumes.len(),
            du.volumes.iter().filter(|v| v.links > 0).count(),
            human_size4(volumes_size),
            reclaimable(unused_volumes, volumes_size),
        ),
        // gorae's builder keeps no BuildKit cache records: none to count.
        row(
            "Build Cache",
            "*formatter.diskUsageBuilderContext",
            0,
            0,
            "0B".into(),
            "0B".into(),
        ),
    ];
    let fields = ["Type", "TotalCount", "Active", "Size", "Reclaimable"];
    let headers = serde_json::json!({
        "Type": "TYPE",
        "TotalCount": "TOTAL",
        "Active": "ACTIVE",
        "Size": "SIZE",
        "Reclaimable": "RECLAIMABLE",
    });
    match listing {
        Listing::Default => {
            let mut out = vec![
                fields
                    .map(|f| headers[f].as_str().unwrap_or_default().to_string())
                    .to_vec(),
            ];
            for (v, _) in &rows {
                out.push(
                    fields
                        .map(|f| v[f].as_str().unwrap_or_default().to_string())
                        .to_vec(),
                );
            }
            print!("{}", table(&out));
        }
        Listing::Custom { template, table } => {
            let rows: Vec<_> = rows
                .into_iter()
                .map(|(v, go_type)| {
                    let scope = Scope::Struct {
                        go_type,
                        labels: None,
                    };
                    (v, scope)
                })
                .collect();
            let text = Listing::render(&template, table, &rows, &headers)
                .map_err(|e| Failure::new(t("listing.template-exec", &[("detail", &e.0)]), 1))?;
            print!("{text}");
        }
    }
    Ok(0)
}

fn verbose(du: &DiskUsage) -> String {
    let s = |v: &str| v.to_string();
    let mut images = vec![vec![
        s("REPOSITORY"),
        s("TAG"),
        s("IMAGE ID"),
        s("CREATED"),
        s("SIZE"),
        s("SHARED SIZE"),
        s("UNIQUE SIZE"),
        s("CONTAINERS"),
    ]];
    for i in &du.images {
        let (repo, tag) = match i.image.tags.first() {
            Some(t) => {
                let at = t.rfind(':').filter(|p| !t[*p..].contains('/'));
                match at {
                    Some(p) => (t[..p].to_string(), t[p + 1..].to_string()),
                    None => (t.clone(), "latest".to_string()),
                }
            }
            None => (s("<none>"), s("<none>")),
        };
        images.push(vec![
            repo,
            tag,
            i.image.short_id(),
            ago(i.image.created_millis()),
            human_size(i.size),
            human_size(i.shared),
            human_size(i.size - i.shared),
            i.containers.to_string(),
        ]);
    }
    let mut containers = vec![vec![
        s("CONTAINER ID"),
        s("IMAGE"),
        s("COMMAND"),
        s("LOCAL VOLUMES"),
        s("SIZE"),
        s("CREATED"),
        s("STATUS"),
        s("NAMES"),
    ]];
    for c in &du.containers {
        let row = ps::row_for(&c.container, true, Some((c.size, 0)));
        let field = |k: &str| row[k].as_str().unwrap_or_default().to_string();
        containers.push(vec![
            field("ID"),
            field("Image"),
            field("Command"),
            field("LocalVolumes"),
            field("Size"),
            field("RunningFor"),
            field("Status"),
            field("Names"),
        ]);
    }
    let mut volumes = vec![vec![s("VOLUME NAME"), s("LINKS"), s("SIZE")]];
    for v in &du.volumes {
        volumes.push(vec![
            v.name.clone(),
            v.links.to_string(),
            human_size4(v.size),
        ]);
    }
    let cache = vec![vec![
        s("CACHE ID"),
        s("CACHE TYPE"),
        s("SIZE"),
        s("CREATED"),
        s("LAST USED"),
        s("USAGE"),
        s("SHARED"),
    ]];
    format!(
        "Images space usage:\n\n{}\nContainers space usage:\n\n{}\nLocal Volumes space usage:\n\n{}\nBuild cache usage: 0B\n\n{}",
        table(&images),
        table(&containers),
        table(&volumes),
        table(&cache)
    )
}

/// Docker's confirmation: what goes, the filters, the question.
fn warning(a: &SystemPruneArgs) -> String {
    let mut out = t("system.prune-warning", &[]);
    out.push_str(&format!("\n  - {}", t("system.prune-containers", &[])));
    out.push_str(&format!("\n  - {}", t("system.prune-networks", &[])));
    if a.volumes {
        out.push_str(&format!("\n  - {}", t("system.prune-volumes", &[])));
    }
    let images = if a.all {
        "system.prune-images-all"
    } else {
        "system.prune-images-dangling"
    };
    out.push_str(&format!("\n  - {}", t(images, &[])));
    out.push('\n');
    let mut filters: Vec<String> = a
        .filter
        .iter()
        .filter(|f| {
            ["label=", "label!=", "until="]
                .iter()
                .any(|k| f.starts_with(k))
        })
        .cloned()
        .collect();
    filters.sort();
    if !filters.is_empty() {
        out.push_str(&format!("\n  {}", t("system.prune-filtered", &[])));
        for f in &filters {
            out.push_str(&format!("\n  - {f}"));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&t("system.prune-confirm", &[]));
    out
}

pub fn prune(store: &Store, a: &SystemPruneArgs) -> CmdResult {
    let f = PruneFilter::parse(&a.filter, "system prune")?;
    // Cancelled: Docker exits 0 without a word (its error is a "cancelled" one).
    if !a.force && !confirm(&warning(a)) {
        return Ok(0);
    }
    let containers =
        store.prune_containers(&|c| f.accepts(c.created_millis(), &c.config.labels))?;
    report_containers(&containers);
    // Networks no container uses (the default ones are never among them).
    let mut networks = Vec::new();
    for n in store.unused_networks()? {
        let created = crate::engine::time::parse_time_millis(&n.created);
        if f.accepts(created, &n.labels) && store.remove_network(&n.id).is_ok() {
            networks.push(n.name);
        }
    }
    if !networks.is_empty() {
        println!("{}", t("net.prune-deleted", &[]));
        for n in &networks {
            println!("{n}");
        }
        println!();
    }
    let mut volumes_reclaimed = 0;
    if a.volumes {
        // Docker's volume pruner here: anonymous volumes only, and the label filters.
        let no_time = 0;
        let report = store.prune_volumes(false, &|v| f.accepts(no_time, &v.labels))?;
        if !report.deleted.is_empty() {
            println!("{}", t("volume.deleted", &[]));
            for n in &report.deleted {
                println!("{n}");
            }
            println!();
        }
        volumes_reclaimed = report.space_reclaimed;
    }
    let images = prune_images_with(store, a.all, &f)?;
    report_images(&images);
    reclaimed(containers.space_reclaimed + volumes_reclaimed + images.space_reclaimed);
    Ok(0)
}
