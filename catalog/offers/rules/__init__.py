"""The rules of offer resolution, each a small named function over one :class:`State`.

They run in the order of :data:`RULES`: the dataset's side (data space, access rights, the
EHDS route, licence, policies, TDM reservation), then the lab's (access mode, own policy,
eligibility), then the requester's purpose, which reads what the others permitted.
"""

from catalog.offers.rules.dataset import access_rights, data_space, health_route, licence
from catalog.offers.rules.lab import access_mode, eligibility, lab_policy
from catalog.offers.rules.policy import dataset_policies, tdm_reservation
from catalog.offers.rules.requester import ai_training_settled, purpose
from catalog.offers.rules.state import MODE_LABEL, MODE_ORDER, Reason, State

RULES = (
    data_space,
    access_rights,
    health_route,
    licence,
    dataset_policies,
    tdm_reservation,
    ai_training_settled,
    access_mode,
    lab_policy,
    eligibility,
    purpose,
)

__all__ = ["MODE_LABEL", "MODE_ORDER", "RULES", "Reason", "State"]
