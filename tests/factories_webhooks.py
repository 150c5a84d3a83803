"""factory_boy factories of the webhooks room (tests/webhooks)."""

import factory
from django.utils import timezone

from webhooks import rules
from webhooks.models import Delivery, Endpoint

from .factories import OrganizationFactory


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endpoint

    organization = factory.SubFactory(OrganizationFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/readiness")
    events = factory.LazyFunction(lambda: ["agent.suspended"])
    format = Endpoint.Format.STANDARD
    secret = factory.LazyFunction(rules.secret_generate)


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    endpoint = factory.SubFactory(EndpointFactory)
    event_type = "agent.suspended"
    message_id = factory.LazyFunction(rules.message_id_generate)
    payload = factory.LazyFunction(
        lambda: rules.standard_payload("agent.suspended", timezone.now(), {"agent_id": "1"})
    )
    next_attempt_at = factory.LazyFunction(timezone.now)
    schedule_started_at = factory.LazyFunction(timezone.now)
