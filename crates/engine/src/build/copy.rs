//! COPY and ADD: sources from the context or an image, staged into a layer.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Context;
use super::builder::{Builder, Stage};
use super::cache::cache_key;
use super::dockerfile::expand;
use super::error::{BuildError, Result};
use super::ignore::has_included;
use crate::archive;
use crate::pattern::component_match;

/// Split a path into clean components; `..` beyond the top is refused (None).
fn clean_components(p: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(n) => out.push(n.to_string_lossy().to_string()),
            Component::ParentDir => {
                out.pop()?;
            }
            _ => {}
        }
    }
    Some(out)
}

/// Lexically clean an absolute container path; `..` stops at `/`, as in Docker.
pub(super) fn clean_abs(p: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(n) => out.push(n.to_string_lossy().to_string()),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Where COPY reads from: the build context, or an image's layers (`COPY --from`).
pub(super) enum Source<'a> {
    Context(&'a Context),
    Image(Vec<PathBuf>),
}

impl Source<'_> {
    /// The file at `rel` (no symlink followed on the way), if it exists and is visible.
    pub(super) fn lookup(&self, rel: &[String]) -> Option<(PathBuf, fs::Metadata)> {
        match self {
            Source::Context(ctx) => {
                let found = walk_no_symlinks(&ctx.root, rel)?;
                if !rel.is_empty() && ctx.ignore.excluded(&rel.join("/")) {
                    // An excluded dir still holds what a `!` exception brings back.
                    let keep = ctx.ignore.has_exceptions()
                        && found.1.is_dir()
                        && has_included(&ctx.ignore, &found.0, &rel.join("/"));
                    if !keep {
                        return None;
                    }
                }
                Some(found)
            }
            Source::Image(lowers) => {
                if !archive::exists_in_layers(lowers, &format!("/{}", rel.join("/"))) {
                    return None;
                }
                lowers.iter().find_map(|l| walk_no_symlinks(l, rel))
            }
        }
    }

    /// The names in dir `rel`, merged across layers for an image.
    fn list(&self, rel: &[String]) -> Vec<String> {
        let mut names = std::collections::BTreeSet::new();
        let dirs: Vec<PathBuf> = match self {
            Source::Context(ctx) => vec![ctx.root.clone()],
            Source::Image(lowers) => lowers.clone(),
        };
        for d in dirs {
            let Some((abs, m)) = walk_no_symlinks(&d, rel) else {
                continue;
            };
            if !m.is_dir() {
                continue;
            }
            if let Ok(rd) = fs::read_dir(&abs) {
                for e in rd.flatten() {
                    names.insert(e.file_name().to_string_lossy().to_string());
                }
            }
        }
        names
            .into_iter()
            .filter(|n| {
                let mut child = rel.to_vec();
                child.push(n.clone());
                self.lookup(&child)
                    .is_some_and(|(_, m)| !archive::is_whiteout(&m))
            })
            .collect()
    }
}

/// Follow the image's symlinks along a container path, inside the image's root (as Docker
/// resolves COPY destinations): on debian `/bin` is a link to `usr/bin`, and writing a real
/// `bin/` dir into a layer would hide everything in it.
pub(super) fn resolve_in_image(lowers: &[PathBuf], comps: &[String]) -> Vec<String> {
    let image = Source::Image(lowers.to_vec());
    let mut out: Vec<String> = Vec::new();
    let mut queue: std::collections::VecDeque<String> = comps.iter().cloned().collect();
    let mut hops = 0;
    while let Some(c) = queue.pop_front() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                out.pop();
                continue;
            }
            _ => out.push(c),
        }
        let Some((abs, m)) = image.lookup(&out) else {
            continue;
        };
        if !m.file_type().is_symlink() || hops >= 40 {
            continue;
        }
        hops += 1;
        let Ok(target) = fs::read_link(&abs) else {
            continue;
        };
        out.pop();
        let target = target.to_string_lossy().to_string();
        if target.starts_with('/') {
            out.clear();
        }
        for (i, t) in target.split('/').enumerate() {
            queue.insert(i, t.to_string());
        }
    }
    out
}

/// `root/rel` by lstat, refusing to pass through a symlink (it could point anywhere).
fn walk_no_symlinks(root: &Path, rel: &[String]) -> Option<(PathBuf, fs::Metadata)> {
    let mut cur = root.to_path_buf();
    let mut meta = fs::symlink_metadata(&cur).ok()?;
    for (i, c) in rel.iter().enumerate() {
        if i > 0 && !meta.is_dir() {
            return None;
        }
        cur.push(c);
        meta = fs::symlink_metadata(&cur).ok()?;
    }
    if archive::is_whiteout(&meta) {
        return None;
    }
    Some((cur, meta))
}

