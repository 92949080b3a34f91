//! Image digests as Docker shows them: RepoDigests, `images --digests`, `{{.Digest}}`, and
//! the digest references `rmi` untags.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;

fn digest_of_pull(out: &str) -> String {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("no Digest line: {out}"));
    assert!(line.starts_with("sha256:") && line.len() == 71, "{line}");
    line.to_string()
}

#[test]
fn a_catalog_pull_records_the_docker_hub_digest_reference() {
    let s = Sandbox::new();
    let digest = digest_of_pull(&s.ok(&["pull", "busybox"]));
    assert_eq!(
        s.ok(&["image", "inspect", "-f", "{{json .RepoDigests}}", "busybox"]),
        format!("[\"busybox@{digest}\"]\n")
    );
    let id = s.ok(&["inspect", "-f", "{{.Id}}", "busybox"]);
    let short = &id.trim()["sha256:".len()..][..12];

    let table = s.ok(&["images", "--digests"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("REPOSITORY   TAG       DIGEST")
            && lines[0].contains("IMAGE ID")
            && lines[0].ends_with("SIZE"),
        "{table}"
    );
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        &cells[..4],
        ["busybox", "latest", &digest, short],
        "{table}"
    );

    // A tag in another repository has no digest there; without --digests no column.
    s.ok(&["tag", "busybox", "mybox:1"]);
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"]),
        format!("busybox:latest {digest}\nmybox:1 <none>\n")
    );
    assert!(!s.ok(&["images"]).contains("DIGEST"));
    let plain = s.ok(&["images", "--digests", "--format", "{{.Tag}} {{.Digest}}"]);
    assert_eq!(plain, format!("latest {digest}\n1 <none>\n"));

    // Untagging the repository's last tag takes its digest reference too (moby's rule).
    assert_eq!(
        s.ok(&["rmi", "busybox"]),
        format!("Untagged: busybox:latest\nUntagged: busybox@{digest}\n")
    );
    assert_eq!(
        s.ok(&["inspect", "-f", "{{json .RepoDigests}}", "mybox:1"]),
        "[]\n"
    );
}

#[test]
fn removing_the_only_tag_untags_the_digest_and_deletes() {
    let s = Sandbox::new();
    let digest = digest_of_pull(&s.ok(&["pull", "busybox"]));
    let id = s.ok(&["inspect", "-f", "{{.Id}}", "busybox"]);
    let out = s.ok(&["rmi", "busybox"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Untagged: busybox:latest", "{out}");
    assert_eq!(lines[1], format!("Untagged: busybox@{digest}"), "{out}");
    assert_eq!(lines[2], format!("Deleted: {}", id.trim()), "{out}");
    assert_eq!(s.ok(&["images", "-q"]), "");
}

#[test]
fn built_images_have_no_repo_digests() {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s.ok(&["run", "--name", "c1", "busybox", "true"]);
    s.ok(&["commit", "c1", "snap"]);
    assert_eq!(
        s.ok(&["inspect", "-f", "{{json .RepoDigests}}", "snap"]),
        "[]\n"
    );
    let table = s.ok(&["images", "--digests", "snap"]);
    let cells: Vec<&str> = table
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(&cells[..3], ["snap", "latest", "<none>"], "{table}");
}

/// `name@sha256:…` names an image as its digest reference: pull, run, ps, tag and rmi by it,
/// in the lines Docker prints (recorded side by side with Docker 28's CLI).
#[test]
fn a_digest_reference_pulls_runs_and_is_removed_by_itself() {
    let s = Sandbox::new();
    let digest = digest_of_pull(&s.ok(&["pull", "busybox"]));
    let by_digest = format!("busybox@{digest}");
    s.ok(&["rmi", "busybox"]);

    assert_eq!(
        s.ok(&["pull", "-q", &by_digest]),
        format!("docker.io/library/{by_digest}\n")
    );
    s.ok(&["rmi", &by_digest]);
    let out = s.ok(&["pull", &by_digest]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("docker.io/library/{by_digest}: Pulling from library/busybox"),
        "no default tag for a digest: {out}"
    );
    assert_eq!(
        &lines[lines.len() - 3..],
        [
            format!("Digest: {digest}"),
            format!("Status: Downloaded newer image for {by_digest}"),
            format!("docker.io/library/{by_digest}"),
        ],
        "{out}"
    );
    let again = s.ok(&["pull", &by_digest]);
    assert!(
        again.contains(&format!("Status: Image is up to date for {by_digest}\n")),
        "{again}"
    );
    // No tag comes with it: the image is the repository's with TAG <none> (and, digests not
    // asked for, an empty DIGEST, as Docker's CLI leaves it).
    assert_eq!(
        s.ok(&[
            "images",
            "--format",
            "{{.Repository}} {{.Tag}} [{{.Digest}}]"
        ]),
        "busybox <none> []\n"
    );
    assert_eq!(
        s.ok(&[
            "images",
            "--digests",
            "--format",
            "{{.Repository}} {{.Tag}} {{.Digest}}"
        ]),
        format!("busybox <none> {digest}\n")
    );
    assert_eq!(
        s.ok(&[
            "inspect",
            "-f",
            "{{json .RepoTags}} {{json .RepoDigests}}",
            &by_digest
        ]),
        format!("[] [\"{by_digest}\"]\n")
    );

    assert_eq!(
        s.ok(&["run", "--rm", &by_digest, "echo", "pinned"]),
        "pinned\n"
    );
    s.ok(&["run", "-d", "--name", "pin", &by_digest, "sleep", "60"]);
    assert_eq!(s.ok(&["ps", "--format", "{{.Image}}"]), "busybox\n");
    assert_eq!(
        s.ok(&["ps", "--no-trunc", "--format", "{{.Image}}"]),
        format!("{by_digest}\n")
    );
    s.ok(&["rm", "-f", "pin"]);

    // A tag made from it; then the digest reference goes alone, the tag keeps the image.
    s.ok(&["tag", &by_digest, "busybox:pinned"]);
    assert_eq!(
        s.ok(&["rmi", &by_digest]),
        format!("Untagged: {by_digest}\n")
    );
    assert!(s.docker(&["inspect", &by_digest]).code != 0);
    assert_eq!(s.ok(&["images", "--format", "{{.Tag}}"]), "pinned\n");
}

#[test]
fn digest_references_are_refused_where_docker_refuses_them() {
    let s = Sandbox::new();
    let digest = digest_of_pull(&s.ok(&["pull", "busybox"]));
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["tag", "busybox", &format!("mine@{digest}")],
            "refusing to create a tag with a digest reference",
            "태그를 만들 수 없습니다",
        ),
        (
            &["pull", "busybox@md5:0123456789abcdef0123456789abcdef"],
            "unsupported digest algorithm",
            "지원하지 않는 다이제스트",
        ),
        (
            &["pull", "busybox@sha256:0123456789abcdef0123456789abcdef"],
            "invalid checksum digest length",
            "다이제스트 길이",
        ),
        (
            &[
                "pull",
                &format!(
                    "busybox@{}",
                    digest.to_uppercase().replacen("SHA256", "sha256", 1)
                ),
            ],
            "invalid checksum digest format",
            "다이제스트 형식",
        ),
        (
            &["pull", "busybox@sha256:00"],
            "invalid reference format",
            "형식이 잘못",
        ),
    ];
    for (args, english, korean) in cases {
        let en = s.docker(args);
        assert_eq!((en.code, en.stderr.trim()), (1, *english), "{args:?}");
        let ko = s.docker_env(args, &[("LANG", "ko_KR.UTF-8")]);
        assert!(
            ko.code == 1 && ko.stderr.contains(korean),
            "{args:?}: {}",
            ko.stderr
        );
    }
    s.ok(&["run", "--name", "c1", "busybox", "true"]);
    let commit = s.docker(&["commit", "c1", &format!("snap@{digest}")]);
    assert_eq!(commit.code, 1, "{}", commit.stderr);
    assert!(
        commit
            .stderr
            .contains("refusing to create a tag with a digest reference")
    );
    // Nothing was tagged on the way.
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}"]),
        "busybox\n"
    );
}

