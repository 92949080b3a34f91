//! `docker system df`: what images and containers hold on disk, as Docker's daemon counts it
//! (images by their unpacked layers, a layer shared by several images counted once in the
//! total; containers by their writable layer).

use std::collections::{HashMap, HashSet};

use super::container::Container;
use super::image::Image;
use super::{Result, Store};

/// One image's share: all its layers, those other images use too, and its containers.
#[derive(Debug, Clone)]
pub struct ImageUsage {
    pub image: Image,
    pub size: u64,
    pub shared: u64,
    pub containers: usize,
}

#[derive(Debug, Clone)]
pub struct ContainerUsage {
    pub container: Container,
    /// The writable layer (SizeRw).
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct VolumeUsage {
    pub name: String,
    /// Containers (any state) that mount it.
    pub links: usize,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct DiskUsage {
    /// The images `docker images` lists (no intermediate build steps), newest first.
    pub images: Vec<ImageUsage>,
    /// All distinct layers in the store.
    pub layers_size: u64,
    pub containers: Vec<ContainerUsage>,
    pub volumes: Vec<VolumeUsage>,
}

impl DiskUsage {
    /// Docker's RECLAIMABLE for images: the total less what images in use hold alone.
    pub fn images_reclaimable(&self) -> u64 {
        let used: u64 = self
            .images
            .iter()
            .filter(|i| i.containers > 0)
            .map(|i| i.size - i.shared)
            .sum();
        self.layers_size.saturating_sub(used)
    }
}

impl Store {
    pub fn disk_usage(&self) -> Result<DiskUsage> {
        let all = self.images()?;
        let containers = self.containers()?;
        let mut users: HashMap<&str, usize> = HashMap::new();
        for c in &containers {
            *users.entry(c.image_id.as_str()).or_default() += 1;
        }
        let mut layer_users: HashMap<&str, usize> = HashMap::new();
        for img in &all {
            let distinct: HashSet<&String> = img.config.rootfs.diff_ids.iter().collect();
            for d in distinct {
                *layer_users.entry(d.as_str()).or_default() += 1;
            }
        }
        let parents = self.build_parents();
        let mut images: Vec<ImageUsage> = all
            .iter()
            .filter(|img| !(img.tags.is_empty() && parents.contains(&img.id)))
            .map(|img| {
                let distinct: HashSet<&String> = img.config.rootfs.diff_ids.iter().collect();
                let (mut size, mut shared) = (0, 0);
                for d in distinct {
                    let s = self.layer_size(d);
                    size += s;
                    if layer_users.get(d.as_str()).copied().unwrap_or(0) > 1 {
                        shared += s;
                    }
                }
                ImageUsage {
                    image: img.clone(),
                    size,
                    shared,
                    containers: users.get(img.id.as_str()).copied().unwrap_or(0),
                }
            })
            .collect();
        images.sort_by_key(|i| std::cmp::Reverse(i.image.created_millis()));
        let mut volumes = Vec::new();
        for v in self.volumes()? {
            volumes.push(VolumeUsage {
                links: self.volume_users(&v.name)?.len(),
                size: super::inspect::tree_size(&v.mountpoint),
                name: v.name,
            });
        }
        Ok(DiskUsage {
            volumes,
            layers_size: self.layers_size(&all),
            images,
            containers: containers
                .into_iter()
                .map(|c| ContainerUsage {
                    size: self.container_size(&c.id),
                    container: c,
                })
                .collect(),
        })
    }
}
