"""Factories for the SSO room's models (tests/sso)."""

import factory

from sso.models import GroupMapping, OrganizationSso

from .factories import OrganizationFactory


class GroupMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMapping

    claim_value = factory.Sequence(lambda n: f"group-{n}")
    organization = factory.SubFactory(OrganizationFactory)
    roles = factory.LazyFunction(lambda: ["viewer"])


class OrganizationSsoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationSso
        django_get_or_create = ("organization",)

    organization = factory.SubFactory(OrganizationFactory)
    require_sso = True
