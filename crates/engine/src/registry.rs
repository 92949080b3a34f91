//! Talking to a real registry: the OCI distribution API v2 with its auth (Basic with `docker
//! login`'s credentials, or bearer tokens as Docker Hub's flow), and pulling (`push.rs` pushes).
//!
//! Used only when the bundled catalog lacks the image. The registry host comes from the name
//! (`localhost:5000/app:v1`); without one it is Docker Hub (`library/` for official images).
//! Loopback registries speak plain HTTP, as Docker treats them as insecure; others HTTPS.
//! Everything downloaded is checked against its digest before the store keeps it.

use std::fs::{self, File};
use std::io::{self, Read};
use std::time::Duration;

use serde::Deserialize;

use super::auth::{self, Credentials};
use super::image::{
    self, Descriptor, HashWriter, ImageConfig, LayerStatus, Manifest, PullOutcome, PullProgress,
    Reference, short_hex, split_domain,
};
use super::{Action, EngineError, Event, Result, Store};

const DOCKER_HUB: &str = "registry-1.docker.io";
const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Manifests and configs are small; a larger answer is not a manifest.
const MAX_DOC_BYTES: u64 = 8 << 20;

/// Where an image lives: registry host, repository path there, tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRef {
    pub host: String,
    pub repository: String,
    pub tag: String,
    /// A pull by digest fetches the manifest by it, not by the tag.
    pub digest: Option<String>,
}

impl RemoteRef {
    pub fn of(r: &Reference) -> RemoteRef {
        let (host, repository) = if let (Some(host), rest) = split_domain(&r.name) {
            (host.to_string(), rest.to_string())
        } else if r.name.contains('/') {
            (DOCKER_HUB.to_string(), r.name.clone())
        } else {
            (DOCKER_HUB.to_string(), format!("library/{}", r.name))
        };
        RemoteRef {
            host,
            repository,
            tag: r.tag.clone(),
            digest: r.digest.clone(),
        }
    }

    /// Loopback registries are reached over plain HTTP (Docker's insecure default for them).
    pub fn scheme(&self) -> &'static str {
        let host = match self.host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => self.host.as_str(),
        };
        if matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.starts_with("127.") {
            "http"
        } else {
            "https"
        }
    }

    fn url(&self, kind: &str, what: &str) -> String {
        format!(
            "{}://{}/v2/{}/{kind}/{what}",
            self.scheme(),
            self.host,
            self.repository
        )
    }
}

/// Why a registry request failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// DNS failure, refused connection, timeout: there is no registry to talk to.
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Protocol(String),
}

fn classify(e: ureq::Error) -> RegistryError {
    match e {
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::Timeout(_)
        | ureq::Error::Io(_) => RegistryError::Unreachable(e.to_string()),
        other => RegistryError::Protocol(other.to_string()),
    }
}

/// The registry's error body (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`).
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}
#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
}

/// Parse `Bearer realm="…",service="…",scope="…"` into its parameters.
pub fn parse_challenge(header: &str) -> Option<Vec<(String, String)>> {
    let rest = header
        .trim()
        .strip_prefix("Bearer ")
        .or_else(|| header.trim().strip_prefix("bearer "))?;
    let mut out = Vec::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let (key, after) = s.split_once('=')?;
        let after = after.trim_start();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((key.trim().to_ascii_lowercase(), value.to_string()));
        s = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out)
}

