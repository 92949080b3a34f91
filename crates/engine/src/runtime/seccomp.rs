//! The default seccomp filter, Docker's default profile as a BPF program: an allowlist of the
//! calls that profile allows; anything else (kernel keyrings, BPF, module loading, kexec, mount,
//! setns/unshare, clock and swap changes, perf, userfaultfd, …) fails with EPERM. Some calls are
//! judged by their arguments: `clone` may not ask for new namespaces, `clone3` gets ENOSYS (so
//! libc falls back to `clone`, whose flags the filter can see), `ioctl(TIOCSTI)` (typing into a
//! terminal) and AF_VSOCK sockets are refused, and `personality` takes only the values Docker
//! lets through. The program is built once per container process, before its exec; the kernel
//! caches the verdict of calls whose answer does not depend on arguments. The allowlist is a
//! binary search over runs of call numbers: loading the filter runs it for every call number
//! (to fill that cache), and a search takes ~8 jumps where a list of ~300 took ~300.
//!
//! Rootless without /etc/subuid ranges the user namespace holds a single id, so a server that
//! drops to its own user (nginx → www-data) or chowns its files would fail with EINVAL. There
//! the filter also answers the id-changing and chown calls with success without doing them:
//! every "user" in the container stays the one id it already is, which is all that mapping can
//! give (podman's `ignore_chown_errors` makes the same trade for chown).

use super::sys::{SysResult, Syscall};

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
const BPF_JGT_K: u16 = 0x25;
const BPF_JA: u16 = 0x05;
const BPF_RET_K: u16 = 0x06;

