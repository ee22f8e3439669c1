//! Variants: deterministic transformations of a benchmark's items.
//!
//! A variant item is an ordinary [`Item`] whose id is the source id plus a tag
//! (`q12~shift2`, `q12~no-image`, `q12~jpeg@3`) and whose metadata points back to its source
//! (`source_id`, `variant`, `variant_param`). Everything downstream (resume, cache, scoring,
//! statistics) works on variant items unchanged; the probe reports use the metadata to pair them
//! with the clean run. Variant copies of one item share a cluster (the source's cluster, else its
//! id), so intervals treat them as the correlated answers they are.

use std::fmt;

use medeval_core::digest::Sha256Hasher;
use medeval_core::{
    AnswerType, Corruption, Gold, Image, ImageTransform, Item, Letter, Options, SplitMix64,
};

/// Metadata key holding the id of the item a variant item was made from.
pub const SOURCE_ID: &str = "source_id";
/// Metadata key holding the variant's kind (`shift`, `no-image`, `jpeg` ...).
pub const VARIANT: &str = "variant";
/// Metadata key holding the variant's parameter (shift number, severity ...).
pub const VARIANT_PARAM: &str = "variant_param";

/// A probe variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variant {
    /// Every circular shift of each mcq item's options (CircularEval).
    Circular,
    /// `k` seeded permutations of each mcq item's options, the first being the original order.
    Permute {
        /// Number of orders per item, at least 2.
        k: u32,
    },
    /// The images removed (and `<image N>` tokens with them).
    NoImage,
    /// Every image replaced by a black image of the same size.
    BlankImage,
    /// Each item's images replaced by those of another item with a different cluster (seeded).
    MismatchedImage,
    /// A corruption at one or more severities; one copy of each item per severity.
    Corrupt {
        /// The corruption.
        corruption: Corruption,
        /// Severities, ascending, each 1-5.
        severities: Vec<u8>,
    },
}

/// Most option orders `permute:K` takes. Order-sensitivity studies use a handful (circular
/// evaluation uses one per option, at most 26); each order is one more request per item, so a
/// mistyped K would otherwise multiply a run's cost without bound.
pub const MAX_ORDERS: u32 = 100;

/// Why a variant specification or expansion failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariantError {
    /// The specification is not understood.
    #[error(
        "unknown variant {0:?}; expected circular, permute:K, no-image, blank-image, mismatched-image or corrupt:NAME@SEVERITY (e.g. corrupt:jpeg@3, corrupt:gaussian-noise@1..5)"
    )]
    Unknown(String),
    /// The corruption name is not known.
    #[error("unknown corruption {name:?}; known: {known}")]
    UnknownCorruption {
        /// The name given.
        name: String,
        /// The known names.
        known: String,
    },
    /// A severity outside 1-5 or a malformed range.
    #[error("severity {0:?} is not 1-5 or a range such as 1..5")]
    Severity(String),
    /// The items cannot carry this variant.
    #[error("{0}")]
    NotApplicable(String),
    /// More option orders than a permutation probe can use.
    #[error(
        "permute:{0} asks for more orders than the {MAX_ORDERS} a permutation probe uses; every order is a request per item"
    )]
    TooManyOrders(u32),
}

