//! PNG files without their metadata: what the lossless default sends of a PNG.
//!
//! A PNG is a signature followed by chunks (length, four-letter type, data, CRC-32) up to `IEND`.
//! Besides pixels, a file may carry text (`tEXt`, `zTXt`, `iTXt`: often a patient's name, an
//! accession number or the software that exported it), an EXIF block (`eXIf`), a modification
//! time (`tIME`), an ICC profile with a free-text name (`iCCP`), private chunks, and bytes after
//! `IEND`. None of it is needed to show the image, and all of it may identify a patient, so the
//! chunks are copied byte for byte except those (see `docs/runs.md`, "Requests"):
//!
//! - critical chunks are kept: `IHDR`, `PLTE`, `IDAT`, `IEND` (any other critical chunk is an
//!   error: a decoder would refuse the file);
//! - of the ancillary chunks, only those that change what the pixel values mean are kept:
//!   `tRNS` (transparency), `gAMA`, `cHRM`, `sRGB`, `cICP` (colour interpretation, numbers only)
//!   and `sBIT` (significant bits); every other ancillary chunk is dropped;
//! - nothing after `IEND` is kept.
//!
//! The pixels are unchanged: the stripped file decodes to exactly what the original does.

/// The eight bytes every PNG starts with.
pub(crate) const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// The critical chunks of the PNG specification.
const CRITICAL: [&[u8; 4]; 4] = [b"IHDR", b"PLTE", b"IDAT", b"IEND"];

/// Ancillary chunks that are kept: each changes how pixel values are read or shown, and holds
/// numbers only.
const KEPT_ANCILLARY: [&[u8; 4]; 6] = [b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"cICP", b"sBIT"];

/// `png` without its metadata chunks and trailing bytes; `None` when it has none (the file is sent
/// as it is). An error says what is wrong with the chunk structure.
pub(crate) fn without_metadata(png: &[u8]) -> Result<Option<Vec<u8>>, String> {
    if !png.starts_with(&SIGNATURE) {
        return Err("not a PNG file".into());
    }
    let mut kept = Vec::new();
    let mut changed = false;
    let mut at = SIGNATURE.len();
    loop {
        let header = png
            .get(at..at + 8)
            .ok_or_else(|| format!("the PNG ends at byte {} without an IEND chunk", png.len()))?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        // 8 bytes of length and type, the data, 4 bytes of CRC.
        let end = usize::try_from(length)
            .ok()
            .and_then(|length| at.checked_add(12)?.checked_add(length))
            .filter(|&end| end <= png.len())
            .ok_or_else(|| {
                format!(
                    "PNG chunk {} at byte {at} claims {length} bytes, past the end of the file",
                    shown(&kind)
                )
            })?;
        let critical = kind[0] & 0x20 == 0;
        if critical && !CRITICAL.contains(&&kind) {
            return Err(format!(
                "PNG chunk {} at byte {at} is critical and unknown; re-export the image as a \
                 plain PNG",
                shown(&kind)
            ));
        }
        if critical || KEPT_ANCILLARY.contains(&&kind) {
            kept.push(at..end);
        } else {
            changed = true;
        }
        at = end;
        if &kind == b"IEND" {
            break;
        }
    }
    if at < png.len() {
        changed = true;
    }
    if !changed {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(at);
    out.extend_from_slice(&SIGNATURE);
    for range in kept {
        out.extend_from_slice(&png[range]);
    }
    Ok(Some(out))
}

/// A chunk type as text, for messages (a byte that is not a letter shows as `?`).
fn shown(kind: &[u8; 4]) -> String {
    kind.iter()
        .map(|&b| {
            if b.is_ascii_alphabetic() {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

/// The types of the chunks of a PNG, in order (for tests and diagnostics).
#[cfg(test)]
pub(crate) fn chunk_types(png: &[u8]) -> Vec<String> {
    let mut types = Vec::new();
    let mut at = SIGNATURE.len();
    while let Some(header) = png.get(at..at + 8) {
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        types.push(shown(&kind));
        at += 12 + length;
        if &kind == b"IEND" {
            break;
        }
    }
    types
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One chunk with its CRC-32 (ISO 3309, the polynomial the PNG specification names),
    /// computed here bit by bit so that the files are valid without relying on an encoder.
    pub(crate) fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut crc = 0xffff_ffffu32;
        for &byte in kind.iter().chain(data) {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&(!crc).to_be_bytes());
        out
    }

    #[test]
    fn the_crc_of_iend_is_the_one_every_png_ends_with() {
        // Every PNG ends with 00 00 00 00 49 45 4E 44 AE 42 60 82.
        assert_eq!(
            chunk(b"IEND", &[]),
            [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]
        );
    }

    #[test]
    fn unknown_critical_chunks_and_cut_files_are_errors() {
        let mut png = SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"ABCD", b"x"));
        png.extend(chunk(b"IEND", &[]));
        let error = without_metadata(&png).unwrap_err();
        assert!(
            error.contains("ABCD") && error.contains("critical"),
            "{error}"
        );

        let mut cut = SIGNATURE.to_vec();
        cut.extend(chunk(b"IHDR", &[0; 13]));
        let mut text = chunk(b"tEXt", b"Comment\0hello");
        text.truncate(10);
        cut.extend(text);
        let error = without_metadata(&cut).unwrap_err();
        assert!(
            error.contains("tEXt") && error.contains("past the end"),
            "{error}"
        );
        assert!(without_metadata(b"GIF89a").is_err());
    }

    #[test]
    fn a_png_without_metadata_is_left_as_it_is() {
        let mut png = SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"gAMA", &45455u32.to_be_bytes()));
        png.extend(chunk(b"IDAT", b"data"));
        png.extend(chunk(b"IEND", &[]));
        assert_eq!(without_metadata(&png).unwrap(), None);
    }
}
