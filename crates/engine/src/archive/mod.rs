//! Layer archives: unpacking that never writes outside its target, and packing a container's
//! upper dir into a layer with OCI whiteouts.
//!
//! Unpacking refuses absolute paths, `..` components, and any entry whose parent inside the
//! target is a symlink (so a symlink followed by a file "through" it can never escape), and
//! hardlinks whose target is outside. Symlinks themselves are created as they are: they are
//! only ever resolved inside the container's root, never by us.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use super::runtime::sys;
use super::{EngineError, Result};

mod unpack;
pub use unpack::{Limits, unpack, unpack_limited};

const WHITEOUT_PREFIX: &str = ".wh.";
/// Bytes a file's copy reads before each write (unpacking, packing): with std's 8 KiB, a
/// 10 MB file took ~1200 reads and writes.
pub(crate) const COPY_BUF: usize = 256 << 10;
const OPAQUE_MARKER: &str = ".wh..wh..opq";
const OPAQUE_XATTR: &str = "trusted.overlay.opaque";
/// What overlayfs uses in a user namespace (rootless), where trusted.* is not ours to set.
const OPAQUE_XATTR_USER: &str = "user.overlay.opaque";

fn is_root() -> bool {
    sys::geteuid() == 0
}

/// Turn an archive path into a safe relative path, or refuse it.
pub fn clean_path(raw: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for comp in raw.components() {
        match comp {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) | Component::ParentDir => {
                return Err(EngineError::UnsafePath(raw.display().to_string()));
            }
        }
    }
    Ok(out)
}

/// Remove a tree, never following symlinks; errors are ignored (best effort cleanup).
pub fn remove_tree(path: &Path) {
    if let Err(e) = fs::remove_dir_all(path)
        && e.kind() == io::ErrorKind::PermissionDenied
    {
        // Rootless, dirs we may not read cannot be listed, so remove_dir_all gives up on the
        // whole tree: overlayfs leaves `work/work` mode 000, a container may chmod its dirs
        // so, and a container's other users (subuid range) own dirs like nginx's 0700 cache.
        // Left as is, every such removed container would stay in `tmp/` for good.
        remove_tree_rootless(path);
        // What is left belongs to the container's other users: only root of a user
        // namespace mapped like the container's can see into it.
        if fs::symlink_metadata(path).is_ok() {
            super::runtime::remove_tree_as_container_root(path);
        }
    }
}

/// Depth first: dirs we own but may not read are opened up (u+rwx), dirs we may not read at
/// all are removed when empty (that takes only the parent's write permission).
fn remove_tree_rootless(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    // (dir, its entries already pushed)
    let mut todo = vec![(path.to_path_buf(), false)];
    while let Some((dir, listed)) = todo.pop() {
        if listed {
            let _ = fs::remove_dir(&dir);
            continue;
        }
        // lstat: a symlink is never followed, so nothing outside the tree changes.
        let Ok(meta) = fs::symlink_metadata(&dir) else {
            continue;
        };
        if !meta.is_dir() {
            let _ = fs::remove_file(&dir);
            continue;
        }
        let mode = meta.permissions().mode();
        if mode & 0o700 != 0o700 {
            let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(mode | 0o700));
        }
        todo.push((dir.clone(), true));
        if let Ok(rd) = fs::read_dir(&dir) {
            todo.extend(rd.flatten().map(|e| (e.path(), false)));
        }
    }
}

fn cstr(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| EngineError::UnsafePath(p.display().to_string()))
}

fn mknod_whiteout(path: &Path) -> Result<()> {
    cstr(path)?;
    sys::mknod_whiteout(path).map_err(|e| EngineError::io(path, e))
}

fn set_opaque(dir: &Path) -> Result<()> {
    cstr(dir)?;
    let key = if is_root() {
        OPAQUE_XATTR
    } else {
        OPAQUE_XATTR_USER
    };
    sys::lsetxattr(dir, key, b"y").map_err(|e| EngineError::io(dir, e))
}

pub fn is_opaque(dir: &Path) -> bool {
    if cstr(dir).is_err() {
        return false;
    }
    [OPAQUE_XATTR, OPAQUE_XATTR_USER].iter().any(|key| {
        let mut buf = [0u8; 4];
        sys::lgetxattr(dir, key, &mut buf) == Some(1) && buf[0] == b'y'
    })
}

pub fn is_whiteout(m: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_char_device() && m.rdev() == 0
}