impl Variant {
    /// Parses a specification: `circular`, `permute:K`, `no-image`, `blank-image`,
    /// `mismatched-image`, `corrupt:NAME@S` or `corrupt:NAME@A..B`.
    pub fn parse(spec: &str) -> Result<Self, VariantError> {
        let unknown = || VariantError::Unknown(spec.to_owned());
        match spec {
            "circular" => return Ok(Self::Circular),
            "no-image" => return Ok(Self::NoImage),
            "blank-image" => return Ok(Self::BlankImage),
            "mismatched-image" => return Ok(Self::MismatchedImage),
            _ => {}
        }
        if let Some(k) = spec.strip_prefix("permute:") {
            let k: u32 = k.parse().map_err(|_| unknown())?;
            if k > MAX_ORDERS {
                return Err(VariantError::TooManyOrders(k));
            }
            if k < 2 {
                return Err(VariantError::NotApplicable(
                    "permute:K needs K of at least 2 orders".into(),
                ));
            }
            return Ok(Self::Permute { k });
        }
        let rest = spec.strip_prefix("corrupt:").ok_or_else(unknown)?;
        let (name, severities) = rest.split_once('@').ok_or_else(unknown)?;
        let corruption =
            Corruption::parse(name).ok_or_else(|| VariantError::UnknownCorruption {
                name: name.to_owned(),
                known: Corruption::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let severity = |text: &str| -> Result<u8, VariantError> {
            text.parse::<u8>()
                .ok()
                .filter(|s| (1..=5).contains(s))
                .ok_or_else(|| VariantError::Severity(severities.to_owned()))
        };
        let severities = match severities.split_once("..") {
            Some((from, to)) => {
                let (from, to) = (severity(from)?, severity(to)?);
                if from > to {
                    return Err(VariantError::Severity(severities.to_owned()));
                }
                (from..=to).collect()
            }
            None => vec![severity(severities)?],
        };
        Ok(Self::Corrupt {
            corruption,
            severities,
        })
    }

    /// Whether the variant makes random choices (and so depends on a seed).
    pub fn is_seeded(&self) -> bool {
        matches!(
            self,
            Self::Permute { .. } | Self::MismatchedImage | Self::Corrupt { .. }
        )
    }

    /// The specification recorded in a run manifest: the canonical spec, plus the seed for
    /// variants that use one (`mismatched-image seed=7`).
    pub fn recorded(&self, seed: u64) -> String {
        if self.is_seeded() {
            format!("{self} seed={seed}")
        } else {
            self.to_string()
        }
    }

    /// Parses a recorded specification back (the seed is ignored).
    pub fn parse_recorded(recorded: &str) -> Result<Self, VariantError> {
        Self::parse(recorded.split(" seed=").next().unwrap_or(recorded))
    }

    /// Expands `items` into variant items. `seed` drives every random choice.
    pub fn expand(&self, items: &[Item], seed: u64) -> Result<Expansion, VariantError> {
        let mut expansion = Expansion::default();
        match self {
            Self::Circular | Self::Permute { .. } => {
                for item in items {
                    if item.answer_type() != AnswerType::Mcq {
                        expansion.left_out += 1;
                        continue;
                    }
                    let (kind, orders) = match self {
                        Self::Permute { k } => ("order", seeded_orders(item, *k, seed)),
                        _ => ("shift", circular_orders(item.options.len())),
                    };
                    for (index, order) in orders.iter().enumerate() {
                        expansion
                            .items
                            .push(reorder(item, order, kind, index, &tag(kind, index)));
                    }
                }
                if expansion.items.is_empty() {
                    return Err(VariantError::NotApplicable(format!(
                        "{self} needs multiple-choice items; none of the {} items has options",
                        items.len()
                    )));
                }
            }
            Self::NoImage => {
                for item in expansion.with_images(items) {
                    let mut copy = derived(item, "no-image", "none", "no-image");
                    copy.images.clear();
                    copy.question = strip_image_tokens(&copy.question);
                    expansion.items.push(copy);
                }
            }
            Self::BlankImage => {
                for item in expansion.with_images(items) {
                    let mut copy = derived(item, "blank-image", "blank", "blank-image");
                    copy.images = item
                        .images
                        .iter()
                        .map(|image| Image::Derived {
                            source: Box::new(image.clone()),
                            transform: ImageTransform::Blank,
                        })
                        .collect();
                    expansion.items.push(copy);
                }
            }
            Self::MismatchedImage => {
                let donors = mismatched_donors(items, seed)?;
                for (index, item) in items.iter().enumerate() {
                    if item.images.is_empty() {
                        expansion.left_out += 1;
                        continue;
                    }
                    let mut copy = derived(item, "mismatched-image", "", "mismatched-image");
                    if let Some(donor) = donors[index] {
                        copy.images = items[donor].images.clone();
                        copy.meta
                            .insert(VARIANT_PARAM.into(), items[donor].id.clone().into());
                    }
                    expansion.items.push(copy);
                }
            }
            Self::Corrupt {
                corruption,
                severities,
            } => {
                let with_images = expansion.with_images(items);
                for &severity in severities {
                    for &item in &with_images {
                        let label = format!("{}@{severity}", corruption.as_str());
                        let mut copy = derived(item, corruption.as_str(), "", &label);
                        copy.meta
                            .insert(VARIANT_PARAM.into(), u64::from(severity).into());
                        copy.images = item
                            .images
                            .iter()
                            .enumerate()
                            .map(|(position, image)| Image::Derived {
                                source: Box::new(image.clone()),
                                transform: ImageTransform::Corrupt {
                                    corruption: *corruption,
                                    severity,
                                    seed: derive_seed(seed, &item.id, position),
                                },
                            })
                            .collect();
                        expansion.items.push(copy);
                    }
                }
            }
        }
        if expansion.items.is_empty() {
            return Err(VariantError::NotApplicable(format!(
                "{self} needs items with images; none of the {} items has one",
                items.len()
            )));
        }
        Ok(expansion)
    }

    /// What the items a variant leaves out lack, for the note a run prints.
    pub fn applies_to(&self) -> &'static str {
        match self {
            Self::Circular | Self::Permute { .. } => "multiple-choice items",
            _ => "items with images",
        }
    }
}

impl fmt::Display for Variant {
    /// The canonical specification, recorded in run manifests.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Circular => f.write_str("circular"),
            Self::Permute { k } => write!(f, "permute:{k}"),
            Self::NoImage => f.write_str("no-image"),
            Self::BlankImage => f.write_str("blank-image"),
            Self::MismatchedImage => f.write_str("mismatched-image"),
            Self::Corrupt {
                corruption,
                severities,
            } => {
                let (first, last) = (
                    severities.first().copied().unwrap_or(1),
                    severities.last().copied().unwrap_or(1),
                );
                let contiguous = severities.len() == usize::from(last - first) + 1;
                if severities.len() == 1 {
                    write!(f, "corrupt:{}@{first}", corruption.as_str())
                } else if contiguous {
                    write!(f, "corrupt:{}@{first}..{last}", corruption.as_str())
                } else {
                    let list: Vec<String> = severities.iter().map(u8::to_string).collect();
                    write!(f, "corrupt:{}@{}", corruption.as_str(), list.join("+"))
                }
            }
        }
    }
}

