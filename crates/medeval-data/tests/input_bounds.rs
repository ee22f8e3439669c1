//! Bounded reading and containment at the data boundary: an over-long JSON Lines line, an
//! over-large image and an image or image root outside the folder of the file that names it are
//! errors naming file, line (or row) and field, raised before anything is sent.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use medeval_core::Image;
use medeval_data::{
    Card, CardOrigin, FileRoots, RowCountPolicy, load, load_within, read_items, read_items_within,
};

/// A 1x1 PNG.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x01, 0x48, 0xaf, 0xa4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

fn write(path: &Path, content: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// One closed item whose `images` are `images`, as a JSON line.
fn item_line(id: &str, images: &[&str]) -> String {
    format!(
        r#"{{"id": "{id}", "question": "Fracture?", "answer": "no", "images": {}}}"#,
        serde_json::to_string(images).unwrap()
    )
}

fn error_text(result: Result<impl std::fmt::Debug, impl std::fmt::Display>, dir: &Path) -> String {
    result
        .expect_err("must be refused")
        .to_string()
        .replace(&dir.display().to_string(), "DIR")
}

#[test]
fn a_line_over_sixteen_mebibytes_is_refused_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.jsonl");
    // A valid item whose question alone is 17 MiB: read whole before, refused now.
    let long = format!(
        r#"{{"id": "q2", "question": "{}", "answer": "no"}}"#,
        "x".repeat(17 << 20)
    );
    write(
        &path,
        format!(
            "{}\n{long}\n{}\n",
            item_line("q1", &[]),
            item_line("q3", &[])
        ),
    );
    assert_eq!(
        error_text(read_items(&path), dir.path()),
        "DIR/items.jsonl:2: line is longer than 16 MiB, the limit for one JSON Lines line; keep \
         large data (base64 images) in files and name them instead"
    );
}

#[test]
fn an_image_over_the_limit_is_refused_at_load_naming_line_field_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("img/huge.png");
    write(&huge, PNG_1X1);
    // Sparse: 2 GiB on paper, nothing on disk.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    write(&dir.path().join("img/ok.png"), PNG_1X1);
    let path = dir.path().join("items.jsonl");
    write(
        &path,
        format!(
            "{}\n{}\n",
            item_line("q1", &["img/ok.png"]),
            item_line("q2", &["img/ok.png", "img/huge.png", "img/huge.png"])
        ),
    );
    assert_eq!(
        error_text(read_items(&path), dir.path()),
        "DIR/items.jsonl:2: field `images[1]`: image file DIR/img/huge.png is 2147483648 bytes, \
         more than the 64 MiB limit for one image; downscale or re-encode it (a model sees a few \
         megapixels at most)"
    );
}

#[test]
fn item_images_outside_the_items_folder_need_an_image_root() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("bench");
    let shared = root.path().join("shared");
    write(&home.join("img/a.png"), PNG_1X1);
    write(&shared.join("b.png"), PNG_1X1);
    let absolute = shared.join("b.png").display().to_string();
    let path = home.join("items.jsonl");

    for reference in ["../shared/b.png", absolute.as_str()] {
        write(
            &path,
            format!("{}\n", item_line("q1", &["img/a.png", reference])),
        );
        let error = error_text(read_items(&path), root.path());
        assert_eq!(
            error,
            format!(
                "DIR/bench/items.jsonl:1: field `images[1]`: image file {} resolves to \
                 DIR/shared/b.png, outside the items file's folder DIR/bench; medeval opens only \
                 files inside the folder of the file that names them, or inside a folder named \
                 with --image-root",
                home.join(reference)
                    .display()
                    .to_string()
                    .replace(&root.path().display().to_string(), "DIR")
            )
        );
        // Named on the command line, the folder is allowed.
        let roots = FileRoots::new(std::slice::from_ref(&shared)).unwrap();
        let items = read_items_within(&path, &roots).unwrap().items;
        assert_eq!(items[0].images.len(), 2, "{reference}");
    }

    // A link inside the folder that points out of it is judged by where it points.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(shared.join("b.png"), home.join("img/link.png")).unwrap();
        write(&path, format!("{}\n", item_line("q1", &["img/link.png"])));
        let error = error_text(read_items(&path), root.path());
        assert!(
            error.starts_with("DIR/bench/items.jsonl:1: field `images[0]`: image file")
                && error.contains("resolves to DIR/shared/b.png, outside"),
            "{error}"
        );
    }

    // Inside the folder, `..` that stays inside is fine.
    write(
        &path,
        format!("{}\n", item_line("q1", &["img/../img/a.png"])),
    );
    let items = read_items(&path).unwrap().items;
    assert_eq!(
        items[0].images[0],
        Image::Path(home.join("img/../img/a.png"))
    );
}

