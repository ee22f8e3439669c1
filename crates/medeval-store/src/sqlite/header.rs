//! What is wrong with a file that should be a SQLite database, read from its first 100 bytes.
//!
//! SQLite's own words for a damaged file mislead: a flipped byte in the file-format version makes
//! it treat the file as read-only ("attempt to write a readonly database"), a truncated file reads
//! as "database disk image is malformed" only once a missing page is reached. The header
//! (<https://www.sqlite.org/fileformat.html#the_database_header>) says most of it plainly, so a
//! store is checked against it before SQLite opens it, and the findings explain SQLite's errors.

use std::io::Read;
use std::path::Path;

/// The first 16 bytes of every SQLite 3 database.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The length of the database header.
const HEADER_LEN: usize = 100;

/// What the first bytes of a store file say.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Header {
    /// A file of length zero: SQLite makes a new database of it.
    Empty,
    /// A SQLite 3 header with nothing wrong in it.
    Sound,
    /// Something is wrong; the text says what, in plain words.
    Damaged(String),
}

/// Reads the header of the file at `path` and says what is wrong with it. An I/O error is
/// returned as it is: the caller reports it with the file's name.
///
/// The file's length is compared with the header's page count only when `settled`: while a
/// connection is open (a `-wal` file exists) a checkpoint may have written the new header before
/// the pages that lengthen the file.
pub(super) fn inspect(path: &Path, settled: bool) -> std::io::Result<Header> {
    let mut file = std::fs::File::open(path)?;
    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(Header::Empty);
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    file.by_ref()
        .take(HEADER_LEN as u64)
        .read_to_end(&mut header)?;
    Ok(judge(&header, settled.then_some(length)))
}

/// The verdict on `header` (the file's first bytes, at most 100) for a file of `length` bytes
/// (`None`: not to be checked).
fn judge(header: &[u8], length: Option<u64>) -> Header {
    if header.len() < MAGIC.len() || &header[..MAGIC.len()] != MAGIC {
        return Header::Damaged(
            "the file does not start with SQLite's header (\"SQLite format 3\"), so it is not a SQLite database"
                .into(),
        );
    }
    if header.len() < HEADER_LEN {
        return Header::Damaged(format!(
            "the file is {} bytes long, shorter than SQLite's 100-byte header: it was cut short",
            header.len()
        ));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        size => u64::from(size),
    };
    if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Header::Damaged(format!(
            "its header is damaged: the page size reads {page_size}, which SQLite never writes"
        ));
    }
    let (write_version, read_version) = (header[18], header[19]);
    if !(1..=2).contains(&write_version) || !(1..=2).contains(&read_version) {
        return Header::Damaged(format!(
            "its header is damaged: the file format versions read {write_version} and {read_version}, where SQLite writes 1 or 2"
        ));
    }
    if header[21..24] != [64, 32, 32] {
        return Header::Damaged(
            "its header is damaged: the payload fractions (bytes 21 to 23) are not SQLite's fixed 64, 32, 32"
                .into(),
        );
    }
    let change_counter = u32::from_be_bytes([header[24], header[25], header[26], header[27]]);
    let pages = u32::from_be_bytes([header[28], header[29], header[30], header[31]]);
    let valid_for = u32::from_be_bytes([header[92], header[93], header[94], header[95]]);
    let Some(length) = length else {
        return Header::Sound;
    };
    // The page count is only meaningful when the header says it is current.
    let expected = u64::from(pages) * page_size;
    if pages > 0 && change_counter == valid_for && length < expected {
        return Header::Damaged(format!(
            "the file is {length} bytes long but its header counts {pages} pages of {page_size} bytes ({expected} bytes): it was cut short"
        ));
    }
    if length % page_size != 0 {
        return Header::Damaged(format!(
            "the file is {length} bytes long, not a whole number of {page_size}-byte pages: it was cut short or added to"
        ));
    }
    Header::Sound
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header of a 19-page store (4,096-byte pages, WAL), as medeval wrote it; bytes from
    /// `xxd -l 100` of the schema-2 fixture.
    fn header() -> Vec<u8> {
        let mut header = vec![0u8; HEADER_LEN];
        header[..16].copy_from_slice(MAGIC);
        header[16..24].copy_from_slice(&[0x10, 0x00, 2, 2, 0, 64, 32, 32]);
        header[24..28].copy_from_slice(&3u32.to_be_bytes());
        header[28..32].copy_from_slice(&19u32.to_be_bytes());
        header[92..96].copy_from_slice(&3u32.to_be_bytes());
        header
    }

    const LENGTH: u64 = 19 * 4096;

    fn damage(header: &[u8], length: u64) -> String {
        match judge(header, Some(length)) {
            Header::Damaged(why) => why,
            other => panic!("expected damage, got {other:?}"),
        }
    }

    #[test]
    fn a_sound_header_passes() {
        assert_eq!(judge(&header(), Some(LENGTH)), Header::Sound);
        // A page count the header does not vouch for (change counter differs) is not checked.
        let mut stale = header();
        stale[95] = 2;
        assert_eq!(judge(&stale, Some(4096)), Header::Sound);
        // Nor is the length while a connection may be checkpointing.
        assert_eq!(judge(&header(), None), Header::Sound);
    }

    #[test]
    fn each_kind_of_damage_is_named() {
        assert!(damage(b"PK\x03\x04", 4).contains("not a SQLite database"));
        assert!(damage(&header()[..40], 40).contains("shorter than SQLite's 100-byte header"));
        let mut flipped = header();
        flipped[18] ^= 0xff;
        assert_eq!(
            damage(&flipped, LENGTH),
            "its header is damaged: the file format versions read 253 and 2, where SQLite writes 1 or 2"
        );
        let mut page = header();
        page[16] = 0x30;
        assert!(damage(&page, LENGTH).contains("page size reads 12288"));
        let mut fractions = header();
        fractions[22] = 33;
        assert!(damage(&fractions, LENGTH).contains("payload fractions"));
        assert_eq!(
            damage(&header(), 8 * 4096),
            "the file is 32768 bytes long but its header counts 19 pages of 4096 bytes (77824 bytes): it was cut short"
        );
        assert!(damage(&header(), LENGTH + 10).contains("not a whole number of 4096-byte pages"));
    }
}
