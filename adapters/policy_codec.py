"""A FraudPolicy's stored shape, for the one converter (adapters/serialization.py) and its DynamoDB copy
(adapters/items.py): {"version", "threshold", and one map per rule, under its name, in catalogue order}, and a
learned "model" when the policy has one (adapters/model_codec.py; a policy without one has no "model" key).

Every rule of the catalogue in force (`domain.catalogue`) is read and written, so a rule added to the catalogue
needs nothing here.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs

from domain.catalogue import catalogue
from domain.policy import FraudPolicy
from domain.rule_spec import Catalogue

if TYPE_CHECKING:
    import cattrs


def register_policy_hooks(converter: cattrs.Converter) -> None:
    """Read and write FraudPolicy in its stored shape with `converter`'s hooks for the values. A rule or parameter
    left out has its defaults; an unknown one is refused when `converter` forbids extra keys. The hooks are bound
    to `converter`: a copy of it registers its own."""

    def unstructure(policy: FraudPolicy) -> dict[str, Any]:
        rules = {name: converter.unstructure(settings) for name, settings in policy.rules.items()}
        data = {"version": policy.version, "threshold": converter.unstructure(policy.threshold), **rules}
        if policy.model is not None:
            from adapters.model_codec import model_to_data  # the model's code only when a policy has one

            data["model"] = model_to_data(policy.model)  # TypeError for a model that is not a TreeModel
        return data

    def structure(data: object, _: type) -> FraudPolicy:
        rules = catalogue()
        document = converter.structure(data, _document(rules))
        model = None
        if document.model is not None:
            from adapters.model_codec import model_from_data  # the model's code only when a policy has one

            model = model_from_data(document.model)
        return FraudPolicy(
            document.version, document.threshold, {name: getattr(document, name) for name in rules.names}, model=model
        )

    converter.register_unstructure_hook(FraudPolicy, unstructure)
    converter.register_structure_hook(FraudPolicy, structure)


@cache
def _document(rules: Catalogue) -> type[Any]:
    """A policy file as an attrs class of `rules` (made once per catalogue), so that cattrs reads it with its
    usual defaults, validation and error paths (`velocity_check.max_count: must be an integer`)."""
    default, policy_fields = FraudPolicy(), attrs.fields(FraudPolicy)
    return attrs.make_class(
        "FraudPolicy",
        {
            "version": attrs.field(type=int, default=default.version, validator=policy_fields.version.validator),
            "threshold": attrs.field(
                type=Decimal, default=default.threshold, validator=policy_fields.threshold.validator
            ),
            **{spec.name: attrs.field(type=spec.parameters, default=default.rules[spec.name]) for spec in rules},
            "model": attrs.field(type=Any, default=None),  # read by adapters/model_codec.py, which names its fields
        },
        frozen=True,
    )
