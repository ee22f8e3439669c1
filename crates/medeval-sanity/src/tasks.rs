//! The questions: each one answered by a header field or by a transform the builder applied.
//!
//! Every altered item that asks "was something done to this image?" has a negative control: the
//! same question about the unaltered image, marked `control: true`, whose right answer is "no
//! alteration". A model that reports flips, rotations or odd panels where there are none shows up
//! as false alarms on the controls.

use image::DynamicImage;
use image::imageops;
use medeval_perturb::SplitMix64;
use serde_json::{Map, Value, json};

/// One kind of sanity question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Task {
    /// Which modality acquired the image (from Modality, 0008,0060).
    Modality,
    /// Which body part is shown (from Body Part Examined, 0018,0015).
    BodyPart,
    /// Which plane a cross-sectional slice lies in (from Image Orientation (Patient)).
    Plane,
    /// Whether the image was mirrored left to right; controls are unmirrored.
    Flip,
    /// How the image was rotated; controls are unrotated.
    Rotation,
    /// Which of four panels differs; controls show four identical panels.
    OddPanel,
}

impl Task {
    /// Every task, in the order items are written.
    pub const ALL: [Task; 6] = [
        Self::Modality,
        Self::BodyPart,
        Self::Plane,
        Self::Flip,
        Self::Rotation,
        Self::OddPanel,
    ];

    /// The name used on the command line, in item ids and in the `task` metadata field.
    pub fn name(self) -> &'static str {
        match self {
            Self::Modality => "modality",
            Self::BodyPart => "body-part",
            Self::Plane => "plane",
            Self::Flip => "flip",
            Self::Rotation => "rotation",
            Self::OddPanel => "odd-panel",
        }
    }

    /// Parses a task name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Display names of modality codes (PS3.3 C.7.3.1.1.1) that the modality task asks about.
/// Codes not listed here get no modality question.
const MODALITIES: [(&[&str], &str); 8] = [
    (&["CT"], "CT"),
    (&["MR"], "MRI"),
    (&["CR", "DX", "DR"], "X-ray radiography"),
    (&["US"], "Ultrasound"),
    (&["PT"], "PET"),
    (&["NM"], "Nuclear medicine (scintigraphy)"),
    (&["MG"], "Mammography"),
    (&["XA"], "X-ray angiography"),
];

/// Body parts offered as distractors besides those found in the folder.
const BODY_PARTS: [&str; 10] = [
    "Head", "Chest", "Abdomen", "Pelvis", "Spine", "Knee", "Hand", "Foot", "Breast", "Shoulder",
];

/// Modalities whose slices have a meaningful acquisition plane.
const CROSS_SECTIONAL: [&str; 3] = ["CT", "MR", "PT"];

/// The smallest direction cosine of the slice normal along one patient axis for the slice to
/// count as lying in that plane (about 37 degrees of obliquity); more oblique slices get no
/// plane question.
const PLANE_COSINE: f64 = 0.8;

/// The display name of a modality code, when the modality task covers it.
pub fn modality_name(code: &str) -> Option<&'static str> {
    MODALITIES
        .iter()
        .find(|(codes, _)| codes.contains(&code))
        .map(|(_, name)| *name)
}

/// A Body Part Examined value as shown in a question: `CHEST` -> `Chest`, `L_SPINE` -> `L spine`.
pub fn body_part_name(value: &str) -> String {
    let lower = value.trim().replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => lower,
    }
}

/// The plane of a slice from Image Orientation (Patient): the slice normal is the cross product
/// of the row and column direction cosines; along the patient's x axis (right-left) the slice is
/// sagittal, along y (anterior-posterior) coronal, along z (feet-head) axial.
pub fn plane(orientation: &[f64; 6]) -> Option<&'static str> {
    let [rx, ry, rz, cx, cy, cz] = *orientation;
    let normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
    let length = normal.iter().map(|v| v * v).sum::<f64>().sqrt();
    if length.is_nan() || length <= 0.0 {
        return None;
    }
    let (axis, cosine) =
        normal
            .iter()
            .map(|v| (v / length).abs())
            .enumerate()
            .fold(
                (0, 0.0),
                |best, (i, c)| if c > best.1 { (i, c) } else { best },
            );
    if cosine < PLANE_COSINE {
        return None;
    }
    Some(["Sagittal", "Coronal", "Axial"][axis])
}

