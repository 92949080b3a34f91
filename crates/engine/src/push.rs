//! `docker push`: an image's blobs and manifest to a registry, per the OCI distribution spec.
//!
//! For each blob: HEAD in the target repository (there already: "Layer already exists");
//! else a cross-repository mount (`POST …/blobs/uploads/?mount=<digest>&from=<repo>`) from a
//! repository on the same registry the blob is known to be in (pulled from or pushed to
//! before; `<root>/registry-sources.json`); else a monolithic upload (POST, then PUT with the
//! whole blob and `?digest=`), falling back to chunked PATCHes when the registry refuses that.
//! Then the manifest, byte for byte as stored (so its digest, and the image ID, are the same
//! after a pull), with its own media type as Content-Type. Blobs go as the manifest describes
//! them (a layer loaded uncompressed from `docker save` is pushed uncompressed).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;

use crate::image::{self, Descriptor, Image, Reference, short_hex};
use crate::registry::{Client, Payload, RegistryError, RemoteRef, Response};
use crate::store::{read_json, write_json};
use crate::{Action, EngineError, Event, Result, Store};

/// Chunk size of the chunked fallback (a registry may ask for more with OCI-Chunk-Min-Length).
const CHUNK: u64 = 8 << 20;
/// How many repositories a blob is remembered in (Docker keeps a few mount candidates too).
const MAX_SOURCES: usize = 8;