/// The calls Docker's default profile allows unconditionally (moby profiles/seccomp/default.json),
/// plus `ptrace` (allowed there on kernels ≥ 4.8) and `chroot` (CAP_SYS_CHROOT is ours).
/// `clone`, `clone3`, `ioctl`, `socket` and `personality` are judged with their arguments.
fn allowed() -> Vec<libc::c_long> {
    let mut v = vec![
        libc::SYS_accept,
        libc::SYS_accept4,
        libc::SYS_adjtimex,
        libc::SYS_bind,
        libc::SYS_brk,
        libc::SYS_capget,
        libc::SYS_capset,
        libc::SYS_chdir,
        libc::SYS_clock_adjtime,
        libc::SYS_clock_getres,
        libc::SYS_clock_gettime,
        libc::SYS_clock_nanosleep,
        libc::SYS_close,
        libc::SYS_close_range,
        libc::SYS_connect,
        libc::SYS_copy_file_range,
        libc::SYS_dup,
        libc::SYS_dup3,
        libc::SYS_epoll_create1,
        libc::SYS_epoll_ctl,
        libc::SYS_epoll_pwait,
        libc::SYS_epoll_pwait2,
        libc::SYS_eventfd2,
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_exit,
        libc::SYS_exit_group,
        libc::SYS_faccessat,
        libc::SYS_faccessat2,
        libc::SYS_fadvise64,
        libc::SYS_fallocate,
        libc::SYS_fanotify_mark,
        libc::SYS_fchdir,
        libc::SYS_fchmod,
        libc::SYS_fchmodat,
        libc::SYS_fchown,
        libc::SYS_fchownat,
        libc::SYS_fcntl,
        libc::SYS_fdatasync,
        libc::SYS_fgetxattr,
        libc::SYS_flistxattr,
        libc::SYS_flock,
        libc::SYS_fremovexattr,
        libc::SYS_fsetxattr,
        libc::SYS_fstat,
        libc::SYS_fstatfs,
        libc::SYS_fsync,
        libc::SYS_ftruncate,
        libc::SYS_futex,
        libc::SYS_futex_waitv,
        libc::SYS_getcpu,
        libc::SYS_getcwd,
        libc::SYS_getdents64,
        libc::SYS_getegid,
        libc::SYS_geteuid,
        libc::SYS_getgid,
        libc::SYS_getgroups,
        libc::SYS_getitimer,
        libc::SYS_getpeername,
        libc::SYS_getpgid,
        libc::SYS_getpid,
        libc::SYS_getppid,
        libc::SYS_getpriority,
        libc::SYS_getrandom,
        libc::SYS_getresgid,
        libc::SYS_getresuid,
        libc::SYS_get_robust_list,
        libc::SYS_getrusage,
        libc::SYS_getsid,
        libc::SYS_getsockname,
        libc::SYS_getsockopt,
        libc::SYS_gettid,
        libc::SYS_gettimeofday,
        libc::SYS_getuid,
        libc::SYS_getxattr,
        libc::SYS_inotify_add_watch,
        libc::SYS_inotify_init1,
        libc::SYS_inotify_rm_watch,
        libc::SYS_io_cancel,
        libc::SYS_ioctl,
        libc::SYS_io_destroy,
        libc::SYS_io_getevents,
        libc::SYS_ioprio_get,
        libc::SYS_ioprio_set,
        libc::SYS_io_setup,
        libc::SYS_io_submit,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_io_uring_setup,
        libc::SYS_kill,
        libc::SYS_landlock_add_rule,
        libc::SYS_landlock_create_ruleset,
        libc::SYS_landlock_restrict_self,
        libc::SYS_lgetxattr,
        libc::SYS_linkat,
        libc::SYS_listen,
        libc::SYS_listxattr,
        libc::SYS_llistxattr,
        libc::SYS_lremovexattr,
        libc::SYS_lseek,
        libc::SYS_lsetxattr,
        libc::SYS_madvise,
        libc::SYS_membarrier,
        libc::SYS_memfd_create,
        libc::SYS_memfd_secret,
        libc::SYS_mincore,
        libc::SYS_mkdirat,
        libc::SYS_mknodat,
        libc::SYS_mlock,
        libc::SYS_mlock2,
        libc::SYS_mlockall,
        libc::SYS_mmap,
        libc::SYS_mprotect,
        libc::SYS_mq_getsetattr,
        libc::SYS_mq_notify,
        libc::SYS_mq_open,
        libc::SYS_mq_timedreceive,
        libc::SYS_mq_timedsend,
        libc::SYS_mq_unlink,
        libc::SYS_mremap,
        libc::SYS_msgctl,
        libc::SYS_msgget,
        libc::SYS_msgrcv,
        libc::SYS_msgsnd,
        libc::SYS_msync,
        libc::SYS_munlock,
        libc::SYS_munlockall,
        libc::SYS_munmap,
        libc::SYS_name_to_handle_at,
        libc::SYS_nanosleep,
        libc::SYS_newfstatat,
        libc::SYS_openat,
        libc::SYS_openat2,
        libc::SYS_pidfd_open,
        libc::SYS_pidfd_send_signal,
        libc::SYS_pipe2,
        libc::SYS_pkey_alloc,
        libc::SYS_pkey_free,
        libc::SYS_pkey_mprotect,
        libc::SYS_ppoll,
        libc::SYS_prctl,
        libc::SYS_pread64,
        libc::SYS_preadv,
        libc::SYS_preadv2,
        libc::SYS_prlimit64,
        libc::SYS_process_mrelease,
        libc::SYS_pselect6,
        libc::SYS_pwrite64,
        libc::SYS_pwritev,
        libc::SYS_pwritev2,
        libc::SYS_read,
        libc::SYS_readahead,
        libc::SYS_readlinkat,
        libc::SYS_readv,
        libc::SYS_recvfrom,
        libc::SYS_recvmmsg,
        libc::SYS_recvmsg,
        libc::SYS_remap_file_pages,
        libc::SYS_removexattr,
        libc::SYS_renameat2,
        libc::SYS_restart_syscall,
        libc::SYS_rseq,
        libc::SYS_rt_sigaction,
        libc::SYS_rt_sigpending,
        libc::SYS_rt_sigprocmask,
        libc::SYS_rt_sigqueueinfo,
        libc::SYS_rt_sigreturn,
        libc::SYS_rt_sigsuspend,
        libc::SYS_rt_sigtimedwait,
        libc::SYS_rt_tgsigqueueinfo,
        libc::SYS_sched_getaffinity,
        libc::SYS_sched_getattr,
        libc::SYS_sched_getparam,
        libc::SYS_sched_get_priority_max,
        libc::SYS_sched_get_priority_min,
        libc::SYS_sched_getscheduler,
        libc::SYS_sched_rr_get_interval,
        libc::SYS_sched_setaffinity,
        libc::SYS_sched_setattr,
        libc::SYS_sched_setparam,
        libc::SYS_sched_setscheduler,
        libc::SYS_sched_yield,
        libc::SYS_seccomp,
        libc::SYS_semctl,
        libc::SYS_semget,
        libc::SYS_semop,
        libc::SYS_semtimedop,
        libc::SYS_sendfile,
        libc::SYS_sendmmsg,
        libc::SYS_sendmsg,
        libc::SYS_sendto,
        libc::SYS_setfsgid,
        libc::SYS_setfsuid,
        libc::SYS_setgid,
        libc::SYS_setgroups,
        libc::SYS_setitimer,
        libc::SYS_setpgid,
        libc::SYS_setpriority,
        libc::SYS_setregid,
        libc::SYS_setresgid,
        libc::SYS_setresuid,
        libc::SYS_setreuid,
        libc::SYS_set_robust_list,
        libc::SYS_setsid,
        libc::SYS_setsockopt,
        libc::SYS_set_tid_address,
        libc::SYS_setuid,
        libc::SYS_setxattr,
        libc::SYS_shmat,
        libc::SYS_shmctl,
        libc::SYS_shmdt,
        libc::SYS_shmget,
        libc::SYS_shutdown,
        libc::SYS_sigaltstack,
        libc::SYS_signalfd4,
        libc::SYS_socketpair,
        libc::SYS_splice,
        libc::SYS_statfs,
        libc::SYS_statx,
        libc::SYS_symlinkat,
        libc::SYS_sync,
        libc::SYS_syncfs,
        libc::SYS_sysinfo,
        libc::SYS_tee,
        libc::SYS_tgkill,
        libc::SYS_timer_create,
        libc::SYS_timer_delete,
        libc::SYS_timer_getoverrun,
        libc::SYS_timer_gettime,
        libc::SYS_timer_settime,
        libc::SYS_timerfd_create,
        libc::SYS_timerfd_gettime,
        libc::SYS_timerfd_settime,
        libc::SYS_times,
        libc::SYS_tkill,
        libc::SYS_truncate,
        libc::SYS_umask,
        libc::SYS_uname,
        libc::SYS_unlinkat,
        libc::SYS_utimensat,
        libc::SYS_vmsplice,
        libc::SYS_wait4,
        libc::SYS_waitid,
        libc::SYS_write,
        libc::SYS_writev,
        libc::SYS_ptrace,
        libc::SYS_chroot,
    ];
    #[cfg(target_arch = "x86_64")]
    v.extend([
        libc::SYS_access,
        libc::SYS_alarm,
        libc::SYS_chmod,
        libc::SYS_chown,
        libc::SYS_creat,
        libc::SYS_dup2,
        libc::SYS_epoll_create,
        libc::SYS_epoll_ctl_old,
        libc::SYS_epoll_wait,
        libc::SYS_epoll_wait_old,
        libc::SYS_eventfd,
        libc::SYS_fork,
        libc::SYS_futimesat,
        libc::SYS_getdents,
        libc::SYS_getpgrp,
        libc::SYS_getrlimit,
        libc::SYS_get_thread_area,
        libc::SYS_inotify_init,
        libc::SYS_lchown,
        libc::SYS_link,
        libc::SYS_lstat,
        libc::SYS_mkdir,
        libc::SYS_mknod,
        libc::SYS_open,
        libc::SYS_pause,
        libc::SYS_pipe,
        libc::SYS_poll,
        libc::SYS_readlink,
        libc::SYS_rename,
        libc::SYS_renameat,
        libc::SYS_rmdir,
        libc::SYS_select,
        libc::SYS_setrlimit,
        libc::SYS_set_thread_area,
        libc::SYS_signalfd,
        libc::SYS_stat,
        libc::SYS_symlink,
        libc::SYS_sync_file_range,
        libc::SYS_time,
        libc::SYS_unlink,
        libc::SYS_utime,
        libc::SYS_utimes,
        libc::SYS_vfork,
        libc::SYS_arch_prctl,
        libc::SYS_modify_ldt,
    ]);
    #[cfg(target_arch = "aarch64")]
    v.extend([]);
    v
}

