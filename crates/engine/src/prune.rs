//! `docker container prune` and `docker image prune`: remove what nothing uses, emitting the
//! events Docker emits (`destroy` per container, `untag` and `delete` per image, then one
//! `prune` with the bytes reclaimed) and reporting
//! what went and how much space it freed.

use std::collections::HashSet;

use crate::container::Container;
use crate::image::Image;
use crate::{Action, Event, EventType, Result, Store};

/// What a container prune removed: full IDs, and the bytes their writable layers held.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ContainersPruned {
    pub deleted: Vec<String>,
    pub space_reclaimed: u64,
}

/// One line of an image prune's report, as Docker's `ImageDeleteResponseItem`.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageDeleted {
    Untagged(String),
    Deleted(String),
}

/// What an image prune removed, in order, and the bytes of the layers that went with it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImagesPruned {
    pub deleted: Vec<ImageDeleted>,
    pub space_reclaimed: u64,
}

impl Store {
    /// Remove every container that is not running and that `select` accepts (the CLI's
    /// `--filter`). A container started meanwhile is left alone.
    pub fn prune_containers(
        &self,
        select: &dyn Fn(&Container) -> bool,
    ) -> Result<ContainersPruned> {
        let mut out = ContainersPruned::default();
        let mut containers = self.containers()?;
        containers.sort_by_key(|c| std::cmp::Reverse(c.created_millis()));
        for c in containers {
            if c.is_running() || c.is_restarting() || c.state.status == "paused" || !select(&c) {
                continue;
            }
            // Look again right before removing: `docker start` may have won the race.
            let Ok(fresh) = self.resolve_container(&c.id) else {
                continue;
            };
            if fresh.is_running() || fresh.is_restarting() {
                continue;
            }
            let size = self.container_size(&fresh.id);
            self.destroy_container(&fresh)?;
            out.deleted.push(fresh.id.clone());
            out.space_reclaimed += size;
        }
        self.emit(
            Event::new(EventType::Container, Action::Prune)
                .attr("reclaimed", out.space_reclaimed.to_string()),
        );
        Ok(out)
    }

    /// Remove unused images that `select` accepts: only dangling ones (no tag) unless `all`.
    /// An image a container (in any state) uses is kept, and so is one other images were
    /// built on (Docker prunes from the top of the parent chain; `rmi` takes the parents).
    pub fn prune_images(&self, all: bool, select: &dyn Fn(&Image) -> bool) -> Result<ImagesPruned> {
        let used: HashSet<String> = self.containers()?.into_iter().map(|c| c.image_id).collect();
        let parents = self.build_parents();
        let images = self.images()?;
        let before = self.layers_size(&images);
        let mut out = ImagesPruned::default();
        for img in &images {
            if used.contains(&img.id)
                || parents.contains(&img.id)
                || (!all && !img.tags.is_empty())
                || !select(img)
            {
                continue;
            }
            // Refused when a container started using it meanwhile: keep it, as Docker does.
            let Ok(lines) = self.remove_image(&img.id, false) else {
                continue;
            };
            for line in lines {
                if let Some(tag) = line.strip_prefix("Untagged: ") {
                    out.deleted.push(ImageDeleted::Untagged(tag.to_string()));
                } else if let Some(id) = line.strip_prefix("Deleted: ") {
                    out.deleted.push(ImageDeleted::Deleted(id.to_string()));
                }
            }
        }
        if !out.deleted.is_empty() {
            let after = self.layers_size(&self.images()?);
            out.space_reclaimed = before.saturating_sub(after);
        }
        self.emit(
            Event::on_image(Action::Prune).attr("reclaimed", out.space_reclaimed.to_string()),
        );
        Ok(out)
    }

    /// Unpacked size of the distinct layers the images use.
    pub(crate) fn layers_size(&self, images: &[Image]) -> u64 {
        let layers: HashSet<&String> = images
            .iter()
            .flat_map(|i| i.config.rootfs.diff_ids.iter())
            .collect();
        layers.into_iter().map(|d| self.layer_size(d)).sum()
    }
}
