//! NIfTI-1 and NIfTI-2 (single `.nii[.gz]` file or `.hdr`/`.img` pair), either byte order.
//!
//! Geometry follows the standard's precedence: the sform when `sform_code > 0`, else the
//! qform quaternion when `qform_code > 0`, else `pixdim` alone. Spacing is `pixdim[1..=3]`
//! (what nibabel reports as zooms, and what Python users pass as `spacing`). World coordinates
//! are converted from NIfTI's RAS+ to ITK's LPS+ so that NIfTI, MetaImage and NRRD volumes of
//! the same grid compare equal.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::decode::{ByteOrder, SampleType, Scaling};
use super::{Decoded, ReadError, Target, open_maybe_gzip, read_voxels, stream_error, voxel_shape};
use crate::volume::Grid;

const NIFTI1_HEADER: usize = 348;
const NIFTI2_HEADER: usize = 540;

struct Header {
    version: u8,
    order: ByteOrder,
    shape: Vec<usize>,
    sample: SampleType,
    pixdim: [f64; 8],
    vox_offset: u64,
    scaling: Scaling,
    qform_code: i32,
    sform_code: i32,
    quatern: [f64; 6],
    srow: [[f64; 4]; 3],
    pair: bool,
}

/// Reads a NIfTI file as labels or intensities.
pub(crate) fn read(path: &Path, target: Target) -> Result<Decoded, ReadError> {
    let compressed = is_gzip(path)?;
    let mut reader = open_maybe_gzip(path)?;
    let mut raw = vec![0u8; NIFTI2_HEADER];
    let got =
        super::fill(&mut *reader, &mut raw[..4]).map_err(|e| stream_error(path, compressed, e))?;
    if got < 4 {
        return Err(bad_magic(path, format!("file is only {got} bytes long")));
    }
    let (version, order) = match (
        i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]),
        i32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
    ) {
        (348, _) => (1, ByteOrder::Little),
        (_, 348) => (1, ByteOrder::Big),
        (540, _) => (2, ByteOrder::Little),
        (_, 540) => (2, ByteOrder::Big),
        _ => {
            return Err(bad_magic(
                path,
                format!(
                    "sizeof_hdr is neither 348 nor 540 (bytes {:02x?})",
                    &raw[..4]
                ),
            ));
        }
    };
    let header_len = if version == 1 {
        NIFTI1_HEADER
    } else {
        NIFTI2_HEADER
    };
    let got = super::fill(&mut *reader, &mut raw[4..header_len])
        .map_err(|e| stream_error(path, compressed, e))?;
    if got < header_len - 4 {
        return Err(ReadError::Truncated {
            path: path.to_path_buf(),
            expected: header_len,
            found: got + 4,
        });
    }
    let header = parse_header(path, &raw[..header_len], version, order)?;
    let shape = voxel_shape(path, &header.shape, target)?;
    let grid = grid_from_header(&header, shape.grid, shape.spatial_dims);

    let voxels = if header.pair {
        let data_path = image_file_for(path)?;
        let data_compressed = is_gzip(&data_path)?;
        let mut data = open_maybe_gzip(&data_path)?;
        skip(&mut *data, header.vox_offset)
            .map_err(|e| stream_error(&data_path, data_compressed, e))?;
        read_voxels(
            &data_path,
            &mut *data,
            data_compressed,
            &shape,
            header.sample,
            header.order,
            Some(header.scaling),
            target,
        )?
    } else {
        let offset = header.vox_offset.max(header_len as u64);
        skip(&mut *reader, offset - header_len as u64)
            .map_err(|e| stream_error(path, compressed, e))?;
        read_voxels(
            path,
            &mut *reader,
            compressed,
            &shape,
            header.sample,
            header.order,
            Some(header.scaling),
            target,
        )?
    };
    Ok(Decoded {
        grid,
        shape: shape.all,
        voxels,
    })
}

