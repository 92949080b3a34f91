//! Inputs from fuzzing (tests/fixtures/fuzz/<target>/, see fuzz/README.md) and hand-made
//! nasty inputs for every parser a user's text reaches: each must give a value or a clean
//! error, never a panic, a hang, or a write outside an unpack target.
//!
//! The `check_*` functions hold the same invariants as the fuzz targets in fuzz/fuzz_targets/.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use clap::Parser;
use gorae::cli::Cli;
use gorae::course::{LessonErrorKind, parse_lesson};
use gorae::engine::archive::unpack;
use gorae::engine::build::{
    BuildError, IgnoreRules, SyntaxKind, expand, parse as parse_dockerfile,
};
use gorae::engine::image::{ImageConfig, Index, Manifest, Reference};
use gorae::engine::{EngineError, Store};
use gorae::tui::markdown::render;
use gorae::tui::text::line_width;
use gorae::tui::theme::Theme;

/// The fixture files saved for one fuzz target (found crashes, hangs and hand-made cases).
fn fixtures(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let data = fs::read(&p).unwrap();
            (p, data)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore
// ---------------------------------------------------------------------------------------------

fn check_dockerfile(data: &[u8]) -> Result<usize, String> {
    let text = String::from_utf8_lossy(data);
    let rules = IgnoreRules::parse(&text);
    for line in text.lines().take(8) {
        let _ = rules.excluded(line.trim());
    }
    match parse_dockerfile("Dockerfile", &text) {
        Ok(instructions) => {
            assert!(!instructions.is_empty());
            let vars = |name: &str| name.len().is_multiple_of(2).then(|| format!("<{name}>"));
            for i in &instructions {
                let _ = expand(&i.text, &vars, '\\');
                let _ = expand(&i.text, &vars, '`');
            }
            Ok(instructions.len())
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("Dockerfile:"), "{msg}");
            Err(msg)
        }
    }
}

