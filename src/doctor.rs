//! `gorae doctor`: what this machine lets gorae do, and for each problem exactly what to do,
//! in the learner's language. The findings are the engine's (`engine::doctor`); this module
//! words them. The TUI shows the same report before it opens when containers cannot start.

use clap::{Arg, ArgAction, Command};

use crate::engine::doctor::{
    self, Cgroups, Host, Ids, Overlay, ProbeStep, Report, SYSCTL_APPARMOR, SYSCTL_MAX_USERNS,
    Userns,
};
use crate::engine::net::egress::{Egress, Missing};
use crate::i18n::{self, Lang, t, t_in};

/// gorae's AppArmor profile (Ubuntu 23.10 and later restrict user namespaces to programs with
/// one), written for the .deb's `/usr/bin/gorae`.
pub const APPARMOR_PROFILE: &str = include_str!("../assets/apparmor/gorae");
const PROFILE_PATH: &str = "/usr/bin/gorae";

/// The profile for the binary at `exe` (it attaches by path).
pub fn apparmor_profile(exe: &std::path::Path) -> String {
    APPARMOR_PROFILE.replace(PROFILE_PATH, &exe.to_string_lossy())
}

fn command() -> Command {
    Command::new("gorae doctor")
        .about(t("doctor.about", &[]))
        .arg(crate::tui::lang_option())
        .arg(
            Arg::new("apparmor-profile")
                .long("apparmor-profile")
                .action(ArgAction::SetTrue)
                .help(t("doctor.arg-apparmor", &[])),
        )
}

/// `gorae doctor [--apparmor-profile]`: 0 when containers can run here, 1 when not.
pub fn main(args: Vec<String>) -> i32 {
    if let Some(l) = crate::tui::lang_arg(&args) {
        i18n::set_lang(l);
    }
    let m = match command()
        .try_get_matches_from(std::iter::once("gorae doctor".to_string()).chain(args))
    {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if let Some(l) = m.get_one::<String>("lang") {
        match Lang::parse(l) {
            Some(lang) => i18n::set_lang(lang),
            None => {
                eprintln!("gorae doctor: {}", t("tui_bad_lang", &[("lang", l)]));
                return 2;
            }
        }
    }
    if m.get_flag("apparmor-profile") {
        print!("{}", apparmor_profile(&crate::engine::helper::gorae_exe()));
        return 0;
    }
    let report = doctor::diagnose(&doctor::LinuxHost);
    print!("{}", render(&report, i18n::lang()));
    i32::from(report.blocking())
}

/// How a line is marked: works, works less, blocks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Ok,
    Limited,
    Blocking,
}

struct Line {
    mark: Mark,
    text: String,
    /// What to do, one command or sentence a line.
    fix: Vec<String>,
}

fn line(mark: Mark, text: String, fix: Vec<String>) -> Line {
    Line { mark, text, fix }
}

fn errno_text(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

fn step_name(step: ProbeStep) -> &'static str {
    match step {
        ProbeStep::Unshare => "unshare",
        ProbeStep::IdMap => "uid_map",
        ProbeStep::Mount => "mount",
        ProbeStep::Overlay => "overlay",
        ProbeStep::Helper => "gorae __probe",
    }
}

