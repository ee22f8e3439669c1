//! Files in a transfer syntax the builder does not read are skipped with a message that names
//! the transfer syntax, says what is wrong (big endian is not compression) and gives the command
//! that converts the file.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{CT_STORAGE, Image, encapsulated, file, jpeg};
use medeval_sanity::{SkipReason, scan, transfer_syntax_name};

fn messages(files: &[(&str, &str)]) -> BTreeMap<String, (SkipReason, String)> {
    let dir = tempfile::tempdir().unwrap();
    for (name, uid) in files {
        let mut ds = Image::default().header();
        ds.extend(encapsulated(&[&jpeg(6, 4)]));
        std::fs::write(dir.path().join(name), file(uid, CT_STORAGE, &ds)).unwrap();
    }
    scan(dir.path(), false)
        .unwrap()
        .skipped
        .into_iter()
        .map(|s| {
            let text = s.reason.to_string();
            (s.path.to_string_lossy().into_owned(), (s.reason, text))
        })
        .collect()
}

#[test]
fn skip_messages_name_the_transfer_syntax_and_the_conversion() {
    let got = messages(&[
        ("big_endian.dcm", "1.2.840.10008.1.2.2"),
        ("deflated.dcm", "1.2.840.10008.1.2.1.99"),
        ("j2k.dcm", "1.2.840.10008.1.2.4.91"),
        ("jpeg_ls.dcm", "1.2.840.10008.1.2.4.80"),
        ("lossless.dcm", "1.2.840.10008.1.2.4.70"),
        ("jpip.dcm", "1.2.840.10008.1.2.4.94"),
        ("private.dcm", "1.3.46.670589.33.1.4.1"),
    ]);
    assert_eq!(got.len(), 7, "{got:?}");
    for (name, (reason, _)) in &got {
        assert!(
            matches!(reason, SkipReason::UnsupportedTransferSyntax(_)),
            "{name}: {reason:?}"
        );
    }
    let text = |name: &str| got[name].1.clone();

    let big_endian = text("big_endian.dcm");
    assert_eq!(
        big_endian,
        "transfer syntax Explicit VR Big Endian (1.2.840.10008.1.2.2) is not read; rewrite the file as explicit VR little endian first, e.g. `dcmconv +te in.dcm out.dcm`"
    );
    assert!(text("deflated.dcm").contains("Deflated Explicit VR Little Endian"));
    assert!(text("deflated.dcm").contains("`dcmconv +te in.dcm out.dcm`"));
    assert_eq!(
        text("j2k.dcm"),
        "pixel data in JPEG 2000 Image Compression (1.2.840.10008.1.2.4.91) is not decoded; decompress the file first, e.g. `gdcmconv --raw in.dcm out.dcm`"
    );
    assert!(text("jpeg_ls.dcm").contains("JPEG-LS Lossless Image Compression"));
    assert!(text("jpeg_ls.dcm").contains("`dcmdjpls in.dcm out.dcm`"));
    assert!(text("lossless.dcm").contains("First-Order Prediction"));
    assert!(text("lossless.dcm").contains("`dcmdjpeg in.dcm out.dcm`"));
    assert!(text("jpip.dcm").contains("not in the file"));
    assert!(text("private.dcm").contains("unknown transfer syntax 1.3.46.670589.33.1.4.1"));
    for (name, (_, message)) in &got {
        // Only compressed pixel data is called compressed, and no build option is suggested.
        assert!(
            !message.contains("compressed transfer syntax"),
            "{name}: {message}"
        );
        assert!(!message.contains("feature"), "{name}: {message}");
        assert!(!message.contains("cargo"), "{name}: {message}");
    }
}

#[test]
fn transfer_syntax_names_follow_ps3_6() {
    assert_eq!(
        transfer_syntax_name("1.2.840.10008.1.2.4.50"),
        Some("JPEG Baseline (Process 1)")
    );
    assert_eq!(
        transfer_syntax_name("1.2.840.10008.1.2.4.90"),
        Some("JPEG 2000 Image Compression (Lossless Only)")
    );
    assert_eq!(transfer_syntax_name("1.2.840.10008.1.2.4.9"), None);
    assert_eq!(transfer_syntax_name("1.2.840.10008.1.2.77"), None);
}
