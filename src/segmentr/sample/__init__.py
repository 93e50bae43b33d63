"""The shipped sample: a realistic Limitr policy (``policy.json``) and a generator of realistic customers."""

from segmentr.sample.generator import SAMPLE_POLICY_PATH, generate_customers, sample_policy

__all__ = ["SAMPLE_POLICY_PATH", "generate_customers", "sample_policy"]
