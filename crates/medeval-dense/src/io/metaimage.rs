//! MetaImage: `.mha` (header and data in one file) and `.mhd` (header beside a data file).
//!
//! The header is `Key = Value` lines ending with `ElementDataFile`. Compressed data
//! (`CompressedData = True`) is a zlib stream, as ITK writes it. `TransformMatrix` lists the
//! world direction of index axis 0, then axis 1, then axis 2; world space is ITK's LPS+.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::decode::{ByteOrder, SampleType};
use super::{Decoded, ReadError, Target, VoxelShape, Voxels, read_voxels, voxel_shape};
use crate::volume::Grid;

/// Reads a MetaImage file as labels or intensities.
pub(crate) fn read(path: &Path, target: Target) -> Result<Decoded, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut line = Vec::new();
    let mut first = true;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(io)?;
        if n == 0 {
            return Err(header_error(
                path,
                "ElementDataFile",
                "header ends without ElementDataFile",
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let Some((key, value)) = text.split_once('=') else {
            if first {
                return Err(ReadError::BadMagic {
                    path: path.to_path_buf(),
                    format: "MetaImage",
                    detail: "the first line is not 'Key = Value'".into(),
                });
            }
            return Err(header_error(path, text, "line is not 'Key = Value'"));
        };
        first = false;
        let key = key.trim().to_string();
        let value = value.trim().to_string();
        let done = key.eq_ignore_ascii_case("ElementDataFile");
        fields.insert(key.to_ascii_lowercase(), value);
        if done {
            break;
        }
    }
    let get = |key: &str| fields.get(&key.to_ascii_lowercase()).map(String::as_str);
    if !fields.contains_key("ndims") && !fields.contains_key("dimsize") {
        return Err(ReadError::BadMagic {
            path: path.to_path_buf(),
            format: "MetaImage",
            detail: "no NDims or DimSize field".into(),
        });
    }
    let shape: Vec<usize> = numbers(path, "DimSize", get("DimSize"))?;
    if let Some(ndims) = get("NDims") {
        let ndims: usize = ndims
            .parse()
            .map_err(|_| header_error(path, "NDims", "not an integer"))?;
        if ndims != shape.len() {
            return Err(header_error(
                path,
                "NDims",
                &format!("{ndims} but DimSize has {} values", shape.len()),
            ));
        }
    }
    if let Some(channels) = get("ElementNumberOfChannels") {
        if channels != "1" {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!("{channels} channels per voxel; a label map has one"),
            });
        }
    }
    let voxel = voxel_shape(path, &shape, target)?;
    let (shape3, spatial_dims) = (voxel.grid, voxel.spatial_dims);
    let sample = match get("ElementType") {
        Some("MET_UCHAR") => SampleType::U8,
        Some("MET_CHAR") => SampleType::I8,
        Some("MET_USHORT") => SampleType::U16,
        Some("MET_SHORT") => SampleType::I16,
        Some("MET_UINT") | Some("MET_ULONG") => SampleType::U32,
        Some("MET_INT") | Some("MET_LONG") => SampleType::I32,
        Some("MET_ULONG_LONG") => SampleType::U64,
        Some("MET_LONG_LONG") => SampleType::I64,
        Some("MET_FLOAT") => SampleType::F32,
        Some("MET_DOUBLE") => SampleType::F64,
        Some(other) => {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!("ElementType {other}"),
            });
        }
        None => return Err(header_error(path, "ElementType", "missing")),
    };
    let msb = get("ElementByteOrderMSB")
        .or(get("BinaryDataByteOrderMSB"))
        .unwrap_or("False");
    let order = if msb.eq_ignore_ascii_case("true") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let compressed = get("CompressedData").is_some_and(|v| v.eq_ignore_ascii_case("true"));

    let mut spacing = [1.0; 3];
    if let Some(values) = get("ElementSpacing").or(get("ElementSize")) {
        let values: Vec<f64> = numbers(path, "ElementSpacing", Some(values))?;
        for (axis, &s) in values.iter().take(spatial_dims).enumerate() {
            if !(s.is_finite() && s > 0.0) {
                return Err(header_error(
                    path,
                    "ElementSpacing",
                    &format!("{s} is not a positive spacing"),
                ));
            }
            spacing[axis] = s;
        }
    }
    let mut grid = Grid::new(shape3, spacing);
    grid.spatial_dims = spatial_dims;
    if let Some(values) = get("Offset").or(get("Origin")).or(get("Position")) {
        let values: Vec<f64> = numbers(path, "Offset", Some(values))?;
        for (axis, &v) in values.iter().take(3).enumerate() {
            grid.origin[axis] = v;
        }
    }
    if let Some(values) = get("TransformMatrix")
        .or(get("Rotation"))
        .or(get("Orientation"))
    {
        let values: Vec<f64> = numbers(path, "TransformMatrix", Some(values))?;
        let n = shape.len().min(3);
        if values.len() == n * n {
            for axis in 0..n {
                for c in 0..n {
                    grid.direction[axis][c] = values[axis * n + c];
                }
            }
        } else {
            return Err(header_error(
                path,
                "TransformMatrix",
                &format!("{} values for {n} dimensions", values.len()),
            ));
        }
    }

    let data_file = get("ElementDataFile").unwrap_or("LOCAL");
    if data_file.eq_ignore_ascii_case("LOCAL") {
        read_payload(path, &mut reader, compressed, &voxel, sample, order, target)
    } else if data_file.starts_with("LIST") || data_file.contains('%') || data_file.contains(' ') {
        Err(ReadError::Unsupported {
            path: path.to_path_buf(),
            what: format!("ElementDataFile '{data_file}' (a list of slice files)"),
        })
    } else {
        let data_path = super::detached_data_path(path, data_file, "ElementDataFile")?;
        let file = File::open(&data_path).map_err(|source| ReadError::Io {
            path: data_path.clone(),
            source,
        })?;
        let mut data = BufReader::with_capacity(1 << 20, file);
        if let Some(skip) = get("HeaderSize") {
            let skip: u64 = skip
                .parse()
                .map_err(|_| header_error(path, "HeaderSize", "not a byte count"))?;
            std::io::copy(&mut (&mut data).take(skip), &mut std::io::sink()).map_err(|source| {
                ReadError::Io {
                    path: data_path.clone(),
                    source,
                }
            })?;
        }
        read_payload(
            &data_path, &mut data, compressed, &voxel, sample, order, target,
        )
    }
    .map(|voxels| Decoded {
        grid,
        shape: voxel.all.clone(),
        voxels,
    })
}

fn read_payload(
    path: &Path,
    reader: &mut dyn Read,
    compressed: bool,
    shape: &VoxelShape,
    sample: SampleType,
    order: ByteOrder,
    target: Target,
) -> Result<Voxels, ReadError> {
    if compressed {
        let mut zlib = flate2::read::ZlibDecoder::new(reader);
        read_voxels(path, &mut zlib, true, shape, sample, order, None, target)
    } else {
        read_voxels(path, reader, false, shape, sample, order, None, target)
    }
}

fn numbers<T: std::str::FromStr>(
    path: &Path,
    field: &str,
    value: Option<&str>,
) -> Result<Vec<T>, ReadError> {
    let value = value.ok_or_else(|| header_error(path, field, "missing"))?;
    value
        .split_ascii_whitespace()
        .map(|token| {
            token
                .parse::<T>()
                .map_err(|_| header_error(path, field, &format!("'{token}' is not a number")))
        })
        .collect()
}

fn header_error(path: &Path, field: &str, message: &str) -> ReadError {
    ReadError::Header {
        path: path.to_path_buf(),
        field: field.into(),
        message: message.into(),
    }
}
