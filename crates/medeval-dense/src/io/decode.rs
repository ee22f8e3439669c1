//! Raw voxel samples to labels.
//!
//! Every container format ends in the same place: a byte buffer of samples of one numeric type
//! and byte order. Label maps must hold non-negative integers; a float volume whose values are
//! whole numbers (as many tools write label maps) is accepted, anything else is rejected with the
//! offending voxel rather than silently truncated.

use std::io::Read;

use crate::volume::{Labels, Samples};

/// Numeric type of one stored sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleType {
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 64-bit integer.
    I64,
    /// IEEE 754 single precision.
    F32,
    /// IEEE 754 double precision.
    F64,
}

impl SampleType {
    /// Bytes per sample.
    pub fn size(self) -> usize {
        match self {
            SampleType::U8 | SampleType::I8 => 1,
            SampleType::U16 | SampleType::I16 => 2,
            SampleType::U32 | SampleType::I32 | SampleType::F32 => 4,
            SampleType::U64 | SampleType::I64 | SampleType::F64 => 8,
        }
    }
}

/// Byte order of multi-byte samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    /// Least significant byte first (x86, most files).
    Little,
    /// Most significant byte first.
    Big,
}

/// Why a sample cannot be a label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BadLabel {
    /// A fractional or non-finite value.
    NotInteger,
    /// A value below zero.
    Negative,
    /// A value above 4 294 967 295.
    TooLarge,
}

impl std::fmt::Display for BadLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BadLabel::NotInteger => "is not an integer (label maps hold whole numbers)",
            BadLabel::Negative => "is negative (labels are non-negative)",
            BadLabel::TooLarge => "exceeds the largest supported label 4294967295",
        })
    }
}

/// The first sample that is not a valid label: its linear index, value and problem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelProblem {
    /// Linear (x-fastest) voxel index.
    pub index: usize,
    /// The stored value after intensity scaling.
    pub value: f64,
    /// What is wrong with it.
    pub problem: BadLabel,
}

/// Linear intensity scaling `value * slope + intercept` stored in some headers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scaling {
    /// Multiplier.
    pub slope: f64,
    /// Offset.
    pub intercept: f64,
}

impl Scaling {
    /// Whether applying the scaling changes nothing.
    pub fn is_identity(self) -> bool {
        self.slope == 1.0 && self.intercept == 0.0
    }
}

/// Converts `bytes` (exactly `count` samples) into labels. `uint8` data without scaling is moved,
/// not copied.
pub fn samples_to_labels(
    bytes: Vec<u8>,
    sample: SampleType,
    order: ByteOrder,
    scaling: Option<Scaling>,
) -> Result<Labels, LabelProblem> {
    let scaling = scaling.filter(|s| !s.is_identity());
    if sample == SampleType::U8 && scaling.is_none() {
        return Ok(Labels::U8(bytes));
    }
    let size = sample.size();
    let mut values = Vec::with_capacity(bytes.len() / size);
    for (index, chunk) in bytes.chunks_exact(size).enumerate() {
        let value = read_sample(chunk, sample, order);
        let value = match scaling {
            Some(s) => value.as_f64() * s.slope + s.intercept,
            None => match value {
                Sample::Int(i) => {
                    let label = u32::try_from(i).map_err(|_| LabelProblem {
                        index,
                        value: i as f64,
                        problem: if i < 0 {
                            BadLabel::Negative
                        } else {
                            BadLabel::TooLarge
                        },
                    })?;
                    values.push(label);
                    continue;
                }
                Sample::Float(f) => f,
            },
        };
        values.push(float_to_label(value).map_err(|problem| LabelProblem {
            index,
            value,
            problem,
        })?);
    }
    drop(bytes);
    Ok(Labels::from_u32(values))
}

/// Reads `count` samples from `reader` as intensities (what an image's voxels mean, rather than
/// the labels a segmentation holds), with `scaling` applied, a megabyte at a time, so that no byte
/// buffer the size of the image is held beside the values. Returns the values and the number
/// of bytes read (short when the stream ends early).
pub fn read_f64_samples(
    reader: &mut dyn Read,
    count: usize,
    sample: SampleType,
    order: ByteOrder,
    scaling: Option<Scaling>,
) -> std::io::Result<(Samples, usize)> {
    let scaling = scaling.filter(|s| !s.is_identity());
    if sample == SampleType::F32 && scaling.is_none() {
        return read_f32_samples(reader, count, order);
    }
    let size = sample.size();
    let mut values = Vec::new();
    values
        .try_reserve_exact(count)
        .map_err(std::io::Error::other)?;
    let mut buffer = vec![0u8; (1 << 20) / size * size];
    let mut remaining = count * size;
    let mut read = 0;
    while remaining > 0 {
        let want = remaining.min(buffer.len());
        let got = super::fill(reader, &mut buffer[..want])?;
        extend_f64(&mut values, &buffer[..got - got % size], sample, order);
        read += got;
        remaining -= got;
        if got < want {
            break;
        }
    }
    apply_scaling(&mut values, scaling);
    Ok((Samples::F64(values), read))
}

