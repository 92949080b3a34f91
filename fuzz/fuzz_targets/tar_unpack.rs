//! Layer unpacking: any byte stream unpacks or fails cleanly, and nothing is ever written
//! outside the target directory.
#![no_main]

use std::fs;
use std::path::Path;

use gorae::engine::archive::unpack;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(tmp) = tempfile::tempdir() else {
        return;
    };
    let root = tmp.path().join("root");
    fs::create_dir(&root).expect("create the target dir");
    // A sibling the archive must not reach through `..` or a symlink.
    let canary = tmp.path().join("canary");
    fs::write(&canary, b"untouched").expect("write the canary");
    let _ = unpack(&mut &data[..], &root);
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .expect("read the temp dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["canary", "root"],
        "something was written outside the target"
    );
    assert_eq!(fs::read(&canary).expect("read the canary"), b"untouched");
    assert!(
        fs::symlink_metadata(&root).expect("root stat").is_dir(),
        "the target dir was replaced"
    );
    // Dirs unpacked without write permission would make the cleanup fail and leak.
    make_writable(&root);
});

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