fn parse_header(
    path: &Path,
    raw: &[u8],
    version: u8,
    order: ByteOrder,
) -> Result<Header, ReadError> {
    let r = FieldReader { raw, order };
    let header_error = |field: &str, message: String| ReadError::Header {
        path: path.to_path_buf(),
        field: field.into(),
        message,
    };
    let (magic, pair) = if version == 1 {
        let magic = &raw[344..348];
        let pair = match magic {
            b"n+1\0" => false,
            b"ni1\0" => true,
            _ => {
                return Err(bad_magic(
                    path,
                    format!(
                        "magic {:?} is not \"n+1\" or \"ni1\"",
                        String::from_utf8_lossy(magic)
                    ),
                ));
            }
        };
        (magic, pair)
    } else {
        let magic = &raw[4..12];
        let pair = match magic {
            b"n+2\0\r\n\x1a\n" => false,
            b"ni2\0\r\n\x1a\n" => true,
            _ => {
                return Err(bad_magic(
                    path,
                    format!("NIfTI-2 magic {magic:02x?} is wrong"),
                ));
            }
        };
        (magic, pair)
    };
    let _ = magic;

    let (dims, datatype, pixdim, vox_offset, slope, inter, qform_code, sform_code, quatern, srow) =
        if version == 1 {
            let dims: [i64; 8] = std::array::from_fn(|i| i64::from(r.i16(40 + 2 * i)));
            let pixdim: [f64; 8] = std::array::from_fn(|i| f64::from(r.f32(76 + 4 * i)));
            let quatern: [f64; 6] = std::array::from_fn(|i| f64::from(r.f32(256 + 4 * i)));
            let srow: [[f64; 4]; 3] = std::array::from_fn(|row| {
                std::array::from_fn(|c| f64::from(r.f32(280 + 16 * row + 4 * c)))
            });
            (
                dims,
                r.i16(70),
                pixdim,
                f64::from(r.f32(108)),
                f64::from(r.f32(112)),
                f64::from(r.f32(116)),
                i32::from(r.i16(252)),
                i32::from(r.i16(254)),
                quatern,
                srow,
            )
        } else {
            let dims: [i64; 8] = std::array::from_fn(|i| r.i64(16 + 8 * i));
            let pixdim: [f64; 8] = std::array::from_fn(|i| r.f64(104 + 8 * i));
            let quatern: [f64; 6] = std::array::from_fn(|i| r.f64(352 + 8 * i));
            let srow: [[f64; 4]; 3] =
                std::array::from_fn(|row| std::array::from_fn(|c| r.f64(400 + 32 * row + 8 * c)));
            (
                dims,
                r.i16(12),
                pixdim,
                r.i64(168) as f64,
                r.f64(176),
                r.f64(184),
                r.i32(344),
                r.i32(348),
                quatern,
                srow,
            )
        };

    let ndim = dims[0];
    if !(1..=7).contains(&ndim) {
        return Err(header_error(
            "dim[0]",
            format!("{ndim} is not a number of dimensions in 1..=7"),
        ));
    }
    let mut shape = Vec::with_capacity(ndim as usize);
    for (i, &n) in dims[1..=ndim as usize].iter().enumerate() {
        if n < 1 {
            return Err(header_error(
                &format!("dim[{}]", i + 1),
                format!("{n} is not a positive size"),
            ));
        }
        shape.push(n as usize);
    }
    let sample = match datatype {
        2 => SampleType::U8,
        4 => SampleType::I16,
        8 => SampleType::I32,
        16 => SampleType::F32,
        64 => SampleType::F64,
        256 => SampleType::I8,
        512 => SampleType::U16,
        768 => SampleType::U32,
        1024 => SampleType::I64,
        1280 => SampleType::U64,
        other => {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!(
                    "NIfTI datatype {other} (complex, RGB or unknown) cannot hold labels"
                ),
            });
        }
    };
    if !vox_offset.is_finite() || vox_offset < 0.0 {
        return Err(header_error(
            "vox_offset",
            format!("{vox_offset} is not a byte offset"),
        ));
    }
    for (axis, &p) in pixdim[1..=3].iter().enumerate() {
        if !p.is_finite() {
            return Err(header_error(
                &format!("pixdim[{}]", axis + 1),
                format!("{p} is not a spacing"),
            ));
        }
    }
    // The standard: scl_slope == 0 means "no scaling".
    let scaling = if slope == 0.0 || !slope.is_finite() || !inter.is_finite() {
        Scaling {
            slope: 1.0,
            intercept: 0.0,
        }
    } else {
        Scaling {
            slope,
            intercept: inter,
        }
    };
    Ok(Header {
        version,
        order,
        shape,
        sample,
        pixdim,
        vox_offset: vox_offset as u64,
        scaling,
        qform_code,
        sform_code,
        quatern,
        srow,
        pair,
    })
}