pub(crate) fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// What a request sends: nothing, bytes, or a file (streamed, with its length).
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    Empty,
    Bytes(&'a [u8]),
    File(&'a std::path::Path),
}

pub type Response = ureq::http::Response<ureq::Body>;

/// A client for one repository on one registry, holding its authorization once it has one.
pub struct Client {
    agent: ureq::Agent,
    pub(crate) remote: RemoteRef,
    /// The `Authorization` header value once the registry asked for one.
    auth: Option<String>,
    /// Stored `docker login` credentials for this registry.
    creds: Option<Credentials>,
    /// What a bearer token is asked for: `pull`, or `pull,push` when pushing.
    actions: &'static str,
    /// Other repositories a token must be able to read (cross-repository mounts).
    pub(crate) also_pull: Vec<String>,
}

impl Client {
    pub fn new(remote: RemoteRef) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_resolve(Some(Duration::from_secs(10)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .user_agent("gorae")
            .build()
            .into();
        let creds = auth::lookup(&remote.host);
        Client {
            agent,
            remote,
            auth: None,
            creds,
            actions: "pull",
            also_pull: Vec::new(),
        }
    }

    /// A client that may write to the repository.
    pub fn for_push(remote: RemoteRef) -> Client {
        Client {
            actions: "pull,push",
            ..Client::new(remote)
        }
    }

    /// `{scheme}://{host}/v2/`, the registry's base.
    pub fn base(&self) -> String {
        format!("{}://{}/v2/", self.remote.scheme(), self.remote.host)
    }

    /// A URL for the repository (`blobs/uploads/`, `manifests/1.0`), or the Location a
    /// registry answered (absolute, or a path on the registry).
    pub fn url(&self, tail: &str) -> String {
        if tail.starts_with("http://") || tail.starts_with("https://") {
            tail.to_string()
        } else if tail.starts_with('/') {
            format!("{}://{}{tail}", self.remote.scheme(), self.remote.host)
        } else {
            format!("{}{}/{tail}", self.base(), self.remote.repository)
        }
    }

    fn call(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        payload: Payload,
    ) -> std::result::Result<Response, RegistryError> {
        let mut b = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if let Some(a) = &self.auth {
            b = b.header("Authorization", a.as_str());
        }
        let bad = |e: ureq::http::Error| RegistryError::Protocol(format!("{url}: {e}"));
        // Go's url.Error names the method as `Get`, `Put`…
        let mut verb = method.to_ascii_lowercase();
        if let Some(first) = verb.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let host = &self.remote.host;
        let net = |e: ureq::Error| {
            let refused = matches!(&e, ureq::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused)
                || matches!(e, ureq::Error::ConnectionFailed);
            match classify(e) {
                // Go's words for it, as Docker prints them.
                RegistryError::Unreachable(_) if refused => RegistryError::Unreachable(format!(
                    "{verb} \"{url}\": dial tcp {host}: connect: connection refused"
                )),
                RegistryError::Unreachable(d) => {
                    RegistryError::Unreachable(format!("{verb} \"{url}\": {d}"))
                }
                other => other,
            }
        };
        match payload {
            Payload::Empty => self.agent.run(b.body(()).map_err(bad)?).map_err(net),
            Payload::Bytes(bytes) => self.agent.run(b.body(bytes).map_err(bad)?).map_err(net),
            Payload::File(path) => {
                let file = File::open(path)
                    .map_err(|e| RegistryError::Protocol(format!("{}: {e}", path.display())))?;
                self.agent.run(b.body(file).map_err(bad)?).map_err(net)
            }
        }
    }

    /// A request with the registry's auth dance: on 401, answer its challenge (Basic with the
    /// stored credentials, or a bearer token from the realm) and try once more.
    pub fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        payload: Payload,
    ) -> std::result::Result<Response, RegistryError> {
        let resp = self.call(method, url, headers, payload)?;
        if resp.status().as_u16() != 401 {
            return Ok(resp);
        }
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !self.answer(&challenge)? {
            return Ok(resp);
        }
        self.call(method, url, headers, payload)
    }

    /// Set the authorization a challenge asks for; false when there is nothing to try.
    fn answer(&mut self, challenge: &str) -> std::result::Result<bool, RegistryError> {
        if let Some(params) = parse_challenge(challenge) {
            self.auth = Some(format!("Bearer {}", self.fetch_token(&params)?));
            return Ok(true);
        }
        if challenge
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("basic")
        {
            let Some(c) = &self.creds else {
                return Err(RegistryError::Denied("no basic auth credentials".into()));
            };
            let header = format!("Basic {}", c.encoded());
            if self.auth.as_deref() == Some(header.as_str()) {
                return Ok(false); // these very credentials were refused
            }
            self.auth = Some(header);
            return Ok(true);
        }
        Ok(false)
    }

    fn get(&mut self, url: &str, accept: &str) -> std::result::Result<Response, RegistryError> {
        let headers: &[(&str, &str)] = if accept.is_empty() {
            &[]
        } else {
            &[("Accept", accept)]
        };
        self.send("GET", url, headers, Payload::Empty)
    }

    fn fetch_token(
        &self,
        params: &[(String, String)],
    ) -> std::result::Result<String, RegistryError> {
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let realm = get("realm")
            .ok_or_else(|| RegistryError::Protocol("auth challenge without a realm".into()))?;
        let mut scopes = Vec::new();
        if !self.remote.repository.is_empty() {
            scopes.push(format!(
                "repository:{}:{}",
                self.remote.repository, self.actions
            ));
        }
        if let Some(s) = get("scope").filter(|s| !scopes.iter().any(|x| x == s)) {
            scopes.push(s.to_string());
        }
        scopes.extend(
            self.also_pull
                .iter()
                .map(|r| format!("repository:{r}:pull")),
        );
        let mut req = self.agent.get(realm);
        for s in &scopes {
            req = req.query("scope", s);
        }
        if let Some(service) = get("service") {
            req = req.query("service", service);
        }
        if let Some(c) = &self.creds {
            req = req
                .query("account", &c.username)
                .header("Authorization", format!("Basic {}", c.encoded()));
        }
        let resp = req.call().map_err(classify)?;
        token_from(resp, realm)
    }

    /// `docker login`: check `creds` against the registry's base (`/v2/`), answering its
    /// challenge as a pull would. Docker's wording for a refusal.
    pub fn login(&mut self, creds: &Credentials) -> std::result::Result<(), RegistryError> {
        self.creds = Some(creds.clone());
        let url = self.base();
        let refused = |resp: &Response| {
            let st = resp.status();
            RegistryError::Denied(format!(
                "login attempt to {url} failed with status: {} {}",
                st.as_u16(),
                st.canonical_reason().unwrap_or("")
            ))
        };
        let resp = match self.send("GET", &url, &[], Payload::Empty) {
            Ok(r) => r,
            // The token server refused: Go's url.Error around distribution's message.
            Err(RegistryError::Denied(d)) => {
                return Err(RegistryError::Denied(format!("Get \"{url}\": {d}")));
            }
            Err(e) => return Err(e),
        };
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(refused(&resp))
        }
    }

    /// Turn a non-2xx answer into Docker's message for it.
    pub(crate) fn failure(&self, mut resp: Response, what: &str) -> RegistryError {
        let status = resp.status().as_u16();
        let detail = error_text(&mut resp);
        let pushing = self.actions != "pull";
        match status {
            401 | 403 if pushing => RegistryError::Denied(detail),
            401 | 403 => RegistryError::Denied(format!(
                "pull access denied for {}, repository does not exist or may require 'docker login': {detail}",
                self.display_name()
            )),
            404 => RegistryError::NotFound(format!("{what} not found: {detail}")),
            _ => RegistryError::Protocol(format!("{what}: {detail}")),
        }
    }

    fn display_name(&self) -> String {
        if self.remote.host == DOCKER_HUB {
            self.remote
                .repository
                .strip_prefix("library/")
                .unwrap_or(&self.remote.repository)
                .to_string()
        } else {
            format!("{}/{}", self.remote.host, self.remote.repository)
        }
    }

    /// A small document (manifest, config), its bytes and content type; checked against
    /// `digest` when one is given.
    fn document(
        &mut self,
        url: &str,
        accept: &str,
        what: &str,
        digest: Option<&str>,
    ) -> std::result::Result<(Vec<u8>, String), RegistryError> {
        let mut resp = self.get(url, accept)?;
        if !resp.status().is_success() {
            return Err(self.failure(resp, what));
        }
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_DOC_BYTES)
            .read_to_vec()
            .map_err(|e| RegistryError::Protocol(format!("{what}: {e}")))?;
        if let Some(d) = digest {
            let actual = format!("sha256:{}", image::sha256_hex(&bytes));
            if actual != d {
                return Err(RegistryError::Protocol(format!(
                    "{what}: digest mismatch: expected {d}, got {actual}"
                )));
            }
        }
        Ok((bytes, content_type))
    }

    /// The image manifest for the tag, resolving an index to this machine's platform.
    /// Returns the manifest's bytes and the digest of what the reference named: the index's
    /// when it names one, which is what Docker records as the image's RepoDigest (and prints
    /// as `Digest:`), so `name@digest` pulls the same on any platform.
    pub fn manifest(&mut self) -> std::result::Result<(Vec<u8>, String), RegistryError> {
        let accept = [
            image::MT_MANIFEST,
            image::MT_DOCKER_MANIFEST,
            image::MT_INDEX,
            MT_DOCKER_LIST,
        ]
        .join(", ");
        let (what, url) = match &self.remote.digest {
            Some(d) => (
                format!("manifest for {}@{d}", self.display_name()),
                self.remote.url("manifests", d),
            ),
            None => (
                format!("manifest for {}:{}", self.display_name(), self.remote.tag),
                self.remote.url("manifests", &self.remote.tag),
            ),
        };
        let asked = self.remote.digest.clone();
        let (bytes, content_type) = self.document(&url, &accept, &what, asked.as_deref())?;
        let kind = media_type_of(&bytes, &content_type);
        if kind == image::MT_INDEX || kind == MT_DOCKER_LIST {
            let index: PlatformIndex = serde_json::from_slice(&bytes)
                .map_err(|e| RegistryError::Protocol(format!("{what}: {e}")))?;
            let arch = host_arch();
            let chosen = index
                .manifests
                .iter()
                .find(|m| {
                    m.platform
                        .as_ref()
                        .is_some_and(|p| p.os == "linux" && p.architecture == arch)
                })
                .ok_or_else(|| {
                    RegistryError::NotFound(format!(
                        "no matching manifest for linux/{arch} in the manifest list entries"
                    ))
                })?;
            let named = format!("sha256:{}", image::sha256_hex(&bytes));
            let digest = chosen.digest.clone();
            let url = self.remote.url("manifests", &digest);
            let (bytes, _) = self.document(&url, &accept, &what, Some(&digest))?;
            return Ok((bytes, named));
        }
        let digest = format!("sha256:{}", image::sha256_hex(&bytes));
        Ok((bytes, digest))
    }

    pub fn config(&mut self, d: &Descriptor) -> std::result::Result<Vec<u8>, RegistryError> {
        let url = self.remote.url("blobs", &d.digest);
        let what = format!("config {}", short_hex(&d.digest));
        Ok(self.document(&url, "", &what, Some(&d.digest))?.0)
    }

    /// Stream a blob into `dest`, returning its digest and size.
    pub fn download(
        &mut self,
        d: &Descriptor,
        dest: &std::path::Path,
    ) -> std::result::Result<(String, u64), RegistryError> {
        let url = self.remote.url("blobs", &d.digest);
        let resp = self.get(&url, "")?;
        if !resp.status().is_success() {
            return Err(self.failure(resp, &format!("blob {}", short_hex(&d.digest))));
        }
        let file = File::create(dest)
            .map_err(|e| RegistryError::Protocol(format!("{}: {e}", dest.display())))?;
        let mut w = HashWriter::new(io::BufWriter::new(file));
        let mut body = resp.into_body().into_reader();
        // A blob larger than announced is wrong: stop reading one byte past its size.
        let mut limited = (&mut body).take(d.size.saturating_add(1));
        io::copy(&mut limited, &mut w).map_err(|e| RegistryError::Unreachable(e.to_string()))?;
        let (buf, hex, n) = w.finish();
        let file = buf
            .into_inner()
            .map_err(|e| RegistryError::Protocol(format!("{}: {e}", dest.display())))?;
        file.sync_all()
            .map_err(|e| RegistryError::Protocol(format!("{}: {e}", dest.display())))?;
        Ok((format!("sha256:{hex}"), n))
    }
}

