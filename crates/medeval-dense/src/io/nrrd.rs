//! NRRD (`.nrrd` with attached data, `.nhdr` with a detached data file).
//!
//! Supports `raw`, `gzip` and `text` encodings. Spacing comes from `space directions` (the
//! length of each axis vector) or, without it, `spacings`. World space is converted to LPS+
//! when the file declares RAS.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::decode::{ByteOrder, SampleType, text_to_f64, text_to_labels};
use super::{Decoded, ReadError, Target, Voxels, read_voxels, stream_error, voxel_shape};
use crate::volume::Grid;

/// Reads a NRRD file as labels or intensities.
pub(crate) fn read(path: &Path, target: Target) -> Result<Decoded, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).map_err(io)?;
    if !line.starts_with(b"NRRD000") {
        return Err(ReadError::BadMagic {
            path: path.to_path_buf(),
            format: "NRRD",
            detail: format!(
                "first line {:?} does not start with NRRD000",
                String::from_utf8_lossy(&line[..line.len().min(16)])
            ),
        });
    }
    let mut fields: HashMap<String, String> = HashMap::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(io)?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if n == 0 || text.is_empty() {
            break;
        }
        if text.starts_with('#') || text.contains(":=") {
            continue;
        }
        let Some((key, value)) = text.split_once(':') else {
            return Err(header_error(path, text, "line is not 'field: value'"));
        };
        fields.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let get = |key: &str| fields.get(key).map(String::as_str);

    let sample = sample_type(get("type").ok_or_else(|| header_error(path, "type", "missing"))?)
        .ok_or_else(|| ReadError::Unsupported {
            path: path.to_path_buf(),
            what: format!("NRRD type '{}'", get("type").unwrap_or_default()),
        })?;
    let shape: Vec<usize> = get("sizes")
        .ok_or_else(|| header_error(path, "sizes", "missing"))?
        .split_ascii_whitespace()
        .map(|t| {
            t.parse()
                .map_err(|_| header_error(path, "sizes", &format!("'{t}' is not a size")))
        })
        .collect::<Result<_, _>>()?;
    if let Some(dimension) = get("dimension") {
        if dimension.parse::<usize>().ok() != Some(shape.len()) {
            return Err(header_error(
                path,
                "dimension",
                &format!("{dimension} but sizes has {} values", shape.len()),
            ));
        }
    }
    let voxel = voxel_shape(path, &shape, target)?;
    let (shape3, spatial_dims) = (voxel.grid, voxel.spatial_dims);
    let order = match get("endian") {
        Some("big") => ByteOrder::Big,
        _ => ByteOrder::Little,
    };

    let mut grid = Grid::new(shape3, [1.0; 3]);
    grid.spatial_dims = spatial_dims;
    let flip = matches!(get("space"), Some(s) if s.eq_ignore_ascii_case("right-anterior-superior") || s.eq_ignore_ascii_case("RAS"));
    if let Some(directions) = get("space directions") {
        let vectors = parse_vectors(path, directions)?;
        for (axis, vector) in vectors.iter().take(3).enumerate() {
            let Some(v) = vector else { continue };
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 0.0 {
                grid.spacing[axis] = norm;
                for (c, (d, x)) in grid.direction[axis].iter_mut().zip(v).enumerate() {
                    *d = x / norm * if flip && c < 2 { -1.0 } else { 1.0 };
                }
            }
        }
    } else if let Some(spacings) = get("spacings") {
        for (axis, token) in spacings.split_ascii_whitespace().take(3).enumerate() {
            if let Ok(s) = token.parse::<f64>() {
                if s.is_finite() && s > 0.0 {
                    grid.spacing[axis] = s;
                }
            }
        }
    }
    if let Some(origin) = get("space origin") {
        if let Some(Some(v)) = parse_vectors(path, origin)?.first() {
            for (c, (o, x)) in grid.origin.iter_mut().zip(v).enumerate() {
                *o = x * if flip && c < 2 { -1.0 } else { 1.0 };
            }
        }
    }
    for skip in ["line skip", "lineskip", "byte skip", "byteskip"] {
        if get(skip).is_some_and(|v| v != "0") {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!("'{skip}'"),
            });
        }
    }

    let encoding = get("encoding").ok_or_else(|| header_error(path, "encoding", "missing"))?;
    let detached = get("data file").or(get("datafile"));
    let mut data_reader: Box<dyn Read> = match detached {
        None => Box::new(reader),
        Some(name) if name.starts_with("LIST") || name.contains(' ') => {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!("data file '{name}' (a list of files)"),
            });
        }
        Some(name) => {
            let data_path = super::detached_data_path(path, name, "data file")?;
            let file = File::open(&data_path).map_err(|source| ReadError::Io {
                path: data_path,
                source,
            })?;
            Box::new(BufReader::with_capacity(1 << 20, file))
        }
    };
    let voxels = match encoding {
        "raw" => read_voxels(
            path,
            &mut data_reader,
            false,
            &voxel,
            sample,
            order,
            None,
            target,
        )?,
        "gzip" | "gz" => {
            let mut gz = flate2::read::MultiGzDecoder::new(data_reader);
            read_voxels(path, &mut gz, true, &voxel, sample, order, None, target)?
        }
        "text" | "txt" | "ascii" => {
            let mut text = String::new();
            data_reader
                .read_to_string(&mut text)
                .map_err(|e| stream_error(path, false, e))?;
            let count = voxel.count();
            let text_error = |(index, message): (usize, String)| ReadError::Header {
                path: path.to_path_buf(),
                field: "data".into(),
                message: format!("sample {index}: {message}"),
            };
            match target {
                Target::Labels => Voxels::Labels(text_to_labels(&text, count).map_err(text_error)?),
                Target::Intensities => {
                    Voxels::Intensities(text_to_f64(&text, count).map_err(text_error)?.into())
                }
            }
        }
        other => {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!("NRRD encoding '{other}'"),
            });
        }
    };
    Ok(Decoded {
        grid,
        shape: voxel.all,
        voxels,
    })
}

