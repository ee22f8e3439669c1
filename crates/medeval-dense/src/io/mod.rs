//! Readers for label maps: NIfTI-1/2, MetaImage (MHA/MHD), NRRD, PNG and TIFF; the same readers
//! return intensity images for reconstruction metrics ([`read_intensity_image`], up to four axes,
//! and NumPy `.npy` arrays, read by `npy`).
//!
//! The volumetric formats are read by small hand-written header parsers on top of `flate2`
//! rather than through the `nifti` crate: that crate pulls `nalgebra` and `ndarray`, converts
//! every volume to a float array (four to eight times the memory of a `uint8` mask) and covers
//! only one of the three formats. The headers are simple, fixed and well specified, the parsers
//! check every field they use, and the tests read fixtures written by independent writers
//! (nibabel, SimpleITK, pynrrd; see `bench/seg/make_fixtures.py`).
//!
//! Every error names the file. A gzip stream that is truncated or corrupt, a wrong magic number,
//! a fourth dimension, a colour image or a non-integer label is an error, never a guess.
//!
//! A detached data file (NRRD `data file:`, MetaImage `ElementDataFile`) is opened only when its
//! real path, symbolic links resolved, lies inside the real folder of the header that names it
//! ([`detached_data_path`]): the rule every file medeval reads follows for the files it names
//! (`docs/runs.md`, "Which files medeval opens"), so a header cannot make medeval read
//! `/etc/passwd` or `../../other-patient.raw` as voxels.

mod decode;
mod metaimage;
mod nifti;
mod npy;
mod nrrd;
mod raster;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

pub use decode::{BadLabel, ByteOrder, SampleType, float_to_label};

use crate::volume::{AxisOrder, Grid, IntensityImage, LabelVolume, Labels, Samples};

/// Why a label map could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The gzip (or zlib) stream ends early or fails its checksum.
    #[error("{path}: truncated or corrupt compressed data ({source})")]
    Compressed {
        /// The file.
        path: PathBuf,
        /// The decompressor's error.
        source: std::io::Error,
    },
    /// The extension names no supported format.
    #[error(
        "{path}: unknown file type (expected .nii, .nii.gz, .hdr, .mha, .mhd, .nrrd, .nhdr, .png, .tif or .tiff)"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file does not start like a file of its format.
    #[error("{path}: not a {format} file ({detail})")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The format the extension announced.
        format: &'static str,
        /// What was found instead.
        detail: String,
    },
    /// A header field is missing or has an invalid value.
    #[error("{path}: header field '{field}': {message}")]
    Header {
        /// The file.
        path: PathBuf,
        /// The field's name as the format spells it.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The file is valid but uses a feature this reader does not support.
    #[error("{path}: unsupported: {what}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The feature.
        what: String,
    },
    /// A time series or vector image where a single label map was expected.
    #[error(
        "{path}: {dims}-dimensional image of shape {shape:?}; a label map has 2 or 3 dimensions"
    )]
    TooManyDimensions {
        /// The file.
        path: PathBuf,
        /// Number of dimensions with more than one sample.
        dims: usize,
        /// The full shape.
        shape: Vec<usize>,
    },
    /// The voxel data is shorter than the header announces.
    #[error("{path}: voxel data truncated: expected {expected} bytes, found {found}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// A voxel holds something that is not a label.
    #[error("{path}: voxel {voxel:?} has value {value}, which {problem}")]
    BadLabel {
        /// The file.
        path: PathBuf,
        /// Index (x, y, z) of the first offending voxel.
        voxel: [usize; 3],
        /// Its value.
        value: f64,
        /// What is wrong with it.
        problem: BadLabel,
    },
}

