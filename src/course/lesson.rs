//! Lesson files (lessons/FORMAT.md): TOML front matter between `+++` lines, CommonMark, and
//! fenced ```` ```step ```` blocks holding each step's TOML.

use std::ops::Range;
use std::path::{Path, PathBuf};

use pulldown_cmark::{CodeBlockKind, Event as MdEvent, Parser, Tag, TagEnd};
use serde::Deserialize;

use crate::i18n::{Lang, t};

pub use super::predicate::{ContainerMatch, ContainerState, ImageRef, Predicate};

#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// Stable id, the same in every locale; progress is keyed by it.
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub path: PathBuf,
    /// Markdown before the first step.
    pub intro: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// The step's markdown (from its block to the next), step blocks removed.
    pub text: String,
    pub hints: Vec<String>,
    pub solution: Vec<String>,
    pub check: Vec<Predicate>,
    pub any: Vec<Vec<Predicate>>,
    /// `check` and `any` as the lesson wrote them (inline TOML), for messages.
    pub check_src: Vec<String>,
    pub any_src: Vec<Vec<String>>,
    pub avoid: Vec<Avoid>,
    pub wrong: Vec<Vec<String>>,
    /// Attempts other than the solution that must pass (tests replay them).
    pub right: Vec<Vec<String>>,
    pub setup: Vec<String>,
    /// 1-based line of the step block's opening fence in the file.
    pub line: usize,
}

impl Step {
    /// A step with nothing to check is read, then marked done when the learner moves on.
    pub fn is_reading(&self) -> bool {
        self.check.is_empty() && self.any.is_empty()
    }

    /// The solution as the commands a learner enters: one line each, except a here-document
    /// (`cat > f <<'EOF'` … `EOF`), which is its opening line through its delimiter.
    pub fn commands(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        let mut until: Option<String> = None;
        for line in &self.solution {
            match until.as_deref() {
                Some(end) => {
                    let closes = line.trim() == end;
                    if let Some(cmd) = out.last_mut() {
                        cmd.push(line.clone());
                    }
                    if closes {
                        until = None;
                    }
                }
                None => {
                    until = heredoc_delimiter(line);
                    out.push(vec![line.clone()]);
                }
            }
        }
        out
    }
}

/// The delimiter of a here-document a shell line opens (`<<EOF`, `<<'EOF'`, `<<-"EOF"`).
fn heredoc_delimiter(line: &str) -> Option<String> {
    let at = line.find("<<")?;
    let rest = line[at + 2..].trim_start_matches('-').trim_start();
    if rest.starts_with('<') {
        return None; // `<<<`, a here-string
    }
    let word: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !";|&>".contains(*c))
        .filter(|c| !matches!(c, '\'' | '"' | '\\'))
        .collect();
    (!word.is_empty()).then_some(word)
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Avoid {
    pub when: Vec<Predicate>,
    pub hint: String,
}

