//! Registry credentials, kept where and how Docker keeps them: `~/.docker/config.json` (or
//! `$DOCKER_CONFIG/config.json`), `auths.<server>.auth` = base64 of `user:password`, mode 0600,
//! every other key of the file left as it was. `docker login` checks them against the
//! registry first (Basic, or a bearer token from the realm its `WWW-Authenticate` names).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::{EngineError, Result};

/// The key Docker files Docker Hub's credentials under.
pub const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Credentials {
    /// The value of an `Authorization: Basic …` header, and of the file's `auth` field.
    pub fn encoded(&self) -> String {
        STANDARD.encode(format!("{}:{}", self.username, self.password))
    }

    fn decode(auth: &str) -> Option<Credentials> {
        let bytes = STANDARD.decode(auth.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (u, p) = text.split_once(':')?;
        Some(Credentials {
            username: u.to_string(),
            password: p.to_string(),
        })
    }
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn config_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("config.json");
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.dir)
        })
        .unwrap_or_else(|| PathBuf::from("/"));
    home.join(".docker/config.json")
}

/// The server key for what the user typed (`localhost:5000`, `http://localhost:5000/v2/`),
/// as Docker's `ConvertToHostname`: scheme and path dropped; Docker Hub's names fold to
/// its one key.
pub fn server_key(server: &str) -> String {
    let s = server.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next().unwrap_or(s);
    match host {
        "" | "docker.io" | "index.docker.io" | "registry-1.docker.io" => {
            DOCKER_HUB_SERVER.to_string()
        }
        h => h.to_string(),
    }
}

fn read_config(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>> {
    match fs::read(path) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Default::default()),
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(_) => Err(EngineError::Corrupt {
                path: path.to_path_buf(),
                detail: "not a JSON object".into(),
            }),
            Err(e) => Err(EngineError::Corrupt {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(e) => Err(EngineError::io(path, e)),
    }
}

/// The stored credentials for a registry host, if any (a file that cannot be read counts as
/// none: pulling anonymously is still worth trying).
pub fn lookup(host: &str) -> Option<Credentials> {
    let config = read_config(&config_path()).ok()?;
    let auths = config.get("auths")?.as_object()?;
    let want = server_key(host);
    auths
        .iter()
        .find(|(k, _)| server_key(k) == want)
        .and_then(|(_, v)| v.get("auth")?.as_str().and_then(Credentials::decode))
}

/// Write the file as Docker does (tab-indented), atomically (a temp file beside it, renamed),
/// mode 0600; the directory is made 0700 when missing.
fn write_config(path: &Path, config: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| EngineError::io(dir, e))?;
    let mut text = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut text, fmt);
    serde::Serialize::serialize(config, &mut ser).map_err(|e| EngineError::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let tmp = dir.join(format!(
        ".config.json.{}.{}",
        std::process::id(),
        crate::random_hex(4)
    ));
    let res = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
        // An existing file keeps mode 0600 even if the umask or an editor widened it.
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        fs::rename(&tmp, path)
    })();
    res.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        EngineError::io(path, e)
    })
}

/// Store credentials for `server`; returns whether the file changed (Docker warns about
/// unencrypted storage only then).
pub fn store(server: &str, creds: &Credentials) -> Result<bool> {
    let path = config_path();
    let mut config = read_config(&path)?;
    let key = server_key(server);
    let entry = serde_json::json!({ "auth": creds.encoded() });
    let auths = config
        .entry("auths")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if !auths.is_object() {
        *auths = serde_json::Value::Object(Default::default());
    }
    let Some(auths) = auths.as_object_mut() else {
        return Ok(false);
    };
    if auths.get(&key) == Some(&entry) {
        return Ok(false);
    }
    auths.insert(key, entry);
    write_config(&path, &config)?;
    Ok(true)
}

/// Forget the credentials for `server` (nothing to do is not an error, as in Docker).
pub fn remove(server: &str) -> Result<()> {
    let path = config_path();
    let mut config = read_config(&path)?;
    let key = server_key(server);
    let Some(auths) = config.get_mut("auths").and_then(|a| a.as_object_mut()) else {
        return Ok(());
    };
    let before = auths.len();
    auths.retain(|k, _| server_key(k) != key);
    if auths.len() != before {
        write_config(&path, &config)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_keys_are_docker_hostnames() {
        assert_eq!(server_key("localhost:5000"), "localhost:5000");
        assert_eq!(server_key("http://localhost:5000/v2/"), "localhost:5000");
        assert_eq!(server_key("docker.io"), DOCKER_HUB_SERVER);
        assert_eq!(server_key(DOCKER_HUB_SERVER), DOCKER_HUB_SERVER);
        assert_eq!(server_key("registry-1.docker.io"), DOCKER_HUB_SERVER);
    }

    #[test]
    fn credentials_round_trip_through_base64() {
        let c = Credentials {
            username: "alice".into(),
            password: "s3:cret".into(),
        };
        assert_eq!(
            Credentials {
                username: "alice".into(),
                password: "s3cret".into()
            }
            .encoded(),
            "YWxpY2U6czNjcmV0"
        );
        assert_eq!(Credentials::decode(&c.encoded()), Some(c));
        assert_eq!(Credentials::decode("not base64!"), None);
    }

    #[test]
    fn the_file_keeps_other_keys_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d/config.json");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(
            &path,
            r#"{"auths":{"other:1":{"auth":"eDp5"}},"credsStore":"","psFormat":"{{.ID}}"}"#,
        )
        .unwrap();
        let mut config = read_config(&path).unwrap();
        config["auths"]
            .as_object_mut()
            .unwrap()
            .insert("localhost:5000".into(), serde_json::json!({"auth": "YTpi"}));
        write_config(&path, &config).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\n\t\"auths\": {"), "{text}");
        assert!(text.contains("\"psFormat\": \"{{.ID}}\""), "{text}");
        assert!(text.contains("other:1"), "{text}");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temp file left beside it.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }
}
