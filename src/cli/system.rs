//! `docker system df [-v]`, `docker system prune [-a] [-f] [--filter]` and `docker builder
//! prune [-a] [-f]`: Docker's tables, prompts and reports, over `engine::df`, `engine::prune`
//! and the build cache.

use clap::Args;

use super::format::{Listing, Scope, ago, human_size, human_size4, table};
use super::prune::{
    PruneFilter, confirm, prune_images_with, reclaimed, report_containers, report_images,
};
use super::{CmdResult, Failure, ps};
use crate::engine::Store;
use crate::engine::build::CacheRecord;
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

/// Remove build cache
#[derive(Args, Debug, Clone)]
pub struct BuilderPruneArgs {
    /// Remove all unused build cache, not just dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
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
    let cache = store.build_cache();
    let cache_size: u64 = cache.iter().map(|r| r.size).sum();
    if a.verbose {
        print!("{}", verbose(&du, &cache));
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
        // No cache record is in use between builds: all of it is reclaimable.
        row(
            "Build Cache",
            "*formatter.diskUsageBuilderContext",
            cache.len(),
            0,
            human_size4(cache_size),
            human_size4(cache_size),
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

fn verbose(du: &DiskUsage, records: &[CacheRecord]) -> String {
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
    let mut cache = vec![vec![
        s("CACHE ID"),
        s("CACHE TYPE"),
        s("SIZE"),
        s("CREATED"),
        s("LAST USED"),
        s("USAGE"),
        s("SHARED"),
    ]];
    for r in records {
        cache.push(vec![
            r.id.chars().take(12).collect(),
            s("regular"),
            human_size(r.size),
            ago(r.created_millis),
            ago(r.last_used_millis),
            r.usage.to_string(),
            s("false"),
        ]);
    }
    let cache_size: u64 = records.iter().map(|r| r.size).sum();
    format!(
        "Images space usage:\n\n{}\nContainers space usage:\n\n{}\nLocal Volumes space usage:\n\n{}\nBuild cache usage: {}\n\n{}",
        table(&images),
        table(&containers),
        table(&volumes),
        human_size4(cache_size),
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
    let cache = if a.all {
        "system.prune-cache-all"
    } else {
        "system.prune-cache-unused"
    };
    out.push_str(&format!("\n  - {}", t(cache, &[])));
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
    // Docker's builder pruner here: what `builder prune` removes, listed by ID.
    let cache = store.prune_build_cache()?;
    if !cache.deleted.is_empty() {
        println!("{}", t("builder.prune-deleted", &[]));
        for r in &cache.deleted {
            println!("{}", r.id);
        }
        println!();
    }
    reclaimed(
        containers.space_reclaimed
            + volumes_reclaimed
            + images.space_reclaimed
            + cache.space_reclaimed,
    );
    Ok(0)
}

/// `docker builder prune`, as buildx (Docker's builder) prints it: the records removed in a
/// tab-padded table (its tabwriter flushes after each row), then the total.
pub fn builder_prune(store: &Store, a: &BuilderPruneArgs) -> CmdResult {
    let warning = if a.all {
        "builder.prune-warning-all"
    } else {
        "builder.prune-warning"
    };
    if !a.force && !confirm(&t(warning, &[])) {
        return Ok(0);
    }
    let report = store.prune_build_cache()?;
    let mut out = String::new();
    for (i, r) in report.deleted.iter().enumerate() {
        let cells = [
            format!("{:<40}", r.id),
            format!("{:<5}", "true"),
            format!("{:<10}", human_size4(r.size)),
            ago(r.last_used_millis),
        ];
        let block: Vec<Vec<String>> = if i == 0 {
            let header = ["ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED"];
            vec![header.map(String::from).to_vec(), cells.to_vec()]
        } else {
            vec![cells.to_vec()]
        };
        out.push_str(&tab_padded(&block));
    }
    out.push_str(&tab_padded(&[vec![
        "Total:".to_string(),
        human_size4(report.space_reclaimed),
    ]]));
    print!("{out}");
    Ok(0)
}

/// Go's tabwriter with minwidth 1, tabwidth 8, padding 1 and tabs as padding: each cell but
/// the last filled with tabs up to the column's width rounded up to a multiple of 8.
fn tab_padded(rows: &[Vec<String>]) -> String {
    use unicode_width::UnicodeWidthStr;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max(cell.width() + 1);
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let cellw = widths[i].div_ceil(8) * 8;
                let tabs = (cellw - cell.width()).div_ceil(8);
                out.push_str(&"\t".repeat(tabs));
            }
        }
        out.push('\n');
    }
    out
}
