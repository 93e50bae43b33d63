"""segmentr: customer segments over a Limitr-compatible usage-based pricing policy.

Layers, lowest first: ``segmentr.stof`` (the condition language), ``segmentr.policy`` (the policy engine),
``segmentr.segments`` (segments, simple mode, templates, evaluation, membership), then the service layers
(``store``, ``cli``). Lower layers never import higher ones.
"""

__version__ = "0.1.0"
