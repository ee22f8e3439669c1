//! Finding DICOM images in a folder and reading the header fields the tasks need.
//!
//! Only the header is read here (parsing stops at Pixel Data), so scanning a folder of thousands
//! of slices is fast; pixels are decoded later, only for the images a benchmark uses.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, OpenFileOptions};

use crate::SanityError;
use crate::pixels::is_decodable_transfer_syntax;

/// Why a file found in the folder does not become part of the benchmark.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// The file does not start with a DICOM preamble and `DICM` magic.
    NotDicom,
    /// The file claims to be DICOM but could not be parsed.
    Unreadable(String),
    /// The data set holds no image (a structured report, a DICOMDIR, a presentation state ...).
    NoPixelData,
    /// The pixels are compressed with a transfer syntax the builder does not decode.
    UnsupportedTransferSyntax(String),
    /// The pixel layout is one the builder does not decode (photometric interpretation, bits).
    UnsupportedPixels(String),
    /// The header says text is burned into the pixels (Burned In Annotation = YES): such images
    /// may show patient data, so they are never sent to a model.
    BurnedInAnnotation,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotDicom => f.write_str("not a DICOM file (no DICM magic)"),
            Self::Unreadable(why) => write!(f, "unreadable DICOM: {why}"),
            Self::NoPixelData => f.write_str("no pixel data"),
            Self::UnsupportedTransferSyntax(uid) => write!(
                f,
                "compressed transfer syntax {uid} is not decoded (convert with `gdcmconv --raw` or `dcmdjpeg` first)"
            ),
            Self::UnsupportedPixels(why) => write!(f, "unsupported pixel layout: {why}"),
            Self::BurnedInAnnotation => {
                f.write_str("burned-in annotation (the pixels may show patient data)")
            }
        }
    }
}

/// A file that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file, relative to the scanned folder.
    pub path: PathBuf,
    /// Why.
    pub reason: SkipReason,
}

/// One DICOM image file and the header fields the tasks read.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceImage {
    /// The file, relative to the scanned folder.
    pub path: PathBuf,
    /// Modality (0008,0060), e.g. `CT`, `MR`, `CR`.
    pub modality: Option<String>,
    /// Body Part Examined (0018,0015), as written.
    pub body_part: Option<String>,
    /// Image Orientation (Patient) (0020,0037): row then column direction cosines.
    pub orientation: Option<[f64; 6]>,
    /// Study Instance UID; items from one study share a cluster.
    pub study: Option<String>,
    /// Series Instance UID; one image per series is used by default.
    pub series: Option<String>,
    /// Instance Number, to find the middle of a series.
    pub instance: Option<i64>,
}

/// What a folder holds: usable images and the files left out.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Files whose header and pixel encoding the builder can use, in path order.
    pub images: Vec<SourceImage>,
    /// Files left out, with the reason, in path order.
    pub skipped: Vec<Skipped>,
}

impl Scan {
    /// The number of skipped files per reason kind, for a summary line.
    pub fn skipped_by_reason(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for skipped in &self.skipped {
            let kind = match &skipped.reason {
                SkipReason::NotDicom => "not DICOM".to_owned(),
                SkipReason::Unreadable(_) => "unreadable".to_owned(),
                SkipReason::NoPixelData => "no pixel data".to_owned(),
                SkipReason::UnsupportedTransferSyntax(uid) => format!("transfer syntax {uid}"),
                SkipReason::UnsupportedPixels(_) => "unsupported pixel layout".to_owned(),
                SkipReason::BurnedInAnnotation => "burned-in annotation".to_owned(),
            };
            *counts.entry(kind).or_insert(0) += 1;
        }
        counts
    }
}