/// The image and header facts one source contributes, ready for questions.
#[derive(Debug, Clone)]
pub struct Source {
    /// Short id, `img0001`, prefix of its item ids and image file names.
    pub id: String,
    /// The rendered image.
    pub image: DynamicImage,
    /// Modality code.
    pub modality: Option<String>,
    /// Body Part Examined.
    pub body_part: Option<String>,
    /// Image Orientation (Patient).
    pub orientation: Option<[f64; 6]>,
    /// Cluster key (the study).
    pub cluster: String,
}

/// An image the benchmark needs written, by file name inside the images folder.
#[derive(Debug, Clone)]
pub struct ImageFile {
    /// File name, e.g. `img0001-flip.png`.
    pub name: String,
    /// Pixels.
    pub image: DynamicImage,
}

/// Items (native JSON Lines objects) and the images they refer to.
#[derive(Debug, Default)]
pub struct Generated {
    /// One JSON object per item, in the native item schema.
    pub items: Vec<Value>,
    /// Images to write, each referred to by at least one item.
    pub images: Vec<ImageFile>,
    /// Questions not asked about a source, and why.
    pub skipped: Vec<TaskSkip>,
}

/// A task that makes no item about one image, because the item would contradict its own
/// control: a flip or rotation that leaves the image unchanged, an odd panel identical to the
/// others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSkip {
    /// The image's source id (`img0001`).
    pub source_id: String,
    /// The task.
    pub task: Task,
    /// Why.
    pub reason: String,
}

/// Writes items for `tasks` about every source. `images_dir` is the images folder relative to
/// the items file (how items name their images). The random stream decides distractors, option
/// order, rotation angles, odd-panel partners and positions.
pub fn generate(sources: &[Source], tasks: &[Task], images_dir: &str, seed: u64) -> Generated {
    let mut rng = SplitMix64::new(seed);
    let mut out = Generated::default();
    let body_parts = distinct_body_parts(sources);
    for (index, source) in sources.iter().enumerate() {
        let mut writer = ItemWriter {
            source,
            images_dir,
            out: &mut out,
            original: None,
        };
        for task in tasks {
            match task {
                Task::Modality => writer.modality(&mut rng),
                Task::BodyPart => writer.body_part(&body_parts, &mut rng),
                Task::Plane => writer.plane(),
                Task::Flip => writer.flip(),
                Task::Rotation => writer.rotation(&mut rng),
                Task::OddPanel => {
                    if sources.len() > 1 {
                        let mut partner = pick(&mut rng, sources.len() - 1);
                        if partner >= index {
                            partner += 1;
                        }
                        writer.odd_panel(&sources[partner], &mut rng);
                    }
                }
            }
        }
    }
    out
}

fn distinct_body_parts(sources: &[Source]) -> Vec<String> {
    let mut parts: Vec<String> = sources
        .iter()
        .filter_map(|s| s.body_part.as_deref().map(body_part_name))
        .chain(BODY_PARTS.iter().map(|p| (*p).to_owned()))
        .collect();
    parts.sort_by_key(|p| p.to_lowercase());
    parts.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    parts
}

/// A uniform index below `n` (n > 0). The modulo bias is below 2^-40 for any realistic `n`.
fn pick(rng: &mut SplitMix64, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

fn shuffle<T>(rng: &mut SplitMix64, values: &mut [T]) {
    for i in (1..values.len()).rev() {
        values.swap(i, pick(rng, i + 1));
    }
}

/// `k` distinct values drawn from `pool`.
fn draw<T: Clone>(rng: &mut SplitMix64, pool: &[T], k: usize) -> Vec<T> {
    let mut pool = pool.to_vec();
    shuffle(rng, &mut pool);
    pool.truncate(k);
    pool
}

const LETTERS: [&str; 5] = ["A", "B", "C", "D", "E"];

/// Every key an item's `meta` may hold.
pub const META_FIELDS: [&str; 5] = ["task", "control", "transform", "source_id", "modality"];

struct ItemWriter<'a> {
    source: &'a Source,
    images_dir: &'a str,
    out: &'a mut Generated,
    /// The file name of the unaltered image, once written.
    original: Option<String>,
}