fn syntax_kind(text: &str) -> SyntaxKind {
    match parse_dockerfile("Dockerfile", text) {
        Err(BuildError::Syntax { kind, .. }) => kind,
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

#[test]
fn dockerfile_fixtures_parse_or_fail_cleanly() {
    for (path, data) in fixtures("dockerfile") {
        let _ = check_dockerfile(&data);
        eprintln!("ok: {}", path.display());
    }
}

#[test]
fn dockerfile_nasty_inputs_are_syntax_errors() {
    assert_eq!(syntax_kind(""), SyntaxKind::Empty);
    assert_eq!(
        syntax_kind("\\\n\\\n\\\n"),
        SyntaxKind::UnknownInstruction(String::new())
    );
    assert_eq!(syntax_kind("# only a comment\n\n"), SyntaxKind::Empty);
    assert_eq!(
        syntax_kind("FROM busybox\nENV A=\"x\n"),
        SyntaxKind::Unterminated
    );
    assert_eq!(
        syntax_kind("FROM busybox\nCOPY --chmod=755 a b\n"),
        SyntaxKind::Unsupported("COPY --chmod".into())
    );
    assert_eq!(
        syntax_kind("FROM busybox\nCOPY --nope a b\n"),
        SyntaxKind::UnknownFlag("nope".into())
    );
    assert_eq!(syntax_kind("RUN echo\n"), SyntaxKind::NoFrom("RUN".into()));
    assert_eq!(
        syntax_kind("FROM a b c d\n"),
        SyntaxKind::OneArgument("FROM".into())
    );
    // A continuation at the very end of the file ends the instruction.
    assert_eq!(check_dockerfile(b"FROM busybox\nRUN echo \\"), Ok(2));
    // Invalid UTF-8 (read lossily) and NULs are just unknown words.
    assert!(check_dockerfile(b"FROM busybox\n\xff\xfe\x00 x\n").is_err());
}

#[test]
fn dockerfile_many_leading_args_parse_in_linear_time() {
    // Each instruction used to search all the ones before it for a FROM.
    let text = "ARG A=1\n".repeat(100_000);
    assert_eq!(syntax_kind(&text), SyntaxKind::Empty);
    let text = format!("{text}FROM busybox\n");
    assert_eq!(check_dockerfile(text.as_bytes()), Ok(100_001));
}

#[test]
fn dockerignore_globs_do_not_blow_up() {
    // Found by the fuzzer: every `*` used to multiply the work (exponential time).
    let rules = IgnoreRules::parse(&format!("{}b\n", "*a".repeat(30)));
    assert!(!rules.excluded(&"a".repeat(80)));
    assert!(rules.excluded(&format!("{}b", "a".repeat(80))));
    let rules = IgnoreRules::parse(&format!("{}x\n", "**/".repeat(40)));
    let deep = vec!["d"; 60].join("/");
    assert!(!rules.excluded(&deep));
    assert!(rules.excluded(&format!("{deep}/x")));
    assert!(rules.excluded(&format!("{deep}/x/under")));
}

#[test]
fn dockerignore_globs_keep_their_meaning() {
    let rules = IgnoreRules::parse("*.log\n!keep.log\nbuild/**/out?\n\\*lit\nend\\\n");
    assert!(rules.excluded("debug.log"));
    assert!(!rules.excluded("keep.log"));
    assert!(!rules.excluded("a.txt"));
    assert!(rules.excluded("build/out1"));
    assert!(rules.excluded("build/a/b/out2/file"));
    assert!(!rules.excluded("build/out12"));
    assert!(rules.excluded("*lit"));
    assert!(!rules.excluded("xlit"));
    // A trailing backslash stands for itself.
    assert!(rules.excluded("end\\"));
}

// ---------------------------------------------------------------------------------------------
// Lessons
// ---------------------------------------------------------------------------------------------

const LESSON_PATH: &str = "lessons/ko/99-fuzz.md";

fn check_lesson(data: &[u8]) -> Result<usize, (usize, LessonErrorKind)> {
    let text = String::from_utf8_lossy(data);
    match parse_lesson(Path::new(LESSON_PATH), &text) {
        Ok(lesson) => {
            assert!(!lesson.steps.is_empty());
            Ok(lesson.steps.len())
        }
        Err(e) => {
            let lines = text.split_inclusive('\n').count().max(1);
            assert!(
                e.line >= 1 && e.line <= lines + 1,
                "line {} of {lines}: {e}",
                e.line
            );
            assert!(e.to_string().starts_with(LESSON_PATH), "{e}");
            Err((e.line, e.kind))
        }
    }
}

#[test]
fn lesson_fixtures_parse_or_fail_cleanly() {
    for (path, data) in fixtures("lesson") {
        let _ = check_lesson(&data);
        eprintln!("ok: {}", path.display());
    }
}

const FRONT: &str = "+++\nid = \"99-fuzz\"\ntitle = \"퍼즈\"\n+++\n";

#[test]
fn lesson_front_matter_mistakes_are_errors() {
    assert_eq!(check_lesson(b""), Err((1, LessonErrorKind::NoFrontMatter)));
    assert_eq!(
        check_lesson(b"+++"),
        Err((1, LessonErrorKind::UnclosedFrontMatter))
    );
    assert_eq!(
        check_lesson(b"+++\nid = \"x\"\ntitle = \"t\"\n"),
        Err((1, LessonErrorKind::UnclosedFrontMatter))
    );
    let huge =
        check_lesson(b"+++\nid = \"x\"\ntitle = \"t\"\nminutes = 99999999999999999999\n+++\n");
    assert!(
        matches!(huge, Err((4, LessonErrorKind::FrontMatter(_)))),
        "{huge:?}"
    );
    let negative = check_lesson(b"+++\nid = \"x\"\ntitle = \"t\"\nminutes = -1\n+++\n");
    assert!(
        matches!(negative, Err((4, LessonErrorKind::FrontMatter(_)))),
        "{negative:?}"
    );
    assert!(matches!(
        check_lesson(b"+++\n\xff\xfe = 1\n+++\n"),
        Err((_, LessonErrorKind::FrontMatter(_)))
    ));
}

#[test]
fn lesson_step_block_mistakes_are_errors() {
    let bad_toml =
        format!("{FRONT}\n```step\nid = \"a\"\ntitle = \"t\"\ncheck = [{{ image = \n```\n");
    let r = check_lesson(bad_toml.as_bytes());
    assert!(
        matches!(r, Err((8..=9, LessonErrorKind::StepToml(_)))),
        "{r:?}"
    );
    let blank = format!("{FRONT}```step\nid = \"  \"\ntitle = \"t\"\n```\n");
    assert!(matches!(
        check_lesson(blank.as_bytes()),
        Err((5, LessonErrorKind::StepToml(_)))
    ));
    // An unclosed fence runs to the end of the file.
    let unclosed = format!("{FRONT}```step\nid = \"a\"\ntitle = \"t\"\n");
    assert_eq!(check_lesson(unclosed.as_bytes()), Ok(1));
    let no_steps = format!("{FRONT}\n# 제목\n\n```sh\necho hi\n```\n");
    assert!(matches!(
        check_lesson(no_steps.as_bytes()),
        Err((_, LessonErrorKind::NoSteps))
    ));
}

#[test]
fn lesson_deeply_nested_toml_is_an_error_not_a_crash() {
    let deep = format!(
        "{FRONT}```step\nid = \"a\"\ntitle = \"t\"\nwrong = {}{}\n```\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    assert!(matches!(
        check_lesson(deep.as_bytes()),
        Err((_, LessonErrorKind::StepToml(_)))
    ));
    let deep_front = format!("+++\nid = {}\n+++\n", "{ a = ".repeat(50_000));
    assert!(check_lesson(deep_front.as_bytes()).is_err());
}

#[test]
fn lesson_with_bom_and_crlf_parses() {
    let text = "\u{feff}+++\r\nid = \"a\"\r\ntitle = \"b\"\r\n+++\r\n```step\r\nid = \"s\"\r\ntitle = \"t\"\r\n```\r\n";
    assert_eq!(check_lesson(text.as_bytes()), Ok(1));
}

// ---------------------------------------------------------------------------------------------
// Lesson markdown in the TUI
// ---------------------------------------------------------------------------------------------

fn check_markdown(data: &[u8]) {
    let Some((&w, rest)) = data.split_first() else {
        return;
    };
    let width = u16::from(w % 120);
    let text = String::from_utf8_lossy(rest);
    for line in render(&text, width, &Theme::plain()) {
        let lw = line_width(&line);
        assert!(
            lw <= usize::from(width.max(1)),
            "{lw} columns in {width}: {text:?}"
        );
    }
}

#[test]
fn markdown_fixtures_fit_their_width() {
    for (path, data) in fixtures("markdown") {
        check_markdown(&data);
        eprintln!("ok: {}", path.display());
    }
}

#[test]
fn markdown_nasty_inputs_fit_their_width() {
    let nasty = [
        "> ".repeat(2_000) + "깊은 인용",
        "- ".repeat(2_000) + "깊은 목록",
        "| 가 | 나 |\n|---|---|\n| 아주아주아주아주 긴 한국어 셀 | `docker run --rm -it busybox` |\n".into(),
        "```\n\t탭과\t한글\t코드\n```\n".into(),
        "가".repeat(500),
        "**굵게 *기울임 `코드` ~~취소~~***".into(),
    ];
    for text in &nasty {
        for width in [0u8, 1, 2, 3, 7, 40] {
            let mut data = vec![width];
            data.extend_from_slice(text.as_bytes());
            check_markdown(&data);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------------

fn parse_cli(args: &[&str]) -> Result<Cli, clap::Error> {
    let mut argv = vec!["docker"];
    argv.extend_from_slice(args);
    let r = Cli::try_parse_from(&argv);
    if let Err(e) = &r {
        let _ = e.render().to_string();
    }
    let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    if let Err(e) = gorae::tui::parse_args(&owned) {
        let _ = e.render().to_string();
    }
    r
}

#[test]
fn cli_fixtures_parse_or_fail_cleanly() {
    for (path, data) in fixtures("cli") {
        let text = String::from_utf8_lossy(&data);
        let args: Vec<&str> = text.split('\0').collect();
        let _ = parse_cli(&args);
        eprintln!("ok: {}", path.display());
    }
}

#[test]
fn cli_nasty_argv_are_usage_errors() {
    use clap::error::ErrorKind;
    let kind = |args: &[&str]| parse_cli(args).err().map(|e| e.kind());
    assert_eq!(
        kind(&[]),
        Some(ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
    );
    assert_eq!(kind(&[""]), Some(ErrorKind::InvalidSubcommand));
    assert_eq!(
        kind(&["--"]),
        Some(ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
    );
    assert_eq!(kind(&["run"]), Some(ErrorKind::MissingRequiredArgument));
    assert_eq!(kind(&["run", "-p"]), Some(ErrorKind::InvalidValue));
    assert_eq!(
        kind(&["stop", "-t", "-1", "x"]),
        Some(ErrorKind::UnknownArgument)
    );
    assert_eq!(
        kind(&["stop", "-t", "99999999999999999999999", "x"]),
        Some(ErrorKind::ValueValidation)
    );
    assert_eq!(kind(&["ps", "-n", "x"]), Some(ErrorKind::ValueValidation));
    assert_eq!(
        kind(&["history", "-H", "maybe", "x"]),
        Some(ErrorKind::InvalidValue)
    );
    assert_eq!(
        kind(&["\u{fffd}\u{fffd}"]),
        Some(ErrorKind::InvalidSubcommand)
    );
    // After the image, everything is the container's command, dashes included.
    assert_eq!(kind(&["run", "busybox", "--", "-x", "--rm"]), None);
    assert!(gorae::tui::parse_args(&["--lang".into(), "xx".into()]).is_err());
    assert!(gorae::tui::parse_args(&["--lang".into()]).is_err());
}

// ---------------------------------------------------------------------------------------------
// Image JSON and references
// ---------------------------------------------------------------------------------------------

fn check_image_json(data: &[u8]) -> [bool; 3] {
    let index = serde_json::from_slice::<Index>(data).ok();
    let manifest = serde_json::from_slice::<Manifest>(data).ok();
    let config = serde_json::from_slice::<ImageConfig>(data).ok();
    if let Some(c) = &config {
        let back: ImageConfig = serde_json::from_slice(&serde_json::to_vec(c).unwrap()).unwrap();
        assert_eq!(&back, c);
    }
    if let Ok(r) = Reference::parse(&String::from_utf8_lossy(data)) {
        let reparsed = Reference::parse(&r.full()).unwrap();
        // `docker.io/docker.io/x` is the Hub's `docker.io/x`, written `docker.io/x`, which
        // means `x` (as in Docker): only names without a Hub prefix left round-trip.
        let hub_prefixed = ["docker.io/", "index.docker.io/", "library/"]
            .iter()
            .any(|p| r.name.starts_with(p));
        if !hub_prefixed {
            assert_eq!(reparsed, r);
        }
    }
    [index.is_some(), manifest.is_some(), config.is_some()]
}

#[test]
fn image_json_fixtures_parse_or_fail_cleanly() {
    for (path, data) in fixtures("image_json") {
        let _ = check_image_json(&data);
        eprintln!("ok: {}", path.display());
    }
}

#[test]
fn image_json_nasty_inputs_are_errors() {
    let deep = format!(
        "{{\"config\":{{\"Labels\":{}{}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(check_image_json(deep.as_bytes()), [false, false, false]);
    let deep_value = format!(
        "{{\"config\":{{\"ExposedPorts\":{{\"80/tcp\":{}1{}}}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(
        check_image_json(deep_value.as_bytes()),
        [false, false, false]
    );
    let huge = br#"{"schemaVersion":99999999999999999999,"manifests":[]}"#;
    assert_eq!(check_image_json(huge), [false, false, true]);
    let big_size = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:00","size":1e400}]}"#;
    assert_eq!(check_image_json(big_size), [false, false, true]);
    let negative = br#"{"schemaVersion":2,"manifests":[{"digest":"x","size":-1}]}"#;
    assert_eq!(check_image_json(negative), [false, false, true]);
    assert_eq!(check_image_json(b"\xff\xfe{}"), [false, false, false]);
    assert_eq!(
        check_image_json(br#"{"schemaVersion":2}"#),
        [true, false, true]
    );
    let lone_surrogate = br#"{"created":"\ud800","history":[{"created":"9999-99-99"}]}"#;
    assert_eq!(check_image_json(lone_surrogate), [false, false, false]);
}

#[test]
fn nasty_references_are_invalid() {
    for bad in [
        "",
        ":",
        "a:",
        ":tag",
        "UPPER",
        "a@sha256:00",
        "a b",
        "a//b",
        "/a",
        "a/",
        "-a",
        "a:-tag",
        "한글",
        "docker.io/",
        "library/",
        "docker.io/library/",
    ] {
        assert!(
            matches!(
                Reference::parse(bad),
                Err(EngineError::InvalidReference(..))
            ),
            "{bad:?} parsed"
        );
    }
    let long_tag = format!("a:{}", "t".repeat(129));
    assert!(Reference::parse(&long_tag).is_err());
    let r = Reference::parse("docker.io/library/busybox:1.36").unwrap();
    assert_eq!((r.name.as_str(), r.tag.as_str()), ("busybox", "1.36"));
    // Found by the fuzzer: only one Hub prefix is folded away, as Docker does.
    let r = Reference::parse("docker.io/docker.io/d/x").unwrap();
    assert_eq!(r.name, "docker.io/d/x");
}

// ---------------------------------------------------------------------------------------------
// Layer tars
// ---------------------------------------------------------------------------------------------

/// Unpack `data` into `<tmp>/root` next to a canary; returns the result and the temp dir.
fn check_unpack(data: &[u8]) -> (Result<u64, EngineError>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fs::create_dir(&root).unwrap();
    fs::write(tmp.path().join("canary"), b"untouched").unwrap();
    let r = unpack(&mut &data[..], &root);
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["canary", "root"], "written outside the target");
    assert_eq!(fs::read(tmp.path().join("canary")).unwrap(), b"untouched");
    assert!(fs::symlink_metadata(&root).unwrap().is_dir());
    make_writable(&root);
    (r, tmp)
}

/// Dirs unpacked without write permission would stop the temp dir's cleanup (when not root).
fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                make_writable(&e.path());
            }
        }
    }
}

/// One raw tar entry: names are written as bytes, so `..` and absolute paths get through
/// (the tar crate's builder refuses them).
fn entry(name: &str, kind: tar::EntryType, link: &str, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_mtime(1_700_000_000);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn tar_of(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = entries.concat();
    out.extend_from_slice(&[0; 1024]);
    out
}

fn unsafe_path(r: &Result<u64, EngineError>) -> bool {
    matches!(r, Err(EngineError::UnsafePath(_)))
}

#[test]
fn tar_fixtures_never_escape_the_target() {
    for (path, data) in fixtures("tar_unpack") {
        let _ = check_unpack(&data);
        eprintln!("ok: {}", path.display());
    }
}

#[test]
fn tar_escapes_are_refused() {
    use tar::EntryType as E;
    let (r, _t) = check_unpack(&tar_of(&[entry("../escape", E::Regular, "", b"!")]));
    assert!(unsafe_path(&r), "{r:?}");
    let (r, _t) = check_unpack(&tar_of(&[entry("a/../../escape", E::Regular, "", b"!")]));
    assert!(unsafe_path(&r), "{r:?}");
    let (r, _t) = check_unpack(&tar_of(&[entry("/abs", E::Regular, "", b"!")]));
    assert!(unsafe_path(&r), "{r:?}");
    // A symlink, then a file through it.
    let (r, _t) = check_unpack(&tar_of(&[
        entry("link", E::Symlink, "..", b""),
        entry("link/escape", E::Regular, "", b"!"),
    ]));
    assert!(unsafe_path(&r), "{r:?}");
    let (r, _t) = check_unpack(&tar_of(&[
        entry("d", E::Symlink, "/", b""),
        entry("d/x", E::Directory, "", b""),
    ]));
    assert!(unsafe_path(&r), "{r:?}");
    // Hard links outside, to nothing, or to a directory.
    let (r, _t) = check_unpack(&tar_of(&[entry("h", E::Link, "../canary", b"")]));
    assert!(unsafe_path(&r), "{r:?}");
    let (r, _t) = check_unpack(&tar_of(&[entry("h", E::Link, "missing", b"")]));
    assert!(unsafe_path(&r), "{r:?}");
    let (r, _t) = check_unpack(&tar_of(&[
        entry("dir", E::Directory, "", b""),
        entry("h", E::Link, "dir", b""),
    ]));
    assert!(unsafe_path(&r), "{r:?}");
    // Whiteouts that would name the parent.
    let (r, _t) = check_unpack(&tar_of(&[entry("d/.wh...", E::Regular, "", b"")]));
    assert!(unsafe_path(&r), "{r:?}");
}

#[test]
fn tar_symlinks_are_replaced_not_followed() {
    use tar::EntryType as E;
    let (r, t) = check_unpack(&tar_of(&[
        entry("l", E::Symlink, "../canary", b""),
        entry("l", E::Regular, "", b"replaced"),
    ]));
    assert_eq!(r.unwrap(), 8);
    assert_eq!(fs::read(t.path().join("root/l")).unwrap(), b"replaced");
    // A hard link to a symlink links the symlink, never what it points at.
    let (r, t) = check_unpack(&tar_of(&[
        entry("s", E::Symlink, "../canary", b""),
        entry("h", E::Link, "s", b""),
    ]));
    r.unwrap();
    assert!(
        fs::symlink_metadata(t.path().join("root/h"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn broken_tars_are_errors() {
    use tar::EntryType as E;
    let whole = tar_of(&[entry("f", E::Regular, "", &[7; 2000])]);
    // Cut inside the file's data, and inside the header.
    let (r, _t) = check_unpack(&whole[..1000]);
    assert!(r.is_err(), "{r:?}");
    let (r, _t) = check_unpack(&whole[..100]);
    assert!(r.is_err(), "{r:?}");
    let mut bad_sum = whole.clone();
    bad_sum[0] = b'g';
    let (r, _t) = check_unpack(&bad_sum);
    assert!(matches!(r, Err(EngineError::Corrupt { .. })), "{r:?}");
    let (r, _t) = check_unpack(&[0xff; 3000]);
    assert!(r.is_err(), "{r:?}");
    // Nothing at all, and only the end-of-archive blocks, are empty layers.
    assert_eq!(check_unpack(b"").0.unwrap(), 0);
    assert_eq!(check_unpack(&[0; 1024]).0.unwrap(), 0);
}

// ---------------------------------------------------------------------------------------------
// docker load
// ---------------------------------------------------------------------------------------------

/// Load `data` into a fresh store next to a canary; a failed load must leave no staging.
fn check_load(data: &[u8]) -> Result<Vec<String>, EngineError> {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store"), tmp.path().join("no-catalog")).unwrap();
    fs::write(tmp.path().join("canary"), b"untouched").unwrap();
    let r = store.load_images(&mut &data[..], Path::new("in.tar"));
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["canary", "store"], "written outside the store");
    assert_eq!(fs::read(tmp.path().join("canary")).unwrap(), b"untouched");
    let left = fs::read_dir(tmp.path().join("store/tmp")).unwrap().count();
    assert_eq!(left, 0, "staging left behind");
    make_writable(&tmp.path().join("store"));
    r.map(|imgs| imgs.into_iter().flat_map(|i| i.tags).collect())
}

fn corrupt_detail(r: &Result<Vec<String>, EngineError>) -> String {
    match r {
        Err(EngineError::Corrupt { detail, .. }) => detail.clone(),
        other => panic!("expected a corrupt-archive error, got {other:?}"),
    }
}

#[test]
fn docker_load_fixtures_load_or_fail_cleanly() {
    for (path, data) in fixtures("docker_load") {
        let _ = check_load(&data);
        eprintln!("ok: {}", path.display());
    }
}

#[test]
fn docker_load_nasty_archives_are_errors() {
    use tar::EntryType as E;
    assert!(corrupt_detail(&check_load(b"")).contains("empty"));
    assert!(check_load(&[0; 1024]).is_err());
    assert!(check_load(b"\x1f\x8b\x08\x00garbage").is_err());
    let not_image = tar_of(&[entry("hello.txt", E::Regular, "", b"hi")]);
    assert!(corrupt_detail(&check_load(&not_image)).contains("manifest.json"));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = check_load(&tar_of(&[entry(
        "manifest.json",
        E::Regular,
        "",
        deep.as_bytes(),
    )]));
    assert!(corrupt_detail(&r).contains("manifest.json"));
    // The manifest names files outside the archive, or through a link loop.
    let outside = br#"[{"Config":"../../etc/passwd","RepoTags":["a:b"],"Layers":[]}]"#;
    let r = check_load(&tar_of(&[entry("manifest.json", E::Regular, "", outside)]));
    assert!(matches!(r, Err(EngineError::UnsafePath(_))), "{r:?}");
    let looped = br#"[{"Config":"a/c.json","Layers":[]}]"#;
    let r = check_load(&tar_of(&[
        entry("a", E::Symlink, "b", b""),
        entry("b", E::Symlink, "a", b""),
        entry("manifest.json", E::Regular, "", looped),
    ]));
    assert!(matches!(r, Err(EngineError::UnsafePath(_))), "{r:?}");
    let escaping_link = tar_of(&[
        entry("c.json", E::Symlink, "../../../canary", b""),
        entry(
            "manifest.json",
            E::Regular,
            "",
            br#"[{"Config":"c.json","Layers":[]}]"#,
        ),
    ]);
    assert!(check_load(&escaping_link).is_err());
    // A file where the archive later wants a directory, and the reverse.
    let clash = tar_of(&[
        entry("x", E::Regular, "", b"file"),
        entry("x/y", E::Regular, "", b"under a file"),
    ]);
    assert!(check_load(&clash).is_err());
    // An empty manifest list loads nothing.
    let empty = tar_of(&[entry("manifest.json", E::Regular, "", b"[]")]);
    assert_eq!(check_load(&empty).unwrap(), Vec::<String>::new());
}

#[test]
fn docker_load_seed_archives_really_load() {
    // The fuzzer starts from these; they must get past every check to be useful seeds.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/docker_load");
    for (name, tags) in [
        ("legacy.tar", vec!["hello:1"]),
        ("legacy.tar.gz", vec!["hello:1"]),
        ("legacy-layer-via-symlink.tar", vec!["hello:1"]),
        ("oci-index.tar", vec!["hello:2"]),
    ] {
        let data = fs::read(dir.join(name)).unwrap();
        assert_eq!(check_load(&data).unwrap(), tags, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// --format templates and --filter patterns
// ---------------------------------------------------------------------------------------------

/// What fuzz/fuzz_targets/listing.rs holds: line 1 a template (parsed and run in every
/// scope), lines 2 and 3 a pattern and a name (regex and glob matched). Returns whether the
/// template parsed.
fn check_listing(data: &[u8]) -> bool {
    use gorae::cli::filter::regex_find;
    use gorae::cli::format::{Scope, Template};
    use gorae::engine::pattern::path_match;
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let template = parts.next().unwrap_or_default();
    let pattern = parts.next().unwrap_or_default();
    let name = parts.next().unwrap_or_default();
    let parsed = Template::parse(template);
    if let Ok(t) = &parsed {
        let data = serde_json::json!({"ID": "0123456789ab", "Names": "web", "Labels": {"a": "b"}});
        let labels = std::collections::BTreeMap::from([("a".to_string(), "b".to_string())]);
        for scope in [
            Scope::Map,
            Scope::Header,
            Scope::Struct {
                go_type: "*formatter.ContainerContext",
                labels: Some(&labels),
            },
        ] {
            let _ = t.execute(&data, scope);
        }
    } else if let Err(e) = &parsed {
        assert!(e.0.starts_with("template: "), "{}", e.0);
    }
    let _ = regex_find(pattern, name);
    let _ = path_match(pattern, name);
    parsed.is_ok()
}

#[test]
fn listing_fixtures_parse_or_fail_cleanly() {
    let mut parsed = 0;
    for (path, data) in fixtures("listing") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let ok = check_listing(&data);
        if name.starts_with("deep-") || name.starts_with("unclosed") {
            assert!(!ok, "{name} should be refused");
        }
        parsed += usize::from(ok);
    }
    assert!(parsed >= 3, "the ordinary fixtures parse");
}