fn is_tar_archive(path: &Path) -> bool {
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let mut head = vec![0u8; 512];
    let n = f.read(&mut head).unwrap_or(0);
    if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        let Ok(f) = fs::File::open(path) else {
            return false;
        };
        let mut gz = flate2::read::MultiGzDecoder::new(f);
        let mut inner = vec![0u8; 512];
        return gz.read_exact(&mut inner).is_ok() && &inner[257..262] == b"ustar";
    }
    n >= 262 && &head[257..262] == b"ustar"
}

impl Builder<'_> {
    pub(super) fn copy(
        &mut self,
        stage: &mut Stage,
        add: bool,
        args: &[String],
        chown: Option<&str>,
        from: Option<&str>,
    ) -> Result<()> {
        let esc = self.escape;
        let vars = |n: &str| stage.var(n);
        let mut words: Vec<String> = args.iter().map(|a| expand(a, &vars, esc)).collect();
        let chown = chown.map(|c| expand(c, &vars, esc));
        let from = from.map(|f| expand(f, &vars, esc));
        let dest = words.pop().unwrap_or_default();
        let keyword = if add { "ADD" } else { "COPY" };
        let workdir = if stage.config.config.working_dir.is_empty() {
            "/".to_string()
        } else {
            stage.config.config.working_dir.clone()
        };
        let dest_is_dir = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
        let dest_abs = if dest.starts_with('/') {
            dest.clone()
        } else {
            format!("{}/{dest}", workdir.trim_end_matches('/'))
        };
        let dest_comps = clean_abs(&dest_abs);

        let source_image;
        let ctx = self.ctx.clone();
        let source = match &from {
            None => Source::Context(&ctx),
            Some(name) => {
                let img = match self.stage_image(name) {
                    Some(img) => img,
                    None => {
                        self.image(name)
                            .map_err(|_| BuildError::NoSuchStage(name.clone()))?
                            .0
                    }
                };
                source_image = img;
                Source::Image(self.store.lower_dirs(&source_image)?)
            }
        };

        // Resolve sources: (path components, metadata).
        let mut items: Vec<(Vec<String>, PathBuf, fs::Metadata)> = Vec::new();
        for w in &words {
            if add && (w.starts_with("http://") || w.starts_with("https://")) {
                return Err(BuildError::AddUrl(w.clone()));
            }
            let comps = clean_components(w).ok_or_else(|| BuildError::OutsideContext(w.clone()))?;
            if comps.iter().any(|c| has_glob(c)) {
                let found = glob_sources(&source, &comps);
                if found.is_empty() {
                    return Err(BuildError::NotFound(w.clone()));
                }
                for c in found {
                    if let Some((abs, m)) = source.lookup(&c) {
                        items.push((c, abs, m));
                    }
                }
            } else {
                let (abs, m) = source
                    .lookup(&comps)
                    .ok_or_else(|| BuildError::NotFound(w.clone()))?;
                items.push((comps, abs, m));
            }
        }
        let multiple = items.len() > 1 || words.len() > 1;
        if multiple && !dest_is_dir {
            return Err(BuildError::DestNotDir);
        }

        // The cache key: what is copied (paths, modes, contents), where, and as whom.
        let mut h = Sha256::new();
        for (comps, abs, meta) in &items {
            hash_tree(&source, comps, abs, meta, &mut h)?;
        }
        let hash = hex::encode(h.finalize());
        let kind = match items.as_slice() {
            [(_, _, m)] if m.is_dir() => "dir",
            [_] => "file",
            _ => "multi",
        };
        let created_by = format!("/bin/sh -c #(nop) {keyword} {kind}:{hash} in {dest} ");
        let key = cache_key(
            &stage.image.id,
            &format!(
                "{created_by}\n{}\n{}",
                chown.as_deref().unwrap_or(""),
                from.as_deref().unwrap_or("")
            ),
        );
        if self.cached(stage, &key)? {
            return Ok(());
        }
        // BuildKit's history names the sources and the destination as written (no flags).
        let created_by = if self.opts.buildkit {
            format!("{keyword} {} {dest} # buildkit", words.join(" "))
        } else {
            created_by
        };

        let lowers = self.store.lower_dirs(&stage.image)?;
        let dest_comps = resolve_in_image(&lowers, &dest_comps);
        let owner = match &chown {
            Some(spec) => Some(resolve_chown(&lowers, spec)?),
            None => None,
        };
        let image_dest_is_dir = Source::Image(lowers.clone())
            .lookup(&dest_comps)
            .is_some_and(|(_, m)| m.is_dir());
        let staging = self.store.tmp_path("build");
        let res = (|| -> Result<_> {
            fs::create_dir_all(&staging).map_err(|e| BuildError::io(&staging, e))?;
            for (comps, abs, meta) in &items {
                let into_dir = meta.is_dir()
                    || dest_is_dir
                    || image_dest_is_dir
                    || (add && meta.is_file() && is_tar_archive(abs));
                if add && meta.is_file() && is_tar_archive(abs) {
                    let dir = ensure_dir(&staging, &dest_comps, &lowers, None)?;
                    let f = fs::File::open(abs).map_err(|e| BuildError::io(abs, e))?;
                    let mut head = [0u8; 2];
                    let gz = fs::File::open(abs)
                        .and_then(|mut f| f.read_exact(&mut head))
                        .is_ok()
                        && head == [0x1f, 0x8b];
                    let mut reader: Box<dyn Read> = if gz {
                        Box::new(flate2::read::MultiGzDecoder::new(f))
                    } else {
                        Box::new(f)
                    };
                    archive::unpack(&mut reader, &dir)?;
                    continue;
                }
                if meta.is_dir() {
                    let dir = ensure_dir(&staging, &dest_comps, &lowers, owner)?;
                    copy_tree(&source, comps, &dir, owner)?;
                } else if into_dir {
                    let dir = ensure_dir(&staging, &dest_comps, &lowers, None)?;
                    let name = comps.last().cloned().unwrap_or_default();
                    copy_entry(abs, meta, &dir.join(name), owner)?;
                } else {
                    let (parent, name) = match dest_comps.split_last() {
                        Some((n, p)) => (p.to_vec(), n.clone()),
                        None => (Vec::new(), comps.last().cloned().unwrap_or_default()),
                    };
                    let dir = ensure_dir(&staging, &parent, &lowers, None)?;
                    copy_entry(abs, meta, &dir.join(name), owner)?;
                }
            }
            Ok(self.store.write_layer_from_dir(&staging)?)
        })();
        archive::remove_tree(&staging);
        let layer = res?;
        self.finish(stage, &key, created_by, Some(layer))
    }
}

