"""Video models: a narrow batch API and the built-in oracle and baselines.

Importing this package registers the built-in models in ``MODELS``.
"""

from vidreason.models import baselines, oracle  # noqa: F401  (registers)
from vidreason.models.base import MODELS, GenerationRequest, Model, get_model, request_for

__all__ = ["MODELS", "GenerationRequest", "Model", "get_model", "request_for"]