fn lines(r: &Report, lang: Lang) -> Vec<Line> {
    let mut out = Vec::new();
    let apparmor = || {
        vec![
            t_in(lang, "doctor.fix-apparmor", &[]),
            "gorae doctor --apparmor-profile | sudo tee /etc/apparmor.d/gorae".into(),
            "sudo apparmor_parser -r /etc/apparmor.d/gorae".into(),
            t_in(lang, "doctor.fix-apparmor-sysctl", &[]),
            format!("sudo sysctl -w {SYSCTL_APPARMOR}=0"),
        ]
    };
    let root_instead = || t_in(lang, "doctor.fix-as-root", &[]);
    out.push(match &r.userns {
        Userns::Root => line(Mark::Ok, t_in(lang, "doctor.userns-root", &[]), vec![]),
        Userns::Works => line(Mark::Ok, t_in(lang, "doctor.userns-works", &[]), vec![]),
        Userns::AppArmorAllowed => line(
            Mark::Ok,
            t_in(
                lang,
                "doctor.userns-apparmor-allowed",
                &[("sysctl", SYSCTL_APPARMOR)],
            ),
            vec![],
        ),
        Userns::AppArmorRestricted { errno } => line(
            Mark::Blocking,
            t_in(
                lang,
                "doctor.userns-apparmor",
                &[("sysctl", SYSCTL_APPARMOR), ("error", &errno_text(*errno))],
            ),
            apparmor(),
        ),
        Userns::Disabled { sysctl } => {
            let value = if *sysctl == SYSCTL_MAX_USERNS {
                "15000"
            } else {
                "1"
            };
            line(
                Mark::Blocking,
                t_in(lang, "doctor.userns-disabled", &[("sysctl", sysctl)]),
                vec![
                    format!("sudo sysctl -w {sysctl}={value}"),
                    t_in(
                        lang,
                        "doctor.fix-sysctl-keep",
                        &[("line", &format!("{sysctl}={value}"))],
                    ),
                ],
            )
        }
        Userns::Failed { step, errno } => line(
            Mark::Blocking,
            t_in(
                lang,
                "doctor.userns-failed",
                &[("step", step_name(*step)), ("error", &errno_text(*errno))],
            ),
            vec![t_in(lang, "doctor.fix-failed", &[])],
        ),
    });
    match &r.overlay {
        Overlay::Works => out.push(line(
            Mark::Ok,
            t_in(lang, "doctor.overlay-works", &[]),
            vec![],
        )),
        Overlay::Failed { errno, kernel } => out.push(line(
            Mark::Blocking,
            t_in(
                lang,
                "doctor.overlay-failed",
                &[("error", &errno_text(*errno)), ("kernel", kernel)],
            ),
            vec![t_in(lang, "doctor.fix-overlay", &[]), root_instead()],
        )),
        Overlay::Untried => {}
    }
    let root = r.userns == Userns::Root;
    out.push(match r.cgroups {
        Cgroups::V2 => line(Mark::Ok, t_in(lang, "doctor.cgroups-v2", &[]), vec![]),
        Cgroups::V1 if root => line(Mark::Ok, t_in(lang, "doctor.cgroups-v1-root", &[]), vec![]),
        Cgroups::V1 => line(
            Mark::Limited,
            t_in(lang, "doctor.cgroups-v1", &[]),
            vec![t_in(lang, "doctor.fix-cgroups", &[])],
        ),
        Cgroups::None => line(
            Mark::Limited,
            t_in(lang, "doctor.cgroups-none", &[]),
            vec![t_in(lang, "doctor.fix-cgroups", &[])],
        ),
    });
    match &r.ids {
        Ids::NotNeeded => {}
        Ids::Works { range } => {
            let last = (range.0 + range.1).saturating_sub(1);
            out.push(line(
                Mark::Ok,
                t_in(
                    lang,
                    "doctor.ids-works",
                    &[("first", &range.0.to_string()), ("last", &last.to_string())],
                ),
                vec![],
            ));
        }
        Ids::NoRange { user, free } => {
            let user = if user.is_empty() { "$USER" } else { user };
            // 65536 ids, as useradd gives, after every range already given.
            let ids = format!("{free}-{}", free + 65535);
            out.push(line(
                Mark::Limited,
                t_in(lang, "doctor.ids-no-range", &[("user", user)]),
                vec![format!(
                    "sudo usermod --add-subuids {ids} --add-subgids {ids} {user}"
                )],
            ));
        }
        Ids::NoNewuidmap => out.push(line(
            Mark::Limited,
            t_in(lang, "doctor.ids-no-newuidmap", &[]),
            vec!["sudo apt install uidmap".into()],
        )),
    }
    out.push(match &r.egress {
        Egress::Pasta(_) | Egress::Slirp(_) => line(
            Mark::Ok,
            t_in(
                lang,
                "doctor.egress-works",
                &[("tool", r.egress.name().unwrap_or_default())],
            ),
            vec![],
        ),
        Egress::None(m) => {
            let (key, fix) = match m {
                Missing::Tool => ("info.no-egress-tool", "sudo apt install passt".to_string()),
                Missing::Nft => (
                    "info.no-egress-nft",
                    "sudo apt install nftables".to_string(),
                ),
                Missing::Tun => ("info.no-egress-tun", t_in(lang, "doctor.fix-tun", &[])),
            };
            line(
                Mark::Limited,
                t_in(
                    lang,
                    "doctor.egress-none",
                    &[("why", &t_in(lang, key, &[]))],
                ),
                vec![fix],
            )
        }
    });
    if r.wsl {
        out.push(line(
            Mark::Limited,
            t_in(lang, "doctor.wsl", &[]),
            vec![t_in(lang, "doctor.fix-wsl", &[])],
        ));
    }
    out
}