/// The registry's error body as Docker words it (`unauthorized: authentication required`),
/// or the status when there is none.
pub(crate) fn error_text(resp: &mut Response) -> String {
    let status = resp.status();
    let body: ErrorBody = resp
        .body_mut()
        .with_config()
        .limit(MAX_DOC_BYTES)
        .read_to_vec()
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    match body.errors.first() {
        Some(e) => format!(
            "{}: {}",
            e.code.to_ascii_lowercase().replace('_', " "),
            e.message
        ),
        // distribution's client: a bare 401 is ErrorCodeUnauthorized's message.
        None if status.as_u16() == 401 => "unauthorized: authentication required".into(),
        None => format!("HTTP {status}"),
    }
}

/// The token in a token server's answer; its refusal as Docker words it.
pub(crate) fn token_from(
    mut resp: Response,
    realm: &str,
) -> std::result::Result<String, RegistryError> {
    let status = resp.status().as_u16();
    if status == 401 || status == 403 {
        return Err(RegistryError::Denied(error_text(&mut resp)));
    }
    if !resp.status().is_success() {
        return Err(RegistryError::Denied(format!(
            "token request to {realm} failed: {}",
            resp.status()
        )));
    }
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(MAX_DOC_BYTES)
        .read_to_vec()
        .map_err(|e| RegistryError::Protocol(format!("token answer: {e}")))?;
    let answer: TokenAnswer = serde_json::from_slice(&bytes)
        .map_err(|e| RegistryError::Protocol(format!("token answer: {e}")))?;
    let token = if answer.token.is_empty() {
        answer.access_token
    } else {
        answer.token
    };
    if token.is_empty() {
        return Err(RegistryError::Protocol(
            "empty token from the registry".into(),
        ));
    }
    Ok(token)
}