/// A lesson file that cannot be used, located at the line to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}: {kind}", path.display())]
pub struct LessonError {
    pub path: PathBuf,
    /// 1-based; 0 when the error is about the file as a whole (it cannot be read).
    pub line: usize,
    pub kind: LessonErrorKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LessonErrorKind {
    Read(String),
    NoFrontMatter,
    UnclosedFrontMatter,
    FrontMatter(String),
    StepToml(String),
    DuplicateStep { id: String, first_line: usize },
    NoSteps,
}

impl std::fmt::Display for LessonErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let msg = match self {
            LessonErrorKind::Read(e) => t("course.err.read", &[("error", e)]),
            LessonErrorKind::NoFrontMatter => t("course.err.no_front_matter", &[]),
            LessonErrorKind::UnclosedFrontMatter => t("course.err.unclosed_front_matter", &[]),
            LessonErrorKind::FrontMatter(e) => t("course.err.front_matter", &[("error", e)]),
            LessonErrorKind::StepToml(e) => t("course.err.step", &[("error", e)]),
            LessonErrorKind::DuplicateStep { id, first_line } => t(
                "course.err.duplicate_step",
                &[("id", id), ("line", &first_line.to_string())],
            ),
            LessonErrorKind::NoSteps => t("course.err.no_steps", &[]),
        };
        f.write_str(&msg)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    #[serde(default)]
    minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepToml {
    id: String,
    title: String,
    #[serde(default)]
    hints: Vec<String>,
    #[serde(default)]
    solution: Vec<String>,
    #[serde(default)]
    check: Vec<RawPredicate>,
    #[serde(default)]
    any: Vec<Vec<RawPredicate>>,
    #[serde(default)]
    avoid: Vec<RawAvoid>,
    #[serde(default)]
    wrong: Vec<Vec<String>>,
    #[serde(default)]
    right: Vec<Vec<String>>,
    #[serde(default)]
    setup: Vec<String>,
}

/// Predicates are converted after parsing, from their spans, so an error names the line of
/// the predicate itself rather than the line its array starts on.
type RawPredicate = toml::Spanned<toml::Table>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAvoid {
    when: Vec<RawPredicate>,
    hint: String,
}

/// A fenced step block found in the markdown body (byte ranges in the body).
struct Block {
    whole: Range<usize>,
    toml: String,
    /// Body offset of the block's first content line (for TOML error lines).
    content_start: usize,
}

pub fn parse_lesson(path: &Path, text: &str) -> Result<Lesson, LessonError> {
    let err = |line: usize, kind| LessonError {
        path: path.to_path_buf(),
        line,
        kind,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    // Front matter: the first line is `+++`, up to the next `+++` line.
    let mut lines = line_starts(text);
    let first = lines.next().map(|(_, l)| l);
    if first.map(str::trim_end) != Some("+++") {
        return Err(err(1, LessonErrorKind::NoFrontMatter));
    }
    let fm_start = first.map(str::len).unwrap_or(0);
    let (fm_end, body_start) = lines
        .find(|(_, l)| l.trim_end() == "+++")
        .map(|(at, l)| (at, at + l.len()))
        .ok_or_else(|| err(1, LessonErrorKind::UnclosedFrontMatter))?;
    let fm_src = &text[fm_start..fm_end];
    let front: FrontMatter = toml::from_str(fm_src).map_err(|e| {
        err(
            2 + toml_error_line(fm_src, &e),
            LessonErrorKind::FrontMatter(e.message().to_string()),
        )
    })?;
    if front.id.trim().is_empty() || front.title.trim().is_empty() {
        let missing = if front.id.trim().is_empty() {
            "id"
        } else {
            "title"
        };
        return Err(err(
            2,
            LessonErrorKind::FrontMatter(t("course.err.empty_field", &[("field", missing)])),
        ));
    }

    let body = &text[body_start..];
    let body_line0 = line_of(text, body_start);
    let blocks = step_blocks(body);
    let mut steps: Vec<Step> = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let fence_line = body_line0 + line_of(body, block.whole.start) - 1;
        let content_line = body_line0 + line_of(body, block.content_start) - 1;
        let raw: StepToml = toml::from_str(&block.toml).map_err(|e| {
            err(
                content_line + toml_error_line(&block.toml, &e),
                LessonErrorKind::StepToml(e.message().to_string()),
            )
        })?;
        for (field, value) in [("id", &raw.id), ("title", &raw.title)] {
            if value.trim().is_empty() {
                return Err(err(
                    fence_line,
                    LessonErrorKind::StepToml(t("course.err.empty_field", &[("field", field)])),
                ));
            }
        }
        if let Some(prev) = steps.iter().find(|s| s.id == raw.id) {
            return Err(err(
                fence_line,
                LessonErrorKind::DuplicateStep {
                    id: raw.id,
                    first_line: prev.line,
                },
            ));
        }
        let predicates = |raw: Vec<RawPredicate>| -> Result<Vec<Predicate>, LessonError> {
            raw.into_iter()
                .map(|p| {
                    Predicate::from_table(p.get_ref()).map_err(|msg| {
                        err(
                            content_line + line_of(&block.toml, p.span().start) - 1,
                            LessonErrorKind::StepToml(msg),
                        )
                    })
                })
                .collect()
        };
        let source = |raw: &[RawPredicate]| -> Vec<String> {
            raw.iter()
                .map(|p| toml::Value::Table(p.get_ref().clone()).to_string())
                .collect()
        };
        let check_src = source(&raw.check);
        let any_src = raw.any.iter().map(|g| source(g)).collect();
        let check = predicates(raw.check)?;
        let any = raw
            .any
            .into_iter()
            .map(&predicates)
            .collect::<Result<Vec<_>, _>>()?;
        let avoid = raw
            .avoid
            .into_iter()
            .map(|a| {
                Ok(Avoid {
                    when: predicates(a.when)?,
                    hint: a.hint,
                })
            })
            .collect::<Result<Vec<_>, LessonError>>()?;
        let text_end = blocks
            .get(i + 1)
            .map(|b| b.whole.start)
            .unwrap_or(body.len());
        steps.push(Step {
            id: raw.id,
            title: raw.title,
            text: tidy(&body[block.whole.end..text_end]),
            hints: raw.hints,
            solution: raw.solution,
            check,
            any,
            check_src,
            any_src,
            avoid,
            wrong: raw.wrong,
            right: raw.right,
            setup: raw.setup,
            line: fence_line,
        });
    }
    if steps.is_empty() {
        return Err(err(body_line0, LessonErrorKind::NoSteps));
    }
    let intro_end = blocks.first().map(|b| b.whole.start).unwrap_or(body.len());
    Ok(Lesson {
        id: front.id,
        title: front.title,
        minutes: front.minutes,
        path: path.to_path_buf(),
        intro: tidy(&body[..intro_end]),
        steps,
    })
}

pub fn load_lesson(path: &Path) -> Result<Lesson, LessonError> {
    let text = std::fs::read_to_string(path).map_err(|e| LessonError {
        path: path.to_path_buf(),
        line: 0,
        kind: LessonErrorKind::Read(e.to_string()),
    })?;
    parse_lesson(path, &text)
}

/// Lesson files are named `NN-slug.md`.
pub fn is_lesson_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let b = name.as_bytes();
    b.len() > 6
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit()
        && b[2] == b'-'
        && name.ends_with(".md")
}

