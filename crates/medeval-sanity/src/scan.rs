//! Finding DICOM images in a folder and reading the header fields the tasks need.
//!
//! Only the header is read here (parsing stops at Pixel Data, and only item headers of the pixel
//! data are read to check its size), so scanning a folder of thousands of slices is fast and a
//! malformed file costs no more memory than a few header fields; pixels are decoded later, only
//! for the images a benchmark uses.
//!
//! Images that may show burned-in text are refused here: always when the header says Burned In
//! Annotation = YES, and by default when the image is of a kind that routinely carries such text
//! (see [`burned_in_risk`]) and the header does not say exactly NO.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::SanityError;
use crate::dicom::{DicomFile, Malformed, tags};
use crate::pixels::{self, is_decodable_transfer_syntax};

/// Modalities whose images routinely carry text burned into the pixels (patient name, dates,
/// operator notes): ultrasound, secondary capture and other, angiography and fluoroscopy,
/// endoscopy, external-camera and ophthalmic photography. Their images are used only when Burned
/// In Annotation (0028,0301) is exactly `NO`, unless unknown burned-in annotation is allowed.
pub const BURNED_IN_MODALITIES: [&str; 9] =
    ["US", "IVUS", "SC", "OT", "XA", "RF", "ES", "XC", "OP"];

/// The Secondary Capture Image Storage SOP classes (screen captures and scanned documents)
/// start with this UID.
const SECONDARY_CAPTURE_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.7";

/// Why a file found in the folder does not become part of the benchmark.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// The file does not start with a DICOM preamble and `DICM` magic.
    NotDicom,
    /// The file could not be read, or its compressed pixel data could not be decoded.
    Unreadable(String),
    /// The file's structure contradicts itself or its size (a length running past the end of
    /// the file, pixel data shorter than the frames the header describes ...); found before
    /// anything the file declares is allocated.
    Malformed(Malformed),
    /// The data set holds no image (a structured report, a DICOMDIR, a presentation state ...).
    NoPixelData,
    /// The file's transfer syntax (the UID) is one the builder does not read (big endian,
    /// deflated, private) or whose pixel data it does not decode (compressed other than JPEG
    /// baseline, video, JPIP). The message names it and the command that converts the file.
    UnsupportedTransferSyntax(String),
    /// The pixel layout is one the builder does not decode (photometric interpretation, bits,
    /// a frame larger than [`MAX_FRAME_PIXELS`](crate::MAX_FRAME_PIXELS)).
    UnsupportedPixels(String),
    /// The header says text is burned into the pixels (Burned In Annotation = YES): such images
    /// may show patient data, so they are never sent to a model.
    BurnedInAnnotation,
    /// The image is of a kind that routinely carries burned-in text (see
    /// [`burned_in_risk`]) and its header does not say Burned In Annotation = NO. Such images
    /// are used only when unknown burned-in annotation is explicitly allowed.
    BurnedInAnnotationUnknown {
        /// What makes burned-in text likely, e.g. `modality US`.
        risk: String,
        /// The Burned In Annotation value found; `None` when the attribute is absent.
        value: Option<String>,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotDicom => f.write_str("not a DICOM file (no DICM magic)"),
            Self::Unreadable(why) => write!(f, "unreadable DICOM: {why}"),
            Self::Malformed(why) => write!(f, "malformed DICOM: {why}"),
            Self::NoPixelData => f.write_str("no pixel data"),
            Self::UnsupportedTransferSyntax(uid) => {
                let syntax = match transfer_syntax_name(uid) {
                    Some(name) => format!("{name} ({uid})"),
                    None => format!("unknown transfer syntax {uid}"),
                };
                match transfer_syntax_kind(uid) {
                    SyntaxKind::Encoding => write!(
                        f,
                        "transfer syntax {syntax} is not read; rewrite the file as explicit VR little endian first, e.g. `dcmconv +te in.dcm out.dcm`"
                    ),
                    SyntaxKind::Compressed(command) => write!(
                        f,
                        "pixel data in {syntax} is not decoded; decompress the file first, e.g. {command}"
                    ),
                    SyntaxKind::NoPixels(why) => write!(f, "{syntax}: {why}"),
                    SyntaxKind::Unknown => write!(
                        f,
                        "{syntax} is not read; if a DICOM toolkit reads the file, rewrite it as explicit VR little endian, e.g. `gdcmconv --raw in.dcm out.dcm`"
                    ),
                }
            }
            Self::UnsupportedPixels(why) => write!(f, "unsupported pixel layout: {why}"),
            Self::BurnedInAnnotation => {
                f.write_str("burned-in annotation (the pixels may show patient data)")
            }
            Self::BurnedInAnnotationUnknown { risk, value } => {
                let value = match value {
                    Some(v) => format!("is {v:?}"),
                    None => "is absent".to_owned(),
                };
                write!(
                    f,
                    "burned-in annotation not ruled out ({risk}; Burned In Annotation (0028,0301) {value}, not NO): the pixels may show patient data (--allow-unknown-burned-in uses such images)"
                )
            }
        }
    }
}