#[test]
fn a_dockerfile_may_pin_its_base_by_digest() {
    let s = Sandbox::new();
    let digest = digest_of_pull(&s.ok(&["pull", "busybox"]));
    s.ok(&["rmi", "busybox"]);
    let ctx = s.dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM busybox@{digest}\nRUN echo pinned > /x\n"),
    )
    .unwrap();
    let out = s.docker(&[
        "build",
        "--progress=plain",
        "-t",
        "app",
        ctx.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("FROM docker.io/library/busybox@{digest}\n")),
        "{}",
        out.stderr
    );
    assert_eq!(s.ok(&["run", "--rm", "app", "cat", "/x"]), "pinned\n");
}

#[test]
fn an_image_named_by_tag_or_digest_among_others_carries_all_its_names() {
    let s = Sandbox::new();
    let digest = digest_of_pull(&s.ok(&["pull", "busybox"]));
    s.ok(&["pull", "debian"]);
    s.ok(&["tag", "busybox", "mybox:1"]);
    s.ok(&["tag", "debian", "mybox:2"]);
    let names = "{{json .RepoTags}} {{json .RepoDigests}}";
    let busybox = format!("[\"busybox:latest\",\"mybox:1\"] [\"busybox@{digest}\"]\n");
    // By either tag, by the digest reference: the same image, every name of it.
    for name in ["mybox:1", "busybox", &format!("busybox@{digest}")] {
        assert_eq!(
            s.ok(&["image", "inspect", "-f", names, name]),
            busybox,
            "{name}"
        );
    }
    assert_eq!(
        s.ok(&["image", "inspect", "-f", "{{json .RepoTags}}", "mybox:2"]),
        "[\"debian:latest\",\"mybox:2\"]\n"
    );
    // A run by tag starts that image, not another one of the same repository.
    assert!(
        s.ok(&["run", "--rm", "mybox:2", "cat", "/etc/debian_version"])
            .starts_with("12.")
    );
    let missing = s.docker(&["run", "--rm", "--pull", "never", "mybox:3", "true"]);
    assert_eq!(missing.code, 125, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("No such image: mybox:3"),
        "{}",
        missing.stderr
    );
}