fn sample_type(name: &str) -> Option<SampleType> {
    Some(match name {
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => SampleType::U8,
        "signed char" | "int8" | "int8_t" => SampleType::I8,
        "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
            SampleType::I16
        }
        "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => {
            SampleType::U16
        }
        "int" | "signed int" | "int32" | "int32_t" => SampleType::I32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => SampleType::U32,
        "longlong"
        | "long long"
        | "long long int"
        | "signed long long"
        | "signed long long int"
        | "int64"
        | "int64_t" => SampleType::I64,
        "ulonglong" | "unsigned long long" | "unsigned long long int" | "uint64" | "uint64_t" => {
            SampleType::U64
        }
        "float" => SampleType::F32,
        "double" => SampleType::F64,
        _ => return None,
    })
}

/// Parses `(1,0,0) none (0,0,2.5)` into vectors (`None` for `none`).
fn parse_vectors(path: &Path, text: &str) -> Result<Vec<Option<Vec<f64>>>, ReadError> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("none") {
            out.push(None);
            rest = after.trim_start();
            continue;
        }
        let Some(open) = rest.strip_prefix('(') else {
            return Err(header_error(
                path,
                "space directions",
                &format!("cannot read '{rest}'"),
            ));
        };
        let Some((inside, after)) = open.split_once(')') else {
            return Err(header_error(
                path,
                "space directions",
                "unbalanced parenthesis",
            ));
        };
        let v = inside
            .split(',')
            .map(|t| {
                t.trim().parse::<f64>().map_err(|_| {
                    header_error(path, "space directions", &format!("'{t}' is not a number"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Some(v));
        rest = after.trim_start();
    }
    Ok(out)
}

fn header_error(path: &Path, field: &str, message: &str) -> ReadError {
    ReadError::Header {
        path: path.to_path_buf(),
        field: field.into(),
        message: message.into(),
    }
}
