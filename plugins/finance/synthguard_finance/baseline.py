"""SDV's GaussianCopulaSynthesizer (the core's shared wrapper) under the finance plugin's name."""

from synthguard.baselines import GaussianCopulaGenerator


class SDVGaussianCopula(GaussianCopulaGenerator):
    name = "finance-gaussian-copula"
    role = "baseline"
    domain = "finance"
    default_dataset = "german_credit"