/// One BPF instruction (struct sock_filter).
pub(crate) type SockFilter = libc::sock_filter;

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
pub(crate) fn program(one_id: bool) -> Vec<SockFilter> {
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
    // socket(AF_VSOCK, …): a way to the host's hypervisor.
    p.push(jump(BPF_JEQ_K, libc::SYS_socket as u32, 0, 4));
    p.push(stmt(BPF_LD_W_ABS, OFF_ARG0_LO));
    p.push(jump(BPF_JEQ_K, libc::AF_VSOCK as u32, 0, 1));
    p.push(stmt(BPF_RET_K, eperm));
    p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    // personality: only the values Docker allows (the default, and reading it back).
    let personalities = [0u32, 0x8, 0x20000, 0x20008, 0xffff_ffff];
    p.push(jump(
        BPF_JEQ_K,
        libc::SYS_personality as u32,
        0,
        personalities.len() as u8 + 3,
    ));
    p.push(stmt(BPF_LD_W_ABS, OFF_ARG0_LO));
    for (i, value) in personalities.iter().enumerate() {
        let to_allow = (personalities.len() - i) as u8;
        p.push(jump(BPF_JEQ_K, *value, to_allow, 0));
    }
    p.push(stmt(BPF_RET_K, eperm));
    p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    p.extend(search(&runs(allowed()), eperm));
    p
}

