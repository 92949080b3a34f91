//! Image index, manifest and config JSON, and image references: any bytes give a value or a
//! serde error, and what parses survives a round trip and the helpers that read it.
#![no_main]

use gorae::engine::image::{
    ImageConfig, Index, Manifest, Reference, parse_time_millis, short_hex, verify_bytes,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = serde_json::from_slice::<Index>(data) {
        let back = serde_json::to_vec(&index).expect("an index serializes");
        let again: Index = serde_json::from_slice(&back).expect("an index round-trips");
        assert_eq!(index.manifests, again.manifests);
        for d in &index.manifests {
            let _ = short_hex(&d.digest);
            let _ = verify_bytes(data, d);
        }
    }
    if let Ok(m) = serde_json::from_slice::<Manifest>(data) {
        let back = serde_json::to_vec(&m).expect("a manifest serializes");
        let again: Manifest = serde_json::from_slice(&back).expect("a manifest round-trips");
        assert_eq!(m.config, again.config);
        assert_eq!(m.layers, again.layers);
    }
    if let Ok(c) = serde_json::from_slice::<ImageConfig>(data) {
        let back = serde_json::to_vec(&c).expect("a config serializes");
        let again: ImageConfig = serde_json::from_slice(&back).expect("a config round-trips");
        assert_eq!(c, again);
        let _ = parse_time_millis(&c.created);
        for h in &c.history {
            let _ = parse_time_millis(&h.created);
        }
    }
    // The bytes as a reference, as `docker pull/tag/run` take them.
    let text = String::from_utf8_lossy(data);
    if let Ok(r) = Reference::parse(&text) {
        assert!(!r.name.is_empty() && !r.tag.is_empty());
        let full = r.full();
        let reparsed = Reference::parse(&full).expect("a parsed reference's full name parses");
        // As in Docker, `docker.io/docker.io/x` names the repository `docker.io/x` on the Hub,
        // whose written form means `x`: only names without a Hub prefix left round-trip.
        let hub_prefixed = ["docker.io/", "index.docker.io/", "library/"]
            .iter()
            .any(|p| r.name.starts_with(p));
        if !hub_prefixed {
            assert_eq!(reparsed, r);
        }
        let _ = r.canonical();
    }
});
