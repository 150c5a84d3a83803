from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.http import Http404
from django.utils.text import slugify

from accounts.models import Organization
from agents.selectors import agent_get
from audit.actions import Action
from audit.services import audit_record
from killswitch.models import AgentToken


class Command(BaseCommand):
    help = (
        "Create a runtime token for one agent: it may read that agent's run status and nothing "
        "else. The token is printed on the last line, once (only its hash is stored)."
    )

    def add_arguments(self, parser):
        parser.add_argument("organization", help="the organization's slug, e.g. acme")
        parser.add_argument("agent_id", help="the agent's id, as the API shows it")
        parser.add_argument("--name", default="Runtime token", help="what the token is for")

    def handle(self, *args, organization, agent_id, name, **options):
        slug = slugify(organization or "")
        if not slug:
            raise CommandError(
                f"The organization slug {organization!r} is empty: give one such as 'acme'."
            )
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organization with the slug {slug!r}.")
        agent_id = (agent_id or "").strip()
        if not agent_id:
            raise CommandError(
                "The agent id is empty: give the id the API or the agent page shows."
            )
        try:
            agent = agent_get(organization=org, pk=agent_id)
        except Http404:
            raise CommandError(
                f"No agent with the id {agent_id!r} in {org.name} ({org.slug})."
            ) from None
        name = (name or "").strip()[:100] or "Runtime token"
        with transaction.atomic():
            raw, key_hash, prefix = AgentToken.generate()
            token = AgentToken.objects.create(
                agent=agent, name=name, key_hash=key_hash, prefix=prefix, created_by=None
            )
            audit_record(
                organization=org,
                actor=None,
                action=Action.AGENT_TOKEN_CREATED,
                target=agent,
                after={"name": token.name, "prefix": prefix, "via": "create_agent_token"},
            )
        self.stdout.write(
            f"Created runtime token “{token.name}” ({prefix}…) for agent {agent.name} "
            f"(id {agent.pk}) in {org.name}. It reads GET /api/v1/agents/{agent.pk}/status and "
            "nothing else. It is shown once; only its hash is stored:"
        )
        self.stdout.write(raw)