/// The lesson files of one locale directory, sorted by file name.
pub fn lesson_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_lesson_file(p) && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Every `NN-*.md` in `lessons/<lang>/`, sorted by file name. A broken file is an Err entry
/// (the TUI shows it and keeps running); an unreadable directory is one Err entry.
pub fn load_course(lessons_dir: &Path, lang: Lang) -> Vec<Result<Lesson, LessonError>> {
    let dir = lessons_dir.join(lang.code());
    match lesson_files(&dir) {
        Ok(files) => files.iter().map(|p| load_lesson(p)).collect(),
        Err(e) => vec![Err(LessonError {
            path: dir,
            line: 0,
            kind: LessonErrorKind::Read(e.to_string()),
        })],
    }
}

/// `$GORAE_LESSONS`, else `share/gorae/lessons` beside an installed binary, else the source
/// tree's `lessons/`.
pub fn default_lessons_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("GORAE_LESSONS").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        let beside = dir.join("../share/gorae/lessons");
        if beside.is_dir() {
            return beside;
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("lessons")
}

/// Fenced code blocks whose info string's first word is `step`.
fn step_blocks(body: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (ev, range) in Parser::new(body).into_offset_iter() {
        match ev {
            MdEvent::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.split_whitespace().next() == Some("step") =>
            {
                // Content begins on the line after the opening fence.
                let next_line = body[range.start..]
                    .find('\n')
                    .map(|i| range.start + i + 1)
                    .unwrap_or(range.end);
                current = Some(Block {
                    whole: range,
                    toml: String::new(),
                    content_start: next_line,
                });
            }
            MdEvent::Text(text) => {
                if let Some(b) = current.as_mut() {
                    b.toml.push_str(&text);
                }
            }
            MdEvent::End(TagEnd::CodeBlock) => {
                if let Some(b) = current.take() {
                    blocks.push(b);
                }
            }
            _ => {}
        }
    }
    blocks
}

/// (byte offset, line including its newline) for each line.
fn line_starts(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_inclusive('\n').scan(0usize, |at, line| {
        let start = *at;
        *at += line.len();
        Some((start, line))
    })
}

/// 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    1 + text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Lines into `src` (0-based) where a TOML error starts.
fn toml_error_line(src: &str, e: &toml::de::Error) -> usize {
    e.span().map(|s| line_of(src, s.start) - 1).unwrap_or(0)
}