/// Context paths matching a pattern with `*`/`?` in its components.
fn glob_sources(source: &Source, pat: &[String]) -> Vec<Vec<String>> {
    let mut found = vec![Vec::new()];
    for p in pat {
        let mut next = Vec::new();
        for base in &found {
            if has_glob(p) {
                for name in source.list(base) {
                    if component_match(p, &name) {
                        let mut c: Vec<String> = base.clone();
                        c.push(name);
                        next.push(c);
                    }
                }
            } else {
                let mut c = base.clone();
                c.push(p.clone());
                if source.lookup(&c).is_some() {
                    next.push(c);
                }
            }
        }
        found = next;
    }
    found
}

/// Hash a source tree: relative paths, types, modes, contents, link targets.
fn hash_tree(
    source: &Source,
    comps: &[String],
    abs: &Path,
    meta: &fs::Metadata,
    h: &mut Sha256,
) -> Result<()> {
    h.update(comps.join("/").as_bytes());
    h.update([0u8]);
    h.update((meta.mode() & 0o170777).to_be_bytes());
    if meta.file_type().is_symlink() {
        let t = fs::read_link(abs).map_err(|e| BuildError::io(abs, e))?;
        h.update(t.as_os_str().as_encoded_bytes());
    } else if meta.is_file() {
        let mut f = fs::File::open(abs).map_err(|e| BuildError::io(abs, e))?;
        let mut fh = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf).map_err(|e| BuildError::io(abs, e))?;
            if n == 0 {
                break;
            }
            fh.update(&buf[..n]);
        }
        h.update(fh.finalize());
    } else if meta.is_dir() {
        for name in source.list(comps) {
            let mut c = comps.to_vec();
            c.push(name);
            if let Some((a, m)) = source.lookup(&c) {
                hash_tree(source, &c, &a, &m, h)?;
            }
        }
    }
    h.update([0xffu8]);
    Ok(())
}

/// Create `rel` under the staging dir; dirs the image already has keep their mode and owner
/// (the layer's entry replaces the image's), new ones are 0755 (owned by `owner` or root).
pub(super) fn ensure_dir(
    staging: &Path,
    rel: &[String],
    lowers: &[PathBuf],
    owner: Option<(u32, u32)>,
) -> Result<PathBuf> {
    let image = Source::Image(lowers.to_vec());
    let mut cur = staging.to_path_buf();
    for i in 0..rel.len() {
        cur.push(&rel[i]);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {
                let _ = fs::remove_file(&cur);
            }
            Err(_) => {}
        }
        fs::create_dir(&cur).map_err(|e| BuildError::io(&cur, e))?;
        let (mode, uid, gid) = match image.lookup(&rel[..=i]) {
            Some((_, m)) if m.is_dir() => (m.mode() & 0o7777, m.uid(), m.gid()),
            _ => {
                let (u, g) = if i + 1 == rel.len() {
                    owner.unwrap_or((0, 0))
                } else {
                    (0, 0)
                };
                (0o755, u, g)
            }
        };
        fs::set_permissions(&cur, fs::Permissions::from_mode(mode))
            .map_err(|e| BuildError::io(&cur, e))?;
        set_owner(&cur, uid, gid)?;
    }
    Ok(cur)
}

