//! Sanity benchmarks from a user's own DICOM images.
//!
//! A model that cannot tell a CT from an MRI, a mirrored chest film from a correct one, or four
//! identical panels from three plus an intruder should not be trusted with harder questions about
//! the same images. This crate builds such checks from any folder of DICOM studies: every answer
//! comes from the file's header (modality, body part, acquisition plane) or from a transform the
//! builder applied (left-right flip, rotation, an odd panel in a 2x2 grid), so no labelling is
//! needed. Questions about alterations come with negative controls (the same question about the
//! unaltered input) so that false alarms are measured, not just hits.
//!
//! The result is an ordinary native item file plus a folder of PNGs: it runs with `medeval run`
//! like any benchmark, and `medeval probe RUN` reports accuracy per task and the false-alarm rate
//! on controls (with the rule-of-three bound when there are none).
//!
//! Nothing from the header but the modality and body part (each a short code string) reaches an
//! item: no names, identifiers, dates, UIDs or file paths (folder names often carry patient names
//! or ids; [`BuildSummary::sources`] maps source ids back to files for the person building).
//! Images whose header declares burned-in annotation are left out, and so, unless
//! [`BuildOptions::allow_unknown_burned_in`] is set, are images of a kind that routinely carries
//! burned-in text (ultrasound, secondary capture, angiography, endoscopy, colour images ...; see
//! [`burned_in_risk`]) whose header does not say Burned In Annotation = NO.
//!
//! DICOM files are read by a bounded reader of the crate's own: every length a file declares is
//! checked against the file's size before anything is read, and frame sizes against the header
//! and [`MAX_FRAME_PIXELS`], so a small malformed file is rejected in milliseconds, with its
//! reason, without allocating what it declares.

mod dicom;
mod pixels;
mod report;
mod scan;
mod tasks;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use image::DynamicImage;
use image::imageops::FilterType;
use medeval_perturb::SplitMix64;

pub use dicom::{MAX_DEPTH, MAX_FRAGMENTS, MAX_VALUE_LEN, Malformed, Tag};
pub use pixels::{Layout, MAX_FRAME_PIXELS, Window, is_decodable_transfer_syntax, render};
pub use scan::{
    BURNED_IN_MODALITIES, Scan, SkipReason, Skipped, SourceImage, burned_in_risk, scan,
    transfer_syntax_name,
};
pub use tasks::{META_FIELDS, Task, TaskSkip, body_part_name, modality_name, plane};

/// What can stop a build. Files that cannot be used are not errors: they are listed as skipped.
#[derive(Debug, thiserror::Error)]
pub enum SanityError {
    /// The DICOM folder is missing or not a folder.
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    /// Reading the folder or writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Encoding an image as PNG failed.
    #[error("{path}: cannot write PNG: {source}")]
    WritePng {
        /// The image file.
        path: PathBuf,
        /// The underlying error.
        source: image::ImageError,
    },
    /// The output exists and overwriting was not asked for.
    #[error("{0} already exists; pass --force to replace it")]
    OutputExists(PathBuf),
    /// `--force` was given but the images folder holds files a build did not write.
    #[error("{0} holds files other than PNG images; not replacing it")]
    ForeignFiles(PathBuf),
    /// No file in the folder could be used.
    #[error("no usable DICOM image under {root} ({skipped} file(s) skipped: {reasons})")]
    NoUsableImages {
        /// The scanned folder.
        root: PathBuf,
        /// How many files were skipped.
        skipped: usize,
        /// Skip reasons with counts.
        reasons: String,
    },
}

/// How a benchmark is built.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Seeds distractors, option order, rotations, odd-panel partners and image sampling.
    pub seed: u64,
    /// Images taken from each series: evenly spaced by instance number, the middle one when 1.
    pub per_series: usize,
    /// At most this many images in all (a seeded sample of the selected images).
    pub max_images: Option<usize>,
    /// Rendered images larger than this on their longer side are scaled down (Lanczos).
    pub max_side: u32,
    /// The tasks to write, in order.
    pub tasks: Vec<Task>,
    /// Replace an existing output file and images folder.
    pub force: bool,
    /// Use images of a kind that routinely carries burned-in text (see [`burned_in_risk`]) even
    /// when their header does not say Burned In Annotation = NO. Off by default: such images may
    /// show patient names, dates or ids. Burned In Annotation = YES is refused either way.
    pub allow_unknown_burned_in: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            per_series: 1,
            max_images: None,
            max_side: 1024,
            tasks: Task::ALL.to_vec(),
            force: false,
            allow_unknown_burned_in: false,
        }
    }
}

