"""Deterministic synthetic chest X-ray report pairs for tests and benchmarks.

Each reference is a findings + impression report assembled from sentence templates of the kind
found in IU-Xray and MIMIC-CXR; its candidate is a perturbed copy (sentences dropped, reordered,
reworded, negations flipped, findings swapped), so that every metric sees partial overlap,
repeated n-grams and length differences. Some items get a second reference.
"""

import random

NORMAL = [
    "The heart size is normal.",
    "Heart size is within normal limits.",
    "The cardiomediastinal silhouette is normal in size and contour.",
    "The lungs are clear.",
    "Lungs are clear bilaterally.",
    "No focal consolidation, pleural effusion, or pneumothorax.",
    "There is no pleural effusion or pneumothorax.",
    "No acute osseous abnormality.",
    "The osseous structures are intact.",
    "Pulmonary vasculature is normal.",
    "No evidence of pulmonary edema.",
    "The mediastinal contours are unremarkable.",
    "Visualized upper abdomen is unremarkable.",
]
ABNORMAL = [
    "There is mild cardiomegaly.",
    "Moderate cardiomegaly is again noted.",
    "Small left pleural effusion with adjacent atelectasis.",
    "Right lower lobe opacity concerning for pneumonia.",
    "Bibasilar atelectasis is present.",
    "There is a {size} cm nodule in the {side} upper lobe.",
    "Degenerative changes of the thoracic spine.",
    "Median sternotomy wires are intact.",
    "Endotracheal tube terminates {dist} cm above the carina.",
    "Left-sided central venous catheter tip projects over the SVC.",
    "Mild interstitial edema, improved since prior.",
    "Small right apical pneumothorax, decreased from prior study.",
    "Calcified granuloma in the {side} mid lung.",
    "Hyperinflation of the lungs consistent with COPD.",
]
IMPRESSION = [
    "No acute cardiopulmonary process.",
    "No acute cardiopulmonary abnormality.",
    "Stable chest radiograph.",
    "Findings concerning for pneumonia; recommend follow-up.",
    "Interval improvement of pulmonary edema.",
    "Cardiomegaly without acute decompensation.",
    "Lines and tubes in appropriate position.",
]
REWORD = [
    ("heart size", "cardiac silhouette"),
    ("is normal", "is within normal limits"),
    ("lungs are clear", "lungs are well expanded and clear"),
    ("No ", "There is no "),
    ("pleural effusion", "effusion"),
    ("pneumothorax", "PTX"),
    ("mild", "minimal"),
    ("small", "trace"),
    ("Small", "Trace"),
    ("opacity", "airspace disease"),
    ("cardiomegaly", "enlargement of the cardiac silhouette"),
]
FLIP = [("No ", "Small "), ("There is no ", "There is a "), ("normal", "enlarged")]


def _fill(sentence, rng):
    return sentence.format(
        size=rng.choice(["0.8", "1.2", "2.5", "3"]),
        side=rng.choice(["right", "left"]),
        dist=rng.choice(["3", "4.5", "5"]),
    )


def reference(rng):
    k_normal = rng.randint(2, 6)
    k_abnormal = rng.choice([0, 0, 1, 1, 2, 3])
    findings = rng.sample(NORMAL, k_normal) + [_fill(s, rng) for s in rng.sample(ABNORMAL, k_abnormal)]
    rng.shuffle(findings)
    impression = rng.choice(IMPRESSION)
    return "FINDINGS: " + " ".join(findings) + " IMPRESSION: " + impression


def candidate(ref, rng):
    head, _, impression = ref.partition(" IMPRESSION: ")
    sentences = [s + "." for s in head[len("FINDINGS: "):].split(". ") if s]
    sentences = [s[:-1] if s.endswith("..") else s for s in sentences]
    out = []
    for s in sentences:
        r = rng.random()
        if r < 0.15:
            continue  # dropped
        if r < 0.45:
            a, b = rng.choice(REWORD)
            s = s.replace(a, b)
        elif r < 0.52:
            a, b = rng.choice(FLIP)
            s = s.replace(a, b)
        elif r < 0.60:
            s = _fill(rng.choice(ABNORMAL), rng)
        out.append(s)
    if rng.random() < 0.3:
        out.append(rng.choice(NORMAL))
    if rng.random() < 0.3:
        rng.shuffle(out)
    imp = impression if rng.random() < 0.6 else rng.choice(IMPRESSION)
    return "FINDINGS: " + " ".join(out) + " IMPRESSION: " + imp


def pairs(n, seed=2024, second_reference_rate=0.2):
    """n (id, candidate, [references]) triples."""
    rng = random.Random(seed)
    result = []
    for i in range(n):
        ref = reference(rng)
        refs = [ref]
        if rng.random() < second_reference_rate:
            refs.append(reference(rng))
        result.append((f"r{i:06d}", candidate(ref, rng), refs))
    return result
