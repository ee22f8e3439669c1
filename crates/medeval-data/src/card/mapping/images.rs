//! Images from upstream cells (paths, bytes, structs, lists), apart from the rest of the mapping.

use std::sync::Arc;

use medeval_core::Image;
use medeval_core::digest::{Sha256Hasher, sha256_hex};

use crate::error::DataError;
use crate::images::ImageRoots;
use crate::record::{Cell, Record};

pub(super) fn collect_images(
    cell: &Cell,
    record: &Record,
    column: &str,
    roots: &ImageRoots,
    fingerprint: &mut Sha256Hasher,
    out: &mut Vec<Image>,
) -> Result<(), DataError> {
    let origin = || {
        format!(
            "{}: row {}: column {column}",
            record.file.display(),
            record.row
        )
    };
    match cell {
        Cell::Null => {}
        Cell::Image(image) => out.push(image.clone()),
        Cell::Bytes(bytes) => out.push(checked_bytes(bytes, record, column, origin())?),
        Cell::Text(path) if path.trim().is_empty() => {}
        Cell::Text(path) => {
            let located = roots
                .locate(path, fingerprint)
                .map_err(|message| DataError::invalid(record.at(column), message))?;
            out.push(located);
        }
        Cell::Struct(_) => match (cell.get("bytes"), cell.get("path")) {
            (Some(Cell::Bytes(bytes)), _) => {
                out.push(checked_bytes(bytes, record, column, origin())?)
            }
            (_, Some(Cell::Text(path))) if !path.trim().is_empty() => {
                collect_images(
                    &Cell::Text(path.clone()),
                    record,
                    column,
                    roots,
                    fingerprint,
                    out,
                )?;
            }
            (None, None) => {
                return Err(DataError::invalid(
                    record.at(column),
                    "expected an image struct with `bytes` or `path`",
                ));
            }
            _ => {}
        },
        Cell::List(list) => {
            for element in list {
                collect_images(element, record, column, roots, fingerprint, out)?;
            }
        }
        other => {
            return Err(DataError::invalid(
                record.at(column),
                format!("expected an image, found {}", other.kind()),
            ));
        }
    }
    Ok(())
}

/// In-file image bytes, checked to be an image medeval can send.
fn checked_bytes(
    bytes: &Arc<[u8]>,
    record: &Record,
    column: &str,
    origin: String,
) -> Result<Image, DataError> {
    if !(bytes.starts_with(b"\x89PNG") || bytes.starts_with(b"\xff\xd8\xff")) {
        return Err(DataError::invalid(
            record.at(column),
            if bytes.is_empty() {
                "the image holds no bytes".to_owned()
            } else {
                "the image bytes are not a PNG or JPEG file".to_owned()
            },
        ));
    }
    Ok(Image::Bytes {
        bytes: Arc::clone(bytes),
        origin,
    })
}

/// What identifies an image for clustering: its path or member, or a digest of its bytes.
pub(super) fn image_identity(image: &Image) -> String {
    match image {
        Image::Bytes { bytes, .. } => format!("sha256:{}", &sha256_hex(bytes)[..16]),
        other => other.describe(),
    }
}