/// The path of the data file `name` that the header at `header` names in its field `field`,
/// relative to the header's folder; an error when it resolves (symbolic links followed) outside
/// that folder's tree, or does not exist.
pub(crate) fn detached_data_path(
    header: &Path,
    name: &str,
    field: &str,
) -> Result<PathBuf, ReadError> {
    let dir = match header.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let path = dir.join(name);
    let real = path.canonicalize().map_err(|source| ReadError::Io {
        path: path.clone(),
        source,
    })?;
    let home = dir.canonicalize().map_err(|source| ReadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    if !real.starts_with(&home) {
        return Err(ReadError::Header {
            path: header.to_path_buf(),
            field: field.to_owned(),
            message: format!(
                "the data file {name:?} resolves to {}, outside the header's folder {}; detached \
                 data is read only from inside the folder of the header that names it",
                real.display(),
                home.display()
            ),
        });
    }
    Ok(path)
}

/// The container formats this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NIfTI-1 or NIfTI-2, optionally gzipped; also the `.hdr`/`.img` pair.
    Nifti,
    /// MetaImage, header and data in one `.mha` or header `.mhd` beside a data file.
    MetaImage,
    /// NRRD with attached (`.nrrd`) or detached (`.nhdr`) data.
    Nrrd,
    /// PNG grayscale or palette image (palette indices are the labels).
    Png,
    /// TIFF grayscale or palette image; several pages form a z stack.
    Tiff,
}

impl Format {
    /// The format announced by a file name, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        Some(match ext {
            "nii" | "hdr" => Format::Nifti,
            "mha" | "mhd" => Format::MetaImage,
            "nrrd" | "nhdr" => Format::Nrrd,
            "png" => Format::Png,
            "tif" | "tiff" => Format::Tiff,
            _ => return None,
        })
    }
}

/// The file name without its image extension (`case_001.nii.gz` -> `case_001`), used to pair
/// reference and prediction files in folder mode. `None` when the extension is not an image's.
pub fn case_name(path: &Path) -> Option<String> {
    Format::from_path(path)?;
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let without_gz = if lower.ends_with(".gz") {
        &name[..name.len() - 3]
    } else {
        name
    };
    let (stem, _) = without_gz.rsplit_once('.')?;
    Some(stem.to_string())
}

/// Reads a label map, choosing the reader from the file extension.
pub fn read_label_volume(path: &Path) -> Result<LabelVolume, ReadError> {
    read_decoded(path, Target::Labels)?.into_labels(path)
}

/// Reads an image's intensities (reconstruction metrics), choosing the reader from the file
/// extension: the label-map formats (NIfTI, MetaImage, NRRD, PNG, TIFF, with up to four axes)
/// and NumPy `.npy` arrays. Values are converted to `f64` after the header's intensity scaling;
/// nothing is checked about them here (non-finite values are the caller's to refuse).
pub fn read_intensity_image(path: &Path) -> Result<IntensityImage, ReadError> {
    if is_npy(path) {
        return npy::read(path);
    }
    read_decoded(path, Target::Intensities)?.into_intensities(path)
}

/// Whether the file name ends in `.npy` (any case).
pub fn is_npy(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
}

/// The case name of an image file for reconstruction metrics: [`case_name`], and the stem of a
/// `.npy` array.
pub fn intensity_case_name(path: &Path) -> Option<String> {
    if is_npy(path) {
        return path.file_stem()?.to_str().map(str::to_string);
    }
    case_name(path)
}

fn read_decoded(path: &Path, target: Target) -> Result<Decoded, ReadError> {
    match Format::from_path(path) {
        Some(Format::Nifti) => nifti::read(path, target),
        Some(Format::MetaImage) => metaimage::read(path, target),
        Some(Format::Nrrd) => nrrd::read(path, target),
        Some(Format::Png) => raster::read_png(path, target),
        Some(Format::Tiff) => raster::read_tiff(path, target),
        None => Err(ReadError::UnknownFormat {
            path: path.to_path_buf(),
        }),
    }
}

/// What the voxel samples of a file are read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Integer labels of a 2-D or 3-D label map (anything else is an error).
    Labels,
    /// `f64` intensities of an image with up to four axes.
    Intensities,
}

/// The samples of a file, as its [`Target`] asked.
pub(crate) enum Voxels {
    /// Labels of a label map.
    Labels(Labels),
    /// Intensities, x fastest.
    Intensities(Samples),
}

