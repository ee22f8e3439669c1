//! The boxes every convention evaluates, whatever file they came from: images and categories
//! in the order the evaluation visits them, ground-truth boxes and scored detections.

/// A box in both forms the conventions need: pycocotools works on `[x, y, w, h]` and the
/// VinDr (PASCAL VOC) rule on corners. Each form is kept as the input wrote it, so neither is
/// recomputed from the other (`x + (x2 - x) != x2` in floating point).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxCoords {
    /// `[x, y, width, height]`.
    pub xywh: [f64; 4],
    /// `[x1, y1, x2, y2]`.
    pub corners: [f64; 4],
}

impl BoxCoords {
    /// A box read as COCO writes it, `[x, y, w, h]`.
    pub fn from_xywh(xywh: [f64; 4]) -> Self {
        let [x, y, w, h] = xywh;
        Self {
            xywh,
            corners: [x, y, x + w, y + h],
        }
    }

    /// A box read as corners, `x1, y1, x2, y2`.
    pub fn from_corners(corners: [f64; 4]) -> Self {
        let [x1, y1, x2, y2] = corners;
        Self {
            xywh: [x1, y1, x2 - x1, y2 - y1],
            corners,
        }
    }
}

/// One ground-truth box.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruth {
    /// Index into [`Dataset::images`].
    pub image: usize,
    /// Index into [`Dataset::categories`].
    pub category: usize,
    /// The annotation id: pycocotools records matches by id, and an id of 0 reads as "no match".
    pub id: i64,
    /// The box.
    pub bbox: BoxCoords,
    /// The area the size ranges are judged by: COCO's `area` field (a mask's area on COCO
    /// itself), or the box area where the input has no such field.
    pub area: f64,
    /// A crowd region: ignored, and matched by any number of detections.
    pub crowd: bool,
}

/// One scored detection.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Index into [`Dataset::images`].
    pub image: usize,
    /// Index into [`Dataset::categories`].
    pub category: usize,
    /// The box.
    pub bbox: BoxCoords,
    /// The model's confidence; only its order matters.
    pub score: f64,
}

/// A category (class) as the output names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// How results are keyed: the COCO category id, or the CSV class name.
    pub key: String,
    /// A readable name (the COCO `name`, or the class name again).
    pub name: String,
}

/// A detection problem read from files: images and categories in evaluation order (COCO:
/// sorted by id, as pycocotools sorts them; CSV: images in the order the ground truth lists
/// them, classes by name), boxes in file order.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Image names (the COCO id as text, or the CSV image column).
    pub images: Vec<String>,
    /// Categories.
    pub categories: Vec<Category>,
    /// Ground-truth boxes, in file order.
    pub ground_truth: Vec<GroundTruth>,
    /// Detections, in file order.
    pub detections: Vec<Detection>,
    /// Records read but left out as pycocotools leaves them out, with the reason, for the
    /// output's notes (a detection of a category the ground truth does not list ...).
    pub left_out: Vec<String>,
}