fn set_owner(path: &Path, uid: u32, gid: u32) -> Result<()> {
    if crate::runtime::sys::geteuid() != 0 {
        return Ok(());
    }
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).map_err(|e| BuildError::io(path, e))
}

/// Copy one file, symlink or (empty) dir to `dst` (never following symlinks).
fn copy_entry(
    src: &Path,
    meta: &fs::Metadata,
    dst: &Path,
    owner: Option<(u32, u32)>,
) -> Result<()> {
    if let Ok(m) = fs::symlink_metadata(dst) {
        if m.is_dir() && !meta.is_dir() {
            archive::remove_tree(dst);
        } else if !m.is_dir() {
            let _ = fs::remove_file(dst);
        }
    }
    let (uid, gid) = owner.unwrap_or((0, 0));
    if meta.file_type().is_symlink() {
        let t = fs::read_link(src).map_err(|e| BuildError::io(src, e))?;
        std::os::unix::fs::symlink(&t, dst).map_err(|e| BuildError::io(dst, e))?;
        return set_owner(dst, uid, gid);
    }
    if meta.is_dir() {
        if !dst.is_dir() {
            fs::create_dir(dst).map_err(|e| BuildError::io(dst, e))?;
        }
    } else if meta.is_file() {
        let mut input = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(src)
            .map_err(|e| BuildError::io(src, e))?;
        let mut out = fs::File::create(dst).map_err(|e| BuildError::io(dst, e))?;
        std::io::copy(&mut input, &mut out).map_err(|e| BuildError::io(dst, e))?;
    } else {
        // Sockets, fifos and devices are not copied into images.
        return Ok(());
    }
    fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(|e| BuildError::io(dst, e))?;
    set_owner(dst, uid, gid)?;
    if meta.is_file() {
        // Docker keeps a copied file's modification time.
        let _ = fs::File::options()
            .write(true)
            .open(dst)
            .and_then(|f| f.set_modified(meta.modified()?));
    }
    Ok(())
}

fn copy_tree(
    source: &Source,
    comps: &[String],
    dst: &Path,
    owner: Option<(u32, u32)>,
) -> Result<()> {
    for name in source.list(comps) {
        let mut c = comps.to_vec();
        c.push(name.clone());
        let Some((abs, meta)) = source.lookup(&c) else {
            continue;
        };
        let target = dst.join(&name);
        copy_entry(&abs, &meta, &target, owner)?;
        if meta.is_dir() {
            copy_tree(source, &c, &target, owner)?;
        }
    }
    Ok(())
}

/// `--chown=user[:group]`: numbers, or names looked up in the image's passwd and group files.
fn resolve_chown(lowers: &[PathBuf], spec: &str) -> Result<(u32, u32)> {
    let (user, group) = spec.split_once(':').unwrap_or((spec, spec));
    let image = Source::Image(lowers.to_vec());
    let read = |file: &str| -> String {
        image
            .lookup(&["etc".to_string(), file.to_string()])
            .filter(|(_, m)| m.is_file())
            .and_then(|(p, _)| fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    let lookup = |text: &str, name: &str| -> Option<(u32, u32)> {
        text.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name) && f.len() >= 4)
                .then(|| (f[2].parse().unwrap_or(0), f[3].parse().unwrap_or(0)))
        })
    };
    let uid = match user.parse::<u32>() {
        Ok(n) => n,
        Err(_) => lookup(&read("passwd"), user)
            .map(|(u, _)| u)
            .ok_or_else(|| BuildError::NoSuchUser(user.to_string()))?,
    };
    let gid = match group.parse::<u32>() {
        Ok(n) => n,
        Err(_) => lookup(&read("group"), group)
            .map(|(g, _)| g)
            .or_else(|| lookup(&read("passwd"), group).map(|(_, g)| g))
            .ok_or_else(|| BuildError::NoSuchUser(group.to_string()))?,
    };
    Ok((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_components_refuses_escapes() {
        assert_eq!(clean_components("../x"), None);
        assert_eq!(clean_components("a/../../x"), None);
        assert_eq!(
            clean_components("./a/./b/../c"),
            Some(vec!["a".to_string(), "c".to_string()])
        );
    }
}
