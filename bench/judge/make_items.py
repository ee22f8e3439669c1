"""Open questions with candidate answers and a person's labels, for the judge acceptance run.

Each concept is (question, reference answer, answers). Every answer carries the label a reader
gives it against the reference: True when a clinician would accept it as the same answer
(synonyms, abbreviations, a consistent more specific term), False otherwise (another structure,
side or finding, a hedge between several, a contradiction). The labels were written with the
answers, before any judge saw them.

Writes OUT/items.jsonl (one item per answer), OUT/answers.jsonl (the candidate server's script)
and OUT/labels.jsonl (the labels), and prints the counts.
"""
import json
import sys

CONCEPTS = [
    ("Which organ is enlarged?", "heart", [("The heart.", True), ("cardiac silhouette is enlarged", True), ("liver", False)]),
    ("What is the main abnormality?", "cardiomegaly", [("enlarged heart", True), ("Cardiomegaly.", True), ("pleural effusion", False)]),
    ("Which side is the lesion on?", "left", [("Left side.", True), ("the left", True), ("right", False)]),
    ("What imaging modality is this?", "CT", [("computed tomography", True), ("A CT scan.", True), ("MRI", False)]),
    ("What imaging modality is used?", "MRI", [("magnetic resonance imaging", True), ("ultrasound", False), ("CT", False)]),
    ("Which organ shows the mass?", "kidney", [("the kidney", True), ("renal", True), ("adrenal gland", False)]),
    ("What is seen in the lung apex?", "pneumothorax", [("collapsed lung with air in the pleural space", True), ("pneumonia", False), ("PTX", True)]),
    ("What fluid collection is present?", "pleural effusion", [("effusion in the pleural space", True), ("pericardial effusion", False), ("ascites", False)]),
    ("Which bone is fractured?", "femur", [("the thigh bone", True), ("femoral shaft fracture", True), ("tibia", False)]),
    ("Which bone is fractured?", "radius", [("distal radius", True), ("ulna", False), ("radius or ulna", False)]),
    ("What plane is this image in?", "axial", [("transverse plane", True), ("axial slice", True), ("coronal", False)]),
    ("What plane is this image in?", "coronal", [("coronal plane", True), ("sagittal", False), ("axial", False)]),
    ("What plane is this image in?", "sagittal", [("Sagittal.", True), ("midsagittal section", True), ("coronal", False)]),
    ("Where is the nodule located?", "right upper lobe", [("RUL", True), ("upper lobe of the right lung", True), ("left upper lobe", False)]),
    ("Where is the nodule located?", "left lower lobe", [("LLL", True), ("left lung base, lower lobe", True), ("right lower lobe", False)]),
    ("What is the abnormality in the brain?", "hemorrhage", [("intracranial bleed", True), ("haemorrhage", True), ("infarct", False)]),
    ("What is the abnormality in the brain?", "infarction", [("stroke (ischemic infarct)", True), ("tumor", False), ("hemorrhage", False)]),
    ("What organ is shown?", "liver", [("hepatic parenchyma", True), ("Liver.", True), ("spleen", False)]),
    ("What organ is shown?", "spleen", [("splenic", True), ("pancreas", False), ("liver", False)]),
    ("What organ is shown?", "pancreas", [("the pancreas", True), ("duodenum", False), ("gallbladder", False)]),
    ("What is the diagnosis?", "pneumonia", [("lobar pneumonia", True), ("consolidation consistent with infection", True), ("lung cancer", False)]),
    ("What is the diagnosis?", "appendicitis", [("inflamed appendix", True), ("diverticulitis", False), ("cholecystitis", False)]),
    ("What is the diagnosis?", "cholecystitis", [("gallbladder inflammation", True), ("gallstones only, no inflammation", False), ("pancreatitis", False)]),
    ("What is the diagnosis?", "bowel obstruction", [("small bowel obstruction", True), ("ileus or obstruction, cannot tell", False), ("perforation", False)]),
    ("What is the abnormal finding?", "free air", [("pneumoperitoneum", True), ("free intraperitoneal gas", True), ("ascites", False)]),
    ("What is the abnormal finding?", "atelectasis", [("collapse of lung tissue", True), ("effusion", False), ("edema", False)]),
    ("What is the abnormal finding?", "pulmonary edema", [("fluid overload in the lungs", True), ("interstitial edema", True), ("fibrosis", False)]),
    ("What is the abnormal finding?", "aortic aneurysm", [("dilated aorta (aneurysm)", True), ("aortic dissection", False), ("normal aorta", False)]),
    ("What is the abnormal finding?", "kidney stone", [("nephrolithiasis", True), ("renal calculus", True), ("renal cyst", False)]),
    ("What is the abnormal finding?", "renal cyst", [("simple cyst of the kidney", True), ("kidney stone", False), ("renal cell carcinoma", False)]),
    ("How many lesions are seen?", "two", [("2", True), ("two lesions", True), ("three", False)]),
    ("How many lesions are seen?", "one", [("a single lesion", True), ("1", True), ("multiple", False)]),
    ("What type of tissue is shown?", "adipose tissue", [("fat", True), ("muscle", False), ("fibrous tissue", False)]),
    ("What type of cells are seen?", "lymphocytes", [("lymphoid cells", True), ("neutrophils", False), ("macrophages", False)]),
    ("What staining is used?", "H&E", [("hematoxylin and eosin", True), ("HE stain", True), ("PAS", False)]),
    ("What is the tumor type?", "adenocarcinoma", [("glandular carcinoma", True), ("squamous cell carcinoma", False), ("lymphoma", False)]),
    ("What is the tumor type?", "squamous cell carcinoma", [("SCC", True), ("adenocarcinoma", False), ("basal cell carcinoma", False)]),
    ("Which vessel is occluded?", "middle cerebral artery", [("MCA", True), ("left MCA territory vessel", True), ("anterior cerebral artery", False)]),
    ("Which chamber is dilated?", "left ventricle", [("LV", True), ("left atrium", False), ("right ventricle", False)]),
    ("Where is the fracture?", "vertebral body", [("the body of the vertebra", True), ("spinous process", False), ("pedicle", False)]),
]


def main(out):
    items, answers, labels = [], [], []
    n = 0
    for question, gold, candidates in CONCEPTS:
        for answer, label in candidates:
            n += 1
            item_id = f"q{n:03d}"
            items.append({"id": item_id, "question": f"[{item_id}] {question}", "answer": gold, "answer_type": "open"})
            answers.append({"when": f"[{item_id}]", "answer": answer})
            labels.append({"id": item_id, "label": label})
    for name, rows in [("items", items), ("answers", answers), ("labels", labels)]:
        with open(f"{out}/{name}.jsonl", "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    met = sum(1 for row in labels if row["label"])
    print(f"{len(items)} open answers, {met} labelled correct, {len(items) - met} labelled wrong")


if __name__ == "__main__":
    main(sys.argv[1])