/// What a build wrote.
#[derive(Debug, Clone)]
pub struct BuildSummary {
    /// The items file.
    pub items_file: PathBuf,
    /// The folder holding the PNGs the items refer to.
    pub images_dir: PathBuf,
    /// Source images used.
    pub images: usize,
    /// Items per task: (altered or header questions, negative controls).
    pub items_per_task: BTreeMap<Task, (usize, usize)>,
    /// Files left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Questions left out for an image that is used: a flip or rotation that would not change
    /// it, an odd panel identical to the others (the item would be identical to its control).
    pub task_skips: Vec<TaskSkip>,
    /// The DICOM file each source id (`img0001`, the `source_id` of items) was rendered from,
    /// in id order. Kept out of the items file: folder and file names often carry patient names
    /// or ids.
    pub sources: Vec<UsedSource>,
}

/// A DICOM file a build used, and the id its items carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedSource {
    /// The source id, e.g. `img0001`.
    pub id: String,
    /// The file, relative to the scanned folder.
    pub path: PathBuf,
    /// Files of the same series picked before this one whose pixels could not be read (each is
    /// also in [`BuildSummary::skipped`] with its reason); empty when the picked file was used.
    pub passed_over: Vec<PathBuf>,
}

impl BuildSummary {
    /// All items written.
    pub fn items(&self) -> usize {
        self.items_per_task.values().map(|(a, c)| a + c).sum()
    }
}

/// Builds a sanity benchmark from the DICOM files under `root` into `items_file` (JSON Lines)
/// and a sibling folder `<stem>-images/`.
pub fn build(
    root: &Path,
    items_file: &Path,
    options: &BuildOptions,
) -> Result<BuildSummary, SanityError> {
    let mut scan = scan::scan(root, options.allow_unknown_burned_in)?;
    let selected = select(&scan.images, options);
    let mut sources = Vec::with_capacity(selected.len());
    let mut used = Vec::with_capacity(selected.len());
    let mut studies: BTreeMap<String, usize> = BTreeMap::new();
    // Files already tried: a candidate of several picks is rendered (or fails) once.
    let mut tried: std::collections::BTreeSet<&Path> = std::collections::BTreeSet::new();
    for candidates in selected {
        // The picked image, else the nearest readable one in its series; every file passed over
        // is listed as skipped with its reason.
        let mut rendered = None;
        let skipped_before = scan.skipped.len();
        for image in candidates {
            if !tried.insert(&image.path) {
                continue;
            }
            match render(&root.join(&image.path)) {
                Ok(pixels) => {
                    rendered = Some((image, pixels));
                    break;
                }
                Err(reason) => scan.skipped.push(Skipped {
                    path: image.path.clone(),
                    reason,
                }),
            }
        }
        if let Some((image, pixels)) = rendered {
            let passed_over = passed_over_since(&scan.skipped, skipped_before);
            let study = image.study.clone().unwrap_or_else(|| series_key(image));
            let next = studies.len() + 1;
            let study_index = *studies.entry(study).or_insert(next);
            let id = format!("img{:04}", sources.len() + 1);
            used.push(UsedSource {
                id: id.clone(),
                path: image.path.clone(),
                passed_over,
            });
            sources.push(tasks::Source {
                id,
                image: fit(pixels, options.max_side),
                modality: image.modality.clone(),
                body_part: image.body_part.clone(),
                orientation: image.orientation,
                cluster: format!("study{study_index:04}"),
            });
        }
    }
    scan.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    if sources.is_empty() {
        let reasons = scan
            .skipped_by_reason()
            .into_iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(SanityError::NoUsableImages {
            root: root.to_owned(),
            skipped: scan.skipped.len(),
            reasons,
        });
    }
    let images_dir = images_dir_for(items_file);
    let images_dir_name = images_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let generated = tasks::generate(&sources, &options.tasks, &images_dir_name, options.seed);
    write(items_file, &images_dir, &generated, options.force)?;
    let mut items_per_task = BTreeMap::new();
    for item in &generated.items {
        let task = item["meta"]["task"].as_str().and_then(Task::parse);
        let control = item["meta"]["control"].as_bool() == Some(true);
        if let Some(task) = task {
            let entry: &mut (usize, usize) = items_per_task.entry(task).or_default();
            match control {
                true => entry.1 += 1,
                false => entry.0 += 1,
            }
        }
    }
    Ok(BuildSummary {
        items_file: items_file.to_owned(),
        images_dir,
        images: sources.len(),
        items_per_task,
        skipped: scan.skipped,
        task_skips: generated.skipped,
        sources: used,
    })
}

