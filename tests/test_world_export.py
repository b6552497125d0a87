"""World → AMBER / COCO exporters: formats the official scorers read, labels consistent with annotations."""

from __future__ import annotations

import json

from hero.world.export import export_amber, export_coco
from hero.world import WorldConfig, build_world, load_annotations


def test_amber_and_coco_exports(tmp_path):
    build_world(WorldConfig(seed=1, train_images=0, val_images=0, test_images=30), tmp_path / "w", progress=False)
    counts = export_amber(tmp_path / "w", "test", tmp_path / "amber")
    ann = json.loads((tmp_path / "amber/annotations.json").read_text())
    qs = json.loads((tmp_path / "amber/query_all.json").read_text())
    assert counts["generative"] == 30 and counts["existence"] == 60
    assert [a["id"] for a in ann] == list(range(1, len(ann) + 1)) == [q["id"] for q in qs]
    rows = load_annotations(tmp_path / "w", "test")
    first = rows[0]
    assert ann[0]["truth"] == sorted({o["shape"] for o in first["objects"]})
    assert set(ann[0]["truth"]) | set(ann[0]["hallu"]) == {"circle", "square", "triangle"}
    by_image = {r["file"].split("/")[-1]: {o["category"] for o in r["objects"]} for r in rows}
    for a, q in zip(ann, qs):
        if a["type"] == "discriminative-hallucination":
            name = q["query"].removeprefix("Is there ").removesuffix(" in the image?").split(" ", 1)[1]
            assert (name in by_image[q["image"]]) == (a["truth"] == "yes")
        if a["type"] == "discriminative-attribute-state":
            shape, colour = q["query"].removeprefix("Is the ").removesuffix(" in the image?").split(" ")
            assert (f"{colour} {shape}" in by_image[q["image"]]) == (a["truth"] == "yes")
    metrics = (tmp_path / "amber/metrics.txt").read_text().splitlines()
    assert "chair_num=0.001" in metrics and "chair_score=0" in metrics and len(metrics) == 44

    paths = export_coco(tmp_path / "w", "test", tmp_path / "coco")
    inst = json.loads(open(paths["instances"]).read())
    caps = json.loads(open(paths["captions"]).read())
    assert len(inst["images"]) == 30 and len(inst["categories"]) == 15
    assert sum(len(r["objects"]) for r in rows) == len(inst["annotations"])
    assert caps["annotations"][0]["caption"].startswith("There is ")
    assert open(paths["synonyms"]).readline() == "red circle, red circles\n"
