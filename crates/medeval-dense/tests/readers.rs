//! Readers against files written by independent writers (nibabel, SimpleITK, pynrrd, Pillow,
//! tifffile; see `bench/seg/make_fixtures.py`), with the geometry SimpleITK reads back, and
//! bad input that must fail with an error naming the file.

use std::io::Write;
use std::path::{Path, PathBuf};

use medeval_dense::io::{ReadError, read_label_volume};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn geometry() -> Value {
    serde_json::from_str(&std::fs::read_to_string(data("geometry.json")).expect("fixture"))
        .expect("JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn every_fixture_reads_with_the_writers_geometry_and_labels() {
    let geometry = geometry();
    for (name, expected) in geometry.as_object().expect("object") {
        let volume = read_label_volume(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let shape: Vec<usize> = expected["shape"]
            .as_array()
            .expect("shape")
            .iter()
            .map(|v| v.as_u64().expect("size") as usize)
            .collect();
        assert_eq!(volume.grid.shape.to_vec(), shape, "{name}");
        let labels: Vec<u32> = expected["labels_x_fastest"]
            .as_array()
            .expect("labels")
            .iter()
            .map(|v| v.as_u64().expect("label") as u32)
            .collect();
        let ours: Vec<u32> = (0..volume.labels.len())
            .map(|i| volume.labels.get(i))
            .collect();
        assert_eq!(ours, labels, "{name}");
        if expected.get("spacing").is_none() {
            continue; // 2D rasters carry no geometry
        }
        for (axis, want) in floats(&expected["spacing"]).into_iter().enumerate() {
            assert!(
                (volume.grid.spacing[axis] - want).abs() < 1e-6,
                "{name} spacing[{axis}]"
            );
        }
        // SimpleITK's direction matrix is row-major with column j the direction of axis j.
        let direction = floats(&expected["direction_row_major"]);
        for axis in 0..3 {
            for row in 0..3 {
                let want = direction[row * 3 + axis];
                assert!(
                    (volume.grid.direction[axis][row] - want).abs() < 1e-5,
                    "{name} direction axis {axis} row {row}"
                );
            }
        }
        for (c, want) in floats(&expected["origin"]).into_iter().enumerate() {
            assert!(
                (volume.grid.origin[c] - want).abs() < 1e-4,
                "{name} origin[{c}]"
            );
        }
    }
}

#[test]
fn the_same_grid_in_every_format_compares_equal() {
    let reference = read_label_volume(&data("oblique_n1.nii.gz")).expect("readable");
    for name in [
        "oblique_n2.nii",
        "oblique.mha",
        "oblique.mhd",
        "oblique.nrrd",
    ] {
        let other = read_label_volume(&data(name)).expect("readable");
        assert_eq!(reference.grid.mismatch(&other.grid, true), None, "{name}");
    }
}

fn copy_with(
    name: &str,
    edit: impl FnOnce(&mut Vec<u8>),
    new_name: &str,
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = std::fs::read(data(name)).expect("fixture");
    edit(&mut bytes);
    let path = dir.path().join(new_name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .expect("write");
    (dir, path)
}

fn assert_error_names_file(
    result: Result<impl std::fmt::Debug, ReadError>,
    path: &Path,
    needle: &str,
) {
    let err = result.expect_err("bad input must fail");
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "error does not name the file: {text}"
    );
    assert!(text.contains(needle), "expected '{needle}' in: {text}");
}

#[test]
fn truncated_gzip_is_an_error() {
    let (_dir, path) = copy_with(
        "ellipsoids_reference.nii.gz",
        |b| b.truncate(b.len() / 2),
        "cut.nii.gz",
    );
    assert_error_names_file(read_label_volume(&path), &path, "truncated");
}

#[test]
fn corrupt_gzip_is_an_error() {
    let (_dir, path) = copy_with(
        "ellipsoids_reference.nii.gz",
        |b| {
            let middle = b.len() / 2;
            for byte in &mut b[middle..middle + 40] {
                *byte ^= 0x5a;
            }
        },
        "corrupt.nii.gz",
    );
    assert_error_names_file(read_label_volume(&path), &path, "corrupt");
}

#[test]
fn corrupt_checksum_at_the_end_of_the_stream_is_noticed() {
    // Flip one byte of the gzip CRC32 trailer: every voxel decodes, the check must still fail.
    let (_dir, path) = copy_with(
        "ellipsoids_reference.nii.gz",
        |b| {
            let at = b.len() - 8;
            b[at] ^= 0xff;
        },
        "crc.nii.gz",
    );
    assert_error_names_file(read_label_volume(&path), &path, "corrupt");
}

#[test]
fn wrong_magic_is_an_error() {
    let (_dir, path) = copy_with(
        "oblique_n2.nii",
        |b| b[0..4].copy_from_slice(b"JUNK"),
        "junk.nii",
    );
    assert_error_names_file(read_label_volume(&path), &path, "not a NIfTI file");
    let (_dir, path) = copy_with(
        "oblique.nrrd",
        |b| b[0..4].copy_from_slice(b"XRRD"),
        "junk.nrrd",
    );
    assert_error_names_file(read_label_volume(&path), &path, "not a NRRD file");
    let (_dir, path) = copy_with("gray8.png", |b| b[1] = b'X', "junk.png");
    assert_error_names_file(read_label_volume(&path), &path, "PNG");
}

#[test]
fn truncated_voxel_data_is_an_error() {
    let (_dir, path) = copy_with("oblique_n2.nii", |b| b.truncate(b.len() - 10), "short.nii");
    assert_error_names_file(read_label_volume(&path), &path, "truncated");
}

#[test]
fn non_integer_labels_are_an_error_naming_the_voxel() {
    let path = data("float_labels.nii.gz");
    assert_error_names_file(
        read_label_volume(&path),
        &path,
        "voxel [1, 2, 3] has value 2.5, which is not an integer",
    );
}

#[test]
fn four_dimensional_volumes_are_an_error() {
    let path = data("four_d.nii.gz");
    assert_error_names_file(read_label_volume(&path), &path, "4-dimensional");
}

#[test]
fn colour_images_are_an_error() {
    let path = data("rgb.png");
    assert_error_names_file(read_label_volume(&path), &path, "grayscale or palette");
}

#[test]
fn missing_files_are_an_error() {
    let path = data("does_not_exist.nii.gz");
    assert_error_names_file(read_label_volume(&path), &path, "does_not_exist");
}

/// A NRRD header naming detached raw data, and a MetaImage header doing the same.
fn detached_headers(dir: &Path, data_file: &str) -> (PathBuf, PathBuf) {
    let nhdr = dir.join("mask.nhdr");
    std::fs::write(
        &nhdr,
        format!(
            "NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 2 1\nencoding: raw\ndata file: {data_file}\n"
        ),
    )
    .expect("write");
    let mhd = dir.join("mask.mhd");
    std::fs::write(
        &mhd,
        format!(
            "ObjectType = Image\nNDims = 3\nDimSize = 2 2 1\nElementType = MET_UCHAR\nElementDataFile = {data_file}\n"
        ),
    )
    .expect("write");
    (nhdr, mhd)
}

#[test]
fn detached_data_is_read_only_from_inside_the_header_folder() {
    let root = tempfile::tempdir().expect("temp dir");
    let home = root.path().join("case");
    std::fs::create_dir_all(home.join("data")).expect("mkdir");
    std::fs::write(home.join("data/mask.raw"), [0u8, 1, 1, 0]).expect("write");
    std::fs::write(root.path().join("secret.raw"), [7u8, 7, 7, 7]).expect("write");

    // Inside the header's folder tree, through a sub-folder: read.
    let (nhdr, mhd) = detached_headers(&home, "data/mask.raw");
    for header in [&nhdr, &mhd] {
        let volume = read_label_volume(header).unwrap_or_else(|e| panic!("{e}"));
        let labels: Vec<u32> = (0..4).map(|i| volume.labels.get(i)).collect();
        assert_eq!(labels, [0, 1, 1, 0], "{}", header.display());
    }

    // A `../` path, an absolute path and a link pointing out of the folder: refused.
    let outside = root.path().join("secret.raw");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, home.join("link.raw")).expect("symlink");
    let mut escapes = vec!["../secret.raw".to_owned(), outside.display().to_string()];
    if cfg!(unix) {
        escapes.push("link.raw".to_owned());
    }
    for escape in escapes {
        let (nhdr, mhd) = detached_headers(&home, &escape);
        for header in [&nhdr, &mhd] {
            let error = read_label_volume(header).expect_err("must be refused");
            let text = error.to_string();
            assert!(
                text.contains("outside the header's folder")
                    && text.contains(&header.display().to_string()),
                "{escape}: {text}"
            );
        }
    }
}