/// What `push` reports as it goes, so a face can print Docker's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// Before anything else: the repository as Docker names it (`localhost:5000/app`).
    Repository(String),
    /// A layer, by the short form of its diff ID (Docker's push IDs).
    Layer { id: String, status: LayerPush },
    /// A tag's manifest is in: `{tag}: digest: {digest} size: {size}`.
    Tagged {
        tag: String,
        digest: String,
        size: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerPush {
    Preparing,
    Pushing,
    Pushed,
    AlreadyExists,
    /// Mounted from this repository (its path on the registry, `base/redis`).
    Mounted(String),
}

pub trait PushProgress {
    fn event(&mut self, e: PushEvent);
}

/// How one blob got there.
enum BlobPush {
    Exists,
    Mounted(String),
    Uploaded,
}

impl Store {
    /// Push `name` (one tag), or with `all_tags` every local tag of its repository.
    pub fn push(&self, name: &str, all_tags: bool, progress: &mut dyn PushProgress) -> Result<()> {
        let r = Reference::parse(name)?;
        let canonical = r.canonical();
        let repo_name = canonical
            .rsplit_once(':')
            .map(|(n, _)| n.to_string())
            .unwrap_or(canonical.clone());
        progress.event(PushEvent::Repository(repo_name));
        let _writing = self.writing()?;
        let images = self.images()?;
        let prefix = format!("{}:", r.name);
        let mut local: Vec<(String, &Image)> = Vec::new();
        for img in &images {
            for t in &img.tags {
                if let Some(tag) = t.strip_prefix(&prefix)
                    && (all_tags || tag == r.tag)
                {
                    local.push((tag.to_string(), img));
                }
            }
        }
        local.sort_by(|a, b| a.0.cmp(&b.0));
        if local.is_empty() {
            let repo_known = images
                .iter()
                .any(|i| i.tags.iter().any(|t| t.starts_with(&prefix)));
            return Err(if repo_known && !all_tags {
                EngineError::TagDoesNotExist(r.full())
            } else {
                EngineError::NoLocalTag(r.name.clone())
            });
        }
        let remote = RemoteRef::of(&r);
        let mut client = Client::for_push(remote.clone());
        let sources = self.registry_sources();
        // A token must reach every repository a blob may be mounted from.
        let mut from: Vec<String> = Vec::new();
        for (_, img) in &local {
            for l in &img.manifest.layers {
                for repo in candidates(&sources, &remote, &l.digest) {
                    if !from.contains(&repo) {
                        from.push(repo);
                    }
                }
            }
        }
        client.also_pull = from;
        let fail = |e: RegistryError| EngineError::from_push(e);
        // Docker's first request: the registry's base, which also settles authorization.
        let base = client.base();
        let ping = client
            .send("GET", &base, &[], Payload::Empty)
            .map_err(fail)?;
        if matches!(ping.status().as_u16(), 401 | 403) {
            return Err(fail(client.failure(ping, "registry")));
        }
        // Once the registry refuses a whole blob, the rest go in chunks too.
        let mut chunked = false;
        for (tag, img) in local {
            let diff_ids = &img.config.rootfs.diff_ids;
            let layers = &img.manifest.layers;
            let id_of = |i: usize| {
                short_hex(
                    diff_ids
                        .get(i)
                        .map(String::as_str)
                        .unwrap_or(&layers[i].digest),
                )
            };
            for i in (0..layers.len()).rev() {
                progress.event(PushEvent::Layer {
                    id: id_of(i),
                    status: LayerPush::Preparing,
                });
            }
            for i in (0..layers.len()).rev() {
                let d = &layers[i];
                let from = candidates(&sources, &remote, &d.digest);
                let status = match self
                    .push_blob(&mut client, d, &from, &mut chunked, &mut |_| {
                        progress.event(PushEvent::Layer {
                            id: id_of(i),
                            status: LayerPush::Pushing,
                        })
                    })
                    .map_err(fail)?
                {
                    BlobPush::Exists => LayerPush::AlreadyExists,
                    BlobPush::Mounted(repo) => LayerPush::Mounted(repo),
                    BlobPush::Uploaded => LayerPush::Pushed,
                };
                progress.event(PushEvent::Layer {
                    id: id_of(i),
                    status,
                });
            }
            self.push_blob(
                &mut client,
                &img.manifest.config,
                &[],
                &mut chunked,
                &mut |_| {},
            )
            .map_err(fail)?;
            let (digest, size) = self.put_manifest(&mut client, img, &tag).map_err(fail)?;
            let local_size = std::fs::metadata(self.blob_path(&img.manifest_digest))
                .map(|m| m.len())
                .unwrap_or(0);
            self.add_repo_digest(&r.name, &img.manifest_digest, &digest, local_size)?;
            self.remember_sources(&remote, layers.iter().map(|l| l.digest.as_str()))?;
            self.emit(
                Event::on_image(Action::Push)
                    .id(&format!("{}:{tag}", r.name))
                    .name(&format!("{}:{tag}", r.name)),
            );
            progress.event(PushEvent::Tagged { tag, digest, size });
        }
        Ok(())
    }

    fn push_blob(
        &self,
        client: &mut Client,
        d: &Descriptor,
        from: &[String],
        chunked: &mut bool,
        pushing: &mut dyn FnMut(()),
    ) -> std::result::Result<BlobPush, RegistryError> {
        let url = client.url(&format!("blobs/{}", d.digest));
        let head = client.send("HEAD", &url, &[], Payload::Empty)?;
        match head.status().as_u16() {
            200..=299 => return Ok(BlobPush::Exists),
            401 | 403 => return Err(client.failure(head, "blob")),
            _ => {}
        }
        let mut location = None;
        for repo in from {
            let url = client.url(&format!(
                "blobs/uploads/?mount={}&from={}",
                d.digest,
                query_escape(repo)
            ));
            let resp = client.send("POST", &url, &[], Payload::Empty)?;
            match resp.status().as_u16() {
                201 => return Ok(BlobPush::Mounted(repo.clone())),
                // Not mountable: the registry opened an ordinary upload instead.
                202 => {
                    location = Some(location_of(&resp)?);
                    break;
                }
                401 | 403 => return Err(client.failure(resp, "blob upload")),
                _ => {}
            }
        }
        let path = self.blob_path(&d.digest);
        if !path.exists() {
            return Err(RegistryError::Protocol(format!(
                "blob {} is missing from the local store",
                d.digest
            )));
        }
        pushing(());
        let location = match location {
            Some(l) => l,
            None => start_upload(client)?,
        };
        if *chunked {
            self.upload_chunked(client, d, location, CHUNK)?;
            return Ok(BlobPush::Uploaded);
        }
        let put = client.url(&with_digest(&location, &d.digest));
        let octets = [("Content-Type", "application/octet-stream")];
        let resp = client.send("PUT", &put, &octets, Payload::File(&path))?;
        match resp.status().as_u16() {
            201 | 204 => return Ok(BlobPush::Uploaded),
            401 | 403 => return Err(client.failure(resp, "blob upload")),
            _ => {}
        }
        // The registry refused the blob in one piece: cancel that upload, send it in chunks.
        let min_chunk = resp
            .headers()
            .get("oci-chunk-min-length")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        let _ = client.send("DELETE", &client.url(&location), &[], Payload::Empty);
        *chunked = true;
        let location = start_upload(client)?;
        self.upload_chunked(client, d, location, CHUNK.max(min_chunk))?;
        Ok(BlobPush::Uploaded)
    }

    /// PATCH each chunk with its Content-Range in order to the upload at `location`, then PUT
    /// `?digest=`.
    fn upload_chunked(
        &self,
        client: &mut Client,
        d: &Descriptor,
        mut location: String,
        chunk: u64,
    ) -> std::result::Result<(), RegistryError> {
        let path = self.blob_path(&d.digest);
        let mut file = File::open(&path)
            .map_err(|e| RegistryError::Protocol(format!("{}: {e}", path.display())))?;
        let mut offset = 0u64;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            (&mut file)
                .take(chunk)
                .read_to_end(&mut buf)
                .map_err(|e| RegistryError::Protocol(format!("{}: {e}", path.display())))?;
            if buf.is_empty() {
                break;
            }
            let end = offset + buf.len() as u64 - 1;
            let range = format!("{offset}-{end}");
            let headers = [
                ("Content-Type", "application/octet-stream"),
                ("Content-Range", range.as_str()),
            ];
            let url = client.url(&location);
            let resp = client.send("PATCH", &url, &headers, Payload::Bytes(&buf))?;
            if resp.status().as_u16() != 202 {
                return Err(client.failure(resp, "blob upload"));
            }
            location = location_of(&resp)?;
            offset = end + 1;
        }
        let url = client.url(&with_digest(&location, &d.digest));
        let resp = client.send("PUT", &url, &[], Payload::Empty)?;
        if !matches!(resp.status().as_u16(), 201 | 204) {
            return Err(client.failure(resp, "blob upload"));
        }
        Ok(())
    }

    /// PUT the stored manifest under `tag`; its digest and size.
    fn put_manifest(
        &self,
        client: &mut Client,
        img: &Image,
        tag: &str,
    ) -> std::result::Result<(String, u64), RegistryError> {
        let path = self.blob_path(&img.manifest_digest);
        let bytes = std::fs::read(&path)
            .map_err(|e| RegistryError::Protocol(format!("{}: {e}", path.display())))?;
        let digest = format!("sha256:{}", image::sha256_hex(&bytes));
        let media_type = if img.manifest.media_type.is_empty() {
            image::MT_MANIFEST
        } else {
            img.manifest.media_type.as_str()
        };
        let url = client.url(&format!("manifests/{tag}"));
        let resp = client.send(
            "PUT",
            &url,
            &[("Content-Type", media_type)],
            Payload::Bytes(&bytes),
        )?;
        if !matches!(resp.status().as_u16(), 200..=299) {
            return Err(client.failure(resp, "manifest"));
        }
        if let Some(theirs) = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && theirs != digest
        {
            return Err(RegistryError::Protocol(format!(
                "the registry stored the manifest as {theirs}, not {digest}"
            )));
        }
        Ok((digest, bytes.len() as u64))
    }

    fn sources_path(&self) -> std::path::PathBuf {
        self.root.join("registry-sources.json")
    }

    /// Which repositories (`host/path`) each blob is known to be in.
    pub fn registry_sources(&self) -> BTreeMap<String, Vec<String>> {
        read_json(&self.sources_path()).unwrap_or_default()
    }

    /// Note that these blobs are in `remote`'s repository (after a pull or a push).
    pub(crate) fn remember_sources<'a>(
        &self,
        remote: &RemoteRef,
        digests: impl Iterator<Item = &'a str>,
    ) -> Result<()> {
        let _lock = self.lock()?;
        let mut all = self.registry_sources();
        let here = format!("{}/{}", remote.host, remote.repository);
        let mut changed = false;
        for d in digests {
            let list = all.entry(d.to_string()).or_default();
            if list.first() != Some(&here) {
                list.retain(|r| r != &here);
                list.insert(0, here.clone());
                list.truncate(MAX_SOURCES);
                changed = true;
            }
        }
        if changed {
            write_json(&self.sources_path(), &all)?;
        }
        Ok(())
    }
}

