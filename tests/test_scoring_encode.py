"""The fast batch encoder and the cached Qwen-VL positions give exactly what the processor / the model compute."""

import numpy as np
import pytest
import torch
from PIL import Image
from transformers.image_transforms import normalize, rescale
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

from hero.model.build import build_model
from hero.scoring import ScoreRequest, Scorer, ScoringConfig
from hero.scoring.encode import FAST_IMAGES, BatchEncoder, normalise_table, patchify
from hero.scoring.engine import image_inputs

COLOURS, SHAPES = ["red", "green", "blue"], ["circle", "square"]


def test_normalise_table_worked_values():
    # factor 1/255, mean 0.5, std 0.5: 255 → 1.0 → (1 − 0.5) / 0.5 = 1.0; 0 → (0 − 0.5) / 0.5 = −1.0
    t = normalise_table(1 / 255, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    assert t.shape == (3, 256) and t.dtype == np.float32
    assert t[0, 255] == 1.0 and t[2, 0] == -1.0


def test_normalise_table_is_bit_identical_to_transformers():
    mean, std = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)  # CLIP's
    levels = np.broadcast_to(np.arange(256, dtype=np.uint8), (3, 1, 256)).copy()  # (C, 1, 256)
    ref = normalize(rescale(levels, 1 / 255, input_data_format="channels_first"), mean, std,
                    input_data_format="channels_first")  # (C, 1, 256): the PIL backend's own functions
    assert np.array_equal(normalise_table(1 / 255, mean, std), ref[:, 0])


def test_patchify_matches_the_processor_layout():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((2, 3, 64, 32)).astype(np.float32)  # (N, C, H, W)
    ip = Qwen2VLImageProcessorPil()
    ref = np.concatenate([ip.patchify(im, patch_size=16, merge_size=2, temporal_patch_size=2)[0] for im in images])
    assert np.array_equal(patchify(images, 16, 2, 2), ref)


@pytest.fixture(scope="module")
def qwen():
    torch.manual_seed(0)
    return build_model("tiny", COLOURS, SHAPES, 64, seed=1, arch="qwen2_5_vl")


def _batch(n=6):
    rng = np.random.default_rng(1)
    images = [Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) for _ in range(n)]
    images[2] = images[2].resize((80, 48))  # a different size: resized by smart_resize, its own grid
    texts = ["Is there a red circle in the image?", "Describe this image.", "Is there a blue square?"]
    return [ScoreRequest(id=f"q{i}", image=im, question=texts[i % 3]) for i, im in enumerate(images)]


def test_encoder_equals_processor(qwen):
    model, processor = qwen
    scorer = Scorer(model, processor)
    reqs = _batch()
    prompts = [scorer.prompt(r.question) for r in reqs]
    ref = processor(text=prompts, images=[[r.image] for r in reqs], padding=True, return_tensors="pt")
    for _ in range(2):  # the first call checks itself against the processor; the second is the cached fast path
        enc = scorer.encode([r.question for r in reqs], [r.image for r in reqs])
        assert scorer._encoder.fast and set(enc) == set(ref)
        assert all(torch.equal(enc[k], ref[k]) for k in ref)


def test_encoder_falls_back_when_its_shortcut_differs(qwen):
    model, processor = qwen
    good = FAST_IMAGES.get("Qwen2VLImageProcessorPil")

    def wrong(ip, images):
        out = good(ip, images)
        return {**out, "pixel_values": out["pixel_values"] + 1}

    FAST_IMAGES.register("Qwen2VLImageProcessorPil", replace=True)(wrong)
    try:
        encoder = BatchEncoder(processor, processor.tokenizer.pad_token_id)
        reqs = _batch(3)
        prompts = [Scorer(model, processor).prompt(r.question) for r in reqs]
        encoder(prompts, [r.image for r in reqs])  # new rows: the processor encodes them, the cache learns them
        with pytest.warns(UserWarning, match="differs from the processor"):
            enc = encoder(prompts, [r.image for r in reqs])  # known rows: the (wrong) shortcut, checked
        assert not encoder.fast
        ref = processor(text=prompts, images=[[r.image] for r in reqs], padding=True, return_tensors="pt")
        assert torch.equal(enc["pixel_values"], ref["pixel_values"])
    finally:
        FAST_IMAGES.register("Qwen2VLImageProcessorPil", replace=True)(good)


def test_cached_rope_positions_give_the_models_own_logits(qwen):
    model, processor = qwen
    scorer = Scorer(model, processor)
    reqs = _batch()
    enc = scorer.encode([r.question for r in reqs], [r.image for r in reqs])
    with torch.inference_mode():
        ours = scorer._last_logits(enc["input_ids"], enc["attention_mask"], image_inputs(enc))  # (B, V)
        own = model(**enc, logits_to_keep=1).logits[:, -1].float()  # (B, V): get_rope_index inside
    assert scorer._rope.applies and torch.equal(ours, own)


def test_precomputed_vision_metadata_changes_no_logit(qwen):
    model, processor = qwen
    scorer = Scorer(model, processor)
    reqs = _batch()
    enc = scorer.encode([r.question for r in reqs], [r.image for r in reqs])
    meta = scorer._vision(enc["image_grid_thw"])
    assert set(meta) == {"image_position_ids", "image_cu_seqlens", "image_window_index", "image_cu_window_seqlens"}
    with torch.inference_mode():
        with_meta = model(**enc, **meta, logits_to_keep=1).logits[:, -1]  # (B, V)
        own = model(**enc, logits_to_keep=1).logits[:, -1]  # (B, V)
        scorer._last_logits(enc["input_ids"], enc["attention_mask"], image_inputs(enc))
    assert torch.equal(with_meta, own)
    assert scorer._vision.checked and scorer._vision.on  # the scorer's own once-check agreed


def test_plain_pil_pipeline_fast_path_equals_processor():
    from hero.scoring.encode import fast_images, pil_base_pixels

    torch.manual_seed(0)
    model, processor = build_model("tiny", COLOURS, SHAPES, 64, seed=1, arch="llava")  # SigLIP PIL processor
    assert fast_images(processor.image_processor) is pil_base_pixels
    scorer = Scorer(model, processor)
    reqs = _batch()  # 64×64 images and one 80×48 (resized by the processor's own resize)
    prompts = [scorer.prompt(r.question) for r in reqs]
    ref = processor(text=prompts, images=[[r.image] for r in reqs], padding=True, return_tensors="pt")
    enc = scorer.encode([r.question for r in reqs], [r.image for r in reqs])
    assert scorer._encoder.fast and set(enc) == set(ref)
    assert all(torch.equal(enc[k], ref[k]) for k in ref)