fn corrupt(path: &Path, e: io::Error) -> EngineError {
    EngineError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("bad archive: {e}"),
    }
}

/// Paths the runtime creates or mounts over; never part of a diff or a commit.
pub fn is_runtime_path(rel: &str) -> bool {
    matches!(
        rel,
        "/etc/hostname" | "/etc/hosts" | "/etc/resolv.conf" | "/.dockerenv"
    ) || rel == "/proc"
        || rel == "/sys"
        || rel == "/dev"
        || rel.starts_with("/dev/")
        || rel.starts_with("/proc/")
        || rel.starts_with("/sys/")
}

/// One entry of a container's upper dir, as a change against its image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: char,
    pub path: String,
}

/// Walk an upper dir in sorted order, calling `f(rel_path, abs_path, metadata)`.
pub fn walk_sorted(
    root: &Path,
    f: &mut dyn FnMut(&str, &Path, &fs::Metadata) -> Result<()>,
) -> Result<()> {
    fn rec(
        root: &Path,
        dir: &Path,
        f: &mut dyn FnMut(&str, &Path, &fs::Metadata) -> Result<()>,
    ) -> Result<()> {
        let mut names: Vec<_> = match fs::read_dir(dir) {
            Ok(rd) => rd.flatten().map(|e| e.file_name()).collect(),
            Err(e) => return Err(EngineError::io(dir, e)),
        };
        names.sort();
        for name in names {
            let abs = dir.join(&name);
            let Ok(meta) = fs::symlink_metadata(&abs) else {
                continue;
            };
            let rel = format!(
                "/{}",
                abs.strip_prefix(root).unwrap_or(&abs).to_string_lossy()
            );
            f(&rel, &abs, &meta)?;
            if meta.is_dir() {
                rec(root, &abs, f)?;
            }
        }
        Ok(())
    }
    rec(root, root, f)
}

/// Does `rel` ("/a/b") exist in the image made of `lowers` (top layer first)?
pub fn exists_in_layers(lowers: &[PathBuf], rel: &str) -> bool {
    let rel = rel.trim_start_matches('/');
    if rel.is_empty() {
        return true;
    }
    let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
    for layer in lowers {
        // Walk down: a whiteout at any level hides everything below it; an opaque dir hides
        // lower layers below it.
        let mut cur = layer.clone();
        let mut opaque_hit = false;
        for (i, comp) in comps.iter().enumerate() {
            cur.push(comp);
            match fs::symlink_metadata(&cur) {
                Ok(m) if is_whiteout(&m) => return false,
                Ok(m) => {
                    if i + 1 == comps.len() {
                        return true;
                    }
                    if !m.is_dir() {
                        break;
                    }
                    if is_opaque(&cur) {
                        opaque_hit = true;
                    }
                }
                Err(_) => {
                    if opaque_hit {
                        return false;
                    }
                    break;
                }
            }
        }
    }
    false
}

/// What `docker diff` prints for a container: its upper dir against its image's layers.
pub fn diff(upper: &Path, lowers: &[PathBuf]) -> Result<Vec<Change>> {
    let mut out: Vec<Change> = Vec::new();
    walk_sorted(upper, &mut |rel, abs, meta| {
        if is_runtime_path(rel) {
            return Ok(());
        }
        if is_whiteout(meta) {
            out.push(Change {
                kind: 'D',
                path: rel.to_string(),
            });
        } else if exists_in_layers(lowers, rel) {
            // A directory that only holds other changes is reported as changed, as Docker does.
            if !meta.is_dir() || dir_has_changes(abs, rel) || is_opaque(abs) {
                out.push(Change {
                    kind: 'C',
                    path: rel.to_string(),
                });
            }
        } else {
            out.push(Change {
                kind: 'A',
                path: rel.to_string(),
            });
        }
        Ok(())
    })?;
    Ok(out)
}

fn dir_has_changes(abs: &Path, rel: &str) -> bool {
    let Ok(rd) = fs::read_dir(abs) else {
        return false;
    };
    rd.flatten().any(|e| {
        let child = format!(
            "{}/{}",
            rel.trim_end_matches('/'),
            e.file_name().to_string_lossy()
        );
        !is_runtime_path(&child)
    })
}