/// Repositories on the same registry (other than the target) a blob can be mounted from.
fn candidates(
    sources: &BTreeMap<String, Vec<String>>,
    remote: &RemoteRef,
    digest: &str,
) -> Vec<String> {
    let prefix = format!("{}/", remote.host);
    sources
        .get(digest)
        .into_iter()
        .flatten()
        .filter_map(|s| s.strip_prefix(&prefix))
        .filter(|repo| *repo != remote.repository)
        .map(str::to_string)
        .collect()
}

fn start_upload(client: &mut Client) -> std::result::Result<String, RegistryError> {
    let url = client.url("blobs/uploads/");
    let resp = client.send("POST", &url, &[], Payload::Empty)?;
    if resp.status().as_u16() != 202 {
        return Err(client.failure(resp, "blob upload"));
    }
    location_of(&resp)
}

fn location_of(resp: &Response) -> std::result::Result<String, RegistryError> {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| RegistryError::Protocol("upload answer without a Location".into()))
}

/// The upload URL with `digest=` added to its query.
fn with_digest(location: &str, digest: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}digest={}", query_escape(digest))
}

fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl EngineError {
    fn from_push(e: RegistryError) -> EngineError {
        match e {
            RegistryError::Unreachable(d) => EngineError::RegistryUnreachable(d),
            RegistryError::Denied(d) => EngineError::RegistryDenied(d),
            RegistryError::NotFound(d) | RegistryError::Protocol(d) => EngineError::PushFailed(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_urls_get_their_digest() {
        assert_eq!(
            with_digest("http://h/v2/a/blobs/uploads/u?_state=x", "sha256:ab"),
            "http://h/v2/a/blobs/uploads/u?_state=x&digest=sha256%3Aab"
        );
        assert_eq!(
            with_digest("/v2/a/u", "sha256:ab"),
            "/v2/a/u?digest=sha256%3Aab"
        );
    }

    #[test]
    fn mount_candidates_are_other_repositories_on_the_same_host() {
        let remote = RemoteRef {
            host: "localhost:5000".into(),
            repository: "app".into(),
            tag: "1.0".into(),
            digest: None,
        };
        let mut s = BTreeMap::new();
        s.insert(
            "sha256:1".to_string(),
            vec![
                "localhost:5000/app".to_string(),
                "other:5000/base".to_string(),
                "localhost:5000/base/redis".to_string(),
            ],
        );
        assert_eq!(candidates(&s, &remote, "sha256:1"), vec!["base/redis"]);
        assert!(candidates(&s, &remote, "sha256:2").is_empty());
    }
}