/// The report as `gorae doctor` prints it: a line per finding (✓ works, ! works less,
/// ✗ blocks), what to do under each problem, and what that means for the lessons.
pub fn render(r: &Report, lang: Lang) -> String {
    let mut s = format!("{}\n\n", t_in(lang, "doctor.title", &[]));
    for l in lines(r, lang) {
        let mark = match l.mark {
            Mark::Ok => "✓",
            Mark::Limited => "!",
            Mark::Blocking => "✗",
        };
        s.push_str(&format!("{mark} {}\n", l.text));
        if !l.fix.is_empty() {
            s.push_str(&format!("  {}\n", t_in(lang, "doctor.what-to-do", &[])));
            for f in &l.fix {
                s.push_str(&format!("    {f}\n"));
            }
        }
    }
    s.push('\n');
    let summary = if r.blocking() {
        "doctor.summary-blocking"
    } else if r.limited() {
        "doctor.summary-limited"
    } else {
        "doctor.summary-ok"
    };
    s.push_str(&t_in(lang, summary, &[]));
    s.push('\n');
    s
}

/// What the TUI's first look found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstLook {
    /// Everything works.
    Fine,
    /// Containers run, some things work less (the TUI says `gorae doctor` tells more).
    Limited,
    /// Containers cannot start; the learner read why and goes on to the lessons anyway.
    Blocked,
    /// Containers cannot start and the learner left.
    Leave,
}

/// Before the TUI opens: when containers cannot start here, show the report and what works
/// meanwhile, and let the learner go on (Enter) or leave (Ctrl-C, or end of input).
pub fn first_look(host: &dyn Host) -> FirstLook {
    let stdin = std::io::stdin();
    first_look_with(
        host,
        &mut stdin.lock(),
        &mut std::io::stdout(),
        i18n::lang(),
    )
}