/// Drop surrounding blank lines and trailing spaces, keeping the first line's indentation.
fn tidy(md: &str) -> String {
    let trimmed = md.trim_end();
    let start = trimmed
        .char_indices()
        .find(|(_, c)| !c.is_whitespace())
        .map(|(i, _)| trimmed[..i].rfind('\n').map(|n| n + 1).unwrap_or(0))
        .unwrap_or(trimmed.len());
    trimmed[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"+++
id = "02-images"
title = "이미지"
minutes = 10
+++

# 이미지

Introduction here.

```step
id = "pull-busybox"
title = "busybox 이미지 받기"
hints = ["`docker pull` 뒤에 이미지 이름을 적어 보세요.", "docker pull busybox"]
solution = ["docker pull busybox"]
check = [{ image = "busybox" }]
avoid = [{ when = [{ image = "ubuntu" }], hint = "ubuntu 말고 busybox예요." }]
wrong = [["docker pull debian"]]
```

Step one text.

```sh
docker pull busybox
```

```step
id = "look"
title = "읽기"
```

Reading step text.
"#;

    #[test]
    fn a_here_document_is_one_command_with_its_lines() {
        let lines = [
            "mkdir -p ~/app",
            "cat > hello.sh <<'EOF'",
            "echo hi",
            "EOF",
            "cat <<-\"END\" > b",
            "x",
            "  END",
            "cat <<< word",
        ];
        let step = Step {
            solution: lines.iter().map(|l| l.to_string()).collect(),
            ..parse(GOOD).unwrap().steps[0].clone()
        };
        let cmds = step.commands();
        let joined: Vec<String> = cmds.iter().map(|c| c.join("\n")).collect();
        assert_eq!(
            joined,
            [
                "mkdir -p ~/app",
                "cat > hello.sh <<'EOF'\necho hi\nEOF",
                "cat <<-\"END\" > b\nx\n  END",
                "cat <<< word",
            ]
        );
    }

    fn parse(text: &str) -> Result<Lesson, LessonError> {
        parse_lesson(Path::new("lessons/ko/02-images.md"), text)
    }

    #[test]
    fn parses_a_good_lesson() {
        let l = parse(GOOD).unwrap();
        assert_eq!(l.id, "02-images");
        assert_eq!(l.title, "이미지");
        assert_eq!(l.minutes, 10);
        assert_eq!(l.intro, "# 이미지\n\nIntroduction here.");
        assert_eq!(l.steps.len(), 2);
        let s = &l.steps[0];
        assert_eq!(s.id, "pull-busybox");
        assert_eq!(s.line, 11);
        assert_eq!(s.hints.len(), 2);
        assert_eq!(s.solution, vec!["docker pull busybox"]);
        assert_eq!(
            s.check,
            vec![Predicate::Image(ImageRef::parse("busybox").unwrap())]
        );
        assert_eq!(s.avoid[0].hint, "ubuntu 말고 busybox예요.");
        assert_eq!(s.wrong, vec![vec!["docker pull debian".to_string()]]);
        // Other code blocks stay in the text; step blocks do not.
        assert_eq!(s.text, "Step one text.\n\n```sh\ndocker pull busybox\n```");
        let r = &l.steps[1];
        assert_eq!(r.line, 27);
        assert_eq!(r.text, "Reading step text.");
        assert!(r.is_reading());
        assert!(!s.is_reading());
    }

    #[test]
    fn missing_front_matter() {
        let e = parse("# Hello\n").unwrap_err();
        assert_eq!(e.kind, LessonErrorKind::NoFrontMatter);
        assert_eq!(e.line, 1);
        assert!(
            e.to_string().starts_with("lessons/ko/02-images.md:1: "),
            "{e}"
        );
        let e = parse("+++\nid = \"x\"\n").unwrap_err();
        assert_eq!(e.kind, LessonErrorKind::UnclosedFrontMatter);
    }

    #[test]
    fn front_matter_errors_name_the_line() {
        let e = parse("+++\nid = \"x\"\ntitle = \n+++\n").unwrap_err();
        assert!(matches!(e.kind, LessonErrorKind::FrontMatter(_)), "{e}");
        assert_eq!(e.line, 3);
        let e = parse("+++\nid = \"x\"\n+++\n").unwrap_err();
        assert!(e.to_string().contains("title"), "{e}");
        let e = parse("+++\nid = \"x\"\ntitle = \"t\"\nminute = 3\n+++\n").unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.to_string().contains("minute"), "{e}");
    }

    #[test]
    fn bad_step_toml_reports_the_file_line() {
        let src = GOOD.replace(
            "solution = [\"docker pull busybox\"]",
            "solution = [\"docker pull busybox\"",
        );
        let e = parse(&src).unwrap_err();
        assert!(matches!(e.kind, LessonErrorKind::StepToml(_)), "{e}");
        // The unclosed array is on line 15; toml reports where it noticed (15 or 16).
        assert!((15..=16).contains(&e.line), "{e}");
    }

    #[test]
    fn unknown_predicate_names_the_valid_kinds_on_its_line() {
        let src = GOOD.replace(
            "check = [{ image = \"busybox\" }]",
            "check = [{ imgae = \"busybox\" }]",
        );
        let e = parse(&src).unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.line, 16, "{msg}");
        assert!(
            msg.contains("imgae") && msg.contains("no_container") && msg.contains("log_contains"),
            "{msg}"
        );
    }

    #[test]
    fn predicate_errors_in_multiline_arrays_point_at_the_predicate() {
        let src = GOOD.replace(
            "check = [{ image = \"busybox\" }]",
            "check = [\n  { image = \"busybox\" },\n  { container = { state = \"runing\" } },\n]",
        );
        let e = parse(&src).unwrap_err();
        assert_eq!(e.line, 18, "{e}");
        assert!(e.to_string().contains("state"), "{e}");
    }

    #[test]
    fn unknown_step_key_is_an_error() {
        let src = GOOD.replace("hints = [", "hint = [");
        let e = parse(&src).unwrap_err();
        assert!(e.to_string().contains("hint"), "{e}");
        assert_eq!(e.line, 14);
    }

    #[test]
    fn duplicate_step_id() {
        let src = GOOD.replace("id = \"look\"", "id = \"pull-busybox\"");
        let e = parse(&src).unwrap_err();
        assert_eq!(
            e.kind,
            LessonErrorKind::DuplicateStep {
                id: "pull-busybox".into(),
                first_line: 11
            }
        );
        assert_eq!(e.line, 27);
    }

    #[test]
    fn step_needs_id_and_title_and_lesson_needs_steps() {
        let src = GOOD.replace("title = \"읽기\"\n", "");
        let e = parse(&src).unwrap_err();
        assert!(e.to_string().contains("title"), "{e}");
        let e = parse("+++\nid = \"x\"\ntitle = \"t\"\n+++\n\nJust text.\n").unwrap_err();
        assert_eq!(e.kind, LessonErrorKind::NoSteps);
    }

    #[test]
    fn lesson_file_names() {
        assert!(is_lesson_file(Path::new("lessons/ko/01-hello.md")));
        assert!(!is_lesson_file(Path::new("lessons/FORMAT.md")));
        assert!(!is_lesson_file(Path::new("lessons/ko/1-x.md")));
        assert!(!is_lesson_file(Path::new("lessons/ko/01-x.txt")));
    }

    #[test]
    fn load_course_sorts_and_keeps_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        let ko = dir.path().join("ko");
        std::fs::create_dir(&ko).unwrap();
        std::fs::write(ko.join("02-images.md"), GOOD).unwrap();
        std::fs::write(ko.join("01-broken.md"), "no front matter").unwrap();
        std::fs::write(ko.join("README.md"), "not a lesson").unwrap();
        let course = load_course(dir.path(), Lang::Ko);
        assert_eq!(course.len(), 2);
        assert_eq!(
            course[0].as_ref().unwrap_err().kind,
            LessonErrorKind::NoFrontMatter
        );
        assert_eq!(course[1].as_ref().unwrap().id, "02-images");
        let missing = load_course(dir.path(), Lang::En);
        assert!(matches!(
            missing.as_slice(),
            [Err(LessonError {
                kind: LessonErrorKind::Read(_),
                ..
            })]
        ));
    }
}