/// A file as a reader returns it: its grid (the first three axes), every axis, its samples.
pub(crate) struct Decoded {
    grid: Grid,
    shape: Vec<usize>,
    voxels: Voxels,
}

impl Decoded {
    fn into_labels(self, path: &Path) -> Result<LabelVolume, ReadError> {
        let labels = match self.voxels {
            Voxels::Labels(labels) => labels,
            Voxels::Intensities(_) => return Err(not_read_as(path, "labels")),
        };
        LabelVolume::new(self.grid, labels).ok_or_else(|| not_read_as(path, "labels"))
    }

    fn into_intensities(self, path: &Path) -> Result<IntensityImage, ReadError> {
        let values = match self.voxels {
            Voxels::Intensities(values) => values,
            Voxels::Labels(labels) => Samples::F64(
                (0..labels.len())
                    .map(|i| f64::from(labels.get(i)))
                    .collect(),
            ),
        };
        IntensityImage::new(self.shape, None, values, AxisOrder::Voxel)
            .ok_or_else(|| not_read_as(path, "intensities"))
    }
}

fn not_read_as(path: &Path, what: &str) -> ReadError {
    ReadError::Unsupported {
        path: path.to_path_buf(),
        what: format!(
            "the samples could not be read as {what} (the number of samples does not match the dimensions)"
        ),
    }
}

/// The axes a reader reads: `grid` (x, y, z) for the [`Grid`], `all` for the samples.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VoxelShape {
    /// The first three axes (1 where absent).
    pub grid: [usize; 3],
    /// 2 or 3.
    pub spatial_dims: usize,
    /// Every axis whose samples are read, x fastest.
    pub all: Vec<usize>,
}

impl VoxelShape {
    /// Number of samples.
    pub fn count(&self) -> usize {
        self.all.iter().product()
    }
}

/// The axes of a file with header dimensions `shape`: a label map has at most three axes with
/// more than one sample; an intensity image may have four (a time series such as a cine).
pub(crate) fn voxel_shape(
    path: &Path,
    shape: &[usize],
    target: Target,
) -> Result<VoxelShape, ReadError> {
    match target {
        Target::Labels => {
            let (grid, spatial_dims) = spatial_shape(path, shape)?;
            Ok(VoxelShape {
                grid,
                spatial_dims,
                all: grid.to_vec(),
            })
        }
        Target::Intensities => {
            let mut all = shape.to_vec();
            while all.len() > 2 && all.last() == Some(&1) {
                all.pop();
            }
            if all.len() > 4 {
                return Err(ReadError::TooManyDimensions {
                    path: path.to_path_buf(),
                    dims: all.len(),
                    shape: shape.to_vec(),
                });
            }
            let (grid, spatial_dims) = spatial_shape(path, &all[..all.len().min(3)])?;
            Ok(VoxelShape {
                grid,
                spatial_dims,
                all,
            })
        }
    }
}

/// Opens a file, transparently decompressing gzip content (recognised by its magic bytes, not
/// its name, so a mislabelled `.nii` still reads).
fn open_maybe_gzip(path: &Path) -> Result<Box<dyn Read>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        let n = file.read(&mut magic[got..]).map_err(io)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let head = std::io::Cursor::new(magic[..got].to_vec());
    let chained = head.chain(file);
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(chained)))
    } else {
        Ok(Box::new(chained))
    }
}

