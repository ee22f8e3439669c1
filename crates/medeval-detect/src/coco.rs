//! COCO files: a ground-truth file (`images`, `annotations`, `categories`) and a results file
//! (a JSON list of `image_id`, `category_id`, `bbox`, `score`), read into a [`Dataset`] the way
//! pycocotools' `COCO` and `loadRes` read them.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::dataset::{BoxCoords, Category, Dataset, Detection, GroundTruth};
use crate::error::{DetectError, Result};

#[derive(Deserialize)]
struct GtFile {
    images: Option<Vec<RawImage>>,
    annotations: Option<Vec<RawAnnotation>>,
    categories: Option<Vec<RawCategory>>,
}

#[derive(Deserialize)]
struct RawImage {
    id: Option<i64>,
}

#[derive(Deserialize)]
struct RawCategory {
    id: Option<i64>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawAnnotation {
    id: Option<i64>,
    image_id: Option<i64>,
    category_id: Option<i64>,
    bbox: Option<Vec<f64>>,
    area: Option<f64>,
    iscrowd: Option<Crowd>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Crowd {
    Flag(bool),
    Number(f64),
}

#[derive(Deserialize)]
struct RawResult {
    image_id: Option<i64>,
    category_id: Option<i64>,
    bbox: Option<Vec<f64>>,
    score: Option<f64>,
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| DetectError::Read {
        path: path.to_owned(),
        source,
    })
}

fn json_error(path: &Path, err: &serde_json::Error, shape: &str) -> DetectError {
    DetectError::Json {
        path: path.to_owned(),
        message: format!("{err} (expected {shape})"),
    }
}

fn field_error(path: &Path, place: String, field: &str, problem: &str) -> DetectError {
    DetectError::Field {
        path: path.to_owned(),
        place,
        field: field.to_owned(),
        problem: problem.to_owned(),
    }
}

fn required<T>(
    value: Option<T>,
    path: &Path,
    place: &dyn Fn() -> String,
    field: &str,
) -> Result<T> {
    value.ok_or_else(|| field_error(path, place(), field, "is missing"))
}

fn bbox_of(raw: Option<Vec<f64>>, path: &Path, place: &dyn Fn() -> String) -> Result<BoxCoords> {
    let values = required(raw, path, place, "bbox")?;
    let xywh: [f64; 4] = values.try_into().map_err(|v: Vec<f64>| {
        field_error(
            path,
            place(),
            "bbox",
            &format!(
                "has {} numbers; a COCO box is [x, y, width, height]",
                v.len()
            ),
        )
    })?;
    if xywh.iter().any(|v| !v.is_finite()) {
        return Err(field_error(
            path,
            place(),
            "bbox",
            "holds a number that is not finite",
        ));
    }
    Ok(BoxCoords::from_xywh(xywh))
}

/// Reads a COCO ground-truth file. Images and categories are sorted by id, as pycocotools
/// sorts them (a repeated id counts once). An annotation on an image or category the file does
/// not list is left out, as pycocotools leaves it out, and noted. `iscrowd` missing reads as 0
/// (pycocotools fails on it); `area` missing is an error, because the size ranges are judged by
/// it.
pub fn read_ground_truth(path: &Path) -> Result<Dataset> {
    let bytes = read_bytes(path)?;
    let file: GtFile = serde_json::from_slice(&bytes).map_err(|e| {
        json_error(
            path,
            &e,
            "an object with images, annotations and categories",
        )
    })?;
    let mut image_ids = Vec::new();
    for (i, image) in file.images.unwrap_or_default().into_iter().enumerate() {
        image_ids.push(required(image.id, path, &|| format!("images[{i}]"), "id")?);
    }
    image_ids.sort_unstable();
    image_ids.dedup();
    let mut categories = Vec::new();
    for (i, category) in file.categories.unwrap_or_default().into_iter().enumerate() {
        let id = required(category.id, path, &|| format!("categories[{i}]"), "id")?;
        categories.push((id, category.name.unwrap_or_default()));
    }
    categories.sort_by_key(|c| c.0);
    categories.dedup_by_key(|c| c.0);
    let image_index: HashMap<i64, usize> = image_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let category_index: HashMap<i64, usize> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.0, i))
        .collect();
    let mut dataset = Dataset {
        images: image_ids.iter().map(i64::to_string).collect(),
        categories: categories
            .iter()
            .map(|(id, name)| Category {
                key: id.to_string(),
                name: name.clone(),
            })
            .collect(),
        ..Dataset::default()
    };
    let mut unlisted = 0_usize;
    for (i, raw) in file.annotations.unwrap_or_default().into_iter().enumerate() {
        let place = || format!("annotations[{i}]");
        let id = required(raw.id, path, &place, "id")?;
        let image_id = required(raw.image_id, path, &place, "image_id")?;
        let category_id = required(raw.category_id, path, &place, "category_id")?;
        let bbox = bbox_of(raw.bbox, path, &place)?;
        let area = raw.area.ok_or_else(|| {
            field_error(
                path,
                place(),
                "area",
                "is missing; the size ranges (small, medium, large) are judged by it (use the \
                 box area, width * height, if there is no mask)",
            )
        })?;
        let crowd = match raw.iscrowd {
            None => false,
            Some(Crowd::Flag(flag)) => flag,
            Some(Crowd::Number(n)) => n != 0.0,
        };
        match (image_index.get(&image_id), category_index.get(&category_id)) {
            (Some(&image), Some(&category)) => dataset.ground_truth.push(GroundTruth {
                image,
                category,
                id,
                bbox,
                area,
                crowd,
            }),
            _ => unlisted += 1,
        }
    }
    if unlisted > 0 {
        dataset.left_out.push(format!(
            "{unlisted} ground-truth annotations of {} are on an image or category the file does \
             not list; left out, as pycocotools leaves them out",
            path.display()
        ));
    }
    Ok(dataset)
}

