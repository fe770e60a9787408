"""Entry point of synthguard-imaging: generators, image checks, memorization distance, metrics, writers, datasets."""

from synthguard import hookimpl

from .classify_task import ImageClassifierTask
from .datasets import DATASETS
from .dicom import WRITERS
from .generator import DCGANGenerator, ImagingGenerator
from .metrics import METRICS
from .privacy import FeatureCopyFilter, MemorizationDistance, SSIMCopyFilter
from .validators import VALIDATORS


@hookimpl
def register_generators(register):
    register(ImagingGenerator)
    register(DCGANGenerator)


@hookimpl
def register_datasets(register):
    for dataset in DATASETS:
        register(dataset)


@hookimpl
def register_validators(register):
    for validator in VALIDATORS:
        register(validator)


@hookimpl
def register_privacy_filters(register):
    register(SSIMCopyFilter)
    register(FeatureCopyFilter)


@hookimpl
def register_distances(register):
    register(MemorizationDistance)


@hookimpl
def register_writers(register):
    for writer in WRITERS:
        register(writer)


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric)


@hookimpl
def register_downstream_tasks(register):
    register(ImageClassifierTask)