/// Append a symlink or a regular file to `builder` (`h` carries its metadata). A file already
/// written under another name (same inode) becomes a hard-link entry. Other kinds (sockets,
/// devices, fifos) are skipped: they are not part of an image or an export.
pub fn append_leaf<W: Write>(
    builder: &mut tar::Builder<W>,
    h: tar::Header,
    name: &Path,
    abs: &Path,
    meta: &fs::Metadata,
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> Result<()> {
    let leaf = Leaf {
        shown: abs,
        read_link: &|| fs::read_link(abs),
        open: &|| File::open(abs),
    };
    append_leaf_from(builder, h, name, meta, links, leaf)
}

/// Where [`append_leaf_from`] reads a leaf: a path, or (`docker cp`) a descriptor already
/// open inside a container's root. `shown` names it in errors.
pub struct Leaf<'a> {
    pub shown: &'a Path,
    pub read_link: &'a dyn Fn() -> io::Result<PathBuf>,
    pub open: &'a dyn Fn() -> io::Result<File>,
}

/// [`append_leaf`] reading through `leaf`: the one way a file or symlink becomes a tar entry.
pub fn append_leaf_from<W: Write>(
    builder: &mut tar::Builder<W>,
    mut h: tar::Header,
    name: &Path,
    meta: &fs::Metadata,
    links: &mut HashMap<(u64, u64), PathBuf>,
    leaf: Leaf,
) -> Result<()> {
    let abs = leaf.shown;
    let err = |e| EngineError::io(abs, e);
    if meta.file_type().is_symlink() {
        let target = (leaf.read_link)().map_err(err)?;
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        return builder.append_link(&mut h, name, &target).map_err(err);
    }
    if !meta.is_file() {
        return Ok(());
    }
    let key = (meta.dev(), meta.ino());
    if meta.nlink() > 1 {
        if let Some(first) = links.get(&key) {
            h.set_entry_type(tar::EntryType::Link);
            h.set_size(0);
            return builder.append_link(&mut h, name, first).map_err(err);
        }
        links.insert(key, name.to_path_buf());
    }
    // Read in large pieces: `io::copy` takes a `BufReader`'s buffer as its own (8 KiB else).
    let f = io::BufReader::with_capacity(COPY_BUF, (leaf.open)().map_err(err)?);
    builder.append_data(&mut h, name, f).map_err(err)
}

/// Whether `e` is a refusal to read a file: rootless, a container's other user's (subuid).
pub fn is_permission_denied(e: &EngineError) -> bool {
    matches!(e, EngineError::Io { source, .. } if source.kind() == io::ErrorKind::PermissionDenied)
}

/// [`pack_upper`] as root of a user namespace mapped like the container's (`gorae
/// __pack-upper`), for an upper dir holding files its other users made unreadable to us.
/// `denied` is what reading it directly said, returned if the helper fails too.
pub fn pack_upper_as_container_root(
    upper: &Path,
    out: &mut dyn Write,
    denied: EngineError,
) -> Result<()> {
    let Some(mut child) =
        super::runtime::spawn_as_container_root(crate::helper::Helper::PackUpper, &[upper])
    else {
        return Err(denied);
    };
    let copied = child
        .stdout
        .take()
        .map(|mut tar| io::copy(&mut tar, out).is_ok());
    let ok = child.wait().is_ok_and(|s| s.success());
    if copied == Some(true) && ok {
        Ok(())
    } else {
        Err(denied)
    }
}

/// [`diff`] as root of a user namespace mapped like the container's (`gorae __diff`).
pub fn diff_as_container_root(
    upper: &Path,
    lowers: &[PathBuf],
    denied: EngineError,
) -> Result<Vec<Change>> {
    let mut args: Vec<&Path> = vec![upper];
    args.extend(lowers.iter().map(PathBuf::as_path));
    let Some(child) = super::runtime::spawn_as_container_root(crate::helper::Helper::Diff, &args)
    else {
        return Err(denied);
    };
    let Ok(out) = child.wait_with_output() else {
        return Err(denied);
    };
    if !out.status.success() {
        return Err(denied);
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (kind, path) = l.split_once(' ')?;
            Some(Change {
                kind: kind.chars().next()?,
                path: path.to_string(),
            })
        })
        .collect())
}

