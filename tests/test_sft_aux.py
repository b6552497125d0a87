"""Per-patch category-presence auxiliary target (hero.sft.aux): hand-computed targets and loss, and the head is
training-only (the saved model has no trace of it)."""

import math

import numpy as np
import pytest
import torch

from hero.sft.aux import (answer_positions, asked_patch_targets, decoder_layer_tap, grounding_loss, listing_loss,
                          patch_presence, patch_presence_loss, vision_tap)
from hero.world.scene import WorldObject, object_mask

CATS = ["red square", "blue square", "red circle"]


def test_object_mask_of_a_square_is_its_box():
    m = object_mask(WorldObject("red", "square", (2, 4, 6, 8)), 8)
    assert m.sum() == 16 and m[4:8, 2:6].all()  # 4 × 4 box, PIL's inclusive corner convention undone


def test_patch_presence_hand_values():
    # 8×8 image, 4 px patches → 2 × 2 = 4 patches in row-major order (0 top-left, 1 top-right, 2 bottom-left, 3).
    # red square (0,0)-(4,4): 16 px in patch 0. blue square (2,4)-(6,8): x 2..5, y 4..7 → 2 cols × 4 rows = 8 px
    # in patch 2 (x 0..3) and 8 px in patch 3 (x 4..7).
    objs = [WorldObject("red", "square", (0, 0, 4, 4)), WorldObject("blue", "square", (2, 4, 6, 8))]
    t = patch_presence(objs, 8, 4, CATS, min_pixels=8)
    assert t.shape == (4, 3) and t.dtype == np.float32
    assert t.tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 1, 0]]
    t9 = patch_presence(objs, 8, 4, CATS, min_pixels=9)  # 8 px fragments no longer count
    assert t9.tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]


def test_patch_presence_loss_hand_value():
    # logits 0 → p = 0.5 → −ln 0.5 = ln 2 for every entry, whatever the target
    logits = torch.zeros(1, 1, 2)  # (B, P, C)
    targets = torch.tensor([[[1.0, 0.0]]])
    assert patch_presence_loss(logits, targets).item() == pytest.approx(math.log(2), abs=1e-7)
    # logit 2 on a positive: −ln σ(2) = ln(1 + e⁻²) = 0.126928; on a negative: ln(1 + e²) = 2.126928;
    # mean 1.126928
    assert patch_presence_loss(torch.tensor([[[2.0, 2.0]]]), targets).item() == pytest.approx(1.126928, abs=1e-6)


def test_vision_feature_tap_keeps_the_projector_input():
    from hero.model.build import build_model

    model, _ = build_model("tiny", ["red", "blue"], ["square", "circle"], 32)
    tap = vision_tap(model.model.vision_tower, model.config.vision_feature_layer)
    pixels = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        model.model.get_image_features(pixel_values=pixels)
        ref = model.model.vision_tower(pixels, output_hidden_states=True).hidden_states[-1]
    assert tap.features.shape == (2, 4, 64)  # (B, P, D): 32 px / 16 px patches = 4 tokens of width 64
    assert torch.equal(tap.features, ref)
    tap.remove()


def test_asked_patch_targets_and_grounding_loss_hand_values():
    presence = torch.tensor([[[1.0, 0.0], [0.0, 1.0]],  # image 0: patch 0 holds category 0, patch 1 category 1
                             [[0.0, 0.0], [1.0, 1.0]]])  # image 1: patch 1 holds both   (B=2, P=2, C=2)
    targets, valid = asked_patch_targets(presence, torch.tensor([1, -1]))  # image 0 asks category 1; 1 is a caption
    assert targets.tolist() == [[0.0, 1.0], [0.0, 0.0]] and valid.tolist() == [True, False]
    # only row 0 counts: logits (0, 0) vs targets (0, 1) → (ln 2 + ln 2) / 2 = ln 2, whatever row 1 holds
    logits = torch.tensor([[0.0, 0.0], [9.0, -9.0]])
    assert grounding_loss(logits, targets, valid).item() == pytest.approx(math.log(2), abs=1e-7)
    none = grounding_loss(logits.requires_grad_(), targets, torch.tensor([False, False]))
    assert none.item() == 0.0 and none.requires_grad  # a batch of captions: zero loss that still backpropagates


def test_answer_positions_and_listing_loss_hand_values():
    labels = torch.tensor([[-100, -100, 7, 2], [-100, 5, 2, -100], [-100, -100, -100, -100]])  # (B=3, T=4)
    assert answer_positions(labels).tolist() == [1, 0, 0]  # first target at 2 → from 1; at 1 → from 0; none → 0
    presence = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])  # (B=1, P=2, C=2): category 0 in patch 0 only
    # logits (0, 0) vs present (1, 0): (ln 2 + ln 2) / 2 = ln 2
    assert listing_loss(torch.zeros(1, 2), presence).item() == pytest.approx(math.log(2), abs=1e-7)
    # logits (ln 3, 0): BCE(ln 3, 1) = −ln(3/4) = 0.28768, BCE(0, 0) = ln 2 = 0.69315 → mean 0.49041
    want = (-math.log(0.75) + math.log(2)) / 2
    assert listing_loss(torch.tensor([[math.log(3), 0.0]]), presence).item() == pytest.approx(want, abs=1e-6)


def test_output_tap_reads_the_first_decoder_layer_at_image_tokens():
    from hero.model.build import build_model

    model, _ = build_model("tiny", ["red", "blue"], ["square", "circle"], 32)
    tap = decoder_layer_tap(model.model.language_model.layers[0])
    ids = torch.tensor([[5] + [model.config.image_token_id] * 4 + [6, 7, 8]])  # 32 px / 16 px → 4 image tokens
    with torch.no_grad():
        out = model(input_ids=ids, pixel_values=torch.randn(1, 3, 32, 32), output_hidden_states=True)
    assert torch.equal(tap.features, out.hidden_states[1])  # (B, T, H): the first decoder layer's output
    tap.remove()


def test_object_mask_equals_drawing_on_the_full_canvas():
    from PIL import Image, ImageDraw

    from hero.world.config import SHAPES_KNOWN
    from hero.world.scene import draw_object

    rng = np.random.default_rng(0)
    for k in range(60):  # every shape, random sizes and positions (the star has fractional vertices)
        s = int(rng.integers(14, 21))
        x, y = (int(v) for v in rng.integers(0, 64 - s + 1, 2))
        obj = WorldObject("red", SHAPES_KNOWN[k % len(SHAPES_KNOWN)], (x, y, x + s, y + s))
        full = Image.new("RGB", (64, 64), (0, 0, 0))
        draw_object(ImageDraw.Draw(full), obj)
        assert np.array_equal(object_mask(obj, 64), np.asarray(full).any(-1))
