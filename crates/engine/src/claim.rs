//! How a `run` claims a spare monitor (`monitor::spare`, a monitor made ahead) instead of
//! spawning one: over the store's abstract socket `…/spare-monitor`, one message of
//! `[len u32 BE][payload]` with the two pipes a spawned monitor gets as its stdin and stdout
//! (SCM_RIGHTS), answered by one byte, `y` (it is ours) or `n` (another build of the binary,
//! or other namespaces: spawn). The payload is NUL-separated: a tag, the binary's device and
//! inode, the claimant's namespaces and root (`world`), the working directory, the number of
//! monitor arguments, those arguments, then the environment. Everything here is the same on
//! both sides; the spare's loop is in `monitor::spare`.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{SocketAddr, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::runtime::sys;

/// The name under the store's abstract namespace (`attach::address`).
pub const NAME: &str = "spare-monitor";
const TAG: &[u8] = b"gorae-claim-1";
/// Longest payload either side takes (an environment is a few KiB).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// How long a claim waits for the spare's answer: it may still be starting (its exec), and
/// without an answer the run spawns a monitor of its own.
const ANSWER_WAIT: Duration = Duration::from_millis(200);

pub fn address(store_root: &Path) -> io::Result<SocketAddr> {
    crate::attach::address(store_root, NAME)
}

/// Which build of the binary a file is (device and inode: a rebuilt or upgraded binary is a
/// new file).
pub fn identity(exe: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(exe).ok().map(|m| (m.dev(), m.ino()))
}

/// The namespaces and root directory the calling process sees the machine through: a spare
/// made in another mount namespace (a sandbox's, `unshare`) or another root would run the
/// container in that one, so it serves only claims from its own.
pub fn world() -> String {
    let mut out: Vec<String> = ["mnt", "user", "pid", "uts", "ipc", "cgroup", "net"]
        .iter()
        .map(|ns| {
            std::fs::read_link(format!("/proc/self/ns/{ns}"))
                .map(|l| l.to_string_lossy().to_string())
                .unwrap_or_default()
        })
        .collect();
    let root = identity(Path::new("/proc/self/root/")).unwrap_or_default();
    out.push(format!("root:{}:{}", root.0, root.1));
    out.join(" ")
}

/// What a claim carries besides the pipes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub exe: (u64, u64),
    /// [`world`] of the claimant.
    pub world: String,
    pub cwd: PathBuf,
    /// The monitor's arguments (after `__monitor`).
    pub args: Vec<String>,
    pub env: Vec<(OsString, OsString)>,
}

impl Claim {
    pub fn encode(&self) -> Vec<u8> {
        let mut fields: Vec<Vec<u8>> = vec![
            TAG.to_vec(),
            self.exe.0.to_string().into_bytes(),
            self.exe.1.to_string().into_bytes(),
            self.world.as_bytes().to_vec(),
            self.cwd.as_os_str().as_bytes().to_vec(),
            self.args.len().to_string().into_bytes(),
        ];
        fields.extend(self.args.iter().map(|a| a.as_bytes().to_vec()));
        fields.extend(self.env.iter().map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            kv
        }));
        fields.join(&0u8)
    }

    pub fn decode(payload: &[u8]) -> Option<Claim> {
        let mut fields = payload.split(|b| *b == 0);
        if fields.next()? != TAG {
            return None;
        }
        let mut number =
            || -> Option<u64> { std::str::from_utf8(fields.next()?).ok()?.parse().ok() };
        let exe = (number()?, number()?);
        let world = String::from_utf8(fields.next()?.to_vec()).ok()?;
        let cwd = PathBuf::from(OsString::from_vec(fields.next()?.to_vec()));
        let count = usize::try_from(
            std::str::from_utf8(fields.next()?)
                .ok()?
                .parse::<u64>()
                .ok()?,
        )
        .ok()?;
        let mut args = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            args.push(String::from_utf8(fields.next()?.to_vec()).ok()?);
        }
        let env = fields
            .filter(|f| !f.is_empty())
            .filter_map(|f| {
                let eq = f.iter().position(|b| *b == b'=')?;
                Some((
                    OsString::from_vec(f[..eq].to_vec()),
                    OsString::from_vec(f[eq + 1..].to_vec()),
                ))
            })
            .collect();
        Some(Claim {
            exe,
            world,
            cwd,
            args,
            env,
        })
    }
}

/// A claim sent to the store's spare monitor, its answer not read yet: the claimant finds its
/// image and creates its record meanwhile, while the spare wakes and checks the claim.
pub struct Pending {
    stream: UnixStream,
    go: OwnedFd,
    status: OwnedFd,
}

