//! `docker search TERM` over the bundled catalog: what `pull` can fetch offline, in Docker's
//! columns (NAME DESCRIPTION STARS OFFICIAL, as Docker 28 prints them).

use super::filter::{Filters, daemon_failure, filter_failure};
use super::format::{Listing, Scope, ellipsis, table};
use super::{CmdResult, Failure};
use crate::engine::Store;
use crate::i18n::t;

pub struct SearchOptions<'a> {
    pub term: &'a str,
    pub limit: i64,
    pub filters: &'a [String],
    pub format: Option<&'a str>,
    pub no_trunc: bool,
}

const SEARCH_FILTERS: &[&str] = &["is-automated", "is-official", "stars"];
/// Docker's default when `--limit` is not given (the daemon's).
const DEFAULT_LIMIT: i64 = 25;

/// One result: Docker's registry.SearchResult.
struct Hit {
    name: String,
    description: String,
    official: bool,
}

/// The registry host a term names (`localhost:5000/x`, `registry.example/x`), as Docker's
/// reference parsing tells one from a Docker Hub namespace.
fn registry_host(term: &str) -> Option<&str> {
    let (first, _) = term.split_once('/')?;
    (first.contains('.') || first.contains(':') || first == "localhost").then_some(first)
}

/// A `--filter` value Docker's daemon refuses: `invalid filter 'stars=x'`.
fn bad_value(key: &str, value: &str) -> Failure {
    daemon_failure(&t(
        "listing.invalid-filter",
        &[("filter", &format!("{key}={value}"))],
    ))
}

fn parse_bool(key: &str, value: &str) -> Result<bool, Failure> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(bad_value(key, value)),
    }
}

pub fn search(store: &Store, o: &SearchOptions) -> CmdResult {
    let filters = Filters::parse(o.filters, SEARCH_FILTERS, &[])
        .map_err(|e| filter_failure(e, "search", SEARCH_FILTERS))?;
    let limit = if o.limit == 0 { DEFAULT_LIMIT } else { o.limit };
    if !(1..=100).contains(&limit) {
        return Err(daemon_failure(&t(
            "search.bad-limit",
            &[("limit", &limit.to_string())],
        )));
    }
    if let Some(host) = registry_host(o.term) {
        return Err(Failure::new(t("search.registry", &[("registry", host)]), 1));
    }
    let mut official = None;
    for v in filters.get("is-official") {
        official = Some(parse_bool("is-official", v)?);
    }
    let mut automated = None;
    for v in filters.get("is-automated") {
        automated = Some(parse_bool("is-automated", v)?);
    }
    let mut stars = 0;
    for v in filters.get("stars") {
        stars = v.parse::<u64>().map_err(|_| bad_value("stars", v))?;
    }
    // Docker Hub matches the term anywhere in a name or description, case-insensitively.
    let term = o.term.strip_prefix("docker.io/").unwrap_or(o.term);
    let term = term.strip_prefix("library/").unwrap_or(term).to_lowercase();
    let hits: Vec<Hit> = store
        .catalog_repositories()?
        .into_iter()
        .filter(|(name, desc)| name.contains(&term) || desc.to_lowercase().contains(&term))
        .map(|(name, description)| Hit {
            // A catalog repository without a namespace is a Docker Official Image's name.
            official: !name.contains('/'),
            name,
            description,
        })
        // The catalog has no stars: every result has 0, and none is an automated build.
        .filter(|h| official.is_none_or(|want| h.official == want))
        .filter(|_| stars == 0 && automated != Some(true))
        .take(limit as usize)
        .collect();
    print!("{}", render(&hits, o)?);
    Ok(0)
}

fn render(hits: &[Hit], o: &SearchOptions) -> Result<String, Failure> {
    let template_error = |e: super::format::TemplateError| {
        Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1)
    };
    // Docker shows a description on one line, cut to 45 columns unless --no-trunc.
    let desc = |h: &Hit| {
        let one_line = h.description.replace(['\n', '\r'], " ");
        if o.no_trunc {
            one_line
        } else {
            ellipsis(&one_line, 45)
        }
    };
    let ok = |b: bool| if b { "[OK]" } else { "" }.to_string();
    let Listing::Custom {
        template,
        table: as_table,
    } = Listing::parse(o.format).map_err(template_error)?
    else {
        let mut rows = vec![vec![
            "NAME".to_string(),
            "DESCRIPTION".into(),
            "STARS".into(),
            "OFFICIAL".into(),
        ]];
        for h in hits {
            rows.push(vec![h.name.clone(), desc(h), "0".into(), ok(h.official)]);
        }
        return Ok(table(&rows));
    };
    let values: Vec<(serde_json::Value, Scope)> = hits
        .iter()
        .map(|h| {
            (
                serde_json::json!({
                    "Name": h.name,
                    "Description": desc(h),
                    "StarCount": "0",
                    "IsOfficial": ok(h.official),
                    "IsAutomated": "",
                }),
                Scope::Struct {
                    go_type: "*formatter.searchContext",
                    labels: None,
                },
            )
        })
        .collect();
    let headers = serde_json::json!({
        "Name": "NAME",
        "Description": "DESCRIPTION",
        "StarCount": "STARS",
        "IsOfficial": "OFFICIAL",
        "IsAutomated": "AUTOMATED",
    });
    Listing::render(&template, as_table, &values, &headers).map_err(template_error)
}
