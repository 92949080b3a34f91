//! The default seccomp filter: the kernel calls Docker's default profile keeps from containers
//! (kernel keyrings, BPF, module loading, kexec, nested user namespaces, clock and swap
//! changes, perf, userfaultfd, …) fail with EPERM, `clone3` with ENOSYS (so libc falls back to
//! `clone`, whose flags the filter can see), and `ioctl(TIOCSTI)` — typing into a terminal —
//! with EPERM. Everything else is allowed. The program is a small constant list of BPF
//! instructions, built once per process.
//!
//! Rootless without /etc/subuid ranges the user namespace holds a single id, so a server that
//! drops to its own user (nginx → www-data) or chowns its files would fail with EINVAL. There
//! the filter also answers the id-changing and chown calls with success without doing them:
//! every "user" in the container stays the one id it already is, which is all that mapping can
//! give (podman's `ignore_chown_errors` makes the same trade for chown).

use super::sys::SysResult;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;

// Offsets in struct seccomp_data.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARG0_LO: u32 = 16;
const OFF_ARG1_LO: u32 = 24;

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JSET_K: u16 = 0x45;
const BPF_JGE_K: u16 = 0x35;
const BPF_RET_K: u16 = 0x06;

/// Calls that fail with EPERM, as in Docker's default profile.
fn denied() -> Vec<libc::c_long> {
    let mut v = vec![
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_keyctl,
        libc::SYS_bpf,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_kexec_load,
        libc::SYS_kexec_file_load,
        libc::SYS_open_by_handle_at,
        libc::SYS_perf_event_open,
        libc::SYS_reboot,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_settimeofday,
        libc::SYS_clock_settime,
        libc::SYS_clock_adjtime,
        libc::SYS_adjtimex,
        libc::SYS_syslog,
        libc::SYS_acct,
        libc::SYS_userfaultfd,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_fsopen,
        libc::SYS_fsmount,
        libc::SYS_fspick,
        libc::SYS_open_tree,
        libc::SYS_move_mount,
        libc::SYS_quotactl,
        libc::SYS_lookup_dcookie,
        libc::SYS_name_to_handle_at,
        libc::SYS_vhangup,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_kcmp,
    ];
    #[cfg(target_arch = "x86_64")]
    v.extend([
        libc::SYS_iopl,
        libc::SYS_ioperm,
        libc::SYS_uselib,
        libc::SYS_sysfs,
        libc::SYS__sysctl,
        libc::SYS_nfsservctl,
    ]);
    v
}

#[repr(C)]
#[derive(Clone, Copy)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

fn stmt(code: u16, k: u32) -> SockFilter {
    SockFilter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter { code, jt, jf, k }
}

/// Calls answered with success, unperformed, when the user namespace maps one id.
fn pretended() -> Vec<libc::c_long> {
    vec![
        libc::SYS_setuid,
        libc::SYS_setgid,
        libc::SYS_setreuid,
        libc::SYS_setregid,
        libc::SYS_setresuid,
        libc::SYS_setresgid,
        libc::SYS_setfsuid,
        libc::SYS_setfsgid,
        libc::SYS_setgroups,
        libc::SYS_fchown,
        libc::SYS_fchownat,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_chown,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_lchown,
    ]
}

