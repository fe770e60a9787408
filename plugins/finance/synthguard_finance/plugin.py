"""Entry point of synthguard-finance: registers its generators, validators and datasets."""

from synthguard import hookimpl

from .baseline import SDVGaussianCopula
from .datasets import DATASETS
from .generator import FinanceGenerator, FinanceVAE
from .marginal_dp import FinanceMarginalDP
from .validators import BoundsValidator, CategoryValidator, PIIValidator, RuleValidator


@hookimpl
def register_generators(register):
    register(FinanceGenerator)
    register(FinanceVAE)
    register(FinanceMarginalDP)
    register(SDVGaussianCopula)


@hookimpl
def register_validators(register):
    for validator in (BoundsValidator, CategoryValidator, RuleValidator, PIIValidator):
        register(validator)


@hookimpl
def register_datasets(register):
    for dataset in DATASETS:
        register(dataset)
