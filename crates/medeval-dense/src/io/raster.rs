//! 2D label images: PNG and TIFF.
//!
//! A label image is grayscale (the gray value is the label) or palette-indexed (the palette
//! index is the label, as VOC-style masks store classes). Colour images are rejected: mapping
//! colours to labels is a choice the user must make. Pixel spacing is 1 mm; PNG `pHYs` and
//! TIFF resolution tags describe printing, not anatomy, and are ignored (use `--spacing`).
//! A multi-page TIFF is read as a z stack of equally sized pages.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::decode::float_to_label;
use super::{Decoded, ReadError, Target, Voxels};
use crate::volume::{Grid, Labels};

/// Reads a PNG image (its gray values are labels or intensities alike).
pub(crate) fn read_png(path: &Path, _target: Target) -> Result<Decoded, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let png_error = |e: png::DecodingError| match e {
        png::DecodingError::IoError(source) => ReadError::Compressed {
            path: path.to_path_buf(),
            source,
        },
        png::DecodingError::Format(f) => ReadError::BadMagic {
            path: path.to_path_buf(),
            format: "PNG",
            detail: f.to_string(),
        },
        other => ReadError::Unsupported {
            path: path.to_path_buf(),
            what: other.to_string(),
        },
    };
    let mut reader = decoder.read_info().map_err(png_error)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ReadError::Unsupported {
            path: path.to_path_buf(),
            what: "image too large".into(),
        })?;
    let mut buffer = vec![0u8; size];
    let info = reader.next_frame(&mut buffer).map_err(png_error)?;
    match info.color_type {
        png::ColorType::Grayscale | png::ColorType::Indexed => {}
        other => {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!("{other:?} PNG; a label image is grayscale or palette-indexed"),
            });
        }
    }
    let (width, height) = (info.width as usize, info.height as usize);
    let bits = info.bit_depth as usize;
    let labels = match bits {
        8 if info.line_size == width => {
            buffer.truncate(width * height);
            Labels::U8(buffer)
        }
        16 => {
            let mut values = Vec::with_capacity(width * height);
            for row in buffer.chunks_exact(info.line_size).take(height) {
                values.extend(
                    row[..2 * width]
                        .chunks_exact(2)
                        .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]]))),
                );
            }
            Labels::from_u32(values)
        }
        _ => {
            // 1, 2, 4 (packed, most significant bits first) or 8 bits with row padding.
            let mut values = Vec::with_capacity(width * height);
            let mask = (1u16 << bits) - 1;
            for row in buffer.chunks_exact(info.line_size).take(height) {
                for x in 0..width {
                    let bit = x * bits;
                    let byte = u16::from(row[bit / 8]);
                    values.push(u32::from((byte >> (8 - bits - bit % 8)) & mask));
                }
            }
            Labels::from_u32(values)
        }
    };
    Ok(Decoded {
        grid: Grid::new([width, height, 1], [1.0, 1.0, 1.0]),
        shape: vec![width, height],
        voxels: Voxels::Labels(labels),
    })
}

