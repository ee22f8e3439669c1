//! The size limits medeval puts on what it reads, in one place.
//!
//! Every input boundary that takes a length from outside (a file's size, a line of JSON Lines, a
//! server's response body) reads at most one of these before it gives up, so a single oversized
//! input fails with a message naming the limit instead of exhausting memory. They are
//! documented in `docs/runs.md` ("Limits"); a limit that a user may change has its flag named in
//! its message.

/// Largest image file medeval reads for one image (64 MiB). Larger files are refused before
/// they are read: a medical image sent to a chat model is far smaller, and reading a file is
/// the only way to find out that its header describes a picture at all.
pub const MAX_IMAGE_BYTES: u64 = 64 << 20;

/// Longest line of a JSON Lines file (16 MiB): items, predictions, scored samples and card data.
/// A line is held in memory while it is parsed, so a longer one is refused, naming file and
/// line, without reading more of it than this.
pub const MAX_JSON_LINE_BYTES: usize = 16 << 20;

/// Default cap on one response body from a model server (16 MiB, `--max-response-bytes`). A chat
/// answer is a few kilobytes; a body this large is a server fault and would be stored whole.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 << 20;

/// A byte count as people read it: `512 bytes`, `16 MiB`, `2.5 GiB` (binary units, whole
/// numbers shown without decimals).
pub fn byte_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = "bytes";
    for next in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// Reads a byte count as a user writes one for a limit (`--max-response-bytes`): a whole number
/// of bytes, or of KiB, MiB or GiB (`16MiB`, `64 KiB`); at least one byte. The error says what
/// was expected.
pub fn parse_byte_count(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let shift = match unit.trim() {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        other => {
            return Err(format!(
                "unknown unit {other:?}; give bytes, or a number with KiB, MiB or GiB (16MiB)"
            ));
        }
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a byte count such as 16777216 or 16MiB"))?;
    let bytes = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text} is too large"))?;
    if bytes == 0 {
        return Err("must be at least one byte".into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_are_read_with_binary_units() {
        assert_eq!(parse_byte_count("16777216"), Ok(16_777_216));
        assert_eq!(parse_byte_count("16MiB"), Ok(16_777_216));
        assert_eq!(parse_byte_count(" 64 KiB "), Ok(65_536));
        assert_eq!(parse_byte_count("1GiB"), Ok(1_073_741_824));
        assert_eq!(parse_byte_count("7B"), Ok(7));
        assert!(parse_byte_count("0").is_err());
        assert!(parse_byte_count("16MB").is_err());
        assert!(parse_byte_count("MiB").is_err());
        assert!(parse_byte_count("99999999999GiB").is_err());
    }

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(byte_size(0), "0 bytes");
        assert_eq!(byte_size(1023), "1023 bytes");
        assert_eq!(byte_size(1024), "1 KiB");
        assert_eq!(byte_size(1536), "1.5 KiB");
        assert_eq!(byte_size(16 << 20), "16 MiB");
        assert_eq!(byte_size(64 << 20), "64 MiB");
        assert_eq!(byte_size(2 << 30), "2 GiB");
        assert_eq!(byte_size((5 << 30) / 2), "2.5 GiB");
    }
}
