//! A tree as tar entries and back, through directory descriptors only (`docker cp`): packing
//! opens every child relative to its parent with O_NOFOLLOW, extracting creates every entry
//! relative to its parent and never walks through a symlink. A container that swaps a
//! directory for a symlink meanwhile gets an error, never a path outside its root.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::CpFailure;
use crate::archive::{Leaf, append_leaf_from};
use crate::runtime::sys::dirfd as at;
use crate::{EngineError, Result};

fn io_err(what: &str) -> impl Fn(io::Error) -> EngineError + '_ {
    move |e| EngineError::io(what, e)
}

/// Write the resource open as `fd` (O_PATH, not following a symlink) as tar entries under the
/// name `top` (a directory's children as `top/…`) to `out`. Returns the bytes written.
pub fn pack(out: &mut dyn Write, fd: OwnedFd, top: &str) -> Result<()> {
    let mut builder = tar::Builder::new(out);
    builder.mode(tar::HeaderMode::Complete);
    builder.follow_symlinks(false);
    let mut links = HashMap::new();
    pack_node(&mut builder, fd, top, &mut links)?;
    builder.finish().map_err(io_err(top))
}

fn pack_node<W: Write>(
    builder: &mut tar::Builder<W>,
    fd: OwnedFd,
    name: &str,
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> Result<()> {
    let meta = at::metadata_fd(&fd).map_err(io_err(name))?;
    let mut h = tar::Header::new_gnu();
    h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    if meta.is_dir() {
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        builder
            .append_data(&mut h, format!("{name}/"), io::empty())
            .map_err(io_err(name))?;
        for child in at::list_dir_fd(&fd).map_err(io_err(name))? {
            let child_name = format!("{name}/{}", child.to_string_lossy());
            // O_PATH | O_NOFOLLOW: a symlink is taken as itself, whatever it points at now.
            match at::open_at(&fd, &child, libc::O_PATH, 0) {
                Ok(c) => pack_node(builder, c, &child_name, links)?,
                // Gone since the listing (a running container changes its files): skipped.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(EngineError::io(&child_name, e)),
            }
        }
        return Ok(());
    }
    let shown = PathBuf::from(name);
    // /proc/self/fd/N reopens the very inode held, not a path the container could change.
    let reopen = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let leaf = Leaf {
        shown: &shown,
        read_link: &|| at::read_link_fd(&fd),
        open: &|| File::open(&reopen),
    };
    append_leaf_from(builder, h, Path::new(name), &meta, links, leaf)
}

/// Whose files an extraction makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The uid/gid in the archive (`docker cp -a`).
    Archive,
    /// The container's root (Docker's default for a copy into a container).
    Root,
    /// Whoever runs the copy (a copy out to the host, as Docker's client extracts).
    Caller,
}

/// How entries land: the first path component `from` becomes `to` ("." for "in the
/// destination itself"), and who owns them.
pub struct Extract {
    pub rename_top: Option<(String, String)>,
    pub owner: Owner,
}

/// The cleaned components of an entry's name after the rename; `..` is refused.
fn components(raw: &[u8], rename: Option<(&str, &str)>) -> Result<Vec<OsString>> {
    let mut name = String::from_utf8_lossy(raw).to_string();
    if let Some((from, to)) = rename {
        let trimmed = name.trim_start_matches("./").to_string();
        if trimmed == from || trimmed.trim_end_matches('/') == from {
            name = to.to_string();
        } else if let Some(rest) = trimmed.strip_prefix(&format!("{from}/")) {
            name = format!("{to}/{rest}");
        }
    }
    let mut out = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(EngineError::UnsafePath(name.clone())),
            c => out.push(OsString::from(c)),
        }
    }
    Ok(out)
}

