"""synthguard-sequence: the sequence models the sensor and traffic plugins build on (a library, not a plugin).

* :class:`MixtureSequenceGenerator` — a conditional autoregressive LSTM with a Gaussian mixture over all channels
  at every step (:class:`SequenceMixtureLSTM`);
* :class:`LatentSequenceGenerator` — the same generator around :class:`SequenceLatentMixture`: convolutions give
  every step a state at once and each reading is drawn from a mixture given that state and its last readings;
* :class:`FlowSequenceGenerator` — whole recordings at once: a rectified flow whose velocity a small transformer
  over time patches predicts (:class:`SequenceFlow`);
* :class:`PatchFlowSequenceGenerator` — an LSTM over time patches, each patch drawn by a small rectified flow
  (:class:`SequencePatchFlow`): the per-reading LSTM's data efficiency with smooth, jointly drawn patches;
* :class:`PARGenerator` — SDV's PARSynthesizer behind the generator contract (the baseline);
* :class:`SequenceEncoder` — the numbers those networks see (standardised channels, coded statics).

None of them has a name, domain, role or default dataset and this package registers nothing: a plugin
subclasses them (``synthguard_sensor.SensorGenerator``, ``synthguard_traffic.TrafficGenerator``...) and
registers its subclasses. It imports only SynthGuard's public API.
"""

from .encoding import SequenceEncoder
from .flow import SequenceFlow
from .flow_generator import FlowSequenceConfig, FlowSequenceGenerator
from .generator import (LatentSequenceConfig, LatentSequenceGenerator, MixtureSequenceConfig, MixtureSequenceGenerator,
                        SequenceTrainingConfig)
from .latent import SequenceLatentMixture
from .lstm import SequenceMixtureLSTM
from .par import PARConfig, PARGenerator
from .patch_flow import SequencePatchFlow
from .patch_flow_generator import PatchFlowSequenceConfig, PatchFlowSequenceGenerator

__all__ = ["SequenceEncoder", "SequenceMixtureLSTM", "SequenceLatentMixture", "SequenceTrainingConfig",
           "MixtureSequenceConfig", "MixtureSequenceGenerator", "LatentSequenceConfig", "LatentSequenceGenerator",
           "PARConfig", "PARGenerator", "SequenceFlow", "FlowSequenceConfig", "FlowSequenceGenerator",
           "SequencePatchFlow", "PatchFlowSequenceConfig", "PatchFlowSequenceGenerator"]
