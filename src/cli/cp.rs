//! `docker cp`: Docker's argument forms (`CONTAINER:PATH`, `-` for a tar stream), its
//! placement rules and its summary line, over `engine::cp` (which does the container side in
//! a helper process, inside the container's root only).

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use super::CmdResult;
use super::format::human_size;
use crate::engine::cp::{self, CpFailure, Dest, Extract, Owner, Place, SrcKind};
use crate::engine::{EngineError, Store};

pub struct CpArgs<'a> {
    pub src: &'a str,
    pub dest: &'a str,
    pub archive: bool,
    pub follow_link: bool,
    pub quiet: bool,
}

/// Docker's splitCpArg: `CONTAINER:PATH`, unless the argument is an absolute path, has no
/// colon, or starts with `.` before it (a local `./a:b`).
fn split(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with('/') {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((c, p)) if !c.starts_with('.') => (Some(c), p),
        _ => (None, arg),
    }
}

/// An absolute local path, keeping a trailing `/` or `/.` (they mean something to cp).
fn absolute(path: &str) -> PathBuf {
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut abs = base.join(path).to_string_lossy().to_string();
    if (path.ends_with('/') || path.ends_with("/.") || path == ".") && !abs.ends_with('/') {
        // join keeps "/." as is; a trailing "/" is kept by the string itself.
    }
    if path.ends_with('/') && !abs.ends_with('/') {
        abs.push('/');
    }
    PathBuf::from(abs)
}

pub fn cp(store: &Store, a: CpArgs) -> CmdResult {
    if a.src.is_empty() {
        return Err(super::Failure::new("source can not be empty".into(), 1));
    }
    if a.dest.is_empty() {
        return Err(super::Failure::new(
            "destination can not be empty".into(),
            1,
        ));
    }
    // Docker's CLI: quiet unless stdout is a terminal (or -q asked for it anyway).
    let quiet = a.quiet || !io::stdout().is_terminal();
    match (split(a.src), split(a.dest)) {
        ((Some(c), path), (None, dest)) => from_container(store, c, path, dest, &a, quiet),
        ((None, src), (Some(c), path)) => to_container(store, src, c, path, &a, quiet),
        ((Some(_), _), (Some(_), _)) => Err(EngineError::from(CpFailure::BetweenContainers).into()),
        _ => Err(EngineError::from(CpFailure::NoContainer).into()),
    }
}

/// Docker's copySummary (on stderr, only when not quiet).
fn summary(content: u64, transferred: u64, dest: &str) {
    let line = if content == transferred {
        format!("Successfully copied {} to {dest}", human_size(content))
    } else {
        format!(
            "Successfully copied {} (transferred {}) to {dest}",
            human_size(content),
            human_size(transferred)
        )
    };
    eprintln!("{line}");
}

fn local_dest(path: &Path, shown: &str) -> Dest {
    let meta = std::fs::metadata(path);
    Dest {
        exists: meta.is_ok(),
        is_dir: meta.is_ok_and(|m| m.is_dir()),
        trailing_slash: shown.ends_with('/'),
    }
}

fn from_container(
    store: &Store,
    container: &str,
    path: &str,
    dest: &str,
    a: &CpArgs,
    quiet: bool,
) -> CmdResult {
    if dest == "-" {
        store.copy_from_container(container, path, a.follow_link, |_, r| {
            let mut out = io::stdout().lock();
            io::copy(r, &mut out).map_err(|e| EngineError::io("-", e))?;
            out.flush().map_err(|e| EngineError::io("-", e))
        })?;
        return Ok(0);
    }
    let abs = absolute(dest);
    let shown = abs.to_string_lossy().to_string();
    let top = cp::top_name(path);
    let (found, transferred) =
        store.copy_from_container(container, path, a.follow_link, |found, r| {
            let kind = match (found.is_dir, path.ends_with("/.")) {
                (true, true) => SrcKind::DirContents,
                (true, false) => SrcKind::Dir,
                _ => SrcKind::File,
            };
            let clean = PathBuf::from(shown.trim_end_matches('/'));
            let place = cp::plan(kind, local_dest(&clean, &shown), &shown)?;
            let (dir, rename) = match place {
                Place::Into => (clean.clone(), None),
                Place::Contents => (clean.clone(), Some((top.clone(), ".".to_string()))),
                Place::AsName => {
                    let parent = clean.parent().unwrap_or(Path::new("/")).to_path_buf();
                    if !parent.is_dir() {
                        return Err(CpFailure::LocalMissing(parent.display().to_string()).into());
                    }
                    let name = clean
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    (parent, Some((top.clone(), name)))
                }
            };
            let how = Extract {
                rename_top: rename,
                owner: Owner::Caller,
            };
            let mut counted = Counting { inner: r, n: 0 };
            cp::extract_local(&dir, &mut counted, &how)?;
            // Docker counts the whole stream, the tar's end blocks too.
            let _ = io::copy(&mut counted, &mut io::sink());
            Ok((found, counted.n))
        })?;
    if !quiet {
        let content = if found.is_dir {
            transferred
        } else {
            found.size
        };
        summary(content, transferred, &shown);
    }
    Ok(0)
}

fn to_container(
    store: &Store,
    src: &str,
    container: &str,
    dest: &str,
    a: &CpArgs,
    quiet: bool,
) -> CmdResult {
    let shown = format!("{container}:{dest}");
    if src == "-" {
        let mut sent = 0;
        store.copy_to_container(container, dest, SrcKind::Stream, "", a.archive, |w| {
            let mut stdin = io::stdin().lock();
            sent = io::copy(&mut stdin, w).map_err(|e| EngineError::io("-", e))?;
            Ok(())
        })?;
        if !quiet {
            summary(sent, sent, &shown);
        }
        return Ok(0);
    }
    let abs = absolute(src);
    let clean = PathBuf::from(
        abs.to_string_lossy()
            .trim_end_matches("/.")
            .trim_end_matches('/'),
    );
    let meta = if a.follow_link {
        std::fs::metadata(&clean)
    } else {
        std::fs::symlink_metadata(&clean)
    };
    let Ok(meta) = meta else {
        return Err(EngineError::from(CpFailure::LocalMissing(clean.display().to_string())).into());
    };
    let kind = match (meta.is_dir(), src.ends_with("/.")) {
        (true, true) => SrcKind::DirContents,
        (true, false) => SrcKind::Dir,
        _ => SrcKind::File,
    };
    let top = cp::top_name(&clean.to_string_lossy());
    let mut sent = 0;
    store.copy_to_container(container, dest, kind, &top, a.archive, |w| {
        let mut counted = CountingWriter { inner: w, n: 0 };
        let res = cp::pack_local(&mut counted, &clean, a.follow_link, &top);
        sent = counted.n;
        res
    })?;
    if !quiet {
        summary(cp::content_size(&clean), sent, &shown);
    }
    Ok(0)
}

struct Counting<'a> {
    inner: &'a mut dyn Read,
    n: u64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

struct CountingWriter<'a> {
    inner: &'a mut dyn Write,
    n: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_as_dockers_cli_does() {
        assert_eq!(split("web:/etc/hosts"), (Some("web"), "/etc/hosts"));
        assert_eq!(split("/abs:path"), (None, "/abs:path"));
        assert_eq!(split("./a:b"), (None, "./a:b"));
        assert_eq!(split("file"), (None, "file"));
        assert_eq!(split("-"), (None, "-"));
    }
}