/// The items of a variant run.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// Variant items, in order.
    pub items: Vec<Item>,
    /// Source items the variant does not apply to (non-mcq items for option permutations,
    /// items without images for image variants).
    pub left_out: usize,
}

impl Expansion {
    /// The items that have images; the others are counted as left out.
    fn with_images<'a>(&mut self, items: &'a [Item]) -> Vec<&'a Item> {
        let with: Vec<&Item> = items.iter().filter(|i| !i.images.is_empty()).collect();
        self.left_out += items.len() - with.len();
        with
    }
}

fn tag(kind: &str, index: usize) -> String {
    format!("{kind}{index}")
}

/// A copy of `item` as a variant item: new id, source pointers, shared cluster.
fn derived(item: &Item, kind: &str, param: &str, id_tag: &str) -> Item {
    let mut copy = item.clone();
    copy.id = format!("{}~{id_tag}", item.id);
    copy.cluster = Some(item.cluster.clone().unwrap_or_else(|| item.id.clone()));
    copy.meta.insert(SOURCE_ID.into(), item.id.clone().into());
    copy.meta.insert(VARIANT.into(), kind.into());
    if !param.is_empty() {
        copy.meta.insert(VARIANT_PARAM.into(), param.into());
    }
    copy
}

/// `order[i]` is the index of the original option shown at position `i`.
fn reorder(item: &Item, order: &[usize], kind: &str, index: usize, id_tag: &str) -> Item {
    let original: Vec<(&Letter, &String)> = item.options.iter().collect();
    let mut copy = derived(item, kind, "", id_tag);
    copy.meta
        .insert(VARIANT_PARAM.into(), (index as u64).into());
    let mut options = Options::new();
    let gold = item.gold_letter();
    for (position, &source) in order.iter().enumerate() {
        let (Some(letter), Some((source_letter, text))) =
            (Letter::from_index(position), original.get(source))
        else {
            continue;
        };
        options.insert(letter, (*text).clone());
        if Some(**source_letter) == gold {
            copy.gold = Gold::Letter(letter);
        }
    }
    copy.options = options;
    copy
}

/// Shift `s` shows original option `(i + s) mod n` at position `i`.
fn circular_orders(n: usize) -> Vec<Vec<usize>> {
    (0..n)
        .map(|shift| (0..n).map(|i| (i + shift) % n).collect())
        .collect()
}