#[derive(Deserialize)]
struct PlatformIndex {
    #[serde(default)]
    manifests: Vec<PlatformEntry>,
}
#[derive(Deserialize)]
struct PlatformEntry {
    digest: String,
    #[serde(default)]
    platform: Option<Platform>,
}
#[derive(Deserialize)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
}

/// The document's media type: its own `mediaType` field, else the Content-Type header.
fn media_type_of(bytes: &[u8], content_type: &str) -> String {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType", default)]
        media_type: String,
        #[serde(default)]
        manifests: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Probe>(bytes) {
        Ok(p) if !p.media_type.is_empty() => p.media_type,
        Ok(p) if p.manifests.is_some() => image::MT_INDEX.to_string(),
        _ => content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string(),
    }
}

impl Store {
    /// Pull `r` from its registry. An unreachable registry reads as "not bundled" (gorae is
    /// offline-first: the catalog is what there is), with the network error as detail.
    pub fn pull_remote(
        &self,
        r: &Reference,
        progress: &mut dyn PullProgress,
    ) -> Result<PullOutcome> {
        let remote = RemoteRef::of(r);
        let mut client = Client::new(remote);
        let not_bundled = |e: RegistryError| -> EngineError {
            match e {
                RegistryError::Unreachable(_) => EngineError::NotBundled {
                    name: r.full(),
                    available: self.catalog_names().join(", "),
                },
                RegistryError::NotFound(detail) => EngineError::ManifestUnknown(detail),
                other => EngineError::Registry {
                    image: r.full(),
                    detail: other.to_string(),
                },
            }
        };
        let (manifest_bytes, manifest_digest) = client.manifest().map_err(&not_bundled)?;
        progress.found();
        let manifest: Manifest =
            serde_json::from_slice(&manifest_bytes).map_err(|e| EngineError::Registry {
                image: r.full(),
                detail: format!("manifest unsupported or corrupt: {e}"),
            })?;
        let config_bytes = client.config(&manifest.config).map_err(&not_bundled)?;
        let config: ImageConfig =
            serde_json::from_slice(&config_bytes).map_err(|e| EngineError::Registry {
                image: r.full(),
                detail: format!("config corrupt: {e}"),
            })?;
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(EngineError::Registry {
                image: r.full(),
                detail: "the manifest's layer count differs from the config's diff_ids".into(),
            });
        }
        for (layer, diff_id) in manifest.layers.iter().zip(&config.rootfs.diff_ids) {
            let blob = self.blob_path(&layer.digest);
            if self.layer_ready(diff_id) && blob.exists() {
                progress.layer(&layer.digest, layer.size, LayerStatus::AlreadyExists);
                continue;
            }
            progress.layer(&layer.digest, layer.size, LayerStatus::Pulling);
            if !self.adopt_pooled_blob(&layer.digest)? {
                let tmp = self.tmp_path("pull");
                let res = client.download(layer, &tmp).map_err(&not_bundled);
                let res = res.and_then(|(digest, size)| {
                    if digest != layer.digest || size != layer.size {
                        return Err(EngineError::DigestMismatch {
                            what: format!("layer {}", short_hex(&layer.digest)),
                            expected: format!("{} ({} bytes)", layer.digest, layer.size),
                            actual: format!("{digest} ({size} bytes)"),
                        });
                    }
                    fs::rename(&tmp, &blob).map_err(|e| EngineError::io(&blob, e))
                });
                if let Err(e) = res {
                    let _ = fs::remove_file(&tmp);
                    return Err(e);
                }
            }
            self.unpack_layer(&blob, diff_id)?;
            progress.layer(&layer.digest, layer.size, LayerStatus::Complete);
        }
        self.put_blob(image::MT_CONFIG, &config_bytes)?;
        let stored = self.put_blob(&manifest.media_type, &manifest_bytes)?;
        let updated = self.record_pull(r, &stored.digest, &manifest_digest, stored.size)?;
        // Where these blobs are, for cross-repository mounts of a later push.
        self.remember_sources(
            &client.remote,
            manifest.layers.iter().map(|l| l.digest.as_str()),
        )?;
        let image_id = manifest.config.digest.clone();
        if updated {
            self.emit(Event::on_image(Action::Pull).id(&image_id).name(&r.full()));
        }
        Ok(PullOutcome {
            reference: r.clone(),
            manifest_digest,
            image_id,
            updated,
        })
    }
}

