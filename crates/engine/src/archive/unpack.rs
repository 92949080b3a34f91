//! Unpacking a layer's tar stream with as few calls per entry as the result allows: a file is
//! an `openat(O_CREAT|O_EXCL|O_NOFOLLOW)` with its final mode, its writes, a `futimens` and a
//! `close`. Owner and mode are set only when the kernel's defaults would differ from the
//! archive's (another owner, a set-group-ID dir, bits the umask takes off, special bits), and
//! the parent dirs are checked once per unpack, not once per entry.
//!
//! Safety against a hostile layer is the same as checking every path each time: the dirs
//! remembered are ones this unpack made or found to be real dirs (never a symlink), and
//! anything that replaces a path (a later entry, a whiteout) forgets it and all below it.

use std::collections::HashMap;
use std::fs::{self, File, FileTimes};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use super::{COPY_BUF, remove_tree, set_opaque};
use super::{OPAQUE_MARKER, WHITEOUT_PREFIX, clean_path, corrupt, cstr, mknod_whiteout};
use crate::runtime::sys;
use crate::{EngineError, Result};

const S_ISGID: u32 = 0o2000;

/// How much an archive may unpack to: guards against decompression bombs, which stop at the
/// limit instead of filling the disk.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single file.
    pub entry: u64,
    /// Largest whole layer.
    pub layer: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            entry: 8 << 30,
            layer: 16 << 30,
        }
    }
}

/// Unpack a tar stream into `dest` (an empty dir), converting OCI whiteouts to overlayfs ones.
/// Returns the unpacked size in bytes.
pub fn unpack(reader: &mut dyn Read, dest: &Path) -> Result<u64> {
    unpack_limited(reader, dest, Limits::default())
}

/// [`unpack`] within `limits`.
pub fn unpack_limited(reader: &mut dyn Read, dest: &Path, limits: Limits) -> Result<u64> {
    let dest_meta = fs::symlink_metadata(dest).map_err(|e| EngineError::io(dest, e))?;
    let mut u = Unpacker {
        dest,
        limits,
        root: sys::geteuid() == 0,
        ids: (sys::geteuid(), sys::getegid()),
        umask: umask(),
        dest_setgid: dest_meta.mode() & S_ISGID != 0,
        dirs: HashMap::new(),
        buf: vec![0; COPY_BUF],
        total: 0,
        dir_times: Vec::new(),
    };
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(|e| EngineError::io(dest, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| corrupt(dest, e))?;
        u.entry(&mut entry)?;
    }
    // Last, and deepest first: creating entries in a dir changes its mtime.
    for (path, mtime) in u.dir_times.iter().rev() {
        sys::set_mtime_nofollow(path, *mtime);
    }
    Ok(u.total)
}

/// The process's umask, without changing it (umask(2) can only be read by setting it, which
/// would race other threads creating files). All bits when unknown: modes are then always set.
fn umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find_map(|l| l.strip_prefix("Umask:"))?;
            u32::from_str_radix(line.trim(), 8).ok()
        })
        .unwrap_or(0o777)
}

struct Unpacker<'a> {
    dest: &'a Path,
    limits: Limits,
    root: bool,
    /// Who new entries belong to when nobody says otherwise (effective uid and gid).
    ids: (u32, u32),
    umask: u32,
    dest_setgid: bool,
    /// Dirs under `dest` (relative) known to be real dirs, and whether each is set-group-ID.
    dirs: HashMap<PathBuf, bool>,
    buf: Vec<u8>,
    total: u64,
    dir_times: Vec<(PathBuf, u64)>,
}

/// What the archive says an entry should be.
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u64,
}

fn exists(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::AlreadyExists
}