/// Call numbers as runs of consecutive numbers (first, last), ascending.
fn runs(nrs: Vec<libc::c_long>) -> Vec<(u32, u32)> {
    let mut nrs: Vec<u32> = nrs.into_iter().map(|n| n as u32).collect();
    nrs.sort_unstable();
    nrs.dedup();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for n in nrs {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == n => *last = n,
            _ => out.push((n, n)),
        }
    }
    out
}

/// With the call number loaded: ALLOW when it is in one of `runs`, else `otherwise`; a binary
/// search whose leaves check up to four runs.
fn search(runs: &[(u32, u32)], otherwise: u32) -> Vec<SockFilter> {
    if runs.len() <= 4 {
        let mut p = Vec::new();
        for &(first, last) in runs {
            if first == last {
                p.push(jump(BPF_JEQ_K, first, 0, 1));
            } else {
                p.push(jump(BPF_JGE_K, first, 0, 2));
                p.push(jump(BPF_JGT_K, last, 1, 0));
            }
            p.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
        }
        p.push(stmt(BPF_RET_K, otherwise));
        return p;
    }
    let (low, high) = runs.split_at(runs.len() / 2);
    let high_code = search(high, otherwise);
    let mut p = Vec::new();
    // Numbers from the high half's first on go on to its code; lower ones jump past it.
    match u8::try_from(high_code.len()) {
        Ok(n) => p.push(jump(BPF_JGE_K, high[0].0, 0, n)),
        Err(_) => {
            // A conditional jump reaches 255 instructions; an unconditional one, any.
            p.push(jump(BPF_JGE_K, high[0].0, 1, 0));
            p.push(stmt(BPF_JA, high_code.len() as u32));
        }
    }
    p.extend(high_code);
    p.extend(search(low, otherwise));
    p
}

