"""Entry point of synthguard-traffic: registers its generators, safety checks, metrics and datasets."""

from synthguard import hookimpl

from .forecast_task import TrafficForecastTask
from .datasets import DATASETS
from .distance import TrafficSeriesDistance
from .generator import TrafficGenerator, TrafficPAR
from .metrics import METRICS
from .trips import TripGaussianCopula, TripGenerator
from .validators import VALIDATORS


@hookimpl
def register_generators(register):
    register(TrafficGenerator)
    register(TrafficPAR)
    register(TripGenerator)
    register(TripGaussianCopula)


@hookimpl
def register_validators(register):
    for validator in VALIDATORS:
        register(validator)


@hookimpl
def register_datasets(register):
    for dataset in DATASETS:
        register(dataset)


@hookimpl
def register_distances(register):
    register(TrafficSeriesDistance)


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric)


@hookimpl
def register_downstream_tasks(register):
    register(TrafficForecastTask)