/// Claim the store's spare monitor for a monitor with `args`: its stdin (our end: "go" once
/// the record is there) and stdout (the status lines), as `Store::spawn_monitor` would have
/// them. None when there is no spare (or it is not our user's): then spawn one.
pub fn claim(store_root: &Path, args: &[String]) -> Option<Pending> {
    let stream = UnixStream::connect_addr(&address(store_root).ok()?).ok()?;
    // Anyone may bind an abstract name: only a spare of our own user gets our environment.
    if crate::attach::peer_uid(&stream) != Some(sys::geteuid()) {
        return None;
    }
    let claim = Claim {
        exe: identity(&crate::helper::gorae_exe())?,
        world: world(),
        cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
        args: args.to_vec(),
        env: std::env::vars_os().collect(),
    };
    let payload = claim.encode();
    let mut message = u32::try_from(payload.len()).ok()?.to_be_bytes().to_vec();
    message.extend_from_slice(&payload);
    let (go_r, go_w) = sys::pipe_owned().ok()?;
    let (status_r, status_w) = sys::pipe_owned().ok()?;
    let sent = sys::send_with_fds(
        stream.as_raw_fd(),
        &message,
        &[go_r.as_raw_fd(), status_w.as_raw_fd()],
    )
    .ok()?;
    (&stream).write_all(&message[sent..]).ok()?;
    // The spare has its own copies now: EOF on the status pipe means it is gone.
    drop((go_r, status_w));
    Some(Pending {
        stream,
        go: go_w,
        status: status_r,
    })
}

impl Pending {
    /// The spare's answer: the pipes when it took the claim; None when it refused (another
    /// build of the binary, other namespaces) or did not answer in time. A spare that answers
    /// after we gave up finds our pipes closed and starts nothing.
    pub fn answer(self) -> Option<(File, File)> {
        self.stream.set_read_timeout(Some(ANSWER_WAIT)).ok()?;
        let mut answer = [0u8; 1];
        (&self.stream).read_exact(&mut answer).ok()?;
        (answer[0] == b'y').then(|| (File::from(self.go), File::from(self.status)))
    }
}

/// Read one claim from `stream` (the spare's side): the claim and the two pipes.
pub fn read_claim(stream: &UnixStream) -> Option<(Claim, OwnedFd, OwnedFd)> {
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let mut first = vec![0u8; 64 * 1024];
    let (n, fds) = sys::recv_with_fds(stream.as_raw_fd(), &mut first).ok()?;
    let [go, status]: [OwnedFd; 2] = fds.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(first.get(..4)?.try_into().ok()?)).ok()?;
    if len > MAX_PAYLOAD {
        return None;
    }
    let mut payload = first.get(4..n)?.to_vec();
    if payload.len() < len {
        let mut rest = vec![0u8; len - payload.len()];
        (&*stream).read_exact(&mut rest).ok()?;
        payload.extend_from_slice(&rest);
    }
    payload.truncate(len);
    Some((Claim::decode(&payload)?, go, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_survives_its_encoding_with_odd_bytes_in_its_environment() {
        let claim = Claim {
            exe: (2049, 123456),
            world: "mnt:[4026531841] root:2049:2".into(),
            cwd: PathBuf::from("/home/학생/work"),
            args: vec![
                "abc".into(),
                "--await-create".into(),
                "--wait-attach".into(),
            ],
            env: vec![
                (OsString::from("GORAE_ROOT"), OsString::from("/tmp/x")),
                (OsString::from("EMPTY"), OsString::new()),
                (OsString::from("EQ"), OsString::from("a=b")),
                (
                    OsString::from("RAW"),
                    OsString::from_vec(vec![0xff, 0xfe, b'!']),
                ),
            ],
        };
        assert_eq!(Claim::decode(&claim.encode()), Some(claim));
    }

    #[test]
    fn a_claim_of_another_kind_or_cut_short_is_refused() {
        assert_eq!(Claim::decode(b"other\x001\x002\x00w\x00/\x000"), None);
        let claim = Claim {
            exe: (1, 2),
            world: String::new(),
            cwd: PathBuf::from("/"),
            args: vec!["abc".into(), "--trace".into()],
            env: Vec::new(),
        };
        let bytes = claim.encode();
        // Cut inside the arguments: fewer than it said.
        let cut = bytes.len() - "--trace".len() - 1;
        assert_eq!(Claim::decode(&bytes[..cut]), None);
    }
}
