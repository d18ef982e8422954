"""The pure core of jatkumo: per-client facts, the rules of SPEC.md, no I/O.

    state = ClientState(client_id); apply(state, event); evaluate(state, as_of, rules)
"""

from streams.core.evaluate import evaluate
from streams.core.results import ClientResult
from streams.core.rules import GAP_TYPES, Rules
from streams.core.state import ClientState, apply

__all__ = ["GAP_TYPES", "ClientResult", "ClientState", "Rules", "apply", "evaluate"]
