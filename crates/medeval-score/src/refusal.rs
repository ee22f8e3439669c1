//! Textual refusals: the model declines in words instead of through the API's `refusal` field.
//!
//! A refusal phrase decides the outcome only when no answer was committed: "I cannot view
//! images, but from the question alone the answer is B" is scored as `B`. The phrases are
//! deliberately specific (inability to view *the image*, to provide *a diagnosis*, "as an AI")
//! so that a medical statement such as "I can't see any fracture" is never taken for a refusal.

use std::sync::LazyLock;

use regex::Regex;

/// English phrases; `\b` is rewritten to an ASCII word boundary (see [`crate::commit`]).
const ENGLISH: &str = r#"(?x)
    \bas\s+an?\s+(?:ai|artificial\s+intelligence|(?:ai\s+|large\s+)?language\s+model|ai\s+assistant)\b
  | \bi(?:\s+am|['’]m)\s+(?:sorry|afraid),?\s+(?:but\s+)?i\s+(?:can(?:not|['’]t|\s+not)|am\s+(?:unable|not\s+able)|['’]m\s+(?:unable|not\s+able)|won['’]t|will\s+not)\b
  | \bi\s+(?:can(?:not|['’]t|\s+not)|am\s+(?:unable|not\s+able)\s+to|['’]m\s+(?:unable|not\s+able)\s+to|won['’]t|will\s+not|(?:do\s+not|don['’]t)\s+have\s+the\s+ability\s+to)\s+
      (?:
          (?:provide|give|offer|make|render)\s+(?:you\s+(?:with\s+)?)?(?:a\s+|any\s+)?(?:medical\s+|definitive\s+|definite\s+|specific\s+|reliable\s+|accurate\s+)?(?:diagnos[ie]s|medical\s+advice|interpretation|opinion|answer)
        | (?:determine|tell|say|answer|confirm|identify|assess)\b
        | (?:view|see|access|open|analy[sz]e|interpret|process|read|examine|evaluate)\s+(?:the\s+|this\s+|these\s+|any\s+|your\s+|an?\s+)?(?:medical\s+)?(?:image|images|picture|pictures|scan|scans|photo|photos|file|files|attachment|attachments|x-ray|radiograph)
        | (?:help|assist)\s+with\s+(?:this|that)
      )
  | \bunable\s+to\s+(?:view|see|access|open|analy[sz]e|interpret|process)\s+(?:the\s+|this\s+|any\s+|an?\s+)?(?:medical\s+)?(?:image|images|picture|scan|photo|file|attachment)
  | \bno\s+image\s+(?:was\s+|has\s+been\s+|is\s+)?(?:provided|attached|uploaded|shared|included)
  | \bi\s+(?:do\s+not|don['’]t)\s+see\s+(?:an?\s+|any\s+)?(?:image|picture|attachment)
  | \bplease\s+(?:provide|upload|share|attach)\s+(?:the\s+|an\s+)?image
"#;

/// Chinese, Spanish, French, German and Portuguese phrases.
const OTHER_LANGUAGES: &str = r#"(?x)
    作为(?:一[个名])?(?:ai|人工智能|语言模型|ai助手|人工智能助手)
  | (?:无法|不能|没法|没有办法|难以)(?:直接)?(?:为您|为你)?(?:提供|给出|做出|作出|进行)?(?:医学|医疗|具体|明确|确切|准确)?(?:诊断|建议|回答|解读)
  | (?:无法|不能|没法|难以)(?:直接)?(?:查看|看到|访问|打开|识别|分析|读取|处理)(?:该|这张|此|您的|你的)?(?:图片|图像|影像|图)
  | (?:无法|不能|难以)(?:确定|判断|确认)
  | 抱歉[,\s]*(?:我)?(?:无法|不能|没法)
  | \bno\s+puedo\s+(?:proporcionar|dar|ofrecer|ver|acceder|determinar|diagnosticar|responder)
  | \bje\s+ne\s+(?:peux|suis)\s+pas\s+(?:en\s+mesure\s+de\s+)?(?:fournir|donner|voir|acc[ée]der|d[ée]terminer|diagnostiquer|r[ée]pondre)
  | \bich\s+kann\s+(?:keine|kein|nicht)\b
  | \bn[ãaÃ]o\s+(?:posso|consigo)\s+(?:fornecer|dar|ver|acessar|determinar|diagnosticar|responder)
"#;

// Like the commitment markers, the refusal patterns are lower case and run on the
// ASCII-lowercased text, where their literals can be searched for quickly.
static REFUSAL: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = format!("{}|{}", ENGLISH, OTHER_LANGUAGES);
    Regex::new(&crate::commit::ascii_word_boundaries(&pattern)).expect("refusal pattern is valid")
});

/// Words at least one of which every refusal phrase above contains. Most responses hold none,
/// and a search for a few plain words is much faster than the phrase patterns, which start with
/// common words ("I", "as").
const GATE_WORDS: &[&str] = &[
    "as a",
    "sorry",
    "afraid",
    "can't",
    "can’t",
    "cannot",
    "can not",
    "unable",
    "not able",
    "won't",
    "won’t",
    "will not",
    "ability",
    "image",
    "picture",
    "attachment",
    "作为",
    "无法",
    "不能",
    "没法",
    "没有办法",
    "难以",
    "抱歉",
    "puedo",
    "peux",
    "suis pas",
    "ich kann",
    "posso",
    "consigo",
];

static GATE: LazyLock<Regex> = LazyLock::new(|| {
    let words: Vec<String> = GATE_WORDS.iter().map(|w| regex::escape(w)).collect();
    Regex::new(&words.join("|")).expect("refusal gate pattern is valid")
});

/// Whether `text` declines to answer in words.
pub(crate) fn is_refusal(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    GATE.is_match(&lower) && REFUSAL.is_match(&lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declining_phrases_are_refusals() {
        for text in [
            "I'm sorry, but I can't help with identifying people.",
            "I cannot provide a medical diagnosis.",
            "As an AI language model, I am not qualified.",
            "I am unable to view the image you attached.",
            "I’m unable to analyze medical images.",
            "No image was provided.",
            "作为一个AI，我无法提供医学诊断。",
            "抱歉，我无法查看图片。",
            "无法确定是否存在骨折。",
            "No puedo proporcionar un diagnóstico.",
            "Je ne peux pas fournir de diagnostic.",
            "Ich kann keine Diagnose stellen.",
            "Não posso fornecer um diagnóstico.",
        ] {
            assert!(is_refusal(text), "{text}");
        }
    }

    #[test]
    fn medical_statements_are_not_refusals() {
        for text in [
            "I can't see any fracture on this radiograph.",
            "The image shows no pneumothorax.",
            "There is no evidence of a mass.",
            "图中没有骨折。",
            "Cannot rule out a small effusion.",
        ] {
            assert!(!is_refusal(text), "{text}");
        }
    }
}
