//! Where a card's relative image paths are found: folders and zip archives under the benchmark
//! folder, tried in order (SLAKE ships `imgs.zip`; users often unpack it to `imgs/`).
//!
//! A path that is found nowhere is an error; when the same path with another image extension
//! exists (CheXpert Plus's table names `.jpg` files, its PNG release holds `.png` files), the
//! message names that file, so the user sees at once that the images and the table come from
//! different releases. The other file is never used in its place.
//!
//! Roots and images must lie inside the benchmark folder, or inside a folder the user named with
//! `--image-root`, once symbolic links are resolved (see [`crate::containment`]): a card is a
//! file like any other input, so its `image_roots` cannot reach `/etc` or `../..`. An image
//! larger than [`MAX_IMAGE_BYTES`] is refused here, before anything is read.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use medeval_core::Image;
use medeval_core::digest::Sha256Hasher;
use medeval_core::limits::{MAX_IMAGE_BYTES, byte_size};

use crate::archive::ImageArchive;
use crate::containment::FileRoots;
use crate::error::{DataError, Location};

/// One place images are looked up.
#[derive(Debug)]
enum Root {
    Folder { dir: PathBuf, label: String },
    Archive(Arc<ImageArchive>),
}

/// The image roots of one benchmark folder.
#[derive(Debug)]
pub struct ImageRoots {
    roots: Vec<Root>,
    /// The roots the card names, for messages (including those that do not exist).
    named: Vec<String>,
    /// The extension the card gives every relative path, if any.
    extension: Option<String>,
    /// The benchmark folder: every image must resolve inside it or inside `allowed`.
    home: PathBuf,
    /// Folders the user allowed besides the benchmark folder.
    allowed: FileRoots,
}

impl ImageRoots {
    /// Opens the roots `names` (relative to `dir`); names ending in `.zip` are archives, the rest
    /// folders. Roots that do not exist are skipped; an empty list means `dir` itself. A root
    /// that resolves outside `dir` and outside every folder of `allowed` is an error.
    pub fn open(dir: &Path, names: &[String], allowed: &FileRoots) -> Result<Self, DataError> {
        let named: Vec<String> = if names.is_empty() {
            vec![".".to_owned()]
        } else {
            names.to_vec()
        };
        let mut roots = Vec::new();
        for name in &named {
            let path = if name == "." {
                dir.to_path_buf()
            } else {
                dir.join(name)
            };
            if path.exists() {
                allowed
                    .check(
                        &path,
                        dir,
                        &format!("image root {name:?}"),
                        "the benchmark folder",
                    )
                    .map_err(|refusal| {
                        DataError::invalid(
                            Location::file(dir),
                            format!("the card's image_roots: {}", refusal.into_message()),
                        )
                    })?;
            }
            if name.to_ascii_lowercase().ends_with(".zip") {
                if path.is_file() {
                    roots.push(Root::Archive(ImageArchive::open(&path, name)?));
                }
            } else if path.is_dir() {
                roots.push(Root::Folder {
                    dir: path,
                    label: name.trim_end_matches('/').to_owned(),
                });
            }
        }
        Ok(Self {
            roots,
            named,
            extension: None,
            home: dir.to_path_buf(),
            allowed: allowed.clone(),
        })
    }

    /// The same roots, giving every relative path `extension` (without the dot) before it is
    /// looked up.
    pub fn with_extension(self, extension: Option<&str>) -> Self {
        Self {
            extension: extension.map(|e| e.trim_start_matches('.').to_owned()),
            ..self
        }
    }

    /// Finds the image a relative path names, feeding its identity (path relative to the
    /// benchmark folder and size, or archive member and CRC-32) to `fingerprint`.
    pub fn locate(&self, reference: &str, fingerprint: &mut Sha256Hasher) -> Result<Image, String> {
        let mut relative = safe_relative(reference)?;
        if let Some(extension) = &self.extension {
            relative = Path::new(&relative)
                .with_extension(extension)
                .to_string_lossy()
                .replace('\\', "/");
        }
        for root in &self.roots {
            match root {
                Root::Folder { dir, label } => {
                    let full = dir.join(&relative);
                    if let Ok(metadata) = std::fs::metadata(&full) {
                        if metadata.is_file() {
                            self.allowed
                                .check(
                                    &full,
                                    &self.home,
                                    &format!("image {relative}"),
                                    "the benchmark folder",
                                )
                                .map_err(|refusal| refusal.into_message())?;
                            check_size(&relative, metadata.len())?;
                            let identity = if label == "." {
                                relative.clone()
                            } else {
                                format!("{label}/{relative}")
                            };
                            fingerprint.update_field(identity.as_bytes());
                            fingerprint.update_field(&metadata.len().to_le_bytes());
                            return Ok(Image::Path(full));
                        }
                    }
                }
                Root::Archive(archive) => {
                    if let Some((member, info)) = archive.lookup(&relative) {
                        check_size(&format!("{}:{member}", archive.label()), info.size)?;
                        let identity = format!("{}:{member}", archive.label());
                        fingerprint.update_field(identity.as_bytes());
                        fingerprint.update_field(&info.crc32.to_le_bytes());
                        fingerprint.update_field(&info.size.to_le_bytes());
                        return Ok(archive.image(member));
                    }
                }
            }
        }
        let mut message = format!("image {relative} is in none of {}", self.describe_roots());
        if let Some(extension) = &self.extension {
            message.push_str(&format!(
                " (the card's image_extension gave the path {reference:?} the extension .{extension})"
            ));
        }
        if let Some(other) = self.with_other_extension(&relative) {
            message.push_str(&format!(
                "; {other} exists: the images here have another extension than the paths in the \
                 data (images and table from different releases? see the card's notes)"
            ));
        }
        Err(message)
    }

