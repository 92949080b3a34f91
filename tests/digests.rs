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