/// The files skipped since `before`.
fn passed_over_since(skipped: &[Skipped], before: usize) -> Vec<PathBuf> {
    skipped[before..].iter().map(|s| s.path.clone()).collect()
}

/// `out/sanity.jsonl` -> `out/sanity-images`.
fn images_dir_for(items_file: &Path) -> PathBuf {
    let stem = items_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sanity".to_owned());
    items_file.with_file_name(format!("{stem}-images"))
}

/// The series an image belongs to: its Series Instance UID, else its folder.
fn series_key(image: &SourceImage) -> String {
    image.series.clone().unwrap_or_else(|| {
        image
            .path
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    })
}

/// Picks `per_series` evenly spaced images from each series (ordered by instance number, then
/// path), then a seeded sample of `max_images` of them, in path order of the picked images. Each
/// pick comes with its fallbacks, should its pixels prove unreadable: the other images of its
/// series, nearest first (the next slice before the previous one), the other picks last.
fn select<'a>(images: &'a [SourceImage], options: &BuildOptions) -> Vec<Vec<&'a SourceImage>> {
    let mut series: BTreeMap<String, Vec<&SourceImage>> = BTreeMap::new();
    for image in images {
        series.entry(series_key(image)).or_default().push(image);
    }
    let per_series = options.per_series.max(1);
    let mut selected: Vec<Vec<&SourceImage>> = Vec::new();
    for members in series.values_mut() {
        members.sort_by(|a, b| (a.instance, &a.path).cmp(&(b.instance, &b.path)));
        let n = members.len();
        let k = per_series.min(n);
        let picks: Vec<usize> = (0..k).map(|j| ((2 * j + 1) * n) / (2 * k)).collect();
        for &pick in &picks {
            let mut order: Vec<usize> = (0..n).filter(|&i| i != pick).collect();
            // Nearest first, the later slice first on a tie; other picks after every non-pick.
            order.sort_by_key(|&i| (picks.contains(&i), pick.abs_diff(i), i < pick));
            let mut candidates = vec![members[pick]];
            candidates.extend(order.into_iter().map(|i| members[i]));
            selected.push(candidates);
        }
    }
    if let Some(max) = options.max_images
        && selected.len() > max
    {
        let mut rng = SplitMix64::new(options.seed ^ 0x5EED_5A17);
        for i in (1..selected.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            selected.swap(i, j);
        }
        selected.truncate(max);
    }
    selected.sort_by(|a, b| a[0].path.cmp(&b[0].path));
    selected
}

/// Scales an image down so that its longer side is at most `max_side`.
fn fit(image: DynamicImage, max_side: u32) -> DynamicImage {
    let longer = image.width().max(image.height());
    if max_side == 0 || longer <= max_side {
        return image;
    }
    image.resize(max_side, max_side, FilterType::Lanczos3)
}

/// Empties an images folder from an earlier build, refusing when it holds anything but PNG files
/// (it may then not be ours).
fn clear_images_dir(dir: &Path) -> Result<(), SanityError> {
    let io = |source| SanityError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut pngs = Vec::new();
    for entry in fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let is_png = path.is_file() && path.extension().is_some_and(|e| e == "png");
        if !is_png {
            return Err(SanityError::ForeignFiles(dir.to_owned()));
        }
        pngs.push(path);
    }
    for path in pngs {
        fs::remove_file(&path).map_err(|source| SanityError::Io { path, source })?;
    }
    Ok(())
}

/// Writes the images, then the items file (through a temporary file and a rename, so an items
/// file on disk always refers to images that exist).
fn write(
    items_file: &Path,
    images_dir: &Path,
    generated: &tasks::Generated,
    force: bool,
) -> Result<(), SanityError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SanityError::Io { path, source }
    };
    for existing in [items_file, images_dir] {
        if existing.exists() && !force {
            return Err(SanityError::OutputExists(existing.to_owned()));
        }
    }
    if images_dir.exists() {
        clear_images_dir(images_dir)?;
    }
    fs::create_dir_all(images_dir).map_err(io(images_dir))?;
    for file in &generated.images {
        let path = images_dir.join(&file.name);
        file.image
            .save_with_format(&path, image::ImageFormat::Png)
            .map_err(|source| SanityError::WritePng {
                path: path.clone(),
                source,
            })?;
    }
    let partial = items_file.with_extension("jsonl.partial");
    let mut out = fs::File::create(&partial).map_err(io(&partial))?;
    for item in &generated.items {
        writeln!(out, "{item}").map_err(io(&partial))?;
    }
    out.sync_all().map_err(io(&partial))?;
    fs::rename(&partial, items_file).map_err(io(items_file))?;
    Ok(())
}
