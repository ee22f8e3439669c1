//! Boxes as CSV: a ground-truth file with columns `image, class, x1, y1, x2, y2` and a
//! detections file with the same columns and `score`. Images and classes come from the ground
//! truth; an image without boxes is a row with an empty class (and empty coordinates).
//!
//! The boxes become a [`Dataset`] as COCO would hold them: images in the order the ground truth
//! first lists them, classes sorted by name, annotation ids 1, 2, ... in row order (so the
//! `gt-id-zero` quirk cannot arise), the area of each box as its `area`, nothing crowd.

use std::collections::HashMap;
use std::path::Path;

use crate::dataset::{BoxCoords, Category, Dataset, Detection, GroundTruth};
use crate::error::{DetectError, Result};

const GT_COLUMNS: [&str; 6] = ["image", "class", "x1", "y1", "x2", "y2"];

pub(crate) struct Table {
    pub(crate) columns: Vec<usize>,
    pub(crate) rows: Vec<(u64, csv::StringRecord)>,
}

pub(crate) fn read_table(path: &Path, wanted: &[&str]) -> Result<Table> {
    let file = std::fs::File::open(path).map_err(|source| DetectError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let csv_error = |e: csv::Error| DetectError::Csv {
        path: path.to_owned(),
        row: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    let header_names: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut columns = Vec::with_capacity(wanted.len());
    for name in wanted {
        let Some(at) = header_names.iter().position(|h| h == name) else {
            return Err(DetectError::MissingColumn {
                path: path.to_owned(),
                column: (*name).to_owned(),
                found: header_names.join(", "),
                hint: format!("the file needs the columns {}", wanted.join(", ")),
            });
        };
        columns.push(at);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        rows.push((line, record));
    }
    Ok(Table { columns, rows })
}

pub(crate) fn cell<'a>(table: &Table, record: &'a csv::StringRecord, column: usize) -> &'a str {
    record.get(table.columns[column]).unwrap_or("")
}

pub(crate) fn number(path: &Path, row: u64, field: &str, text: &str) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(DetectError::Field {
            path: path.to_owned(),
            place: format!("row {row}"),
            field: field.to_owned(),
            problem: if text.is_empty() {
                "is empty; every box needs x1, y1, x2, y2 (leave the class empty for an image \
                 without boxes)"
                    .to_owned()
            } else {
                format!("is {text:?}, not a finite number")
            },
        }),
    }
}

fn corners(path: &Path, table: &Table, row: u64, record: &csv::StringRecord) -> Result<BoxCoords> {
    let mut values = [0.0; 4];
    for (i, value) in values.iter_mut().enumerate() {
        *value = number(path, row, GT_COLUMNS[2 + i], cell(table, record, 2 + i))?;
    }
    for (low, high) in [(0, 2), (1, 3)] {
        if values[high] < values[low] {
            return Err(DetectError::Field {
                path: path.to_owned(),
                place: format!("row {row}"),
                field: GT_COLUMNS[2 + high].to_owned(),
                problem: format!(
                    "is {} but {} is {}: boxes are corners x1, y1, x2, y2 with x2 >= x1 and \
                     y2 >= y1 (not x, y, width, height)",
                    values[high],
                    GT_COLUMNS[2 + low],
                    values[low]
                ),
            });
        }
    }
    Ok(BoxCoords::from_corners(values))
}

/// Reads a ground-truth CSV and a detections CSV into a [`Dataset`]. A detection on an image
/// the ground truth does not list is an error naming its row; a detection of a class the
/// ground truth does not have is left out (it cannot change a mean over classes with ground
/// truth) and noted.
pub fn read_csv_dataset(gt_path: &Path, dt_path: &Path) -> Result<Dataset> {
    let gt = read_table(gt_path, &GT_COLUMNS)?;
    let mut image_index: HashMap<String, usize> = HashMap::new();
    let mut images: Vec<String> = Vec::new();
    let mut boxes: Vec<(usize, String, BoxCoords)> = Vec::new();
    for (row, record) in &gt.rows {
        let image = cell(&gt, record, 0);
        if image.is_empty() {
            return Err(DetectError::Field {
                path: gt_path.to_owned(),
                place: format!("row {row}"),
                field: "image".to_owned(),
                problem: "is empty; every row names its image".to_owned(),
            });
        }
        let index = *image_index.entry(image.to_owned()).or_insert_with(|| {
            images.push(image.to_owned());
            images.len() - 1
        });
        let class = cell(&gt, record, 1);
        if class.is_empty() {
            continue;
        }
        boxes.push((
            index,
            class.to_owned(),
            corners(gt_path, &gt, *row, record)?,
        ));
    }
    let mut classes: Vec<String> = boxes.iter().map(|b| b.1.clone()).collect();
    classes.sort();
    classes.dedup();
    let class_index: HashMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let ground_truth = boxes
        .iter()
        .enumerate()
        .map(|(i, (image, class, bbox))| GroundTruth {
            image: *image,
            category: class_index[class.as_str()],
            id: i as i64 + 1,
            bbox: *bbox,
            area: bbox.xywh[2] * bbox.xywh[3],
            crowd: false,
        })
        .collect();
    let mut dt_columns = GT_COLUMNS.to_vec();
    dt_columns.push("score");
    let dt = read_table(dt_path, &dt_columns)?;
    let mut detections = Vec::with_capacity(dt.rows.len());
    let mut unknown_class = 0_usize;
    for (row, record) in &dt.rows {
        let image_name = cell(&dt, record, 0);
        let Some(&image) = image_index.get(image_name) else {
            return Err(DetectError::Field {
                path: dt_path.to_owned(),
                place: format!("row {row}"),
                field: "image".to_owned(),
                problem: format!(
                    "is {image_name:?}, which the ground truth does not list; list every \
                     evaluated image in the ground truth (with an empty class if it has no boxes)"
                ),
            });
        };
        let class = cell(&dt, record, 1);
        let bbox = corners(dt_path, &dt, *row, record)?;
        let score = number(dt_path, *row, "score", cell(&dt, record, 6))?;
        match class_index.get(class) {
            Some(&category) => detections.push(Detection {
                image,
                category,
                bbox,
                score,
            }),
            None => unknown_class += 1,
        }
    }
    let mut left_out = Vec::new();
    if unknown_class > 0 {
        left_out.push(format!(
            "{unknown_class} detections in {} are of a class without ground truth; left out \
             (no class without ground truth enters the mean)",
            dt_path.display()
        ));
    }
    Ok(Dataset {
        images,
        categories: classes
            .iter()
            .map(|c| Category {
                key: c.clone(),
                name: c.clone(),
            })
            .collect(),
        ground_truth,
        detections,
        left_out,
    })
}