/// The original order, then `k - 1` seeded shuffles (Fisher-Yates).
fn seeded_orders(item: &Item, k: u32, seed: u64) -> Vec<Vec<usize>> {
    let n = item.options.len();
    let mut orders = vec![(0..n).collect::<Vec<_>>()];
    let mut state = derive_seed(seed, &item.id, 0);
    for _ in 1..k {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            // Each output seeds the next draw's stream (output feedback, not one running stream).
            state = SplitMix64::new(state).next_u64();
            let j = (state % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        orders.push(order);
    }
    orders
}

/// For each item with images, another item with images and a different cluster (a seeded
/// derangement); items without images get `None`.
fn mismatched_donors(items: &[Item], seed: u64) -> Result<Vec<Option<usize>>, VariantError> {
    let with_images: Vec<usize> = (0..items.len())
        .filter(|&i| !items[i].images.is_empty())
        .collect();
    let cluster = |i: usize| items[i].cluster.as_deref().unwrap_or(&items[i].id);
    let mut donors = vec![None; items.len()];
    if with_images.is_empty() {
        return Ok(donors);
    }
    // Order the candidates by a seeded hash, then give each item the next one round the ring
    // whose cluster differs.
    let mut ring = with_images.clone();
    ring.sort_by_key(|&i| derive_seed(seed, &items[i].id, usize::MAX));
    for (position, &item) in ring.iter().enumerate() {
        let donor = (1..ring.len())
            .map(|step| ring[(position + step) % ring.len()])
            .find(|&candidate| cluster(candidate) != cluster(item));
        match donor {
            Some(donor) => donors[item] = Some(donor),
            None => {
                return Err(VariantError::NotApplicable(
                    "mismatched-image needs items with images from at least two different clusters"
                        .into(),
                ));
            }
        }
    }
    Ok(donors)
}

/// Removes `<image N>` tokens, which would otherwise point at images that are not there.
fn strip_image_tokens(question: &str) -> String {
    let mut out = String::with_capacity(question.len());
    let mut rest = question;
    while let Some(start) = rest.find("<image ") {
        let after = &rest[start + "<image ".len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with('>') {
            out.push_str(&rest[..start]);
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..start + 1]);
            rest = &rest[start + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// A seed for one item's image: stable whatever else is in the run.
fn derive_seed(seed: u64, id: &str, position: usize) -> u64 {
    let mut hasher = Sha256Hasher::new();
    hasher.update_field(&seed.to_le_bytes());
    hasher.update_field(id.as_bytes());
    hasher.update_field(&(position as u64).to_le_bytes());
    let hex = hasher.finish_hex();
    u64::from_str_radix(&hex[..16], 16).unwrap_or(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use medeval_core::Meta;
    use std::path::PathBuf;

    fn mcq(id: &str, options: &[&str], gold: char, cluster: Option<&str>) -> Item {
        Item {
            id: id.into(),
            question: "Which? <image 1>".into(),
            images: vec![Image::Path(PathBuf::from(format!("{id}.png")))],
            options: options
                .iter()
                .enumerate()
                .map(|(i, t)| (Letter::from_index(i).unwrap(), (*t).to_owned()))
                .collect(),
            gold: Gold::Letter(Letter::new(gold).unwrap()),
            meta: Meta::new(),
            cluster: cluster.map(str::to_owned),
        }
    }

    #[test]
    fn specifications_parse_and_print_canonically() {
        for spec in [
            "circular",
            "permute:5",
            "no-image",
            "blank-image",
            "mismatched-image",
            "corrupt:jpeg@3",
            "corrupt:gaussian-noise@1..5",
        ] {
            assert_eq!(Variant::parse(spec).unwrap().to_string(), spec);
        }
        assert!(matches!(
            Variant::parse("corrupt:jpeg@6"),
            Err(VariantError::Severity(_))
        ));
        assert!(matches!(
            Variant::parse("corrupt:fog@1"),
            Err(VariantError::UnknownCorruption { .. })
        ));
        assert!(matches!(
            Variant::parse("rotate"),
            Err(VariantError::Unknown(_))
        ));
    }

    #[test]
    fn circular_shifts_move_the_gold_letter_with_its_text() {
        let item = mcq("q1", &["CT", "MRI", "US", "PET"], 'B', None);
        let expansion = Variant::Circular.expand(&[item], 0).unwrap();
        let shown: Vec<(String, String, String)> = expansion
            .items
            .iter()
            .map(|i| {
                let texts: Vec<&str> = i.options.values().map(String::as_str).collect();
                (i.id.clone(), texts.join(","), i.gold.text().into_owned())
            })
            .collect();
        // Shift s shows original option (i + s) mod 4 at position i; MRI (original B) moves to
        // B, A, D, C.
        assert_eq!(
            shown,
            vec![
                ("q1~shift0".into(), "CT,MRI,US,PET".into(), "B".into()),
                ("q1~shift1".into(), "MRI,US,PET,CT".into(), "A".into()),
                ("q1~shift2".into(), "US,PET,CT,MRI".into(), "D".into()),
                ("q1~shift3".into(), "PET,CT,MRI,US".into(), "C".into()),
            ]
        );
        assert_eq!(expansion.items[2].meta[SOURCE_ID], "q1");
        assert_eq!(expansion.items[2].cluster.as_deref(), Some("q1"));
    }

    #[test]
    fn permutations_keep_the_gold_text_and_are_seeded() {
        let item = mcq("q1", &["a", "b", "c", "d", "e"], 'C', None);
        let first = Variant::Permute { k: 6 }
            .expand(std::slice::from_ref(&item), 3)
            .unwrap();
        let again = Variant::Permute { k: 6 }.expand(&[item], 3).unwrap();
        assert_eq!(first.items.len(), 6);
        for (a, b) in first.items.iter().zip(&again.items) {
            assert_eq!(a.options, b.options);
            let gold = a.gold_letter().unwrap();
            assert_eq!(a.options[&gold], "c", "{}", a.id);
        }
        assert_eq!(
            first.items[0].options.values().cloned().collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e"]
        );
    }

    #[test]
    fn image_ablations_remove_blank_or_swap_images() {
        let items = vec![
            mcq("a", &["x", "y"], 'A', Some("img1")),
            mcq("b", &["x", "y"], 'A', Some("img1")),
            mcq("c", &["x", "y"], 'A', Some("img2")),
        ];
        let none = Variant::NoImage.expand(&items, 0).unwrap();
        assert!(none.items.iter().all(|i| i.images.is_empty()));
        assert_eq!(none.items[0].question, "Which? ");
        let blank = Variant::BlankImage.expand(&items, 0).unwrap();
        assert!(matches!(
            &blank.items[0].images[0],
            Image::Derived {
                transform: ImageTransform::Blank,
                ..
            }
        ));
        let swapped = Variant::MismatchedImage.expand(&items, 0).unwrap();
        for (original, copy) in items.iter().zip(&swapped.items) {
            let donor = copy.meta[VARIANT_PARAM].as_str().unwrap();
            let donor = items.iter().find(|i| i.id == donor).unwrap();
            assert_ne!(
                donor.cluster, original.cluster,
                "{} got an image of its own cluster",
                original.id
            );
            assert_eq!(copy.images, donor.images);
        }
        let one_cluster = vec![
            mcq("a", &["x", "y"], 'A', Some("k")),
            mcq("b", &["x", "y"], 'A', Some("k")),
        ];
        assert!(Variant::MismatchedImage.expand(&one_cluster, 0).is_err());
    }

    #[test]
    fn corruptions_make_one_copy_per_severity_with_stable_seeds() {
        let items = vec![mcq("a", &["x", "y"], 'A', None)];
        let variant = Variant::parse("corrupt:jpeg@2..4").unwrap();
        let expansion = variant.expand(&items, 9).unwrap();
        let ids: Vec<&str> = expansion.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["a~jpeg@2", "a~jpeg@3", "a~jpeg@4"]);
        let seed_of = |item: &Item| match &item.images[0] {
            Image::Derived {
                transform: ImageTransform::Corrupt { seed, severity, .. },
                ..
            } => (*seed, *severity),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            seed_of(&expansion.items[0]).0,
            seed_of(&expansion.items[2]).0
        );
        assert_eq!(seed_of(&expansion.items[1]).1, 3);
    }

    #[test]
    fn non_mcq_items_are_left_out_of_option_permutations() {
        let mut closed = mcq("c", &[], 'A', None);
        closed.gold = Gold::yes_no(medeval_core::YesNo::Yes);
        closed.options.clear();
        let expansion = Variant::Circular
            .expand(&[closed.clone(), mcq("m", &["x", "y"], 'A', None)], 0)
            .unwrap();
        assert_eq!(expansion.left_out, 1);
        assert_eq!(expansion.items.len(), 2);
        assert!(Variant::Circular.expand(&[closed], 0).is_err());
    }

    #[test]
    fn text_only_items_are_left_out_of_image_variants() {
        let mut text_only = mcq("t", &["x", "y"], 'A', None);
        text_only.images.clear();
        let items = [
            text_only.clone(),
            mcq("a", &["x", "y"], 'A', Some("img1")),
            mcq("b", &["x", "y"], 'B', Some("img2")),
        ];
        for spec in [
            "no-image",
            "blank-image",
            "mismatched-image",
            "corrupt:jpeg@1..2",
        ] {
            let variant = Variant::parse(spec).unwrap();
            let expansion = variant.expand(&items, 0).unwrap();
            assert_eq!(expansion.left_out, 1, "{spec}");
            assert!(
                expansion.items.iter().all(|i| !i.id.starts_with("t~")),
                "{spec}"
            );
            assert!(
                variant.expand(std::slice::from_ref(&text_only), 0).is_err(),
                "{spec}"
            );
        }
    }
    #[test]
    fn permutation_probes_are_bounded() {
        assert_eq!(
            Variant::parse("permute:100"),
            Ok(Variant::Permute { k: 100 })
        );
        assert_eq!(
            Variant::parse("permute:99999999"),
            Err(VariantError::TooManyOrders(99_999_999))
        );
    }
}