/// The name PS3.6 (Table A-1) gives a transfer syntax UID; `None` for a UID it does not list.
pub fn transfer_syntax_name(uid: &str) -> Option<&'static str> {
    let suffix = uid.strip_prefix("1.2.840.10008.1.2")?;
    Some(match suffix {
        "" => "Implicit VR Little Endian",
        ".1" => "Explicit VR Little Endian",
        ".1.98" => "Encapsulated Uncompressed Explicit VR Little Endian",
        ".1.99" => "Deflated Explicit VR Little Endian",
        ".2" => "Explicit VR Big Endian",
        ".4.50" => "JPEG Baseline (Process 1)",
        ".4.51" => "JPEG Extended (Process 2 & 4)",
        ".4.57" => "JPEG Lossless, Non-Hierarchical (Process 14)",
        ".4.70" => {
            "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])"
        }
        ".4.80" => "JPEG-LS Lossless Image Compression",
        ".4.81" => "JPEG-LS Lossy (Near-Lossless) Image Compression",
        ".4.90" => "JPEG 2000 Image Compression (Lossless Only)",
        ".4.91" => "JPEG 2000 Image Compression",
        ".4.92" => "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
        ".4.93" => "JPEG 2000 Part 2 Multi-component Image Compression",
        ".4.94" => "JPIP Referenced",
        ".4.95" => "JPIP Referenced Deflate",
        ".4.100" => "MPEG2 Main Profile / Main Level",
        ".4.100.1" => "Fragmentable MPEG2 Main Profile / Main Level",
        ".4.101" => "MPEG2 Main Profile / High Level",
        ".4.101.1" => "Fragmentable MPEG2 Main Profile / High Level",
        ".4.102" => "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        ".4.102.1" => "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1",
        ".4.103" => "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        ".4.103.1" => "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        ".4.104" => "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        ".4.104.1" => "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        ".4.105" => "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        ".4.105.1" => "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        ".4.106" => "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
        ".4.106.1" => "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
        ".4.107" => "HEVC/H.265 Main Profile / Level 5.1",
        ".4.108" => "HEVC/H.265 Main 10 Profile / Level 5.1",
        ".4.110" => "JPEG XL Lossless",
        ".4.111" => "JPEG XL JPEG Recompression",
        ".4.112" => "JPEG XL",
        ".4.201" => "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
        ".4.202" => "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
        ".4.203" => "High-Throughput JPEG 2000 Image Compression",
        ".4.204" => "JPIP HTJ2K Referenced",
        ".4.205" => "JPIP HTJ2K Referenced Deflate",
        ".5" => "RLE Lossless",
        ".7.1" => "SMPTE ST 2110-20 Uncompressed Progressive Active Video",
        ".7.2" => "SMPTE ST 2110-20 Uncompressed Interlaced Active Video",
        ".7.3" => "SMPTE ST 2110-30 PCM Digital Audio",
        // The retired JPEG processes (3, 5 to 13, 15 to 29).
        s if s.starts_with(".4.5") || s.starts_with(".4.6") => "JPEG (a retired process)",
        _ => return None,
    })
}

