//! The learner's shell: `docker` resolves to this gorae binary, the prompt shows it is the
//! sandbox, and the store root is passed on unchanged.
//!
//! Layout under `<state dir>/sandbox/`: `bin/docker`, `bin/docker-compose` and `bin/gorae`
//! (symlinks to our executable; invoked as `docker-compose` it is `docker compose`),
//! `shellrc` (the interactive shell's rc file), `replayrc` (the rc file of headless replay
//! shells) and `history` (the sandbox shell's own history, apart from the user's).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::TermError;
use crate::i18n::t;

/// Which kind of shell runs in the sandbox (they take their rc file differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    /// bash, started as `bash --rcfile <rc> -i`.
    Bash,
    /// A POSIX sh, started as `sh -i` with `ENV=<rc>`.
    Sh,
}

/// What the learner's shell runs in: `docker` on PATH resolving to this gorae binary, a
/// short prompt showing it is the sandbox, the store root passed on.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// `<state dir>/sandbox`.
    pub dir: PathBuf,
    /// Holds the `docker` link; put first on the shell's PATH.
    pub bin_dir: PathBuf,
    /// The interactive shell's rc file.
    pub rcfile: PathBuf,
    /// The rc file for headless replay shells (deterministic: no user rc, marker prompt).
    pub replay_rcfile: PathBuf,
    /// The shell program.
    pub shell: PathBuf,
    /// How `shell` takes its rc file.
    pub kind: ShellKind,
    /// Where both shells start: the learner's home (the lessons' `~/site`, `~/hello-app` and
    /// `mkdir site` all mean the same folder there), else where gorae was started.
    pub home: Option<PathBuf>,
}

/// `s` quoted for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TermError + '_ {
    move |source| TermError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `content` to `path` through a temp file and rename, unless it is already there.
