//! `--format` templates and `--filter` patterns of `ps`/`images`/`inspect -f`: any text
//! parses to a template or a Go-worded error, runs to text or an error, and pattern matching
//! ends (no panic, no stack overflow, no exponential time).
#![no_main]

use gorae::cli::filter::regex_find;
use gorae::cli::pattern::path_match;
use gotmpl::{Scope, Template};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // First line: a template; second and third: a pattern and a name to match it against.
    let mut parts = text.splitn(3, '\n');
    let template = parts.next().unwrap_or_default();
    let pattern = parts.next().unwrap_or_default();
    let name = parts.next().unwrap_or_default();
    if let Ok(t) = Template::parse(template) {
        let data = serde_json::json!({
            "ID": "0123456789ab", "Names": "web", "Image": "busybox",
            "Labels": {"a": "b"}, "Size": 42, "Ports": [], "State": "running",
        });
        let labels = std::collections::BTreeMap::from([("a".to_string(), "b".to_string())]);
        let scopes = [
            Scope::Map,
            Scope::Header,
            Scope::Struct {
                go_type: "*formatter.ContainerContext",
                labels: Some(&labels),
            },
        ];
        for scope in scopes {
            let _ = t.execute(&data, scope);
        }
    }
    let _ = regex_find(pattern, name);
    let _ = path_match(pattern, name);
});