/// What an item says about itself beyond its question.
struct Facts<'a> {
    task: Task,
    control: bool,
    transform: &'a str,
}

impl ItemWriter<'_> {
    fn image(&mut self, suffix: &str, image: DynamicImage) -> String {
        let name = format!("{}{suffix}.png", self.source.id);
        self.out.images.push(ImageFile {
            name: name.clone(),
            image,
        });
        name
    }

    fn original(&mut self) -> String {
        if let Some(name) = &self.original {
            return name.clone();
        }
        let name = self.image("", self.source.image.clone());
        self.original = Some(name.clone());
        name
    }

    /// The item's metadata: what the item is (task, control, transform), the source id and the
    /// modality code, nothing else. No header field that could identify a patient, a study or a
    /// place (names, ids, dates, UIDs, institution) and no file path (folder names often carry
    /// patient names or ids) is ever written here; [`META_FIELDS`] lists every key.
    fn meta(&self, facts: &Facts<'_>) -> Map<String, Value> {
        let mut meta = Map::new();
        meta.insert("task".into(), facts.task.name().into());
        meta.insert("control".into(), facts.control.into());
        meta.insert("transform".into(), facts.transform.into());
        meta.insert("source_id".into(), self.source.id.clone().into());
        if let Some(modality) = &self.source.modality {
            meta.insert("modality".into(), modality.clone().into());
        }
        meta
    }

    fn push(
        &mut self,
        facts: Facts<'_>,
        image: &str,
        question: &str,
        options: Option<Map<String, Value>>,
        answer: &str,
    ) {
        let id = match facts.control {
            true => format!("{}-{}-control", self.source.id, facts.task.name()),
            false => format!("{}-{}", self.source.id, facts.task.name()),
        };
        let mut item = json!({
            "id": id,
            "question": question,
            "images": [format!("{}/{image}", self.images_dir)],
            "answer": answer,
            "answer_type": if options.is_some() { "mcq" } else { "closed" },
            "meta": self.meta(&facts),
            "cluster": self.source.cluster,
        });
        if let (Some(options), Some(object)) = (options, item.as_object_mut()) {
            object.insert("options".into(), Value::Object(options));
        }
        self.out.items.push(item);
    }

    fn mcq(
        &mut self,
        facts: Facts<'_>,
        image: &str,
        question: &str,
        options: &[&str],
        gold: usize,
    ) {
        let map: Map<String, Value> = options
            .iter()
            .zip(LETTERS)
            .map(|(text, letter)| (letter.to_owned(), (*text).into()))
            .collect();
        self.push(facts, image, question, Some(map), LETTERS[gold]);
    }

    /// Four options: the true name and three distractors, in seeded order.
    fn choice_of_four(
        &mut self,
        facts: Facts<'_>,
        question: &str,
        truth: &str,
        pool: &[&str],
        rng: &mut SplitMix64,
    ) {
        let distractors: Vec<&str> = pool
            .iter()
            .copied()
            .filter(|p| !p.eq_ignore_ascii_case(truth))
            .collect();
        let mut options = draw(rng, &distractors, 3);
        options.push(truth);
        shuffle(rng, &mut options);
        let gold = options.iter().position(|o| *o == truth).unwrap_or(0);
        let image = self.original();
        self.mcq(facts, &image, question, &options, gold);
    }

    fn modality(&mut self, rng: &mut SplitMix64) {
        let Some(truth) = self.source.modality.as_deref().and_then(modality_name) else {
            return;
        };
        let pool: Vec<&str> = MODALITIES.iter().map(|(_, name)| *name).collect();
        let facts = Facts {
            task: Task::Modality,
            control: false,
            transform: "none",
        };
        self.choice_of_four(
            facts,
            "Which imaging modality produced this image?",
            truth,
            &pool,
            rng,
        );
    }

    fn body_part(&mut self, pool: &[String], rng: &mut SplitMix64) {
        let Some(truth) = self.source.body_part.as_deref().map(body_part_name) else {
            return;
        };
        let pool: Vec<&str> = pool.iter().map(String::as_str).collect();
        let facts = Facts {
            task: Task::BodyPart,
            control: false,
            transform: "none",
        };
        self.choice_of_four(
            facts,
            "Which body part does this image show?",
            &truth,
            &pool,
            rng,
        );
    }

    fn plane(&mut self) {
        let cross_sectional = self
            .source
            .modality
            .as_deref()
            .is_some_and(|m| CROSS_SECTIONAL.contains(&m));
        let Some(truth) = self.source.orientation.as_ref().and_then(plane) else {
            return;
        };
        if !cross_sectional {
            return;
        }
        let options = ["Axial", "Coronal", "Sagittal"];
        let gold = options.iter().position(|o| *o == truth).unwrap_or(0);
        let image = self.original();
        let facts = Facts {
            task: Task::Plane,
            control: false,
            transform: "none",
        };
        self.mcq(
            facts,
            &image,
            "In which anatomical plane was this slice acquired?",
            &options,
            gold,
        );
    }

    /// Records that `task` makes no item about this source, and why.
    fn skip(&mut self, task: Task, reason: String) {
        self.out.skipped.push(TaskSkip {
            source_id: self.source.id.clone(),
            task,
            reason,
        });
    }

    fn flip(&mut self) {
        const QUESTION: &str = "Has this image been mirrored left to right (flipped horizontally) from its standard display orientation?";
        let flipped = self.source.image.fliph();
        if flipped == self.source.image {
            // The flipped image would be its own control: "yes" and "no" for the same pixels.
            self.skip(
                Task::Flip,
                "mirroring the image left to right leaves it unchanged (it is constant or left-right symmetric)".into(),
            );
            return;
        }
        let flipped = self.image("-flip", flipped);
        let facts = Facts {
            task: Task::Flip,
            control: false,
            transform: "flip-horizontal",
        };
        self.push(facts, &flipped, QUESTION, None, "yes");
        let original = self.original();
        let facts = Facts {
            task: Task::Flip,
            control: true,
            transform: "none",
        };
        self.push(facts, &original, QUESTION, None, "no");
    }

    fn rotation(&mut self, rng: &mut SplitMix64) {
        const QUESTION: &str =
            "Has this image been rotated from its standard display orientation, and if so, how?";
        const OPTIONS: [&str; 4] = [
            "Not rotated",
            "Rotated 90 degrees clockwise",
            "Rotated 180 degrees",
            "Rotated 90 degrees counter-clockwise",
        ];
        let turn = 1 + pick(rng, 3);
        let image = &self.source.image;
        // The image each option describes: the question is fair only when they all differ
        // (an image invariant under a half turn would make two options right, and a constant one
        // all four).
        let answers = [
            image.clone(),
            image.rotate90(),
            image.rotate180(),
            image.rotate270(),
        ];
        if let Some(other) = (0..4).find(|&k| k != turn && answers[k] == answers[turn]) {
            self.skip(
                Task::Rotation,
                format!(
                    "the image {} is identical to what the option \"{}\" shows (it is constant or rotationally symmetric)",
                    OPTIONS[turn].to_lowercase(),
                    OPTIONS[other]
                ),
            );
            return;
        }
        let [_, rot90, rot180, rot270] = answers;
        let (rotated, transform) = match turn {
            1 => (rot90, "rotate-90-clockwise"),
            2 => (rot180, "rotate-180"),
            _ => (rot270, "rotate-90-counter-clockwise"),
        };
        let name = self.image(&format!("-rot{}", turn * 90), rotated);
        let facts = Facts {
            task: Task::Rotation,
            control: false,
            transform,
        };
        self.mcq(facts, &name, QUESTION, &OPTIONS, turn);
        let original = self.original();
        let facts = Facts {
            task: Task::Rotation,
            control: true,
            transform: "none",
        };
        self.mcq(facts, &original, QUESTION, &OPTIONS, 0);
    }

    fn odd_panel(&mut self, partner: &Source, rng: &mut SplitMix64) {
        const QUESTION: &str = "This picture is a 2x2 grid of four panels. Which panel shows a different image from the other three?";
        const OPTIONS: [&str; 5] = [
            "Top left",
            "Top right",
            "Bottom left",
            "Bottom right",
            "None: all four panels show the same image",
        ];
        let position = pick(rng, 4);
        let base = &self.source.image;
        let odd =
            partner
                .image
                .resize_exact(base.width(), base.height(), imageops::FilterType::Triangle);
        if odd.to_rgb8() == base.to_rgb8() {
            self.skip(
                Task::OddPanel,
                format!(
                    "the image drawn as the odd panel ({}) is identical to this one at this size",
                    partner.id
                ),
            );
            return;
        }
        let mut panels = [base, base, base, base];
        panels[position] = &odd;
        let grid = self.image("-odd-panel", compose_grid(panels));
        let transform = format!("odd-panel:{}:{}", LETTERS[position], partner.id);
        let facts = Facts {
            task: Task::OddPanel,
            control: false,
            transform: &transform,
        };
        self.mcq(facts, &grid, QUESTION, &OPTIONS, position);
        let same = self.image("-odd-panel-control", compose_grid([base, base, base, base]));
        let facts = Facts {
            task: Task::OddPanel,
            control: true,
            transform: "none",
        };
        self.mcq(facts, &same, QUESTION, &OPTIONS, 4);
    }
}