/// Open (creating as needed) the directory `comps` under `dest`, one component at a time.
fn walk_dirs(dest: &OwnedFd, comps: &[OsString], shown: &str) -> Result<OwnedFd> {
    let mut cur = dest.try_clone().map_err(io_err(shown))?;
    for c in comps {
        let open = |cur: &OwnedFd| at::open_at(cur, c, libc::O_PATH | libc::O_DIRECTORY, 0);
        let next = match open(&cur) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                at::mkdir_at(&cur, c, 0o755)
                    .or_else(|e| {
                        if e.kind() == io::ErrorKind::AlreadyExists {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })
                    .map_err(io_err(shown))?;
                open(&cur).map_err(|e| through(shown, e))?
            }
            Err(e) => return Err(through(shown, e)),
        };
        cur = next;
    }
    Ok(cur)
}

/// ELOOP / ENOTDIR on the way: a symlink or a file where a directory should be.
fn through(shown: &str, e: io::Error) -> EngineError {
    match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::ENOTDIR) => CpFailure::NotADirectory(shown.into()).into(),
        _ => EngineError::io(shown, e),
    }
}

fn is_dir_at(dir: &OwnedFd, name: &OsStr) -> bool {
    at::open_at(dir, name, libc::O_PATH | libc::O_DIRECTORY, 0).is_ok()
}

/// Extract the tar stream `input` under the directory `dest`. Returns the bytes read.
pub fn extract(dest: &OwnedFd, input: &mut dyn Read, how: &Extract) -> Result<u64> {
    let rename = how
        .rename_top
        .as_ref()
        .map(|(a, b)| (a.as_str(), b.as_str()));
    let mut counted = CountingReader { inner: input, n: 0 };
    let mut archive = tar::Archive::new(&mut counted);
    let mut dir_times: Vec<(Vec<OsString>, u64)> = Vec::new();
    for entry in archive.entries().map_err(io_err("-"))? {
        let mut entry = entry.map_err(io_err("-"))?;
        let raw = entry.path_bytes().to_vec();
        let shown = String::from_utf8_lossy(&raw).to_string();
        let comps = components(&raw, rename)?;
        let Some((leaf, parents)) = comps.split_last() else {
            continue; // the destination itself
        };
        let dir = walk_dirs(dest, parents, &shown)?;
        let h = entry.header().clone();
        let mode = h.mode().unwrap_or(0o644) & 0o7777;
        let mtime = h.mtime().unwrap_or(0);
        let ids = match how.owner {
            Owner::Archive => Some((h.uid().unwrap_or(0) as u32, h.gid().unwrap_or(0) as u32)),
            Owner::Root => Some((0, 0)),
            Owner::Caller => None,
        };
        let kind = h.entry_type();
        let e = io_err(&shown);
        if kind.is_dir() {
            match at::mkdir_at(&dir, leaf, 0o700) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                    if !is_dir_at(&dir, leaf) {
                        return Err(CpFailure::DirOverNonDir(shown.clone()).into());
                    }
                }
                Err(err) => return Err(e(err)),
            }
            if let Some((u, g)) = ids {
                let _ = at::chown_at(&dir, leaf, u, g);
            }
            let fd = at::open_at(&dir, leaf, libc::O_RDONLY | libc::O_DIRECTORY, 0)
                .map_err(|err| through(&shown, err))?;
            at::chmod_fd(&fd, mode).map_err(&e)?;
            dir_times.push((comps.clone(), mtime));
            continue;
        }
        if kind.is_file()
            || kind == tar::EntryType::Continuous
            || kind.is_symlink()
            || kind.is_hard_link()
        {
            // Whatever non-directory is there is replaced, as Docker's extraction does.
            if is_dir_at(&dir, leaf) {
                return Err(CpFailure::NonDirOverDir(shown.clone()).into());
            }
            match at::unlink_at(&dir, leaf, false) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(e(err)),
            }
        } else {
            continue; // devices, fifos: not copied
        }
        if kind.is_symlink() {
            let target = entry
                .link_name_bytes()
                .map(|b| OsStr::from_bytes(&b).to_os_string())
                .unwrap_or_default();
            at::symlink_at(&target, &dir, leaf).map_err(&e)?;
            if let Some((u, g)) = ids {
                let _ = at::chown_at(&dir, leaf, u, g);
            }
            let _ = at::set_mtime_at(&dir, leaf, mtime);
            continue;
        }
        if kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|b| b.to_vec())
                .unwrap_or_default();
            let tcomps = components(&target, rename)?;
            let Some((tleaf, tparents)) = tcomps.split_last() else {
                return Err(EngineError::UnsafePath(shown.clone()));
            };
            let tdir = walk_dirs(dest, tparents, &shown)?;
            at::link_at(&tdir, tleaf, &dir, leaf).map_err(&e)?;
            continue;
        }
        let fd = at::open_at(
            &dir,
            leaf,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
            0o600,
        )
        .map_err(|err| through(&shown, err))?;
        let mut f = File::from(fd);
        io::copy(&mut entry, &mut f).map_err(&e)?;
        let fd = OwnedFd::from(f);
        if let Some((u, g)) = ids {
            let _ = at::chown_at(&dir, leaf, u, g);
        }
        // After chown, which clears set-id bits.
        at::chmod_fd(&fd, mode).map_err(&e)?;
        let _ = at::set_mtime_at(&dir, leaf, mtime);
    }
    // Directory times last: filling a directory changes its mtime.
    for (comps, mtime) in dir_times.into_iter().rev() {
        if let Some((leaf, parents)) = comps.split_last()
            && let Ok(dir) = walk_dirs(dest, parents, "")
        {
            let _ = at::set_mtime_at(&dir, leaf, mtime);
        }
    }
    Ok(counted.n)
}