/// What stands between a file in a transfer syntax the builder does not decode and a usable one.
enum SyntaxKind {
    /// The data set's byte order or deflate: a rewrite in explicit VR little endian fixes it.
    Encoding,
    /// Compressed pixel data, with the command that decompresses it.
    Compressed(&'static str),
    /// The file holds no pixels this builder could show, and why.
    NoPixels(&'static str),
    /// A UID PS3.6 does not list (a private transfer syntax, or a typo).
    Unknown,
}

fn transfer_syntax_kind(uid: &str) -> SyntaxKind {
    const GDCM: &str = "`gdcmconv --raw in.dcm out.dcm`";
    let Some(suffix) = uid.strip_prefix("1.2.840.10008.1.2") else {
        return SyntaxKind::Unknown;
    };
    match suffix {
        ".1.98" | ".1.99" | ".2" => SyntaxKind::Encoding,
        ".4.51" | ".4.57" | ".4.70" => SyntaxKind::Compressed(
            "`dcmdjpeg in.dcm out.dcm` (DCMTK) or `gdcmconv --raw in.dcm out.dcm` (GDCM)",
        ),
        ".4.80" | ".4.81" => SyntaxKind::Compressed(
            "`dcmdjpls in.dcm out.dcm` (DCMTK) or `gdcmconv --raw in.dcm out.dcm` (GDCM)",
        ),
        ".4.90" | ".4.91" | ".4.92" | ".4.93" => SyntaxKind::Compressed(GDCM),
        ".4.201" | ".4.202" | ".4.203" => SyntaxKind::Compressed(
            "with a DICOM toolkit that decodes HTJ2K (OpenJPEG 2.5 or later does)",
        ),
        ".5" => SyntaxKind::Compressed(
            "`dcmdrle in.dcm out.dcm` (DCMTK) or `gdcmconv --raw in.dcm out.dcm` (GDCM)",
        ),
        ".4.94" | ".4.95" | ".4.204" | ".4.205" => {
            SyntaxKind::NoPixels("the pixels are on a JPIP server, not in the file")
        }
        ".4.110" | ".4.111" | ".4.112" => {
            SyntaxKind::Compressed("with a DICOM toolkit that decodes JPEG XL")
        }
        s if s.starts_with(".4.10") || s.starts_with(".7.") => SyntaxKind::NoPixels(
            "video and audio are not read; export a frame as a still DICOM image to use it",
        ),
        s if s.starts_with(".4.5") || s.starts_with(".4.6") => SyntaxKind::Compressed(
            "`dcmdjpeg in.dcm out.dcm` (DCMTK) or `gdcmconv --raw in.dcm out.dcm` (GDCM)",
        ),
        _ => SyntaxKind::Unknown,
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
                SkipReason::Malformed(_) => "malformed".to_owned(),
                SkipReason::NoPixelData => "no pixel data".to_owned(),
                SkipReason::UnsupportedTransferSyntax(uid) => match transfer_syntax_name(uid) {
                    Some(name) => format!("transfer syntax {name} ({uid})"),
                    None => format!("transfer syntax {uid}"),
                },
                SkipReason::UnsupportedPixels(_) => "unsupported pixel layout".to_owned(),
                SkipReason::BurnedInAnnotation => "burned-in annotation".to_owned(),
                SkipReason::BurnedInAnnotationUnknown { .. } => {
                    "burned-in annotation not ruled out".to_owned()
                }
            };
            *counts.entry(kind).or_insert(0) += 1;
        }
        counts
    }
}

