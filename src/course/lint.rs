//! `gorae lesson check [PATH…]`: find mistakes in lesson files before a learner meets them.
//! Everything `parse_lesson` rejects, plus authoring rules (hints, solutions, empty groups) and
//! the ko/en pairing (same files, same lesson id, same step ids in the same order).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::i18n::t;

use super::lesson::{Lesson, Predicate, default_lessons_dir, lesson_files, load_lesson};

const LOCALES: [&str; 2] = ["ko", "en"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LintMessage {
    pub path: PathBuf,
    /// 1-based; 0 for the file (or directory) as a whole.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LintMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        }
    }
}

fn msg(path: &Path, line: usize, message: String) -> LintMessage {
    LintMessage {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// Lint files and directories. A directory holding `ko/` and `en/` is a course: both locales
/// are linted and paired; a locale directory is paired with its sibling when that exists.
pub fn lint(paths: &[PathBuf]) -> Vec<LintMessage> {
    lint_report(paths).0
}

/// The messages and how many lesson files were read.
fn lint_report(paths: &[PathBuf]) -> (Vec<LintMessage>, usize) {
    let mut out = Vec::new();
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    // Directories whose files are one course in one locale (for duplicate lesson ids).
    let mut locale_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut pairs: BTreeSet<(PathBuf, PathBuf)> = BTreeSet::new();

    for path in paths {
        if path.is_file() {
            files.insert(path.clone());
            continue;
        }
        if !path.is_dir() {
            out.push(msg(path, 0, t("course.lint.no_such_path", &[])));
            continue;
        }
        let subdirs: Vec<PathBuf> = LOCALES
            .iter()
            .map(|l| path.join(l))
            .filter(|d| d.is_dir())
            .collect();
        let dirs = if subdirs.is_empty() {
            vec![path.clone()]
        } else {
            subdirs
        };
        for dir in &dirs {
            match lesson_files(dir) {
                Ok(found) if found.is_empty() => {
                    out.push(msg(dir, 0, t("course.lint.no_lessons", &[])));
                }
                Ok(found) => files.extend(found),
                Err(e) => out.push(msg(
                    dir,
                    0,
                    t("course.err.read", &[("error", &e.to_string())]),
                )),
            }
            locale_dirs.insert(dir.clone());
            if let Some(pair) = locale_pair(dir) {
                pairs.insert(pair);
            }
        }
    }

    let mut lessons: BTreeMap<PathBuf, Lesson> = BTreeMap::new();
    for file in &files {
        match load_lesson(file) {
            Ok(lesson) => {
                out.extend(lint_lesson(&lesson));
                lessons.insert(file.clone(), lesson);
            }
            Err(e) => out.push(msg(&e.path, e.line, e.kind.to_string())),
        }
    }
    for dir in &locale_dirs {
        out.extend(duplicate_lesson_ids(dir, &lessons));
    }
    for (ko, en) in &pairs {
        out.extend(compare_locales(ko, en, &lessons));
    }
    out.sort();
    out.dedup();
    (out, files.len())
}

/// `(…/ko, …/en)` when `dir` is one of them and the other exists beside it.
fn locale_pair(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let name = dir.file_name()?.to_str()?;
    if !LOCALES.contains(&name) {
        return None;
    }
    let parent = dir.parent()?;
    let (ko, en) = (parent.join("ko"), parent.join("en"));
    (ko.is_dir() && en.is_dir()).then_some((ko, en))
}

/// Authoring rules a parsed lesson can still break.
fn lint_lesson(lesson: &Lesson) -> Vec<LintMessage> {
    let mut out = Vec::new();
    let path = &lesson.path;
    for step in &lesson.steps {
        let mut say = |key: &str| {
            out.push(msg(path, step.line, t(key, &[("step", &step.id)])));
        };
        if !step.is_reading() {
            if step.hints.is_empty() {
                say("course.lint.no_hints");
            }
            if step.solution.is_empty() {
                say("course.lint.no_solution");
            }
            // Without attempts on both sides, a check that is too loose or too strict goes
            // unnoticed until a learner meets it.
            if step.wrong.len() < 2 || step.right.is_empty() {
                say("course.lint.few_attempts");
            }
        } else if !step.wrong.is_empty() || !step.right.is_empty() || !step.avoid.is_empty() {
            say("course.lint.reading_with_checks");
        }
        if step.hints.iter().any(|h| h.trim().is_empty()) {
            say("course.lint.blank_hint");
        }
        if step
            .solution
            .iter()
            .chain(&step.setup)
            .any(|c| c.trim().is_empty())
        {
            say("course.lint.blank_command");
        }
        if step.any.iter().any(Vec::is_empty) {
            say("course.lint.empty_any");
        }
        if step.avoid.iter().any(|a| a.when.is_empty()) {
            say("course.lint.empty_when");
        }
        if step.avoid.iter().any(|a| a.hint.trim().is_empty()) {
            say("course.lint.blank_avoid_hint");
        }
        if step
            .wrong
            .iter()
            .chain(&step.right)
            .any(|w| w.is_empty() || w.iter().any(|c| c.trim().is_empty()))
        {
            say("course.lint.empty_wrong");
        }
        if literal_strong(&step.text) {
            say("course.lint.literal_bold");
        }
        // gorae's own `http` requests reach the server's log: a request seen there would no
        // longer mean the learner made one.
        let preds = || step.check.iter().chain(step.any.iter().flatten());
        if preds().any(|p| matches!(p, Predicate::Http { .. }))
            && preds().any(|p| matches!(p, Predicate::LogContains { .. }))
        {
            say("course.lint.http_and_log");
        }
    }
    if literal_strong(&lesson.intro) {
        out.push(msg(path, 1, t("course.lint.literal_bold_intro", &[])));
    }
    out
}

/// Whether `**` survives as text: CommonMark did not take it as bold, typically because a
/// closing `**` after punctuation is followed by Hangul (`**`docker`**를`), which the
/// learner then sees as asterisks.
fn literal_strong(md: &str) -> bool {
    use pulldown_cmark::{Event, Parser};
    // The parser may hand the delimiters over as separate text events: join each run.
    let mut run = String::new();
    for ev in Parser::new(md) {
        match ev {
            Event::Text(t) => run.push_str(&t),
            _ => {
                if run.contains("**") {
                    return true;
                }
                run.clear();
            }
        }
    }
    run.contains("**")
}

fn duplicate_lesson_ids(dir: &Path, lessons: &BTreeMap<PathBuf, Lesson>) -> Vec<LintMessage> {
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    let mut out = Vec::new();
    for (path, lesson) in lessons.range(dir.to_path_buf()..) {
        if path.parent() != Some(dir) {
            continue;
        }
        if let Some(first) = seen.insert(&lesson.id, path) {
            out.push(msg(
                path,
                1,
                t(
                    "course.lint.duplicate_lesson",
                    &[("id", &lesson.id), ("other", &first.display().to_string())],
                ),
            ));
        }
    }
    out
}

/// Same file names on both sides, and for each pair the same lesson id and step ids in order.
fn compare_locales(ko: &Path, en: &Path, lessons: &BTreeMap<PathBuf, Lesson>) -> Vec<LintMessage> {
    let names = |dir: &Path| -> BTreeSet<std::ffi::OsString> {
        lesson_files(dir)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_os_string()))
            .collect()
    };
    let (ko_names, en_names) = (names(ko), names(en));
    let mut out = Vec::new();
    for (have, own, other_dir, other_names) in [
        (ko, &ko_names, en, &en_names),
        (en, &en_names, ko, &ko_names),
    ] {
        for name in own.difference(other_names) {
            let missing = other_dir.join(name);
            out.push(msg(
                &have.join(name),
                0,
                t(
                    "course.lint.missing_locale",
                    &[("path", &missing.display().to_string())],
                ),
            ));
        }
    }
    // The sibling locale may not be among the linted paths: read it just for the comparison.
    let get = |path: PathBuf| match lessons.get(&path) {
        Some(l) => Some(std::borrow::Cow::Borrowed(l)),
        None => load_lesson(&path).ok().map(std::borrow::Cow::Owned),
    };
    for name in ko_names.intersection(&en_names) {
        let (Some(k), Some(e)) = (get(ko.join(name)), get(en.join(name))) else {
            continue; // a file that does not parse has (or gets, when linted) its own message
        };
        if k.id != e.id {
            out.push(msg(
                &e.path,
                1,
                t("course.lint.id_differs", &[("id", &e.id), ("ko", &k.id)]),
            ));
        }
        let ko_ids: Vec<&str> = k.steps.iter().map(|s| s.id.as_str()).collect();
        let en_ids: Vec<&str> = e.steps.iter().map(|s| s.id.as_str()).collect();
        if ko_ids != en_ids {
            let at = ko_ids
                .iter()
                .zip(&en_ids)
                .position(|(a, b)| a != b)
                .unwrap_or(ko_ids.len().min(en_ids.len()));
            let line = e.steps.get(at).map(|s| s.line).unwrap_or(1);
            out.push(msg(
                &e.path,
                line,
                t(
                    "course.lint.steps_differ",
                    &[("en", &en_ids.join(", ")), ("ko", &ko_ids.join(", "))],
                ),
            ));
        }
    }
    out
}

