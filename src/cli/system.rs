//! `docker system df [-v]` and `docker system prune [-a] [-f] [--filter]`: Docker's tables,
//! prompt and report, over `engine::df` and `engine::prune`.

use clap::Args;

use super::format::{ago, human_size, human_size4, table};
use super::prune::{
    PruneFilter, confirm, prune_images_with, reclaimed, report_containers, report_images,
};
use super::{CmdResult, ps};
use crate::engine::Store;
use crate::engine::df::DiskUsage;
use crate::i18n::t;

/// Show docker disk usage
#[derive(Args, Debug, Clone)]
pub struct DfArgs {
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
    let s = |v: &str| v.to_string();
    let rows = vec![
        vec![
            s("TYPE"),
            s("TOTAL"),
            s("ACTIVE"),
            s("SIZE"),
            s("RECLAIMABLE"),
        ],
        vec![
            s("Images"),
            du.images.len().to_string(),
            du.images
                .iter()
                .filter(|i| i.containers > 0)
                .count()
                .to_string(),
            human_size4(du.layers_size),
            reclaimable(du.images_reclaimable(), du.layers_size),
        ],
        vec![
            s("Containers"),
            du.containers.len().to_string(),
            du.containers
                .iter()
                .filter(|c| c.container.is_running())
                .count()
                .to_string(),
            human_size4(containers_size),
            reclaimable(stopped_size, containers_size),
        ],
        vec![
            s("Local Volumes"),
            du.volumes.len().to_string(),
            du.volumes
                .iter()
                .filter(|v| v.links > 0)
                .count()
                .to_string(),
            human_size4(volumes_size),
            reclaimable(unused_volumes, volumes_size),
        ],
        // gorae's builder keeps no BuildKit cache records: none to count.
        vec![s("Build Cache"), s("0"), s("0"), s("0B"), s("0B")],
    ];
    print!("{}", table(&rows));
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