impl Unpacker<'_> {
    fn entry(&mut self, entry: &mut tar::Entry<'_, &mut dyn Read>) -> Result<()> {
        let raw = entry
            .path()
            .map_err(|e| corrupt(self.dest, e))?
            .into_owned();
        let rel = clean_path(&raw)?;
        if rel.as_os_str().is_empty() {
            return Ok(()); // "./" itself
        }
        let header = entry.header();
        let meta = Meta {
            mode: header.mode().unwrap_or(0o644) & 0o7777,
            uid: header.uid().unwrap_or(0) as u32,
            gid: header.gid().unwrap_or(0) as u32,
            mtime: header.mtime().unwrap_or(0),
        };
        let kind = header.entry_type();
        let name = rel.file_name().map(OsStrExt::as_bytes).unwrap_or_default();

        if name == OPAQUE_MARKER.as_bytes() {
            let (dir, _) = self.ensure_parents(&rel)?;
            let dir = dir.parent().unwrap_or(self.dest).to_path_buf();
            if dir != self.dest {
                set_opaque(&dir)?;
            }
            return Ok(());
        }
        if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX.as_bytes()) {
            if hidden.is_empty() || hidden == b"." || hidden == b".." || hidden.contains(&b'/') {
                return Err(EngineError::UnsafePath(raw.display().to_string()));
            }
            let hidden = std::ffi::OsStr::from_bytes(hidden);
            let (path, _) = self.ensure_parents(&rel)?;
            let target = path.with_file_name(hidden);
            self.remove_existing(&rel.with_file_name(hidden), &target);
            return mknod_whiteout(&target);
        }

        let (path, parent_setgid) = self.ensure_parents(&rel)?;
        let chown = self.root && (self.ids != (meta.uid, meta.gid) || parent_setgid);
        if kind.is_dir() {
            return self.dir(rel, path, &meta, chown, parent_setgid);
        }
        if kind.is_symlink() {
            let target = entry
                .link_name()
                .map_err(|e| corrupt(self.dest, e))?
                .ok_or_else(|| EngineError::UnsafePath(raw.display().to_string()))?;
            self.create(&rel, &path, || std::os::unix::fs::symlink(&target, &path))?;
            if chown {
                lchown(&path, &meta)?;
            }
            sys::set_mtime_nofollow(&path, meta.mtime);
        } else if kind.is_hard_link() {
            let target = entry
                .link_name()
                .map_err(|e| corrupt(self.dest, e))?
                .ok_or_else(|| EngineError::UnsafePath(raw.display().to_string()))?;
            let target_rel = clean_path(&target)?;
            let (target_path, _) = self.ensure_parents(&target_rel)?;
            let tm = fs::symlink_metadata(&target_path).map_err(|_| {
                EngineError::UnsafePath(format!("{} (hardlink to a missing file)", raw.display()))
            })?;
            if tm.is_dir() {
                return Err(EngineError::UnsafePath(format!(
                    "{} (hardlink to a directory)",
                    raw.display()
                )));
            }
            self.create(&rel, &path, || fs::hard_link(&target_path, &path))?;
        } else if kind.is_file() || kind == tar::EntryType::Continuous || kind.is_gnu_sparse() {
            self.file(entry, &raw, &rel, &path, &meta, chown)?;
        } else if kind.is_fifo() {
            self.remove_existing(&rel, &path);
            cstr(&path)?;
            sys::mkfifo(&path, meta.mode);
            if chown {
                lchown(&path, &meta)?;
            }
        }
        // Device nodes are skipped: the runtime provides /dev, and an image must not bring its own.
        Ok(())
    }

    fn file(
        &mut self,
        entry: &mut tar::Entry<'_, &mut dyn Read>,
        raw: &Path,
        rel: &Path,
        path: &Path,
        meta: &Meta,
        chown: bool,
    ) -> Result<()> {
        let too_large = |limit: u64| EngineError::TooLarge {
            path: raw.display().to_string(),
            limit,
        };
        // The header's word first: a bomb of one huge file is refused before any write.
        if entry.size() > self.limits.entry {
            return Err(too_large(self.limits.entry));
        }
        // Created with its final mode when the kernel would give it exactly that; else 0600
        // until the owner and mode are set, so it is never more open than the archive says.
        let set_mode = chown || meta.mode & 0o7000 != 0 || meta.mode & self.umask != 0;
        let create_mode = if set_mode { 0o600 } else { meta.mode };
        let open = || {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW)
                .mode(create_mode)
                .open(path)
        };
        let mut out = match open() {
            Err(e) if exists(&e) => {
                self.remove_existing(rel, path);
                open()
            }
            other => other,
        }
        .map_err(|e| EngineError::io(path, e))?;
        let budget = self
            .limits
            .entry
            .min(self.limits.layer.saturating_sub(self.total) + 1);
        let n =
            copy(&mut entry.take(budget), &mut out, &mut self.buf).map_err(|e| corrupt(path, e))?;
        self.total += n;
        if self.total > self.limits.layer {
            return Err(too_large(self.limits.layer));
        }
        // Owner before mode: chown clears set-user-ID and set-group-ID bits.
        if chown {
            std::os::unix::fs::fchown(&out, Some(meta.uid), Some(meta.gid))
                .map_err(|e| EngineError::io(path, e))?;
        }
        if set_mode {
            out.set_permissions(fs::Permissions::from_mode(meta.mode))
                .map_err(|e| EngineError::io(path, e))?;
        }
        let t = UNIX_EPOCH + Duration::from_secs(meta.mtime);
        let _ = out.set_times(FileTimes::new().set_accessed(t).set_modified(t));
        Ok(())
    }

    fn dir(
        &mut self,
        rel: PathBuf,
        path: PathBuf,
        meta: &Meta,
        chown: bool,
        parent_setgid: bool,
    ) -> Result<()> {
        // A new dir in a set-group-ID dir is set-group-ID too, whatever its mode said.
        let mut set_mode =
            chown || parent_setgid || meta.mode & 0o7000 != 0 || meta.mode & self.umask != 0;
        if !self.dirs.contains_key(&rel) {
            let mkdir = || fs::DirBuilder::new().mode(meta.mode).create(&path);
            match mkdir() {
                Ok(()) => {}
                Err(e) if exists(&e) => {
                    set_mode = true;
                    match fs::symlink_metadata(&path) {
                        Ok(m) if m.is_dir() => {}
                        _ => {
                            self.remove_existing(&rel, &path);
                            mkdir().map_err(|e| EngineError::io(&path, e))?;
                        }
                    }
                }
                Err(e) => return Err(EngineError::io(&path, e)),
            }
        } else {
            set_mode = true; // made by ensure_parents, with the default mode
        }
        if chown {
            lchown(&path, meta)?;
        }
        if set_mode {
            fs::set_permissions(&path, fs::Permissions::from_mode(meta.mode))
                .map_err(|e| EngineError::io(&path, e))?;
        }
        self.dirs.insert(rel, meta.mode & S_ISGID != 0);
        self.dir_times.push((path, meta.mtime));
        Ok(())
    }

    /// Make something at `path` with `make`; what is already there (a later entry replacing
    /// an earlier one) is removed first.
    fn create(&mut self, rel: &Path, path: &Path, make: impl Fn() -> io::Result<()>) -> Result<()> {
        match make() {
            Err(e) if exists(&e) => {
                self.remove_existing(rel, path);
                make()
            }
            other => other,
        }
        .map_err(|e| EngineError::io(path, e))
    }

    /// Create the parent dirs of `rel`, refusing to pass through a symlink. Returns the entry's
    /// path and whether its parent dir is set-group-ID.
    fn ensure_parents(&mut self, rel: &Path) -> Result<(PathBuf, bool)> {
        let parent = rel.parent().unwrap_or(Path::new(""));
        let path = self.dest.join(rel);
        if parent.as_os_str().is_empty() {
            return Ok((path, self.dest_setgid));
        }
        if let Some(&setgid) = self.dirs.get(parent) {
            return Ok((path, setgid));
        }
        let mut cur = PathBuf::new();
        let mut setgid = self.dest_setgid;
        for comp in parent.components() {
            cur.push(comp);
            if let Some(&s) = self.dirs.get(&cur) {
                setgid = s;
                continue;
            }
            let abs = self.dest.join(&cur);
            let made = |abs: &Path| fs::create_dir(abs).map_err(|e| EngineError::io(abs, e));
            match fs::create_dir(&abs) {
                // A new dir inherits set-group-ID from its parent.
                Ok(()) => {}
                Err(e) if exists(&e) => match fs::symlink_metadata(&abs) {
                    Ok(m) if m.file_type().is_symlink() => {
                        return Err(EngineError::UnsafePath(format!(
                            "{} (passes through a symlink)",
                            rel.display()
                        )));
                    }
                    Ok(m) if m.is_dir() => setgid = m.mode() & S_ISGID != 0,
                    _ => {
                        // A file where a dir is needed: a later layer entry replaces it.
                        fs::remove_file(&abs).map_err(|e| EngineError::io(&abs, e))?;
                        made(&abs)?;
                    }
                },
                Err(e) => return Err(EngineError::io(&abs, e)),
            }
            self.dirs.insert(cur.clone(), setgid);
        }
        Ok((path, setgid))
    }

    /// Remove what is at `path` (`rel` under dest), forgetting the dirs it held.
    fn remove_existing(&mut self, rel: &Path, path: &Path) {
        if let Ok(m) = fs::symlink_metadata(path) {
            if m.is_dir() {
                self.dirs.retain(|d, _| !d.starts_with(rel));
                remove_tree(path);
            } else {
                let _ = fs::remove_file(path);
            }
        }
    }
}

fn lchown(path: &Path, meta: &Meta) -> Result<()> {
    cstr(path)?;
    sys::lchown(path, meta.uid, meta.gid).map_err(|e| EngineError::io(path, e))
}

/// io::copy through `buf`: each write as large as the buffer, filled by as many reads as it
/// takes (a gzip stream gives a few KiB per read).
fn copy(r: &mut dyn Read, w: &mut File, buf: &mut [u8]) -> io::Result<u64> {
    let mut total = 0u64;
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            match r.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == 0 {
            return Ok(total);
        }
        w.write_all(&buf[..filled])?;
        total += filled as u64;
        if filled < buf.len() {
            return Ok(total);
        }
    }
}