/// [`read_f64_samples`] for unscaled `float32` data, kept as `f32`.
fn read_f32_samples(
    reader: &mut dyn Read,
    count: usize,
    order: ByteOrder,
) -> std::io::Result<(Samples, usize)> {
    let mut values: Vec<f32> = Vec::new();
    values
        .try_reserve_exact(count)
        .map_err(std::io::Error::other)?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut remaining = count * 4;
    let mut read = 0;
    while remaining > 0 {
        let want = remaining.min(buffer.len());
        let got = super::fill(reader, &mut buffer[..want])?;
        let words = buffer[..got - got % 4]
            .chunks_exact(4)
            .map(|c| <[u8; 4]>::try_from(c).unwrap_or([0; 4]));
        match order {
            ByteOrder::Little => values.extend(words.map(f32::from_le_bytes)),
            ByteOrder::Big => values.extend(words.map(f32::from_be_bytes)),
        }
        read += got;
        remaining -= got;
        if got < want {
            break;
        }
    }
    Ok((Samples::F32(values), read))
}

fn apply_scaling(values: &mut [f64], scaling: Option<Scaling>) {
    if let Some(s) = scaling.filter(|s| !s.is_identity()) {
        for v in values {
            *v = *v * s.slope + s.intercept;
        }
    }
}

/// Appends the samples of `bytes` to `values`.
fn extend_f64(values: &mut Vec<f64>, bytes: &[u8], sample: SampleType, order: ByteOrder) {
    fn each<const N: usize>(values: &mut Vec<f64>, bytes: &[u8], value: impl Fn([u8; N]) -> f64) {
        values.extend(
            bytes
                .chunks_exact(N)
                .map(|chunk| value(<[u8; N]>::try_from(chunk).unwrap_or([0; N]))),
        );
    }
    macro_rules! typed {
        ($t:ty, $n:expr) => {
            match order {
                ByteOrder::Little => {
                    each::<$n>(values, bytes, |raw| <$t>::from_le_bytes(raw) as f64)
                }
                ByteOrder::Big => each::<$n>(values, bytes, |raw| <$t>::from_be_bytes(raw) as f64),
            }
        };
    }
    match sample {
        SampleType::U8 => values.extend(bytes.iter().map(|&b| f64::from(b))),
        SampleType::I8 => values.extend(bytes.iter().map(|&b| f64::from(b as i8))),
        SampleType::U16 => typed!(u16, 2),
        SampleType::I16 => typed!(i16, 2),
        SampleType::U32 => typed!(u32, 4),
        SampleType::I32 => typed!(i32, 4),
        SampleType::U64 => typed!(u64, 8),
        SampleType::I64 => typed!(i64, 8),
        SampleType::F32 => typed!(f32, 4),
        SampleType::F64 => match order {
            ByteOrder::Little => each::<8>(values, bytes, f64::from_le_bytes),
            ByteOrder::Big => each::<8>(values, bytes, f64::from_be_bytes),
        },
    }
}

/// Checks that a float is a whole, non-negative number that fits a label.
pub fn float_to_label(value: f64) -> Result<u32, BadLabel> {
    if !value.is_finite() || value.fract() != 0.0 {
        Err(BadLabel::NotInteger)
    } else if value < 0.0 {
        Err(BadLabel::Negative)
    } else if value > f64::from(u32::MAX) {
        Err(BadLabel::TooLarge)
    } else {
        Ok(value as u32)
    }
}

enum Sample {
    Int(i128),
    Float(f64),
}

impl Sample {
    fn as_f64(&self) -> f64 {
        match *self {
            Sample::Int(i) => i as f64,
            Sample::Float(f) => f,
        }
    }
}