fn grid_from_header(h: &Header, shape: [usize; 3], spatial_dims: usize) -> Grid {
    let _ = h.version;
    let spacing: [f64; 3] = std::array::from_fn(|a| {
        let p = h.pixdim[a + 1].abs();
        if a >= spatial_dims || p == 0.0 {
            1.0
        } else {
            p
        }
    });
    // Affine columns (RAS) for each index axis, and the RAS position of voxel 0.
    let (columns, origin_ras): ([[f64; 3]; 3], [f64; 3]) = if h.sform_code > 0 {
        (
            std::array::from_fn(|axis| std::array::from_fn(|row| h.srow[row][axis])),
            [h.srow[0][3], h.srow[1][3], h.srow[2][3]],
        )
    } else if h.qform_code > 0 {
        let [b, c, d, qx, qy, qz] = h.quatern;
        let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
        let rot = [
            [
                a * a + b * b - c * c - d * d,
                2.0 * (b * c - a * d),
                2.0 * (b * d + a * c),
            ],
            [
                2.0 * (b * c + a * d),
                a * a + c * c - b * b - d * d,
                2.0 * (c * d - a * b),
            ],
            [
                2.0 * (b * d - a * c),
                2.0 * (c * d + a * b),
                a * a + d * d - c * c - b * b,
            ],
        ];
        let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let scale = [spacing[0], spacing[1], spacing[2] * qfac];
        (
            std::array::from_fn(|axis| std::array::from_fn(|row| rot[row][axis] * scale[axis])),
            [qx, qy, qz],
        )
    } else {
        (
            std::array::from_fn(|axis| {
                std::array::from_fn(|row| if row == axis { spacing[axis] } else { 0.0 })
            }),
            [0.0; 3],
        )
    };
    let direction = columns.map(|col| {
        let norm = col.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            ras_to_lps(col.map(|v| v / norm))
        } else {
            [0.0; 3]
        }
    });
    let mut direction = direction;
    for (axis, dir) in direction.iter_mut().enumerate() {
        if dir.iter().all(|&v| v == 0.0) {
            // A degenerate affine column (seen in 2D files): fall back to the index axis.
            *dir = ras_to_lps(std::array::from_fn(
                |row| if row == axis { 1.0 } else { 0.0 },
            ));
        }
    }
    Grid {
        shape,
        spatial_dims,
        spacing,
        direction,
        origin: ras_to_lps(origin_ras),
    }
}

fn ras_to_lps(v: [f64; 3]) -> [f64; 3] {
    [-v[0], -v[1], v[2]]
}

struct FieldReader<'a> {
    raw: &'a [u8],
    order: ByteOrder,
}

impl FieldReader<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.raw[at..at + N]);
        if self.order == ByteOrder::Big {
            out.reverse();
        }
        out
    }
    fn i16(&self, at: usize) -> i16 {
        i16::from_le_bytes(self.bytes(at))
    }
    fn i32(&self, at: usize) -> i32 {
        i32::from_le_bytes(self.bytes(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.bytes(at))
    }
    fn f32(&self, at: usize) -> f32 {
        f32::from_le_bytes(self.bytes(at))
    }
    fn f64(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.bytes(at))
    }
}

fn bad_magic(path: &Path, detail: String) -> ReadError {
    ReadError::BadMagic {
        path: path.to_path_buf(),
        format: "NIfTI",
        detail,
    }
}

fn skip(reader: &mut dyn Read, bytes: u64) -> std::io::Result<()> {
    let skipped = std::io::copy(&mut reader.take(bytes), &mut std::io::sink())?;
    if skipped < bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("file ends {} bytes before the voxel data", bytes - skipped),
        ));
    }
    Ok(())
}

fn is_gzip(path: &Path) -> Result<bool, ReadError> {
    let mut magic = [0u8; 2];
    let mut file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let got = super::fill(&mut file, &mut magic).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(got == 2 && magic == [0x1f, 0x8b])
}

/// The `.img` (or `.img.gz`) file that holds the voxels of a `.hdr` header.
fn image_file_for(path: &Path) -> Result<PathBuf, ReadError> {
    let name = path.to_string_lossy();
    let lower = name.to_ascii_lowercase();
    let stem = if lower.ends_with(".hdr.gz") {
        &name[..name.len() - 7]
    } else if lower.ends_with(".hdr") {
        &name[..name.len() - 4]
    } else {
        &name[..]
    };
    for ext in [".img", ".img.gz", ".IMG"] {
        let candidate = PathBuf::from(format!("{stem}{ext}"));
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    Err(ReadError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("header of a NIfTI pair, but {stem}.img does not exist"),
        ),
    })
}