/// `docker login SERVER`: whether the registry takes these credentials (nothing is stored
/// here; `auth::store` does that).
pub fn login(server: &str, creds: &Credentials) -> Result<()> {
    let key = auth::server_key(server);
    let host = if key == auth::DOCKER_HUB_SERVER {
        DOCKER_HUB.to_string()
    } else {
        key
    };
    let mut client = Client::new(RemoteRef {
        host,
        repository: String::new(),
        tag: String::new(),
        digest: None,
    });
    client.login(creds).map_err(|e| match e {
        RegistryError::Unreachable(d) => EngineError::RegistryUnreachable(d),
        RegistryError::Denied(d) => EngineError::RegistryDenied(d),
        RegistryError::NotFound(d) | RegistryError::Protocol(d) => EngineError::RegistryDenied(d),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_map_to_registries() {
        let r = |s: &str| RemoteRef::of(&Reference::parse(s).unwrap());
        let hub = r("busybox");
        assert_eq!(hub.host, DOCKER_HUB);
        assert_eq!(hub.repository, "library/busybox");
        assert_eq!(hub.scheme(), "https");
        assert_eq!(r("someone/app:1").repository, "someone/app");
        let local = r("localhost:5000/test/busybox:v1");
        assert_eq!(local.host, "localhost:5000");
        assert_eq!(local.repository, "test/busybox");
        assert_eq!(local.tag, "v1");
        assert_eq!(local.scheme(), "http");
        assert_eq!(r("127.0.0.1:5000/x").scheme(), "http");
        assert_eq!(r("ghcr.io/org/x").scheme(), "https");
        assert_eq!(
            local.url("manifests", "v1"),
            "http://localhost:5000/v2/test/busybox/manifests/v1"
        );
    }

    #[test]
    fn bearer_challenges_parse() {
        let p = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
        )
        .unwrap();
        assert_eq!(
            p,
            vec![
                ("realm".into(), "https://auth.docker.io/token".into()),
                ("service".into(), "registry.docker.io".into()),
                ("scope".into(), "repository:library/busybox:pull".into()),
            ]
        );
        assert!(parse_challenge("Basic realm=\"x\"").is_none());
    }
}