fn read_sample(chunk: &[u8], sample: SampleType, order: ByteOrder) -> Sample {
    macro_rules! int {
        ($t:ty, $n:expr) => {{
            let mut raw = [0u8; $n];
            raw.copy_from_slice(chunk);
            Sample::Int(i128::from(match order {
                ByteOrder::Little => <$t>::from_le_bytes(raw),
                ByteOrder::Big => <$t>::from_be_bytes(raw),
            }))
        }};
    }
    match sample {
        SampleType::U8 => Sample::Int(i128::from(chunk[0])),
        SampleType::I8 => Sample::Int(i128::from(chunk[0] as i8)),
        SampleType::U16 => int!(u16, 2),
        SampleType::I16 => int!(i16, 2),
        SampleType::U32 => int!(u32, 4),
        SampleType::I32 => int!(i32, 4),
        SampleType::U64 => int!(u64, 8),
        SampleType::I64 => int!(i64, 8),
        SampleType::F32 => {
            let raw = [chunk[0], chunk[1], chunk[2], chunk[3]];
            Sample::Float(f64::from(match order {
                ByteOrder::Little => f32::from_le_bytes(raw),
                ByteOrder::Big => f32::from_be_bytes(raw),
            }))
        }
        SampleType::F64 => {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(chunk);
            Sample::Float(match order {
                ByteOrder::Little => f64::from_le_bytes(raw),
                ByteOrder::Big => f64::from_be_bytes(raw),
            })
        }
    }
}

/// Parses whitespace-separated ASCII samples (NRRD `encoding: text`) into labels.
pub fn text_to_labels(text: &str, count: usize) -> Result<Labels, (usize, String)> {
    let mut values = Vec::with_capacity(count);
    for (index, token) in text.split_ascii_whitespace().take(count).enumerate() {
        let value: f64 = token
            .parse()
            .map_err(|_| (index, format!("'{token}' is not a number")))?;
        values.push(float_to_label(value).map_err(|p| (index, format!("{value} {p}")))?);
    }
    if values.len() < count {
        return Err((
            values.len(),
            format!("only {} of {count} samples present", values.len()),
        ));
    }
    Ok(Labels::from_u32(values))
}

/// Parses whitespace-separated ASCII samples (NRRD `encoding: text`) into intensities.
pub fn text_to_f64(text: &str, count: usize) -> Result<Vec<f64>, (usize, String)> {
    let mut values = Vec::with_capacity(count.min(text.len() / 2 + 1));
    for (index, token) in text.split_ascii_whitespace().take(count).enumerate() {
        let value: f64 = token
            .parse()
            .map_err(|_| (index, format!("'{token}' is not a number")))?;
        values.push(value);
    }
    if values.len() < count {
        return Err((
            values.len(),
            format!("only {} of {count} samples present", values.len()),
        ));
    }
    Ok(values)
}

/// Reads exactly `len` bytes, reporting how many were available when the stream ends early.
pub fn read_exact_or_count(reader: &mut dyn Read, len: usize) -> std::io::Result<(Vec<u8>, usize)> {
    let mut buffer = Vec::new();
    buffer
        .try_reserve_exact(len)
        .map_err(std::io::Error::other)?;
    let got = reader.take(len as u64).read_to_end(&mut buffer)?;
    Ok((buffer, got))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint8_moves_without_conversion() {
        let labels = samples_to_labels(vec![0, 3, 255], SampleType::U8, ByteOrder::Little, None);
        assert_eq!(labels, Ok(Labels::U8(vec![0, 3, 255])));
    }

    #[test]
    fn big_endian_int16_is_decoded_and_narrowed() {
        let bytes = vec![0x01, 0x00, 0x00, 0x02];
        let labels = samples_to_labels(bytes, SampleType::I16, ByteOrder::Big, None);
        assert_eq!(labels, Ok(Labels::U16(vec![256, 2])));
    }

    #[test]
    fn fractional_floats_are_rejected_with_their_index() {
        let bytes: Vec<u8> = [1.0f32, 2.5].iter().flat_map(|f| f.to_le_bytes()).collect();
        let err = samples_to_labels(bytes, SampleType::F32, ByteOrder::Little, None).unwrap_err();
        assert_eq!(
            (err.index, err.value, err.problem),
            (1, 2.5, BadLabel::NotInteger)
        );
    }

    #[test]
    fn negative_integers_are_rejected() {
        let bytes = (-1i32).to_le_bytes().to_vec();
        let err = samples_to_labels(bytes, SampleType::I32, ByteOrder::Little, None).unwrap_err();
        assert_eq!(err.problem, BadLabel::Negative);
    }

    #[test]
    fn scaling_is_applied_before_the_integer_check() {
        let scaling = Some(Scaling {
            slope: 2.0,
            intercept: 1.0,
        });
        let labels = samples_to_labels(vec![0, 1], SampleType::U8, ByteOrder::Little, scaling);
        assert_eq!(labels, Ok(Labels::U8(vec![1, 3])));
        let scaling = Some(Scaling {
            slope: 0.5,
            intercept: 0.0,
        });
        let err = samples_to_labels(vec![1], SampleType::U8, ByteOrder::Little, scaling);
        assert_eq!(err.map_err(|e| e.problem), Err(BadLabel::NotInteger));
    }
}