/// The BPF program; `one_id`: the user namespace maps a single id.
fn program(one_id: bool) -> Vec<SockFilter> {
    let eperm = SECCOMP_RET_ERRNO | libc::EPERM as u32;
    let enosys = SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
    let mut p = vec![
        stmt(BPF_LD_W_ABS, OFF_ARCH),
        // Another architecture's calls (e.g. i386 on x86_64) would bypass the numbers below.
        jump(BPF_JEQ_K, AUDIT_ARCH, 1, 0),
        stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS),
        stmt(BPF_LD_W_ABS, OFF_NR),
        // The x32 ABI numbers (bit 30) reach the same calls under other numbers.
        jump(BPF_JGE_K, 0x4000_0000, 0, 1),
        stmt(BPF_RET_K, SECCOMP_RET_ERRNO | libc::EPERM as u32),
    ];
    for nr in denied() {
        p.push(jump(BPF_JEQ_K, nr as u32, 0, 1));
        p.push(stmt(BPF_RET_K, eperm));
    }
    if one_id {
        for nr in pretended() {
            p.push(jump(BPF_JEQ_K, nr as u32, 0, 1));
            // SECCOMP_RET_ERRNO with errno 0: the call returns 0 without running.
            p.push(stmt(BPF_RET_K, SECCOMP_RET_ERRNO));
        }
    }
    p.push(jump(BPF_JEQ_K, libc::SYS_clone3 as u32, 0, 1));
    p.push(stmt(BPF_RET_K, enosys));
    // clone: no new namespaces of any kind.
    let ns_flags = (libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWNET
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWCGROUP) as u32;
    p.push(jump(BPF_JEQ_K, libc::SYS_clone as u32, 0, 4));
    p.push(stmt(BPF_LD_W_ABS, OFF_ARG0_LO));
    p.push(jump(BPF_JSET_K, ns_flags, 0, 1));
    p.push(stmt(BPF_RET_K, eperm));
    p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    // ioctl(fd, TIOCSTI, …): pushing bytes into a terminal's input queue.
    p.push(jump(BPF_JEQ_K, libc::SYS_ioctl as u32, 0, 4));
    p.push(stmt(BPF_LD_W_ABS, OFF_ARG1_LO));
    p.push(jump(BPF_JEQ_K, libc::TIOCSTI as u32, 0, 1));
    p.push(stmt(BPF_RET_K, eperm));
    p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    p
}

/// Install the filter on the calling thread (inherited across fork and exec). Needs
/// CAP_SYS_ADMIN or no_new_privs; the runtime calls it before dropping capabilities.
pub fn install() -> SysResult<()> {
    let prog = program(super::sys::maps_one_id());
    let fprog = SockFprog {
        len: prog.len() as u16,
        filter: prog.as_ptr(),
    };
    // SAFETY: a valid sock_fprog pointing at `prog`, which outlives the call.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &fprog as *const SockFprog as libc::c_ulong,
            0,
            0,
        )
    };
    if r != 0 {
        return Err(format!("seccomp: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jumps_stay_inside_the_program() {
        for one_id in [false, true] {
            let p = program(one_id);
            assert!(p.len() < 200);
            for (i, ins) in p.iter().enumerate() {
                if ins.code == BPF_JEQ_K || ins.code == BPF_JSET_K || ins.code == BPF_JGE_K {
                    assert!(
                        i + 1 + (ins.jt.max(ins.jf) as usize) < p.len(),
                        "jump at {i}"
                    );
                }
            }
            assert_eq!(
                p.last().map(|i| (i.code, i.k)),
                Some((BPF_RET_K, SECCOMP_RET_ALLOW))
            );
        }
    }

    #[test]
    fn filter_denies_keyctl_and_tiocsti_in_a_child_process() {
        // SAFETY: a forked child that installs the filter and exits; the test waits for it.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if install().is_err() {
                    libc::_exit(2);
                }
                let r = libc::syscall(libc::SYS_keyctl, 0, 0, 0, 0, 0);
                let keyctl_denied = r == -1 && *libc::__errno_location() == libc::EPERM;
                // TIOCSTI is refused before the kernel looks at the fd (else EBADF).
                let c = b'x';
                let r = libc::ioctl(-1, libc::TIOCSTI, &c);
                let tiocsti_denied = r == -1 && *libc::__errno_location() == libc::EPERM;
                let r = libc::ioctl(-1, libc::TIOCGWINSZ, std::ptr::null_mut::<u8>());
                let other_ioctl_allowed = r == -1 && *libc::__errno_location() == libc::EBADF;
                let ok = keyctl_denied && tiocsti_denied && other_ioctl_allowed;
                libc::_exit(if ok { 0 } else { 1 });
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            assert!(libc::WIFEXITED(status), "child died: {status}");
            assert_eq!(libc::WEXITSTATUS(status), 0);
        }
    }
}