/// Scans `root` recursively (following the sorted directory order, not symlinked folders) for
/// DICOM images. With `allow_unknown_burned_in`, images at risk of burned-in text (see
/// [`burned_in_risk`]) are used even when their header does not say Burned In Annotation = NO;
/// Burned In Annotation = YES is refused either way.
pub fn scan(root: &Path, allow_unknown_burned_in: bool) -> Result<Scan, SanityError> {
    if !root.is_dir() {
        return Err(SanityError::NotADirectory(root.to_owned()));
    }
    let mut files = Vec::new();
    collect_files(root, &mut files)?;
    files.sort();
    let mut scan = Scan::default();
    for path in files {
        let relative = path.strip_prefix(root).unwrap_or(&path).to_owned();
        match read_header(&path, allow_unknown_burned_in) {
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

/// What makes burned-in text likely in an image whose header does not rule it out: a modality
/// in [`BURNED_IN_MODALITIES`] or none, a Secondary Capture SOP class, or a photometric
/// interpretation other than MONOCHROME1 or MONOCHROME2 (colour, or none given). `None` for a
/// grey-scale image of another modality, such as a CT or MR slice.
pub fn burned_in_risk(
    modality: Option<&str>,
    photometric_interpretation: Option<&str>,
    sop_class: Option<&str>,
) -> Option<String> {
    match modality {
        None => return Some("no recognisable modality".to_owned()),
        Some(m) if BURNED_IN_MODALITIES.contains(&m) => return Some(format!("modality {m}")),
        Some(_) => {}
    }
    if let Some(uid) = sop_class
        && let Some(rest) = uid.strip_prefix(SECONDARY_CAPTURE_SOP_CLASS)
        && (rest.is_empty() || rest.starts_with('.'))
    {
        return Some("Secondary Capture SOP class".to_owned());
    }
    match photometric_interpretation {
        Some("MONOCHROME1" | "MONOCHROME2") => None,
        Some(other) => Some(format!("photometric interpretation {other}")),
        None => Some("no photometric interpretation".to_owned()),
    }
}

/// A Code String value (Modality, Body Part Examined) as it may leave the header: at most 16
/// letters, digits, spaces and underscores (PS3.5 6.2). Anything else is not a code and is
/// dropped, so that free text cannot reach an item.
fn code_string(value: Option<String>) -> Option<String> {
    value.filter(|v| {
        v.len() <= 16
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'_')
    })
}

fn read_header(path: &Path, allow_unknown_burned_in: bool) -> Result<SourceImage, SkipReason> {
    let mut file = DicomFile::open(path)?;
    if file.pixel_data().is_none()
        || file.int(tags::ROWS).is_none()
        || file.int(tags::COLUMNS).is_none()
    {
        return Err(SkipReason::NoPixelData);
    }
    let transfer_syntax = file.transfer_syntax().to_owned();
    if !is_decodable_transfer_syntax(&transfer_syntax) {
        return Err(SkipReason::UnsupportedTransferSyntax(transfer_syntax));
    }
    let modality = code_string(file.text(tags::MODALITY));
    let burned_in = file.text(tags::BURNED_IN_ANNOTATION);
    if burned_in
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("YES"))
    {
        return Err(SkipReason::BurnedInAnnotation);
    }
    if burned_in.as_deref() != Some("NO")
        && !allow_unknown_burned_in
        && let Some(risk) = burned_in_risk(
            modality.as_deref(),
            file.text(tags::PHOTOMETRIC_INTERPRETATION).as_deref(),
            file.sop_class().as_deref(),
        )
    {
        return Err(SkipReason::BurnedInAnnotationUnknown {
            risk,
            value: burned_in,
        });
    }
    // The pixel data must hold what the header describes, within the limits, before the image
    // is selected; nothing but item headers is read here.
    pixels::check(&mut file)?;
    let orientation = file
        .floats(tags::IMAGE_ORIENTATION_PATIENT)
        .and_then(|v| <[f64; 6]>::try_from(v).ok())
        .filter(|v| v.iter().all(|c| c.is_finite()));
    Ok(SourceImage {
        path: path.to_owned(),
        modality,
        body_part: code_string(file.text(tags::BODY_PART_EXAMINED)),
        orientation,
        study: file.text(tags::STUDY_INSTANCE_UID),
        series: file.text(tags::SERIES_INSTANCE_UID),
        instance: file.int(tags::INSTANCE_NUMBER),
    })
}
