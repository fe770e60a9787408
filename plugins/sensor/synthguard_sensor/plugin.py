"""Entry point of synthguard-sensor: registers its generators, safety checks, distance, metrics and datasets."""

from synthguard import hookimpl

from .datasets import DATASETS
from .distance import ShapeDistance
from .generator import SensorConvAR, SensorFlow, SensorGenerator, SensorLSTM, SensorPAR
from .metrics import METRICS
from .validators import VALIDATORS


@hookimpl
def register_generators(register):
    register(SensorGenerator)
    register(SensorLSTM)
    register(SensorConvAR)
    register(SensorFlow)
    register(SensorPAR)


@hookimpl
def register_validators(register):
    for validator in VALIDATORS:
        register(validator)


@hookimpl
def register_distances(register):
    register(ShapeDistance)


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric)


@hookimpl
def register_datasets(register):
    for dataset in DATASETS:
        register(dataset)