/// A user card reading a JSON Lines file whose `image` column holds paths under `ROOTS`.
fn card_with_roots(roots: &str) -> Card {
    let text = format!(
        r#"
name = "my-bench"
title = "Mine"
split = "test"
layout = "jsonl"
files = ["test.jsonl"]

[item]
id = "{{id}}"
question = "{{question}}"
answer = "answer"
answer_type = "closed-if-yes-no"
images = ["image"]
image_roots = {roots}
"#
    );
    Card::parse(&text, CardOrigin::File("my-card.toml".into())).unwrap()
}

fn bench_folder(dir: &Path, image: &str) -> PathBuf {
    let home = dir.join("my-bench");
    write(
        &home.join("test.jsonl"),
        format!(r#"{{"id": "1", "question": "Fracture?", "answer": "no", "image": "{image}"}}"#),
    );
    home
}

#[test]
fn card_image_roots_outside_the_benchmark_folder_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let home = bench_folder(root.path(), "b.png");
    write(&root.path().join("shared/b.png"), PNG_1X1);
    let shared = root.path().join("shared");

    let cases = [
        format!("[{:?}]", shared.display().to_string()),
        r#"["../shared"]"#.to_owned(),
        r#"["/etc"]"#.to_owned(),
        r#"["../.."]"#.to_owned(),
    ];
    for roots in &cases {
        let error = error_text(
            load(
                &card_with_roots(roots),
                &BTreeMap::new(),
                &home,
                RowCountPolicy::AllowMismatch,
            ),
            root.path(),
        );
        assert!(
            error.starts_with("my-bench: DIR/my-bench: the card's image_roots: image root")
                && error.contains("outside the benchmark folder DIR/my-bench"),
            "{roots}: {error}"
        );
    }

    // The user may name the folder on the command line.
    let allowed = FileRoots::new(std::slice::from_ref(&shared)).unwrap();
    let loaded = load_within(
        &card_with_roots(r#"["../shared"]"#),
        &BTreeMap::new(),
        &home,
        RowCountPolicy::AllowMismatch,
        &allowed,
    )
    .unwrap();
    assert_eq!(loaded.items[0].images.len(), 1);
}

#[cfg(unix)]
#[test]
fn a_card_image_linked_from_outside_the_benchmark_folder_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let home = bench_folder(root.path(), "scan.png");
    write(&root.path().join("elsewhere/scan.png"), PNG_1X1);
    std::fs::create_dir_all(home.join("imgs")).unwrap();
    std::os::unix::fs::symlink(
        root.path().join("elsewhere/scan.png"),
        home.join("imgs/scan.png"),
    )
    .unwrap();
    let error = error_text(
        load(
            &card_with_roots(r#"["imgs"]"#),
            &BTreeMap::new(),
            &home,
            RowCountPolicy::AllowMismatch,
        ),
        root.path(),
    );
    assert!(
        error.contains(
            "image scan.png resolves to DIR/elsewhere/scan.png, outside the benchmark folder"
        ),
        "{error}"
    );
}
