//! The metric kernels. Each works on token fingerprints (see [`crate::ngram`]) or prepared
//! texts and reproduces one reference implementation; [`crate::evaluate`] wires them to the
//! flavours.

pub mod bleu;
pub mod cider;
pub mod meteor;
pub mod rouge;