/// Scans `root` recursively (following the sorted directory order, not symlinked folders) for
/// DICOM images.
pub fn scan(root: &Path) -> Result<Scan, SanityError> {
    if !root.is_dir() {
        return Err(SanityError::NotADirectory(root.to_owned()));
    }
    let mut files = Vec::new();
    collect_files(root, &mut files)?;
    files.sort();
    let mut scan = Scan::default();
    for path in files {
        let relative = path.strip_prefix(root).unwrap_or(&path).to_owned();
        match read_header(&path) {
            Ok(mut image) => {
                image.path = relative;
                scan.images.push(image);
            }
            Err(reason) => scan.skipped.push(Skipped {
                path: relative,
                reason,
            }),
        }
    }
    Ok(scan)
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), SanityError> {
    let entries = fs::read_dir(dir).map_err(|source| SanityError::Io {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| SanityError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let file_type = entry.file_type().map_err(|source| SanityError::Io {
            path: entry.path(),
            source,
        })?;
        if file_type.is_dir() {
            collect_files(&entry.path(), files)?;
        } else if file_type.is_file() {
            files.push(entry.path());
        }
    }
    Ok(())
}

/// True when the file has the 128-byte preamble followed by `DICM` (PS3.10 section 7.1).
fn has_dicom_magic(path: &Path) -> bool {
    let mut head = [0u8; 132];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok()
        && &head[128..] == b"DICM"
}

/// Opens a DICOM file, stopping before the pixel data.
pub(crate) fn open_header(path: &Path) -> Result<DefaultDicomObject, SkipReason> {
    OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(path)
        .map_err(|e| SkipReason::Unreadable(e.to_string()))
}

fn read_header(path: &Path) -> Result<SourceImage, SkipReason> {
    if !has_dicom_magic(path) {
        return Err(SkipReason::NotDicom);
    }
    let object = open_header(path)?;
    let header = Header(&object);
    if header.int(tags::ROWS).is_none() || header.int(tags::COLUMNS).is_none() {
        return Err(SkipReason::NoPixelData);
    }
    let transfer_syntax = object.meta().transfer_syntax().to_owned();
    if !is_decodable_transfer_syntax(&transfer_syntax) {
        return Err(SkipReason::UnsupportedTransferSyntax(transfer_syntax));
    }
    if header
        .text(tags::BURNED_IN_ANNOTATION)
        .is_some_and(|v| v.eq_ignore_ascii_case("YES"))
    {
        return Err(SkipReason::BurnedInAnnotation);
    }
    let orientation = header
        .floats(tags::IMAGE_ORIENTATION_PATIENT)
        .and_then(|v| <[f64; 6]>::try_from(v).ok());
    Ok(SourceImage {
        path: path.to_owned(),
        modality: header.text(tags::MODALITY),
        body_part: header.text(tags::BODY_PART_EXAMINED),
        orientation,
        study: header.text(tags::STUDY_INSTANCE_UID),
        series: header.text(tags::SERIES_INSTANCE_UID),
        instance: header.int(tags::INSTANCE_NUMBER),
    })
}

/// Typed, forgiving access to header values: a missing or malformed value is `None`.
pub(crate) struct Header<'a>(pub(crate) &'a DefaultDicomObject);

impl Header<'_> {
    /// A string value, trimmed; `None` when absent or empty.
    pub(crate) fn text(&self, tag: dicom_object::Tag) -> Option<String> {
        let element = self.0.element_opt(tag).ok()??;
        let value = element.to_str().ok()?;
        let trimmed = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    /// An integer value (the first, when several).
    pub(crate) fn int(&self, tag: dicom_object::Tag) -> Option<i64> {
        self.0.element_opt(tag).ok()??.to_int::<i64>().ok()
    }

    /// A floating-point value (the first, when several).
    pub(crate) fn float(&self, tag: dicom_object::Tag) -> Option<f64> {
        self.floats(tag)?.first().copied()
    }

    /// All floating-point values.
    pub(crate) fn floats(&self, tag: dicom_object::Tag) -> Option<Vec<f64>> {
        self.0.element_opt(tag).ok()??.to_multi_float64().ok()
    }
}