/// Install the filter on the calling thread (inherited across fork and exec). Needs
/// CAP_SYS_ADMIN or no_new_privs; the runtime calls it before dropping capabilities.
pub fn install(sys: &dyn Syscall) -> SysResult<()> {
    sys.seccomp(&program(super::sys::maps_one_id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The classic BPF that `program` uses, run over one call (struct seccomp_data's fields):
    /// its answer and how many instructions it took.
    fn verdict(p: &[SockFilter], arch: u32, nr: u32, args: [u32; 2]) -> (u32, usize) {
        let mut a = 0u32;
        let mut pc = 0usize;
        for steps in 1.. {
            let ins = p[pc];
            pc += 1;
            let skip = |cond: bool| if cond { ins.jt } else { ins.jf } as usize;
            match ins.code {
                BPF_LD_W_ABS => {
                    a = match ins.k {
                        OFF_NR => nr,
                        OFF_ARCH => arch,
                        OFF_ARG0_LO => args[0],
                        OFF_ARG1_LO => args[1],
                        k => panic!("load of offset {k}"),
                    }
                }
                BPF_JEQ_K => pc += skip(a == ins.k),
                BPF_JGE_K => pc += skip(a >= ins.k),
                BPF_JGT_K => pc += skip(a > ins.k),
                BPF_JSET_K => pc += skip(a & ins.k != 0),
                BPF_JA => pc += ins.k as usize,
                BPF_RET_K => return (ins.k, steps),
                code => panic!("instruction {code:#x}"),
            }
        }
        unreachable!()
    }

    /// What the filter is meant to answer (the module's comment, as a function).
    fn meant(one_id: bool, arch: u32, nr: u32, args: [u32; 2]) -> u32 {
        let eperm = SECCOMP_RET_ERRNO | libc::EPERM as u32;
        let is = |n: libc::c_long| nr == n as u32;
        let ns = (libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWNET) as u32;
        // x32 numbers, and the calls judged by their arguments.
        let refused = nr >= 0x4000_0000
            || (is(libc::SYS_clone) && args[0] & ns != 0)
            || (is(libc::SYS_ioctl) && args[1] == libc::TIOCSTI as u32)
            || (is(libc::SYS_socket) && args[0] == libc::AF_VSOCK as u32)
            || (is(libc::SYS_personality) && ![0, 0x8, 0x20000, 0x20008, !0].contains(&args[0]));
        if arch != AUDIT_ARCH {
            SECCOMP_RET_KILL_PROCESS
        } else if one_id && pretended().into_iter().any(is) {
            SECCOMP_RET_ERRNO
        } else if is(libc::SYS_clone3) {
            SECCOMP_RET_ERRNO | libc::ENOSYS as u32
        } else if refused {
            eperm
        } else if [
            libc::SYS_clone,
            libc::SYS_ioctl,
            libc::SYS_socket,
            libc::SYS_personality,
        ]
        .into_iter()
        .chain(allowed())
        .any(is)
        {
            SECCOMP_RET_ALLOW
        } else {
            eperm
        }
    }

    #[test]
    fn every_call_number_gets_the_answer_meant_for_it() {
        let argss = [
            [0, 0],
            [libc::CLONE_NEWNET as u32, 0],
            [libc::AF_VSOCK as u32, libc::TIOCSTI as u32],
            [0x8, 0],
            [0x41, 0],
            [!0, 0],
        ];
        for one_id in [false, true] {
            let p = program(one_id);
            for nr in (0..1100).chain([0x4000_0000, 0x4000_0001, u32::MAX]) {
                for args in argss {
                    for arch in [AUDIT_ARCH, 0x4000_0003] {
                        assert_eq!(
                            verdict(&p, arch, nr, args).0,
                            meant(one_id, arch, nr, args),
                            "call {nr} args {args:?} arch {arch:#x} one_id {one_id}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_allowlist_is_searched_not_walked() {
        let p = program(false);
        assert!(p.len() < 400, "{} instructions", p.len());
        let longest = (0..1100)
            .map(|nr| verdict(&p, AUDIT_ARCH, nr, [0, 0]).1)
            .max()
            .unwrap_or(0);
        assert!(longest < 60, "{longest} instructions for one call");
    }

    #[test]
    fn runs_join_consecutive_numbers() {
        assert_eq!(
            runs(vec![5, 1, 2, 3, 9, 10, 2]),
            vec![(1, 3), (5, 5), (9, 10)]
        );
    }
}
