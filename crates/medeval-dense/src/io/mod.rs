//! Readers for label maps: NIfTI-1/2, MetaImage (MHA/MHD), NRRD, PNG and TIFF.
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
mod nrrd;
mod raster;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

pub use decode::{BadLabel, ByteOrder, SampleType, float_to_label};

use crate::volume::LabelVolume;

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
    match Format::from_path(path) {
        Some(Format::Nifti) => nifti::read(path),
        Some(Format::MetaImage) => metaimage::read(path),
        Some(Format::Nrrd) => nrrd::read(path),
        Some(Format::Png) => raster::read_png(path),
        Some(Format::Tiff) => raster::read_tiff(path),
        None => Err(ReadError::UnknownFormat {
            path: path.to_path_buf(),
        }),
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

/// Reads `count` samples of raw voxel data from `reader` into labels, then drains the stream
/// so that a gzip checksum failure at the end of the file is noticed.
fn read_voxels(
    path: &Path,
    reader: &mut dyn Read,
    compressed: bool,
    shape: [usize; 3],
    sample: SampleType,
    order: ByteOrder,
    scaling: Option<decode::Scaling>,
) -> Result<crate::volume::Labels, ReadError> {
    let count = shape.iter().product::<usize>();
    let expected = count
        .checked_mul(sample.size())
        .ok_or_else(|| ReadError::Header {
            path: path.to_path_buf(),
            field: "dimensions".into(),
            message: format!("shape {shape:?} is too large"),
        })?;
    let (bytes, found) = decode::read_exact_or_count(reader, expected)
        .map_err(|e| stream_error(path, compressed, e))?;
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
    decode::samples_to_labels(bytes, sample, order, scaling)
        .map_err(|problem| bad_label(path, shape, problem))
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