/// Maps an I/O error from a possibly compressed stream to the right [`ReadError`].
fn stream_error(path: &Path, compressed: bool, source: std::io::Error) -> ReadError {
    if compressed || source.kind() == std::io::ErrorKind::InvalidData {
        ReadError::Compressed {
            path: path.to_path_buf(),
            source,
        }
    } else {
        ReadError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Reads the samples of `shape` from `reader` as labels or intensities, then drains the stream
/// so that a gzip checksum failure at the end of the file is noticed.
#[allow(clippy::too_many_arguments)]
fn read_voxels(
    path: &Path,
    reader: &mut dyn Read,
    compressed: bool,
    shape: &VoxelShape,
    sample: SampleType,
    order: ByteOrder,
    scaling: Option<decode::Scaling>,
    target: Target,
) -> Result<Voxels, ReadError> {
    let expected = shape
        .count()
        .checked_mul(sample.size())
        .ok_or_else(|| ReadError::Header {
            path: path.to_path_buf(),
            field: "dimensions".into(),
            message: format!("shape {:?} is too large", shape.all),
        })?;
    if target == Target::Intensities {
        let (values, found) =
            decode::read_f64_samples(reader, shape.count(), sample, order, scaling)
                .map_err(|e| stream_error(path, compressed, e))?;
        check_complete(path, reader, compressed, expected, found)?;
        return Ok(Voxels::Intensities(values));
    }
    let (bytes, found) = decode::read_exact_or_count(reader, expected)
        .map_err(|e| stream_error(path, compressed, e))?;
    check_complete(path, reader, compressed, expected, found)?;
    decode::samples_to_labels(bytes, sample, order, scaling)
        .map(Voxels::Labels)
        .map_err(|problem| bad_label(path, shape.grid, problem))
}

/// An error when fewer bytes than expected were read; otherwise drains a compressed stream so
/// that a checksum failure at its end is noticed.
fn check_complete(
    path: &Path,
    reader: &mut dyn Read,
    compressed: bool,
    expected: usize,
    found: usize,
) -> Result<(), ReadError> {
    if found < expected {
        return Err(ReadError::Truncated {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    if compressed {
        std::io::copy(reader, &mut std::io::sink()).map_err(|e| stream_error(path, true, e))?;
    }
    Ok(())
}

fn bad_label(path: &Path, shape: [usize; 3], problem: decode::LabelProblem) -> ReadError {
    ReadError::BadLabel {
        path: path.to_path_buf(),
        voxel: unravel(problem.index, shape),
        value: problem.value,
        problem: problem.problem,
    }
}

fn unravel(index: usize, shape: [usize; 3]) -> [usize; 3] {
    let x = index % shape[0].max(1);
    let y = (index / shape[0].max(1)) % shape[1].max(1);
    let z = index / (shape[0].max(1) * shape[1].max(1));
    [x, y, z]
}

/// Collapses an N-dimensional shape to x, y, z, rejecting more than three non-trivial axes.
fn spatial_shape(path: &Path, shape: &[usize]) -> Result<([usize; 3], usize), ReadError> {
    if shape.len() > 3 && shape[3..].iter().any(|&n| n > 1) {
        return Err(ReadError::TooManyDimensions {
            path: path.to_path_buf(),
            dims: shape.len(),
            shape: shape.to_vec(),
        });
    }
    match shape.len() {
        0 => Err(ReadError::Header {
            path: path.to_path_buf(),
            field: "dimensions".into(),
            message: "no dimensions".into(),
        }),
        1 => Ok(([shape[0], 1, 1], 2)),
        2 => Ok(([shape[0], shape[1], 1], 2)),
        _ => Ok((
            [shape[0], shape[1], shape[2]],
            if shape[2] > 1 { 3 } else { 2 },
        )),
    }
}

/// Reads into `buf` until it is full or the stream ends; returns how many bytes were read (less
/// than `buf.len()` only at the end of the stream). Unlike `read_exact`, a short file is a count
/// the caller can name in its error, not an opaque `UnexpectedEof`.
fn fill(reader: &mut dyn std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_strip_compound_extensions() {
        assert_eq!(
            case_name(Path::new("a/case_01.nii.gz")).as_deref(),
            Some("case_01")
        );
        assert_eq!(case_name(Path::new("x.y.mha")).as_deref(), Some("x.y"));
        assert_eq!(case_name(Path::new("notes.txt")), None);
    }

    #[test]
    fn unknown_extensions_are_named_in_the_error() {
        let err = read_label_volume(Path::new("scan.dcm")).unwrap_err();
        assert!(err.to_string().contains("scan.dcm"), "{err}");
    }
}