/// Reads a TIFF image (all pages, as z slices) as labels or intensities.
pub(crate) fn read_tiff(path: &Path, target: Target) -> Result<Decoded, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let tiff_error = |e: tiff::TiffError| match e {
        tiff::TiffError::IoError(source) => ReadError::Compressed {
            path: path.to_path_buf(),
            source,
        },
        tiff::TiffError::FormatError(f) => ReadError::BadMagic {
            path: path.to_path_buf(),
            format: "TIFF",
            detail: f.to_string(),
        },
        other => ReadError::Unsupported {
            path: path.to_path_buf(),
            what: other.to_string(),
        },
    };
    let mut decoder = tiff::decoder::Decoder::new(BufReader::new(file)).map_err(tiff_error)?;
    let (width, height) = decoder.dimensions().map_err(tiff_error)?;
    let (width, height) = (width as usize, height as usize);
    let mut values: Vec<u32> = Vec::new();
    let mut intensities: Vec<f64> = Vec::new();
    let mut pages = 0usize;
    loop {
        let page_dims = decoder.dimensions().map_err(tiff_error)?;
        if page_dims != (width as u32, height as u32) {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!("page {pages} is {page_dims:?} but page 0 is ({width}, {height})"),
            });
        }
        match decoder.colortype().map_err(tiff_error)? {
            tiff::ColorType::Gray(_) | tiff::ColorType::Palette(_) => {}
            other => {
                return Err(ReadError::Unsupported {
                    path: path.to_path_buf(),
                    what: format!("{other:?} TIFF; a label image is grayscale or palette-indexed"),
                });
            }
        }
        let first = values.len() + intensities.len();
        let page = decoder.read_image().map_err(tiff_error)?;
        match target {
            Target::Labels => push_page(&mut values, page).map_err(|(index, value, problem)| {
                ReadError::BadLabel {
                    path: path.to_path_buf(),
                    voxel: [index % width, index / width, pages],
                    value,
                    problem,
                }
            })?,
            Target::Intensities => push_page_f64(&mut intensities, page),
        }
        let read = values.len() + intensities.len() - first;
        if read != width * height {
            return Err(ReadError::Truncated {
                path: path.to_path_buf(),
                expected: width * height,
                found: read,
            });
        }
        pages += 1;
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().map_err(tiff_error)?;
    }
    let voxels = match target {
        Target::Labels => Voxels::Labels(Labels::from_u32(values)),
        Target::Intensities => Voxels::Intensities(intensities.into()),
    };
    Ok(Decoded {
        grid: Grid::new([width, height, pages], [1.0, 1.0, 1.0]),
        shape: if pages == 1 {
            vec![width, height]
        } else {
            vec![width, height, pages]
        },
        voxels,
    })
}

fn push_page_f64(values: &mut Vec<f64>, page: tiff::decoder::DecodingResult) {
    use tiff::decoder::DecodingResult as D;
    match page {
        D::U8(v) => values.extend(v.into_iter().map(f64::from)),
        D::U16(v) => values.extend(v.into_iter().map(f64::from)),
        D::U32(v) => values.extend(v.into_iter().map(f64::from)),
        D::U64(v) => values.extend(v.into_iter().map(|x| x as f64)),
        D::I8(v) => values.extend(v.into_iter().map(f64::from)),
        D::I16(v) => values.extend(v.into_iter().map(f64::from)),
        D::I32(v) => values.extend(v.into_iter().map(f64::from)),
        D::I64(v) => values.extend(v.into_iter().map(|x| x as f64)),
        D::F16(v) => values.extend(v.into_iter().map(|x| x.to_f64())),
        D::F32(v) => values.extend(v.into_iter().map(f64::from)),
        D::F64(v) => values.extend(v),
    }
}

type PageError = (usize, f64, super::BadLabel);

fn push_page(values: &mut Vec<u32>, page: tiff::decoder::DecodingResult) -> Result<(), PageError> {
    use tiff::decoder::DecodingResult as D;
    fn floats(values: &mut Vec<u32>, it: impl Iterator<Item = f64>) -> Result<(), PageError> {
        for (i, v) in it.enumerate() {
            values.push(float_to_label(v).map_err(|p| (i, v, p))?);
        }
        Ok(())
    }
    match page {
        D::U8(v) => values.extend(v.into_iter().map(u32::from)),
        D::U16(v) => values.extend(v.into_iter().map(u32::from)),
        D::U32(v) => values.extend(v),
        D::U64(v) => floats(values, v.into_iter().map(|x| x as f64))?,
        D::I8(v) => floats(values, v.into_iter().map(f64::from))?,
        D::I16(v) => floats(values, v.into_iter().map(f64::from))?,
        D::I32(v) => floats(values, v.into_iter().map(f64::from))?,
        D::I64(v) => floats(values, v.into_iter().map(|x| x as f64))?,
        D::F16(v) => floats(values, v.into_iter().map(|x| x.to_f64()))?,
        D::F32(v) => floats(values, v.into_iter().map(f64::from))?,
        D::F64(v) => floats(values, v.into_iter())?,
    }
    Ok(())
}