/// [`first_look`] reading the answer from `input` and writing to `out`.
pub fn first_look_with(
    host: &dyn Host,
    input: &mut dyn std::io::BufRead,
    out: &mut dyn std::io::Write,
    lang: Lang,
) -> FirstLook {
    let report = doctor::diagnose(host);
    if !report.blocking() {
        return if report.limited() {
            FirstLook::Limited
        } else {
            FirstLook::Fine
        };
    }
    let _ = write!(
        out,
        "{}\n{}\n{}\n",
        render(&report, lang),
        t_in(lang, "doctor.meanwhile", &[]),
        t_in(lang, "doctor.press-enter", &[])
    );
    let _ = out.flush();
    let mut answer = String::new();
    match input.read_line(&mut answer) {
        Ok(n) if n > 0 => FirstLook::Blocked,
        _ => FirstLook::Leave,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::net::egress::Egress;
    use std::path::PathBuf;

    fn works() -> Report {
        Report {
            userns: Userns::Works,
            overlay: Overlay::Works,
            cgroups: Cgroups::V2,
            ids: Ids::Works {
                range: (100000, 65536),
            },
            egress: Egress::Pasta(PathBuf::from("/usr/bin/pasta")),
            wsl: false,
        }
    }

    fn in_both(r: &Report) -> [String; 2] {
        [Lang::Ko, Lang::En].map(|l| render(r, l))
    }

    #[test]
    fn a_machine_that_can_do_everything_says_so_and_asks_nothing() {
        let [ko, en] = in_both(&works());
        assert!(!en.contains('✗') && !en.contains("\n! "), "{en}");
        assert!(en.contains("100000–165535"), "{en}");
        assert!(en.contains("pasta"), "{en}");
        assert!(ko.contains("컨테이너"), "{ko}");
        assert!(!ko.contains("doctor."), "a key without a message:\n{ko}");
    }

    #[test]
    fn the_apparmor_restriction_says_how_to_allow_gorae_in_both_languages() {
        let r = Report {
            userns: Userns::AppArmorRestricted { errno: 1 },
            overlay: Overlay::Untried,
            ..works()
        };
        for text in in_both(&r) {
            assert!(text.contains("✗"), "{text}");
            assert!(text.contains(SYSCTL_APPARMOR), "{text}");
            assert!(
                text.contains("gorae doctor --apparmor-profile | sudo tee /etc/apparmor.d/gorae"),
                "{text}"
            );
            assert!(
                text.contains("sudo apparmor_parser -r /etc/apparmor.d/gorae"),
                "{text}"
            );
            assert!(text.contains(&format!("sudo sysctl -w {SYSCTL_APPARMOR}=0")));
            assert!(
                !text.contains("doctor."),
                "a key without a message:\n{text}"
            );
        }
        let [ko, en] = in_both(&r);
        assert!(en.contains("Operation not permitted"), "{en}");
        assert!(ko.contains("AppArmor") && ko.contains("할 일"), "{ko}");
    }

    #[test]
    fn each_problem_says_exactly_what_to_do() {
        let cases: Vec<(Report, &str)> = vec![
            (
                Report {
                    userns: Userns::Disabled {
                        sysctl: SYSCTL_MAX_USERNS,
                    },
                    overlay: Overlay::Untried,
                    ..works()
                },
                "sudo sysctl -w user.max_user_namespaces=15000",
            ),
            (
                Report {
                    overlay: Overlay::Failed {
                        errno: 1,
                        kernel: "5.4.0-150-generic".into(),
                    },
                    ..works()
                },
                "5.4.0-150-generic",
            ),
            (
                Report {
                    ids: Ids::NoRange {
                        user: "learner".into(),
                        free: 100000,
                    },
                    ..works()
                },
                "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 learner",
            ),
            (
                Report {
                    ids: Ids::NoNewuidmap,
                    ..works()
                },
                "sudo apt install uidmap",
            ),
            (
                Report {
                    egress: Egress::None(Missing::Tool),
                    ..works()
                },
                "sudo apt install passt",
            ),
            (
                Report {
                    cgroups: Cgroups::V1,
                    ..works()
                },
                "systemd.unified_cgroup_hierarchy=1",
            ),
            (
                Report {
                    wsl: true,
                    ..works()
                },
                ".wslconfig",
            ),
        ];
        for (r, fix) in cases {
            for text in in_both(&r) {
                assert!(text.contains(fix), "{fix} missing:\n{text}");
                assert!(text.contains("✗") || text.contains("\n! "), "{text}");
                assert!(
                    !text.contains("doctor."),
                    "a key without a message:\n{text}"
                );
            }
        }
    }

    /// Ubuntu 24.04 for a user: AppArmor restricts user namespaces and gorae has no profile.
    struct Ubuntu2404;

    impl Host for Ubuntu2404 {
        fn euid(&self) -> u32 {
            1000
        }
        fn user(&self) -> String {
            "learner".into()
        }
        fn read(&self, path: &std::path::Path) -> Option<String> {
            let text = match path.to_str()? {
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns" => "1\n",
                "/etc/subuid" | "/etc/subgid" => "learner:100000:65536\n",
                "/sys/fs/cgroup/cgroup.controllers" => "cpu memory pids\n",
                "/proc/sys/kernel/osrelease" => "6.8.0-31-generic\n",
                _ => return None,
            };
            Some(text.into())
        }
        fn has_program(&self, _name: &str) -> bool {
            true
        }
        fn egress(&self) -> Egress {
            Egress::Pasta(PathBuf::from("/usr/bin/pasta"))
        }
        fn probe(&self) -> crate::engine::doctor::NsProbe {
            crate::engine::doctor::NsProbe {
                failed: Some((ProbeStep::IdMap, 1)),
            }
        }
    }

    #[test]
    fn the_first_start_on_ubuntu_24_04_says_what_to_do_and_waits_for_enter() {
        let mut out = Vec::new();
        let look = first_look_with(&Ubuntu2404, &mut &b"\n"[..], &mut out, Lang::Ko);
        assert_eq!(look, FirstLook::Blocked);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("✗ AppArmor"), "{text}");
        assert!(
            text.contains("gorae doctor --apparmor-profile | sudo tee /etc/apparmor.d/gorae"),
            "{text}"
        );
        assert!(
            text.contains("그동안에도 수업을 열어 읽을 수 있고"),
            "{text}"
        );
        assert!(text.contains("Enter"), "{text}");
        // End of input (or Ctrl-C) leaves.
        let look = first_look_with(&Ubuntu2404, &mut &b""[..], &mut Vec::new(), Lang::En);
        assert_eq!(look, FirstLook::Leave);
    }

    #[test]
    fn the_profile_allows_user_namespaces_for_the_binary_it_names() {
        assert!(APPARMOR_PROFILE.contains(PROFILE_PATH));
        assert!(APPARMOR_PROFILE.contains("userns,"));
        let p = apparmor_profile(std::path::Path::new("/opt/gorae/bin/gorae"));
        assert!(p.contains("/opt/gorae/bin/gorae"), "{p}");
        assert!(!p.contains(PROFILE_PATH), "{p}");
    }
}
