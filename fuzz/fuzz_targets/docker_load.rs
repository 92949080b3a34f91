//! `docker load`: any byte stream (plain or gzip'd) loads images or fails cleanly, never
//! writes outside the store, and a failed load leaves no staging behind.
#![no_main]

use std::fs;
use std::path::Path;

use gorae::engine::Store;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(tmp) = tempfile::tempdir() else {
        return;
    };
    let store = Store::open(tmp.path().join("store"), tmp.path().join("no-catalog"))
        .expect("open a fresh store");
    let canary = tmp.path().join("canary");
    fs::write(&canary, b"untouched").expect("write the canary");
    let loaded = store.load_images(&mut &data[..], Path::new("fuzz.tar"));
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
        ["canary", "store"],
        "something was written outside the store"
    );
    assert_eq!(fs::read(&canary).expect("read the canary"), b"untouched");
    let leftovers = fs::read_dir(tmp.path().join("store/tmp"))
        .expect("store tmp")
        .count();
    assert_eq!(leftovers, 0, "the load left staging behind");
    if let Ok(images) = loaded {
        let listed = store.images().expect("list images after a load");
        for img in images {
            assert!(
                listed.iter().any(|i| i.id == img.id),
                "loaded {} is not listed",
                img.id
            );
        }
    }
});
