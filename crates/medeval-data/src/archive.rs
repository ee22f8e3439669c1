//! Images inside zip archives (`imgs.zip`, `images_2.zip`), read when a request needs them.
//!
//! Benchmarks ship their images as archives of tens of gigabytes; unpacking them is the user's
//! choice, not a requirement. An archive's central directory is read once (names, sizes and
//! CRC-32s, no image data), item images become [`Image::Deferred`] members, and a member's bytes
//! are inflated only when its request is built. The CRC-32s enter the items' fingerprint, so a
//! changed image changes the run's identity without hashing gigabytes up front.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use medeval_core::limits::{MAX_IMAGE_BYTES, byte_size};
use medeval_core::{Image, ImageSource};
use zip::ZipArchive;

use crate::error::{DataError, Location};

/// Size and checksum of one member, from the central directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberInfo {
    /// Uncompressed size in bytes.
    pub size: u64,
    /// CRC-32 of the uncompressed bytes.
    pub crc32: u32,
}

/// An open zip archive of images.
pub struct ImageArchive {
    /// The archive on disk.
    path: PathBuf,
    /// How the archive is named in descriptions (relative to the benchmark folder).
    label: String,
    /// Members by name (files only).
    members: HashMap<String, MemberInfo>,
    /// The name of the single top-level folder every member sits in, if there is one
    /// (`imgs.zip` holding `imgs/...`): references may omit it.
    top_folder: Option<String>,
    archive: Mutex<ZipArchive<BufReader<File>>>,
}

impl std::fmt::Debug for ImageArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageArchive")
            .field("path", &self.path)
            .field("members", &self.members.len())
            .finish()
    }
}

impl ImageArchive {
    /// Opens `path` and reads its central directory. `label` names it in descriptions.
    pub fn open(path: &Path, label: &str) -> Result<Arc<Self>, DataError> {
        let file = File::open(path).map_err(|e| DataError::io(path, e))?;
        let archive = ZipArchive::new(BufReader::new(file)).map_err(|e| {
            DataError::format(
                Location::file(path),
                format!("not a readable zip archive: {e}"),
            )
        })?;
        let mut members = HashMap::with_capacity(archive.len());
        let mut tops: Option<Option<String>> = None;
        for index in 0..archive.len() {
            let entry = archive.by_index_data(index).map_err(|e| {
                DataError::format(
                    Location::file(path),
                    format!("zip entry {index} is unreadable: {e}"),
                )
            })?;
            if entry.is_dir() {
                continue;
            }
            let name = entry
                .name()
                .map_err(|e| {
                    DataError::format(
                        Location::file(path),
                        format!("zip entry {index} has an unreadable name: {e}"),
                    )
                })?
                .into_owned();
            let top = name.split_once('/').map(|(top, _)| top.to_owned());
            tops = Some(match tops {
                None => top,
                Some(previous) if previous == top => previous,
                Some(_) => None,
            });
            members.insert(
                name,
                MemberInfo {
                    size: entry.size(),
                    crc32: entry.crc32(),
                },
            );
        }
        Ok(Arc::new(Self {
            path: path.to_path_buf(),
            label: label.to_owned(),
            members,
            top_folder: tops.flatten(),
            archive: Mutex::new(archive),
        }))
    }

    /// The member a reference names: the reference itself, or the reference inside the
    /// archive's single top-level folder.
    pub fn lookup(&self, reference: &str) -> Option<(&str, MemberInfo)> {
        let reference = reference.trim_start_matches("./");
        if let Some((name, info)) = self.members.get_key_value(reference) {
            return Some((name.as_str(), *info));
        }
        let top = self.top_folder.as_deref()?;
        self.members
            .get_key_value(&format!("{top}/{reference}"))
            .map(|(name, info)| (name.as_str(), *info))
    }

    /// How the archive is named in descriptions.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A deferred image for the member `name` (as returned by [`ImageArchive::lookup`]).
    pub fn image(self: &Arc<Self>, name: &str) -> Image {
        Image::Deferred(Arc::new(ArchiveMember {
            archive: Arc::clone(self),
            name: name.to_owned(),
        }))
    }

    fn read_member(&self, name: &str) -> Result<Vec<u8>, String> {
        let info = self
            .members
            .get(name)
            .ok_or_else(|| format!("{} has no member {name}", self.path.display()))?;
        // A corrupt or hostile archive can claim any size: the claim is checked before anything
        // is inflated, and no more than the limit is inflated whatever the member holds.
        if info.size > MAX_IMAGE_BYTES {
            return Err(too_large(Some(info.size)));
        }
        // A poisoned lock only means another read panicked; the archive handle is still usable.
        let mut archive = self
            .archive
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut member = archive.by_name(name).map_err(|e| e.to_string())?;
        let mut bytes = Vec::with_capacity(usize::try_from(info.size).unwrap_or(0));
        // The zip reader checks the CRC-32 at the end of the member and fails on a mismatch.
        (&mut member)
            .take(MAX_IMAGE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot inflate: {e}"))?;
        if bytes.len() as u64 > MAX_IMAGE_BYTES {
            return Err(too_large(None));
        }
        Ok(bytes)
    }
}

/// The message for a member over [`MAX_IMAGE_BYTES`], with its size when known.
fn too_large(claimed: Option<u64>) -> String {
    let size = claimed.map_or_else(
        || "larger than its directory says".to_owned(),
        |bytes| format!("{bytes} bytes"),
    );
    format!(
        "member is {size}, more than the {} limit for one image",
        byte_size(MAX_IMAGE_BYTES)
    )
}

/// One member of an [`ImageArchive`].
#[derive(Debug)]
struct ArchiveMember {
    archive: Arc<ImageArchive>,
    name: String,
}

impl ImageSource for ArchiveMember {
    fn read(&self) -> Result<Vec<u8>, String> {
        self.archive.read_member(&self.name)
    }

    fn describe(&self) -> String {
        format!("{}:{}", self.archive.label, self.name)
    }
}
