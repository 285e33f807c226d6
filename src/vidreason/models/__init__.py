"""Video models: a narrow batch API (load once, generate batches, close; a card saying
what the model is), the built-in oracle and baselines, and the adapters: ``python``
(``package.module:factory``), ``http`` (a submit-then-poll API) and config files.

Importing this package registers the built-in models in ``MODELS``.
"""

from vidreason.models import baselines, oracle  # noqa: F401  (registers)
from vidreason.models.base import (
    MODELS,
    Generated,
    GenerationRequest,
    Model,
    ModelCard,
    NativeFormat,
    card_of,
    get_model,
    request_for,
    version_of,
)

__all__ = [
    "MODELS",
    "Generated",
    "GenerationRequest",
    "Model",
    "ModelCard",
    "NativeFormat",
    "card_of",
    "get_model",
    "request_for",
    "version_of",
]