    /// A file (or zip member) in one of the roots whose path is `relative` with another image
    /// extension, as `root/path` (or `archive.zip:member`).
    fn with_other_extension(&self, relative: &str) -> Option<String> {
        const EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "PNG", "JPG", "JPEG"];
        let path = Path::new(relative);
        let current = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let candidates: Vec<String> = EXTENSIONS
            .iter()
            .filter(|ext| **ext != current)
            .map(|ext| {
                path.with_extension(ext)
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        self.roots.iter().find_map(|root| {
            candidates.iter().find_map(|candidate| match root {
                Root::Folder { dir, label } => dir.join(candidate).is_file().then(|| {
                    if label == "." {
                        candidate.clone()
                    } else {
                        format!("{label}/{candidate}")
                    }
                }),
                Root::Archive(archive) => archive
                    .lookup(candidate)
                    .map(|(member, _)| format!("{}:{member}", archive.label())),
            })
        })
    }

    fn describe_roots(&self) -> String {
        let present: Vec<String> = self
            .named
            .iter()
            .map(|name| {
                let exists = self.roots.iter().any(|root| match root {
                    Root::Folder { label, .. } => label == name.trim_end_matches('/'),
                    Root::Archive(archive) => archive.label() == name,
                });
                if exists {
                    name.clone()
                } else {
                    format!("{name} (absent)")
                }
            })
            .collect();
        present.join(", ")
    }
}

/// An image of `bytes` is refused when it is over [`MAX_IMAGE_BYTES`].
fn check_size(shown: &str, bytes: u64) -> Result<(), String> {
    if bytes <= MAX_IMAGE_BYTES {
        return Ok(());
    }
    Err(format!(
        "image {shown} is {bytes} bytes, more than the {} limit for one image; downscale or \
         re-encode it",
        byte_size(MAX_IMAGE_BYTES)
    ))
}

/// A reference as a relative path that stays inside the benchmark folder.
fn safe_relative(reference: &str) -> Result<String, String> {
    let trimmed = reference.trim().replace('\\', "/");
    let trimmed = trimmed.trim_start_matches("./");
    if trimmed.is_empty() {
        return Err("empty image path".into());
    }
    let path = Path::new(trimmed);
    let escapes = path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if escapes {
        return Err(format!(
            "image path {reference:?} leaves the benchmark folder; only relative paths inside it are read"
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_may_not_leave_the_benchmark_folder() {
        assert!(safe_relative("../secrets.png").is_err());
        assert!(safe_relative("/etc/passwd").is_err());
        assert_eq!(
            safe_relative("./xmlab1/source.jpg").unwrap(),
            "xmlab1/source.jpg"
        );
        assert_eq!(safe_relative("a\\b.png").unwrap(), "a/b.png");
    }

    #[test]
    fn folders_are_tried_in_order_and_misses_name_every_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("imgs/xmlab1")).unwrap();
        std::fs::write(dir.path().join("imgs/xmlab1/source.jpg"), b"jpeg").unwrap();
        let roots = ImageRoots::open(
            dir.path(),
            &["imgs".into(), "imgs.zip".into()],
            &FileRoots::none(),
        )
        .unwrap();
        let mut hasher = Sha256Hasher::new();
        let found = roots.locate("xmlab1/source.jpg", &mut hasher).unwrap();
        assert_eq!(
            found,
            Image::Path(dir.path().join("imgs/xmlab1/source.jpg"))
        );
        assert_eq!(
            roots.locate("xmlab2/source.jpg", &mut hasher).unwrap_err(),
            "image xmlab2/source.jpg is in none of imgs, imgs.zip (absent)"
        );
    }

    #[test]
    fn a_card_extension_is_applied_before_lookup_and_named_in_misses() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("PNG/valid/p1")).unwrap();
        std::fs::write(dir.path().join("PNG/valid/p1/view1.png"), b"png").unwrap();
        let roots = ImageRoots::open(dir.path(), &["PNG".to_owned()], &FileRoots::none())
            .unwrap()
            .with_extension(Some("png"));
        let mut hasher = Sha256Hasher::new();
        let found = roots.locate("valid/p1/view1.jpg", &mut hasher).unwrap();
        assert_eq!(
            found,
            Image::Path(dir.path().join("PNG/valid/p1/view1.png"))
        );
        let miss = roots.locate("valid/p2/view1.jpg", &mut hasher).unwrap_err();
        assert!(miss.contains("valid/p2/view1.png is in none of"), "{miss}");
        assert!(miss.contains("image_extension"), "{miss}");
    }

    #[test]
    fn a_miss_names_the_same_image_with_another_extension() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("PNG/train/patient1/study1")).unwrap();
        std::fs::write(
            dir.path()
                .join("PNG/train/patient1/study1/view1_frontal.png"),
            b"png",
        )
        .unwrap();
        let roots =
            ImageRoots::open(dir.path(), &["PNG".into(), ".".into()], &FileRoots::none()).unwrap();
        let mut hasher = Sha256Hasher::new();
        assert_eq!(
            roots
                .locate("train/patient1/study1/view1_frontal.jpg", &mut hasher)
                .unwrap_err(),
            "image train/patient1/study1/view1_frontal.jpg is in none of PNG, .; \
             PNG/train/patient1/study1/view1_frontal.png exists: the images here have another \
             extension than the paths in the data (images and table from different releases? \
             see the card's notes)"
        );
        // The other file is named, never used in its place.
        assert!(
            roots
                .locate("train/patient1/study1/view1_frontal.jpeg", &mut hasher)
                .is_err()
        );
    }
}