/// Reads a COCO results file into `dataset`: every detection's image must be one of the
/// ground truth's images (pycocotools refuses the file otherwise; here the error names the
/// detection). A detection of a category the ground truth does not list is left out, as
/// pycocotools leaves it out, and noted.
pub fn read_results(path: &Path, dataset: &mut Dataset) -> Result<()> {
    let bytes = read_bytes(path)?;
    let results: Vec<RawResult> = serde_json::from_slice(&bytes).map_err(|e| {
        json_error(
            path,
            &e,
            "a list of objects with image_id, category_id, bbox and score",
        )
    })?;
    // The ground truth was read from COCO, so its keys are the integer ids as text.
    let image_index: HashMap<i64, usize> = dataset
        .images
        .iter()
        .enumerate()
        .filter_map(|(i, id)| Some((id.parse().ok()?, i)))
        .collect();
    let category_index: HashMap<i64, usize> = dataset
        .categories
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((c.key.parse().ok()?, i)))
        .collect();
    let mut detections = Vec::with_capacity(results.len());
    let mut unknown_category = 0_usize;
    for (i, raw) in results.into_iter().enumerate() {
        let place = || format!("[{i}]");
        let image_id = required(raw.image_id, path, &place, "image_id")?;
        let category_id = required(raw.category_id, path, &place, "category_id")?;
        let bbox = bbox_of(raw.bbox, path, &place)?;
        let score = required(raw.score, path, &place, "score")?;
        if !score.is_finite() {
            return Err(field_error(
                path,
                place(),
                "score",
                "is not a finite number",
            ));
        }
        let Some(&image) = image_index.get(&image_id) else {
            return Err(field_error(
                path,
                place(),
                "image_id",
                &format!(
                    "is {image_id}, which is not an image of the ground truth; results must \
                     refer to the ground truth's image ids"
                ),
            ));
        };
        match category_index.get(&category_id) {
            Some(&category) => detections.push(Detection {
                image,
                category,
                bbox,
                score,
            }),
            None => unknown_category += 1,
        }
    }
    if unknown_category > 0 {
        dataset.left_out.push(format!(
            "{unknown_category} detections in {} have a category_id the ground truth does not \
             list; left out, as pycocotools leaves them out",
            path.display()
        ));
    }
    dataset.detections = detections;
    Ok(())
}
