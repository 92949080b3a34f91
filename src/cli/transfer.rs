//! Moving images and filesystems in and out: save, load, export, import.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use super::{CmdResult, Failure};
use crate::engine::transfer::{ImportOptions, write_file_atomically};
use crate::engine::{EngineError, Store};
use crate::i18n::t;

/// Send a tarball to FILE (atomically) or to stdout, refusing a terminal as Docker does.
fn write_out(
    output: Option<&str>,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), EngineError>,
) -> CmdResult {
    match output {
        Some(path) if path != "-" => {
            write_file_atomically(Path::new(path), fill)?;
        }
        _ => {
            let stdout = io::stdout();
            if stdout.is_terminal() {
                return Err(Failure::new(t("transfer.err-terminal", &[]), 1));
            }
            let mut out = io::BufWriter::new(stdout.lock());
            fill(&mut out)?;
            out.flush()
                .map_err(|e| Failure::from(EngineError::io("-", e)))?;
        }
    }
    Ok(0)
}

/// Open FILE, or stdin for None / "-" (refusing an interactive terminal: nothing would come).
fn read_in(input: Option<&str>) -> Result<(Box<dyn Read>, String), Failure> {
    match input {
        Some(path) if path != "-" => {
            let f = File::open(path).map_err(|e| {
                Failure::new(
                    t(
                        "transfer.err-open",
                        &[("path", path), ("detail", &e.to_string())],
                    ),
                    1,
                )
            })?;
            Ok((Box::new(io::BufReader::new(f)), path.to_string()))
        }
        _ => {
            let stdin = io::stdin();
            if stdin.is_terminal() {
                return Err(Failure::new(t("transfer.err-stdin-terminal", &[]), 1));
            }
            Ok((Box::new(stdin.lock()), "-".to_string()))
        }
    }
}

/// `docker save [-o FILE] IMAGE…`
pub fn save(store: &Store, output: Option<&str>, images: &[String]) -> CmdResult {
    // Resolve first, so a typo fails before any file is created.
    for name in images {
        match store.resolve_image(name) {
            // moby's tarexport looks a tagged name up in its reference store, whose miss is
            // "reference does not exist"; a bare name or id is searched as an image.
            Err(EngineError::NoSuchImage(_)) if has_tag(name) => {
                return Err(Failure::new(
                    format!(
                        "{}{}",
                        t("err-daemon", &[]),
                        t("transfer.err-no-reference", &[])
                    ),
                    1,
                ));
            }
            other => {
                other?;
            }
        }
    }
    write_out(output, |w| store.save_images(images, w))
}

/// Whether a name carries a `:TAG` (a `:` after its last `/`; before it, a registry port).
fn has_tag(name: &str) -> bool {
    name.rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'))
}

/// `docker load [-i FILE] [-q]`. On a terminal without `-q`, each layer the load unpacked
/// gets Docker's finished progress line; the `Loaded image` lines come either way.
pub fn load(store: &Store, input: Option<&str>, quiet: bool) -> CmdResult {
    let progress = !quiet && io::stdout().is_terminal();
    let (mut reader, source) = read_in(input)?;
    let loaded = store
        .load_images(&mut reader, Path::new(&source))
        .map_err(|e| match e {
            EngineError::Corrupt { detail, .. } => Failure::new(
                format!(
                    "{}{}",
                    t("err-daemon", &[]),
                    t(
                        "transfer.err-load",
                        &[("source", &source), ("detail", &detail)]
                    )
                ),
                1,
            ),
            other => Failure::from(other),
        })?;
    for img in loaded {
        for (chain, size) in img.new_layers.iter().filter(|_| progress) {
            let id: String = chain
                .trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect();
            let size = super::format::human_size4(*size);
            println!("{id}: Loading layer [{}>] {size:>8}/{size}", "=".repeat(50));
        }
        if img.tags.is_empty() {
            println!("Loaded image ID: {}", img.id);
        }
        for tag in &img.tags {
            println!("Loaded image: {tag}");
        }
    }
    Ok(0)
}

/// `docker export [-o FILE] CONTAINER`
pub fn export(store: &Store, output: Option<&str>, container: &str) -> CmdResult {
    store.resolve_container(container)?;
    write_out(output, |w| store.export_container(container, w))
}

/// `docker import [-c CHANGE] [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]`
pub fn import(
    store: &Store,
    file: &str,
    repository: Option<&str>,
    changes: Vec<String>,
    message: Option<String>,
) -> CmdResult {
    let (mut reader, _) = read_in(Some(file))?;
    let id = store.import_image(&mut reader, repository, &ImportOptions { changes, message })?;
    println!("{id}");
    Ok(0)
}