/// The `gorae lesson check` command: `args` are the PATHs (files or directories; default:
/// the lessons directory, both locales). Prints one message per line; 0 when clean, 1 when
/// not, 2 for a usage error.
pub fn lint_main(args: Vec<String>) -> i32 {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{}", t("course.lint.usage", &[]));
        return 0;
    }
    if let Some(opt) = args.iter().find(|a| a.starts_with('-') && a.len() > 1) {
        eprintln!("{}", t("course.lint.bad_option", &[("option", opt)]));
        eprintln!("{}", t("course.lint.usage", &[]));
        return 2;
    }
    let paths: Vec<PathBuf> = if args.is_empty() {
        vec![default_lessons_dir()]
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let (messages, files) = lint_report(&paths);
    for m in &messages {
        println!("{m}");
    }
    // English counts differ in number ("1 lesson file", "2 problems"): a key per form.
    let files_text = t(
        if files == 1 {
            "course.lint.file"
        } else {
            "course.lint.files"
        },
        &[("files", &files.to_string())],
    );
    if messages.is_empty() {
        println!("{}", t("course.lint.clean", &[("files", &files_text)]));
        0
    } else {
        let count = messages.len().to_string();
        let key = if messages.len() == 1 {
            "course.lint.problem"
        } else {
            "course.lint.problems"
        };
        println!("{}", t(key, &[("count", &count), ("files", &files_text)]));
        1
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn lesson_src(id: &str, steps: &[(&str, &str)]) -> String {
        let mut s = format!("+++\nid = \"{id}\"\ntitle = \"T\"\nminutes = 5\n+++\n\nIntro.\n");
        for (sid, extra) in steps {
            s.push_str(&format!(
                "\n```step\nid = \"{sid}\"\ntitle = \"S\"\n{extra}\n```\n\nText.\n"
            ));
        }
        s
    }

    const CHECKED: &str = "hints = [\"h\"]\nsolution = [\"docker pull busybox\"]\ncheck = [{ image = \"busybox\" }]\n\
        wrong = [[\"docker pull debian\"], [\"docker images\"]]\nright = [[\"docker image pull busybox\"]]";

    fn course(dir: &Path, ko: &[(&str, String)], en: &[(&str, String)]) {
        for (loc, files) in [("ko", ko), ("en", en)] {
            fs::create_dir_all(dir.join(loc)).unwrap();
            for (name, src) in files {
                fs::write(dir.join(loc).join(name), src).unwrap();
            }
        }
    }

    fn lines(msgs: &[LintMessage], root: &Path) -> Vec<String> {
        msgs.iter()
            .map(|m| m.to_string().replace(&format!("{}/", root.display()), ""))
            .collect()
    }

    #[test]
    fn a_clean_course_has_no_messages() {
        let dir = tempfile::tempdir().unwrap();
        let src = lesson_src("01-hello", &[("read", ""), ("pull", CHECKED)]);
        course(
            dir.path(),
            &[("01-hello.md", src.clone())],
            &[("01-hello.md", src)],
        );
        let (msgs, files) = lint_report(&[dir.path().to_path_buf()]);
        assert_eq!(lines(&msgs, dir.path()), Vec::<String>::new());
        assert_eq!(files, 2);
    }

    #[test]
    fn authoring_rules() {
        let dir = tempfile::tempdir().unwrap();
        let src = lesson_src(
            "01-x",
            &[
                (
                    "no-hint",
                    "solution = [\"docker ps\"]\ncheck = [{ ran = [\"ps\"] }]",
                ),
                (
                    "no-solution",
                    "hints = [\"h\"]\ncheck = [{ ran = [\"ps\"] }]",
                ),
                ("blank", "hints = [\" \"]\nsolution = [\"x\"]\nany = [[]]"),
                (
                    "avoid",
                    "hints = [\"h\"]\nsolution = [\"x\"]\ncheck = [{ ran = [\"ps\"] }]\navoid = [{ when = [], hint = \"\" }]",
                ),
                ("reading", "wrong = [[\"docker ps\"]]"),
                (
                    "http-log",
                    "hints = [\"h\"]\nsolution = [\"x\"]\ncheck = [{ http = 8080 }, { log_contains = \"GET /\" }]\nwrong = [[\"a\"], [\"b\"]]\nright = [[\"c\"]]",
                ),
            ],
        );
        let file = dir.path().join("01-x.md");
        fs::write(&file, src).unwrap();
        let msgs = lint(&[file]);
        let text = lines(&msgs, dir.path());
        let at = |line: usize, step: &str| {
            text.iter()
                .filter(|m| m.starts_with(&format!("01-x.md:{line}: ")) && m.contains(step))
                .count()
        };
        // Each checked step here also lacks its `wrong`/`right` attempts.
        assert_eq!(at(9, "no-hint"), 2, "{text:#?}");
        assert_eq!(at(18, "no-solution"), 2, "{text:#?}");
        assert_eq!(
            at(27, "blank"),
            3,
            "blank hint and empty any group: {text:#?}"
        );
        assert_eq!(at(37, "avoid"), 3, "empty when and blank hint: {text:#?}");
        assert_eq!(at(48, "reading"), 1, "{text:#?}");
        assert_eq!(at(56, "http-log"), 1, "{text:#?}");
        assert_eq!(text.len(), 12, "{text:#?}");
    }

    #[test]
    fn parse_errors_are_reported_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        let bad = lesson_src("01-x", &[("a", "check = [{ imgae = \"busybox\" }]")]);
        let dup = lesson_src("02-y", &[("a", ""), ("a", "")]);
        course(
            dir.path(),
            &[
                ("01-x.md", bad.clone()),
                ("02-y.md", dup.clone()),
                ("03-z.md", "# no front matter".into()),
            ],
            &[
                ("01-x.md", bad),
                ("02-y.md", dup),
                ("03-z.md", "# no front matter".into()),
            ],
        );
        let text = lines(&lint(&[dir.path().to_path_buf()]), dir.path());
        assert_eq!(text.len(), 6, "{text:#?}");
        for loc in ["ko", "en"] {
            assert!(
                text.iter()
                    .any(|m| m.starts_with(&format!("{loc}/01-x.md:12: ")) && m.contains("imgae")),
                "{text:#?}"
            );
            assert!(
                text.iter()
                    .any(|m| m.starts_with(&format!("{loc}/02-y.md:17: "))),
                "{text:#?}"
            );
            assert!(
                text.iter()
                    .any(|m| m.starts_with(&format!("{loc}/03-z.md:1: "))),
                "{text:#?}"
            );
        }
    }

    #[test]
    fn locales_must_pair_up() {
        let dir = tempfile::tempdir().unwrap();
        let one = lesson_src("01-hello", &[("a", ""), ("b", "")]);
        course(
            dir.path(),
            &[
                ("01-hello.md", one.clone()),
                ("02-only-ko.md", lesson_src("02-k", &[("a", "")])),
                ("03-ids.md", lesson_src("03-ids", &[("a", "")])),
            ],
            &[
                (
                    "01-hello.md",
                    lesson_src("01-hello", &[("b", ""), ("a", "")]),
                ),
                ("03-ids.md", lesson_src("03-other", &[("a", "")])),
                ("04-only-en.md", lesson_src("04-e", &[("a", "")])),
            ],
        );
        let text = lines(&lint(&[dir.path().to_path_buf()]), dir.path());
        assert_eq!(text.len(), 4, "{text:#?}");
        assert!(
            text.iter().any(|m| m.starts_with("en/01-hello.md:9: ")
                && m.contains("b, a")
                && m.contains("a, b")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|m| m.starts_with("ko/02-only-ko.md: ") && m.contains("en/02-only-ko.md")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|m| m.starts_with("en/03-ids.md:1: ") && m.contains("03-other")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|m| m.starts_with("en/04-only-en.md: ") && m.contains("ko/04-only-en.md")),
            "{text:#?}"
        );
        // A locale directory alone is paired with its sibling too.
        assert_eq!(lint(&[dir.path().join("ko")]).len(), 4);
    }

    #[test]
    fn duplicate_lesson_ids_and_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let src = lesson_src("01-same", &[("a", "")]);
        fs::write(dir.path().join("01-a.md"), &src).unwrap();
        fs::write(dir.path().join("02-b.md"), &src).unwrap();
        let text = lines(&lint(&[dir.path().to_path_buf()]), dir.path());
        assert_eq!(text.len(), 1, "{text:#?}");
        assert!(
            text[0].starts_with("02-b.md:1: ") && text[0].contains("01-same"),
            "{text:#?}"
        );

        let empty = tempfile::tempdir().unwrap();
        assert_eq!(lint(&[empty.path().to_path_buf()]).len(), 1);
        assert_eq!(lint(&[empty.path().join("nope")]).len(), 1);
    }

    #[test]
    fn lint_main_exit_codes() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("01-good.md");
        fs::write(&good, lesson_src("01-good", &[("a", CHECKED)])).unwrap();
        let bad = dir.path().join("02-bad.md");
        fs::write(&bad, "oops").unwrap();
        let arg = |p: &Path| p.display().to_string();
        assert_eq!(lint_main(vec![arg(&good)]), 0);
        assert_eq!(lint_main(vec![arg(&good), arg(&bad)]), 1);
        assert_eq!(lint_main(vec!["--frobnicate".into()]), 2);
    }

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons")
    }

    #[test]
    fn fixture_course_is_clean_and_broken_fixture_is_not() {
        let (msgs, files) = lint_report(&[fixtures()]);
        assert!(msgs.is_empty(), "{msgs:#?}");
        assert_eq!(files, 2);
        let broken = fixtures().join("broken/01-typos.md");
        let msgs = lint(std::slice::from_ref(&broken));
        assert_eq!(msgs.len(), 1, "{msgs:#?}");
        assert_eq!(
            (msgs[0].path.as_path(), msgs[0].line),
            (broken.as_path(), 13)
        );
        assert!(msgs[0].message.contains("contianer"), "{msgs:#?}");
    }

    #[test]
    fn an_event_the_engine_never_emits_is_refused() {
        let broken = fixtures().join("broken/02-event.md");
        let msgs = lint(std::slice::from_ref(&broken));
        assert_eq!(msgs.len(), 1, "{msgs:#?}");
        assert_eq!(
            (msgs[0].path.as_path(), msgs[0].line),
            (broken.as_path(), 13)
        );
        let m = &msgs[0].message;
        assert!(m.contains("`strat`") && m.contains("start"), "{m}");

        let dir = tempfile::tempdir().unwrap();
        let step = |check: &str| {
            format!(
                "hints = [\"h\"]\nsolution = [\"docker ps\"]\ncheck = [{check}]\n\
                 wrong = [[\"a\"], [\"b\"]]\nright = [[\"c\"]]"
            )
        };
        for (check, bad) in [
            (r#"{ event = "start" }"#, None),
            (r#"{ event = "commit", type = "container" }"#, None),
            (r#"{ event = "run", type = "command" }"#, None),
            (r#"{ event = "strat" }"#, Some("strat")),
            (r#"{ event = "commit", type = "image" }"#, Some("commit")),
            (
                r#"{ event = "start", type = "contianer" }"#,
                Some("contianer"),
            ),
        ] {
            let file = dir.path().join("01-e.md");
            fs::write(&file, lesson_src("01-e", &[("s", &step(check))])).unwrap();
            let msgs = lint(&[file]);
            match bad {
                None => assert!(msgs.is_empty(), "{check}: {msgs:#?}"),
                Some(word) => assert!(
                    msgs.len() == 1 && msgs[0].message.contains(word),
                    "{check}: {msgs:#?}"
                ),
            }
        }
    }

    #[test]
    fn attempts_and_literal_bold() {
        let dir = tempfile::tempdir().unwrap();
        let checked = "hints = [\"h\"]\nsolution = [\"x\"]\ncheck = [{ ran = [\"ps\"] }]";
        let src = lesson_src(
            "01-x",
            &[
                (
                    "one-wrong",
                    &format!("{checked}\nwrong = [[\"a\"]]\nright = [[\"b\"]]"),
                ),
                (
                    "no-right",
                    &format!("{checked}\nwrong = [[\"a\"], [\"b\"]]"),
                ),
                ("reading", "right = [[\"docker ps\"]]"),
            ],
        )
        .replace("Text.", "**볼륨(volume)**을 씁니다. **F1**을 누르세요.");
        let file = dir.path().join("01-x.md");
        fs::write(&file, src).unwrap();
        let text = lines(&lint(&[file]), dir.path());
        let about = |step: &str, what: &str| {
            text.iter()
                .filter(|m| m.contains(&format!("`{step}`")) && m.contains(what))
                .count()
        };
        assert_eq!(about("one-wrong", "`right`"), 1, "{text:#?}");
        assert_eq!(about("no-right", "`right`"), 1, "{text:#?}");
        assert_eq!(about("reading", "no check"), 1, "{text:#?}");
        // Each step's text has the bold CommonMark will not close; `**F1**을` is fine.
        assert_eq!(
            text.iter().filter(|m| m.contains("asterisks")).count(),
            3,
            "{text:#?}"
        );
        assert_eq!(text.len(), 6, "{text:#?}");
    }
}
