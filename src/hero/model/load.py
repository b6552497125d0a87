"""Load a VLM folder for HERO with clear errors for what is missing (processor, chat template, model type)."""

from __future__ import annotations

import json
from pathlib import Path

from hero.io import InputError, read_json


def _check_folder(path: Path, flag: str = "--model") -> dict:
    if not path.is_dir():
        what = "is a file, but a model folder is expected" if path.exists() else "model folder not found"
        raise InputError(f"{path}: {what}; pass a folder written by `hero model init` or `save_pretrained` ({flag})")
    cfg_file = path / "config.json"
    if not cfg_file.exists():
        raise InputError(f"{path}: no config.json — not a Hugging Face model folder ({flag})")
    return read_json(cfg_file)


def check_vlm_folder(path, image_size: int | None = None, world=None, flag: str = "--model") -> dict:
    """The config.json of a model folder, read without loading weights (InputError naming `flag` when the folder or
    the file is missing); with image_size, the vision tower must take images of that size (the world's) — for the
    families with a fixed size (vision_config.image_size: LLaVA, LLaVA-NeXT, Idefics3, Gemma3); Qwen-VL towers take
    any size (no image_size in their config) and are not checked."""
    config = _check_folder(Path(path), flag)
    size = (config.get("vision_config") or {}).get("image_size")
    if image_size is not None and size is not None and size != image_size:
        raise InputError(f"{path}: the model takes {size}px images but the world {world} has {image_size}px; "
                         f"train a model for this world (`hero model init --world {world}`)")
    return config


def load_processor(path) -> object:
    """AutoProcessor with an image processor, a tokenizer and a chat template, or an InputError saying which
    one is missing."""
    from transformers import AutoProcessor

    from hero.model.compat import allow_missing_video_processor

    allow_missing_video_processor()

    path = Path(path)
    _check_folder(path)
    try:
        processor = AutoProcessor.from_pretrained(path)
    except Exception as e:  # noqa: BLE001 - transformers raises many types here
        raise InputError(f"{path}: could not load a processor ({type(e).__name__}: {e}); the folder needs "
                         "processor_config.json / preprocessor_config.json and tokenizer files") from None
    if not hasattr(processor, "image_processor") or getattr(processor, "image_processor", None) is None:
        raise InputError(f"{path}: the processor has no image processor (found {type(processor).__name__}); "
                         "save the model's full multimodal processor with processor.save_pretrained(folder)")
    if getattr(processor, "tokenizer", None) is None:
        raise InputError(f"{path}: the processor has no tokenizer; save one with processor.save_pretrained")
    if not (getattr(processor, "chat_template", None) or getattr(processor.tokenizer, "chat_template", None)):
        raise InputError(f"{path}: no chat template (chat_template.jinja or chat_template in the processor / "
                         "tokenizer config); set processor.chat_template and save it")
    if processor.chat_template is None:
        processor.chat_template = processor.tokenizer.chat_template
    return processor


def load_model(path, dtype=None):
    """AutoModelForImageTextToText, or an InputError when the folder holds another kind of model."""
    from transformers import AutoModelForImageTextToText

    path = Path(path)
    config = _check_folder(path)
    try:
        model = AutoModelForImageTextToText.from_pretrained(path, dtype=dtype)
    except Exception as e:  # noqa: BLE001 - transformers / safetensors raise many types for a bad folder
        if isinstance(e, ValueError) and ("Unrecognized configuration class" in str(e)
                                          or "image-text-to-text" in str(e).lower()):
            raise InputError(f"{path}: model type {config.get('model_type')!r} "
                             f"({', '.join(config.get('architectures') or ['?'])}) is not an image-text-to-text "
                             "model; HERO needs a vision-language model loadable with "
                             "AutoModelForImageTextToText") from None
        raise load_error(path, e) from None
    return model.eval()


def load_error(path, e: Exception, what: str = "model") -> InputError:
    """The one-line error for a model folder that from_pretrained could not load (missing / truncated / corrupt
    files): names the folder, the exception and the fix."""
    if isinstance(e, InputError):
        return e
    first = (str(e).splitlines() or [""])[0][:200]
    return InputError(f"{path}: could not load the {what} ({type(e).__name__}: {first}); if a weight file is "
                      "truncated or corrupt (an interrupted copy or save), copy or save it again")


def load_vlm(path, dtype=None):
    """(model, processor) from a folder, validated. Errors say what is missing and how to fix it."""
    processor = load_processor(path)
    return load_model(path, dtype=dtype), processor


def checkpoints_in_model_format(model) -> None:
    """Make the trainer's checkpoints keep the model's own weight names. By default save_pretrained writes LLaVA-style
    models in their original (pre-conversion) key layout, while Trainer resumes with a plain load_state_dict that
    does not convert them back (transformers issue 43701): a resumed run would silently keep the start weights.
    `undo_checkpoint_format` removes this override, so the final model is saved in the standard layout."""
    import functools
    import inspect

    if "save_original_format" in inspect.signature(model.save_pretrained).parameters:
        model.save_pretrained = functools.partial(model.save_pretrained, save_original_format=False)


def undo_checkpoint_format(model) -> None:
    """Undo `checkpoints_in_model_format`: the next save_pretrained writes the standard layout again."""
    model.__dict__.pop("save_pretrained", None)


def model_style(model_or_dir) -> str:
    """'cot' or 'answer', as `hero train sft` records it in the model config (`hero_style`); 'answer' when absent.
    Takes a loaded model (its `.config`) or a model folder (its config.json, read without loading weights)."""
    if isinstance(model_or_dir, (str, Path)):
        try:
            style = json.loads((Path(model_or_dir) / "config.json").read_text(encoding="utf-8")).get("hero_style")
        except (OSError, json.JSONDecodeError, AttributeError):
            style = None
    else:
        style = getattr(model_or_dir.config, "hero_style", None)
    return style if style in ("answer", "cot") else "answer"
