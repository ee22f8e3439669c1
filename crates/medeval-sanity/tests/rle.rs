//! RLE Lossless (PS3.5 Annex G) is decoded: an RLE file renders exactly as the same pixels stored
//! natively, for 8- and 16-bit grey and for RGB; a frame whose header or segments do not match the
//! image header is skipped with its reason.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{CT_STORAGE, EXPLICIT_LE, Image, encapsulated, file, header, text, us};
use medeval_sanity::{SkipReason, is_decodable_transfer_syntax, render};

const RLE: &str = "1.2.840.10008.1.2.5";

/// PackBits (PS3.5 G.3.1): replicate runs of three or more equal bytes, literal runs otherwise.
fn packbits(plane: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < plane.len() {
        let run = plane[i..]
            .iter()
            .take(128)
            .take_while(|&&b| b == plane[i])
            .count();
        if run >= 3 {
            out.push((1 - run as i16) as u8);
            out.push(plane[i]);
            i += run;
            continue;
        }
        let start = i;
        while i < plane.len() && i - start < 128 {
            let ahead = plane[i..]
                .iter()
                .take(3)
                .take_while(|&&b| b == plane[i])
                .count();
            if ahead == 3 {
                break;
            }
            i += 1;
        }
        out.push((i - start - 1) as u8);
        out.extend(&plane[start..i]);
    }
    if out.len() % 2 == 1 {
        out.push(0x80); // a no-op header pads the segment to even length
    }
    out
}

/// An RLE frame from native little-endian, interleaved pixel data: one segment per byte of each
/// sample, most significant first.
fn rle_frame(native: &[u8], samples: usize, bytes: usize) -> Vec<u8> {
    let stride = samples * bytes;
    let mut segments = Vec::new();
    for sample in 0..samples {
        for msb in 0..bytes {
            let byte = sample * bytes + (bytes - 1 - msb);
            let plane: Vec<u8> = native.chunks_exact(stride).map(|p| p[byte]).collect();
            segments.push(packbits(&plane));
        }
    }
    let mut header = vec![0u8; 64];
    header[..4].copy_from_slice(&(segments.len() as u32).to_le_bytes());
    let mut offset = 64u32;
    for (i, segment) in segments.iter().enumerate() {
        header[4 + 4 * i..8 + 4 * i].copy_from_slice(&offset.to_le_bytes());
        offset += segment.len() as u32;
    }
    let mut out = header;
    for segment in segments {
        out.extend(segment);
    }
    out
}

/// A 16-bit (12 stored) grey CT header.
fn header16(rows: u16, columns: u16) -> Vec<u8> {
    let mut ds = text(0x0008, 0x0016, "UI", CT_STORAGE);
    ds.extend(text(0x0008, 0x0060, "CS", "CT"));
    ds.extend(text(
        0x0020,
        0x000E,
        "UI",
        "1.2.826.0.1.3680043.10.1087.501",
    ));
    ds.extend(us(0x0028, 0x0002, 1));
    ds.extend(text(0x0028, 0x0004, "CS", "MONOCHROME2"));
    ds.extend(us(0x0028, 0x0010, rows));
    ds.extend(us(0x0028, 0x0011, columns));
    ds.extend(us(0x0028, 0x0100, 16));
    ds.extend(us(0x0028, 0x0101, 12));
    ds.extend(us(0x0028, 0x0102, 11));
    ds.extend(us(0x0028, 0x0103, 0));
    ds
}

fn write(dir: &Path, name: &str, bytes: Vec<u8>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The same pixels stored natively and as RLE.
fn pair(
    dir: &Path,
    name: &str,
    ds: &[u8],
    native: &[u8],
    samples: usize,
    bytes: usize,
) -> (PathBuf, PathBuf) {
    let mut plain = ds.to_vec();
    plain.extend(header(0x7FE0, 0x0010, "OB", native.len() as u32));
    plain.extend(native);
    let mut rle = ds.to_vec();
    rle.extend(encapsulated(&[&rle_frame(native, samples, bytes)]));
    (
        write(
            dir,
            &format!("{name}_native.dcm"),
            file(EXPLICIT_LE, CT_STORAGE, &plain),
        ),
        write(dir, &format!("{name}_rle.dcm"), file(RLE, CT_STORAGE, &rle)),
    )
}

#[test]
fn rle_frames_render_as_their_native_pixels() {
    assert!(is_decodable_transfer_syntax(RLE));
    let dir = tempfile::tempdir().unwrap();
    // 8-bit grey, 6 x 4: runs and literals.
    let grey: Vec<u8> = (0..24)
        .map(|i| if i < 10 { 7 } else { (i * 11) as u8 })
        .collect();
    let ds = Image::default().header();
    let (native, rle) = pair(dir.path(), "grey8", &ds, &grey, 1, 1);
    assert_eq!(render(&rle).unwrap(), render(&native).unwrap());

    // 16-bit grey, 12 bits stored, 5 x 3: the high byte segment comes first.
    let values: Vec<u16> = (0..15)
        .map(|i| if i < 4 { 4000 } else { i * 250 })
        .collect();
    let native16: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let (native, rle) = pair(dir.path(), "grey16", &header16(3, 5), &native16, 1, 2);
    let want = render(&native).unwrap();
    assert_eq!(render(&rle).unwrap(), want);
    assert_eq!(want.to_luma8().get_pixel(0, 0).0, [255]);

    // 8-bit RGB, 6 x 4, one segment per colour.
    let rgb: Vec<u8> = (0..72).map(|i| [200, (i * 5) as u8, 30][i % 3]).collect();
    let ds = Image {
        photometric: "RGB",
        burned_in: Some("NO"),
        ..Image::default()
    }
    .header();
    let (native, rle) = pair(dir.path(), "rgb", &ds, &rgb, 3, 1);
    let want = render(&native).unwrap();
    assert_eq!(render(&rle).unwrap(), want);
    assert_eq!(want.to_rgb8().get_pixel(1, 0).0, [200, 20, 30]);
}

#[test]
fn rle_frames_that_contradict_the_header_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let ds = Image::default().header();
    let grey = [9u8; 24];
    let frame = rle_frame(&grey, 1, 1);
    let with = |frame: &[u8]| {
        let mut bytes = ds.clone();
        bytes.extend(encapsulated(&[frame]));
        file(RLE, CT_STORAGE, &bytes)
    };
    let reason = |name: &str, frame: &[u8]| match render(&write(dir.path(), name, with(frame))) {
        Err(SkipReason::Unreadable(why)) => why,
        other => panic!("{name}: {other:?}"),
    };
    // Three segments for one 8-bit sample.
    let mut three = frame.clone();
    three[0] = 3;
    assert!(reason("three.dcm", &three).contains("3 segment(s)"));
    // A segment that decodes to fewer bytes than the frame has pixels.
    let mut short = frame[..64].to_vec();
    short.extend([0xF7, 9]); // 10 bytes of 9
    assert!(reason("short.dcm", &short).contains("decodes to 10 of 24 bytes"));
    // An offset beyond the frame.
    let mut beyond = frame.clone();
    beyond[4..8].copy_from_slice(&1000u32.to_le_bytes());
    assert!(reason("beyond.dcm", &beyond).contains("not increasing from 64"));
    // A header cut short.
    assert!(reason("cut.dcm", &frame[..20]).contains("64-byte header"));
}