fn write_atomic(path: &Path, content: &str) -> Result<(), TermError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, content).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Makes `link` a symlink to `target`, replacing a stale link atomically (a new link is
/// made beside it and renamed over it, so `docker` never goes missing for a moment).
fn link_atomic(target: &Path, link: &Path) -> Result<(), TermError> {
    if std::fs::read_link(link).is_ok_and(|old| old == target) {
        return Ok(());
    }
    let tmp = link.with_file_name(format!(".docker.tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, link).map_err(io_err(link))
}

/// Finds an executable named `name` on `path` (a PATH value).
fn find_on_path(name: &str, path: Option<OsString>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = path?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// bash if there is one, else sh.
fn pick_shell() -> Result<(PathBuf, ShellKind), TermError> {
    let path = std::env::var_os("PATH");
    if let Some(bash) = find_on_path("bash", path.clone()) {
        return Ok((bash, ShellKind::Bash));
    }
    if let Some(sh) = find_on_path("sh", path) {
        return Ok((sh, ShellKind::Sh));
    }
    let sh = PathBuf::from("/bin/sh");
    if sh.exists() {
        return Ok((sh, ShellKind::Sh));
    }
    Err(TermError::NoShell)
}

/// The learner's home, when it is a directory.
fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .filter(|h| h.is_dir())
}

/// The UTF-8 locale every glibc since 2.35 (and Debian, Ubuntu, Fedora before it) has.
const FALLBACK_LOCALE: &str = "C.UTF-8";

/// Whether the inherited locale variables name a locale this machine lacks. glibc's
/// `locale` (which links the same locale code as bash) then warns `Cannot set …` on stderr:
/// bash's `setlocale(LC_ALL, "")` fails as a whole, and the shell runs in the C locale. No
/// `locale` program (not glibc): nothing to say.
fn locale_missing() -> bool {
    std::process::Command::new("locale")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .output()
        .is_ok_and(|o| !o.stderr.is_empty())
}

/// The prompt's whale, unless the host terminal is the Linux console (no emoji glyphs).
fn prompt_name() -> &'static str {
    if std::env::var("TERM").is_ok_and(|t| t == "linux") {
        "gorae"
    } else {
        "🐳 gorae"
    }
}

/// The interactive rc file. It loads the user's usual rc (aliases, functions), then makes
/// sure `docker` is ours whatever that rc did, and sets the sandbox prompt. The prompt
/// starts with an OSC 133;A mark so the terminal knows when the shell is at its prompt.
fn interactive_rc(kind: ShellKind, bin_dir: &Path, history: &Path, greeting: &str) -> String {
    let bin = shell_quote(&bin_dir.to_string_lossy());
    let name = prompt_name();
    let mut rc = String::from("# gorae sandbox shell (rewritten by gorae on each start)\n");
    match kind {
        ShellKind::Bash => {
            rc.push_str(
                "[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc\n\
                 [ -f \"$HOME/.bashrc\" ] && . \"$HOME/.bashrc\"\n",
            );
        }
        ShellKind::Sh => rc.push_str("unset ENV\n"),
    }
    rc.push_str(&format!(
        "unalias docker docker-compose 2>/dev/null\n\
         unset -f docker docker-compose 2>/dev/null\n\
         PATH={bin}:\"$PATH\"\n\
         export PATH\n\
         hash -r 2>/dev/null\n\
         HISTFILE={hist}\n",
        hist = shell_quote(&history.to_string_lossy()),
    ));
    // Where the shell is and why (the lessons' folders go there), once, before the first prompt.
    rc.push_str(&format!(
        "printf '\\033[2m%s\\033[0m\\n' {}\n",
        shell_quote(greeting)
    ));
    match kind {
        ShellKind::Bash => rc.push_str(&format!(
            // A prompt hook from the user's rc (starship, …) would replace our prompt.
            "unset PROMPT_COMMAND\n\
             PROMPT_DIRTRIM=2\n\
             PS1='\\[\\e]133;A\\a\\]\\[\\e[1;36m\\]{name}\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ '\n"
        )),
        ShellKind::Sh => rc.push_str(&format!(
            "PS1=\"$(printf '\\033]133;A\\007'){name}\\$ \"\n"
        )),
    }
    rc
}

/// The replay rc file: no user rc or aliases, no history, and the prompt (also the
/// continuation prompt, so each line of a here-document counts as done) taken from
/// `GORAE_REPLAY_PS1` (a per-run random marker), which is then removed from the environment
/// so programs started from the shell do not see it.
fn replay_rc(bin_dir: &Path) -> String {
    let bin = shell_quote(&bin_dir.to_string_lossy());
    format!(
        "# gorae replay shell (rewritten by gorae on each start)\n\
         unset ENV PROMPT_COMMAND HISTFILE\n\
         unalias -a 2>/dev/null\n\
         unset -f docker docker-compose 2>/dev/null\n\
         PATH={bin}:\"$PATH\"\n\
         export PATH\n\
         hash -r 2>/dev/null\n\
         PS1=\"$GORAE_REPLAY_PS1\"\n\
         PS2=\"$GORAE_REPLAY_PS1\"\n\
         unset GORAE_REPLAY_PS1\n"
    )
}

impl Sandbox {
    /// Creates (idempotently) `<state dir>/sandbox/bin/docker` and `bin/docker-compose` → our
    /// executable (symlinks; a stale one is replaced atomically), the rc files, and picks the
    /// shell: bash (with `--rcfile <rc> -i`), else sh (with `ENV=<rc>`).
    pub fn prepare(state_dir: &Path) -> Result<Sandbox, TermError> {
        let exe = std::env::current_exe().map_err(TermError::CurrentExe)?;
        Self::prepare_with(state_dir, &exe)
    }

    /// [`Sandbox::prepare`] with `docker` linked to `exe` instead of our own executable.
    pub fn prepare_with(state_dir: &Path, exe: &Path) -> Result<Sandbox, TermError> {
        let dir = state_dir.join("sandbox");
        let bin_dir = dir.join("bin");
        std::fs::create_dir_all(&bin_dir).map_err(io_err(&bin_dir))?;
        link_atomic(exe, &bin_dir.join("docker"))?;
        // `gorae doctor` (which the status bar may suggest) works wherever gorae was run from.
        link_atomic(exe, &bin_dir.join("gorae"))?;
        // Compose v1's command, still in many guides (and in seed 002).
        link_atomic(exe, &bin_dir.join("docker-compose"))?;
        let (shell, kind) = pick_shell()?;
        let home = home_dir();
        let greeting = match &home {
            Some(h) => t("term.start_home", &[("dir", &h.to_string_lossy())]),
            None => t("term.start_here", &[]),
        };
        let rcfile = dir.join("shellrc");
        write_atomic(
            &rcfile,
            &interactive_rc(kind, &bin_dir, &dir.join("history"), &greeting),
        )?;
        let replay_rcfile = dir.join("replayrc");
        write_atomic(&replay_rcfile, &replay_rc(&bin_dir))?;
        Ok(Sandbox {
            dir,
            bin_dir,
            rcfile,
            replay_rcfile,
            shell,
            kind,
            home,
        })
    }

    /// `PATH` with our bin dir first.
    fn path_value(&self) -> OsString {
        let mut dirs = vec![self.bin_dir.clone()];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).unwrap_or_else(|_| self.bin_dir.clone().into_os_string())
    }

    /// The environment both shells share, started in [`Sandbox::home`]: PATH with our
    /// `docker` first, an xterm-like terminal, `GORAE_SANDBOX=1`. `GORAE_ROOT` and `LANG`
    /// are inherited; when no locale is set at all, a UTF-8 one is, so Hangul is not shown
    /// as octal escapes.
    fn base_command(&self) -> Command {
        let mut cmd = Command::new(&self.shell);
        cmd.env("PATH", self.path_value())
            .env("TERM", "xterm-256color")
            .env("COLORTERM", "truecolor")
            .env("GORAE_SANDBOX", "1");
        if let Some(home) = &self.home {
            cmd.current_dir(home);
        }
        let locale_set = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        if !locale_set {
            cmd.env("LC_CTYPE", FALLBACK_LOCALE);
        }
        cmd
    }

    /// The command for the learner's interactive shell. When the inherited locale does not
    /// exist here (`ko_KR.UTF-8` without its locale data, common), bash would print
    /// `setlocale: … cannot change locale` and edit Hangul byte by byte (a Backspace after
    /// `가나` leaves half a character that then runs): the shell gets `LC_ALL=C.UTF-8`, and
    /// `GORAE_LANG` keeps gorae's `docker` in the TUI's language. (Replay shells keep what
    /// their caller sets: nobody edits a line there.)
    pub fn command(&self) -> Command {
        let mut cmd = self.base_command();
        if locale_missing() {
            cmd.env("LC_ALL", FALLBACK_LOCALE);
            if std::env::var_os("GORAE_LANG").is_none_or(|v| v.is_empty()) {
                cmd.env("GORAE_LANG", crate::i18n::lang().code());
            }
        }
        match self.kind {
            ShellKind::Bash => {
                cmd.arg("--rcfile").arg(&self.rcfile).arg("-i");
            }
            ShellKind::Sh => {
                cmd.arg("-i").env("ENV", &self.rcfile);
            }
        }
        cmd
    }

    /// The command for a headless replay shell whose prompt is `prompt`.
    pub fn replay_command(&self, prompt: &str) -> Command {
        let mut cmd = self.base_command();
        cmd.env_remove("PS1")
            .env_remove("PROMPT_COMMAND")
            .env("GORAE_REPLAY_PS1", prompt);
        match self.kind {
            ShellKind::Bash => {
                cmd.arg("--noprofile")
                    .arg("--rcfile")
                    .arg(&self.replay_rcfile)
                    .arg("-i");
            }
            ShellKind::Sh => {
                cmd.arg("-i").env("ENV", &self.replay_rcfile);
            }
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("/a b/c"), "'/a b/c'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn docker_link_points_at_our_executable_and_stale_links_are_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let sb = Sandbox::prepare(tmp.path()).unwrap();
        let link = sb.bin_dir.join("docker");
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            std::env::current_exe().unwrap()
        );
        // Compose v1's name too, which the binary answers as `docker compose`.
        assert_eq!(
            std::fs::read_link(sb.bin_dir.join("docker-compose")).unwrap(),
            std::env::current_exe().unwrap()
        );
        // A link left by an older install elsewhere is replaced.
        let other = tmp.path().join("old-gorae");
        std::fs::write(&other, "").unwrap();
        let sb2 = Sandbox::prepare_with(tmp.path(), &other).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), other);
        assert_eq!(std::fs::read_link(sb.bin_dir.join("gorae")).unwrap(), other);
        // Preparing again is harmless.
        let sb3 = Sandbox::prepare_with(tmp.path(), &other).unwrap();
        assert_eq!(sb2.rcfile, sb3.rcfile);
        assert!(sb.rcfile.is_file());
        assert!(sb.replay_rcfile.is_file());
    }
}