/// Four equally sized panels in a 2x2 grid (top left, top right, bottom left, bottom right)
/// separated and framed by mid-grey gutters.
fn compose_grid(panels: [&DynamicImage; 4]) -> DynamicImage {
    let (width, height) = (panels[0].width(), panels[0].height());
    let gutter = (width.max(height) / 32).max(2);
    let colour = panels.iter().any(|p| p.color().has_color());
    let mut canvas = if colour {
        DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            2 * width + 3 * gutter,
            2 * height + 3 * gutter,
            image::Rgb([128, 128, 128]),
        ))
    } else {
        DynamicImage::ImageLuma8(image::GrayImage::from_pixel(
            2 * width + 3 * gutter,
            2 * height + 3 * gutter,
            image::Luma([128]),
        ))
    };
    for (i, panel) in panels.iter().enumerate() {
        let x = gutter + (i as u32 % 2) * (width + gutter);
        let y = gutter + (i as u32 / 2) * (height + gutter);
        let panel = match colour {
            true => DynamicImage::ImageRgb8(panel.to_rgb8()),
            false => DynamicImage::ImageLuma8(panel.to_luma8()),
        };
        imageops::replace(&mut canvas, &panel, i64::from(x), i64::from(y));
    }
    canvas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_follow_the_slice_normal() {
        // Axial: rows along +x, columns along +y; normal along z.
        assert_eq!(plane(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]), Some("Axial"));
        // Coronal: rows along +x, columns along -z; normal along y.
        assert_eq!(plane(&[1.0, 0.0, 0.0, 0.0, 0.0, -1.0]), Some("Coronal"));
        // Sagittal: rows along +y, columns along -z; normal along x.
        assert_eq!(plane(&[0.0, 1.0, 0.0, 0.0, 0.0, -1.0]), Some("Sagittal"));
        // Tilted 45 degrees between axial and coronal: no plane.
        let c = std::f64::consts::FRAC_1_SQRT_2;
        assert_eq!(plane(&[1.0, 0.0, 0.0, 0.0, c, -c]), None);
        // Degenerate cosines.
        assert_eq!(plane(&[0.0; 6]), None);
    }

    #[test]
    fn modality_codes_map_to_names() {
        assert_eq!(modality_name("DX"), Some("X-ray radiography"));
        assert_eq!(modality_name("MR"), Some("MRI"));
        assert_eq!(modality_name("SR"), None);
    }

    #[test]
    fn body_parts_read_as_words() {
        assert_eq!(body_part_name("CHEST"), "Chest");
        assert_eq!(body_part_name("L_SPINE "), "L spine");
    }

    #[test]
    fn grids_place_panels_in_reading_order() {
        let black = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(4, 2, image::Luma([0])));
        let white =
            DynamicImage::ImageLuma8(image::GrayImage::from_pixel(4, 2, image::Luma([255])));
        let grid = compose_grid([&black, &black, &black, &white]).to_luma8();
        // Gutter 2: panels start at x = 2 and 8, y = 2 and 6.
        assert_eq!(grid.dimensions(), (14, 10));
        assert_eq!(grid.get_pixel(2, 2).0, [0]);
        assert_eq!(grid.get_pixel(8, 6).0, [255]);
        assert_eq!(grid.get_pixel(11, 7).0, [255]);
        assert_eq!(grid.get_pixel(0, 0).0, [128]);
    }
}