/// `gorae __pack-upper UPPER`: the tar on stdout.
pub fn pack_upper_main(args: &[String]) -> i32 {
    let Some(upper) = args.first() else {
        return 2;
    };
    if !super::runtime::enter_as_container_root() {
        return 1;
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let packed = pack_upper(Path::new(upper), &mut out).is_ok();
    if packed && out.flush().is_ok() { 0 } else { 1 }
}

/// `gorae __diff UPPER LOWER…`: one `K /path` line per change.
pub fn diff_main(args: &[String]) -> i32 {
    let Some((upper, lowers)) = args.split_first() else {
        return 2;
    };
    if !super::runtime::enter_as_container_root() {
        return 1;
    }
    let lowers: Vec<PathBuf> = lowers.iter().map(PathBuf::from).collect();
    let Ok(changes) = diff(Path::new(upper), &lowers) else {
        return 1;
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    for c in changes {
        if writeln!(out, "{} {}", c.kind, c.path).is_err() {
            return 1;
        }
    }
    if out.flush().is_ok() { 0 } else { 1 }
}

/// The header of an OCI whiteout or opaque marker: an empty 0644 file with the time of what it
/// stands for.
fn marker_header(meta: &std::fs::Metadata) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(0);
    h.set_mode(0o644);
    h.set_mtime(meta.mtime().max(0) as u64);
    h
}

/// Pack a container's upper dir into a tar stream written to `out`, converting overlayfs
/// whiteouts to OCI ones and skipping runtime-provided paths.
pub fn pack_upper(upper: &Path, out: &mut dyn Write) -> Result<()> {
    let mut builder = tar::Builder::new(out);
    builder.mode(tar::HeaderMode::Complete);
    builder.follow_symlinks(false);
    let mut links: HashMap<(u64, u64), PathBuf> = HashMap::new();
    walk_sorted(upper, &mut |rel, abs, meta| {
        if is_runtime_path(rel) {
            return Ok(());
        }
        let name = rel.trim_start_matches('/');
        if is_whiteout(meta) {
            let p = Path::new(name);
            let wh = match p.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.join(format!(
                    "{WHITEOUT_PREFIX}{}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                )),
                _ => PathBuf::from(format!(
                    "{WHITEOUT_PREFIX}{}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                )),
            };
            builder
                .append_data(&mut marker_header(meta), &wh, io::empty())
                .map_err(|e| EngineError::io(abs, e))?;
            return Ok(());
        }
        let mut h = tar::Header::new_gnu();
        h.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
        if meta.is_dir() {
            builder
                .append_data(&mut h, format!("{name}/"), io::empty())
                .map_err(|e| EngineError::io(abs, e))?;
            if is_opaque(abs) {
                let marker = format!("{name}/{OPAQUE_MARKER}");
                builder
                    .append_data(&mut marker_header(meta), marker, io::empty())
                    .map_err(|e| EngineError::io(abs, e))?;
            }
        } else {
            // Sockets and device nodes made inside a container are not part of an image.
            append_leaf(&mut builder, h, Path::new(name), abs, meta, &mut links)?;
        }
        Ok(())
    })?;
    builder.finish().map_err(|e| EngineError::io(upper, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, kind, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o755);
            // Bypass the tar crate's own path checks: hostile archives don't use it.
            let name = h.as_old_mut().name.as_mut();
            name[..path.len()].copy_from_slice(path.as_bytes());
            if let Some(l) = link {
                h.set_link_name(l).unwrap();
            }
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_layer_limit() {
        // 64 files of 1 MiB of zeros: 64 MiB unpacked from a few hundred KiB of gzip.
        let zeros = vec![0u8; 1 << 20];
        let names: Vec<String> = (0..64).map(|i| format!("z{i}")).collect();
        let entries: Vec<_> = names
            .iter()
            .map(|n| (n.as_str(), tar::EntryType::Regular, &zeros[..], None))
            .collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        io::Write::write_all(&mut gz, &tar_with(&entries)).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            entry: 4 << 20,
            layer: 8 << 20,
        };
        let mut reader = flate2::read::GzDecoder::new(&bomb[..]);
        let err = unpack_limited(&mut reader, dir.path(), limits).unwrap_err();
        assert!(
            matches!(err, EngineError::TooLarge { limit, .. } if limit == 8 << 20),
            "{err}"
        );
        // It stopped at the limit, not after writing everything.
        let written: u64 = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.metadata().unwrap().len())
            .sum();
        assert!(written <= (8 << 20) + (1 << 20), "{written} bytes written");
        // Under the limit, the same archive unpacks.
        let dir = tempfile::tempdir().unwrap();
        let mut reader = flate2::read::GzDecoder::new(&bomb[..]);
        let size = unpack(&mut reader, dir.path()).unwrap();
        assert_eq!(size, 64 << 20);
    }

    #[test]
    fn a_huge_sparse_file_is_refused_not_expanded() {
        // A GNU sparse entry: 512 stored bytes at the end of a 100 GiB file of holes.
        let real: u64 = 100 << 30;
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::GNUSparse);
        h.set_size(512);
        h.set_mode(0o644);
        h.set_path("holes").unwrap();
        {
            let gnu = h.as_gnu_mut().unwrap();
            // GNU's base-256 number form: too big for the octal digits.
            let number = |field: &mut [u8], v: u64| {
                field.fill(0);
                field[0] = 0x80;
                let n = field.len();
                field[n - 8..].copy_from_slice(&v.to_be_bytes());
            };
            number(&mut gnu.realsize, real);
            number(&mut gnu.sparse[0].offset, real - 512);
            number(&mut gnu.sparse[0].numbytes, 512);
        }
        h.set_cksum();
        let mut data = h.as_bytes().to_vec();
        data.extend_from_slice(&[b'x'; 512]);
        data.extend_from_slice(&[0u8; 1024]);
        let dir = tempfile::tempdir().unwrap();
        let err = unpack(&mut &data[..], dir.path()).unwrap_err();
        assert!(matches!(err, EngineError::TooLarge { .. }), "{err}");
        let written = fs::metadata(dir.path().join("holes"))
            .map(|m| m.len())
            .unwrap_or(0);
        assert_eq!(written, 0, "the holes were written out");
    }

    #[test]
    fn a_huge_file_is_refused_by_its_header_before_any_write() {
        // A header claiming 9 GiB followed by nothing: refused for its size, not truncation.
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(9 << 30);
        h.set_mode(0o644);
        h.set_path("huge").unwrap();
        h.set_cksum();
        let data = h.as_bytes().to_vec();
        let dir = tempfile::tempdir().unwrap();
        let err = unpack(&mut &data[..], dir.path()).unwrap_err();
        assert!(
            matches!(err, EngineError::TooLarge { limit, .. } if limit == 8 << 30),
            "{err}"
        );
        assert!(!dir.path().join("huge").exists());
    }

    #[test]
    fn refuses_parent_and_absolute_paths() {
        for bad in ["../evil", "a/../../evil", "/etc/evil"] {
            let dir = tempfile::tempdir().unwrap();
            let data = tar_with(&[(bad, tar::EntryType::Regular, b"x", None)]);
            let err = unpack(&mut &data[..], dir.path()).unwrap_err();
            assert!(matches!(err, EngineError::UnsafePath(_)), "{bad}: {err}");
        }
    }

    #[test]
    fn refuses_writing_through_a_symlink() {
        let outside = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = outside.path().to_str().unwrap().to_string();
        let data = tar_with(&[
            ("link", tar::EntryType::Symlink, b"", Some(&target)),
            ("link/pwned", tar::EntryType::Regular, b"x", None),
        ]);
        assert!(unpack(&mut &data[..], dir.path()).is_err());
        assert!(!outside.path().join("pwned").exists());
    }

    #[test]
    fn refuses_hardlinks_out_of_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let data = tar_with(&[("h", tar::EntryType::Link, b"", Some("../../etc/passwd"))]);
        assert!(unpack(&mut &data[..], dir.path()).is_err());
    }

    #[test]
    fn unpacks_files_dirs_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let data = tar_with(&[
            ("bin/", tar::EntryType::Directory, b"", None),
            ("bin/tool", tar::EntryType::Regular, b"hello", None),
            ("sbin", tar::EntryType::Symlink, b"", Some("bin")),
            ("bin/again", tar::EntryType::Link, b"", Some("bin/tool")),
        ]);
        let size = unpack(&mut &data[..], dir.path()).unwrap();
        assert_eq!(size, 5);
        assert_eq!(fs::read(dir.path().join("bin/tool")).unwrap(), b"hello");
        assert_eq!(
            fs::read_link(dir.path().join("sbin")).unwrap(),
            Path::new("bin")
        );
        assert_eq!(fs::read(dir.path().join("bin/again")).unwrap(), b"hello");
    }

    #[test]
    fn runtime_paths_are_not_changes() {
        assert!(is_runtime_path("/etc/hosts"));
        assert!(is_runtime_path("/dev/null"));
        assert!(!is_runtime_path("/etc/passwd"));
        assert!(!is_runtime_path("/device"));
    }
}