/// Regular-file bytes under an ordinary path (Docker's localContentSize for the summary).
pub fn content_size(path: &Path) -> u64 {
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !m.is_dir() {
        return if m.is_file() { m.size() } else { 0 };
    }
    std::fs::read_dir(path)
        .map(|rd| rd.flatten().map(|e| content_size(&e.path())).sum())
        .unwrap_or(0)
}

struct CountingReader<'a> {
    inner: &'a mut dyn Read,
    n: u64,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_renamed_at_the_top_and_never_climb() {
        let c = |raw: &str, r| {
            components(raw.as_bytes(), r).map(|v| {
                v.iter()
                    .map(|s| s.to_string_lossy().to_string())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            c("src/a/b", Some(("src", "dst"))).unwrap(),
            ["dst", "a", "b"]
        );
        assert_eq!(c("src/", Some(("src", "."))).unwrap(), Vec::<String>::new());
        assert_eq!(c("./src/x", Some(("src", "."))).unwrap(), ["x"]);
        assert_eq!(c("srcx/y", Some(("src", "d"))).unwrap(), ["srcx", "y"]);
        assert!(matches!(
            c("a/../../etc", None),
            Err(EngineError::UnsafePath(_))
        ));
    }

    #[test]
    fn packing_and_extracting_keep_the_tree_and_refuse_to_walk_through_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        std::fs::create_dir_all(src.join("d")).unwrap();
        std::fs::write(src.join("d/f"), "hello").unwrap();
        std::os::unix::fs::symlink("/etc", src.join("l")).unwrap();
        let fd = at::open_at(
            &at::open_dir_path(tmp.path()).unwrap(),
            OsStr::new("src"),
            libc::O_PATH,
            0,
        )
        .unwrap();
        let mut tar = Vec::new();
        pack(&mut tar, fd, "src").unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let dest = at::open_dir_path(&out).unwrap();
        let how = Extract {
            rename_top: Some(("src".into(), "copy".into())),
            owner: Owner::Caller,
        };
        extract(&dest, &mut tar.as_slice(), &how).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("copy/d/f")).unwrap(),
            "hello"
        );
        assert_eq!(
            std::fs::read_link(out.join("copy/l")).unwrap(),
            Path::new("/etc")
        );
        // An archive that writes through its own symlink is refused, not followed.
        let mut evil = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        evil.append_data(&mut h, "copy/l/escaped", &b"x"[..])
            .unwrap();
        let evil = evil.into_inner().unwrap();
        let plain = Extract {
            rename_top: None,
            owner: Owner::Caller,
        };
        assert!(extract(&dest, &mut evil.as_slice(), &plain).is_err());
        assert!(!Path::new("/etc/escaped").exists());
    }
}
