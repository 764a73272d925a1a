import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Lead, LeadStatus

logger = logging.getLogger(__name__)


def lead_create(*, actor, name: str, email: str, company: str = "", phone: str = "", status=LeadStatus.NEW, notes: str = "") -> Lead:
    """Record a prospect. ``actor`` None is seed_demo; otherwise an admin."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("Only admins can add leads.")
    lead = Lead(name=name, email=(email or "").strip().lower(), company=company, phone=phone, status=status, notes=notes)
    lead.full_clean()
    lead.save()
    return lead


def lead_set_status(*, actor, lead: Lead, status: str) -> Lead:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change a lead's status.")
    if status not in LeadStatus.values:
        raise ValidationError(f"Unknown lead status {status!r}.", code="invalid_choice")
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.is_converted and status != locked.status:
            raise ValidationError("This lead became a customer account; its status stays Converted.", code="converted")
        if locked.status != status:
            locked.status = status
            locked.save(update_fields=["status", "updated_at"])
    lead.status = locked.status
    return lead


def lead_convert_to_customer(*, actor, lead: Lead, conversation):
    """"Make customer": the lead becomes a customer account, invited by email, and
    ``conversation`` (one of the lead's) becomes that customer's portal conversation with
    its whole timeline: messages, ticket and assignee stay; ``lead`` stays set as history.
    The lead's other conversations stay lead conversations, readable by the team.

    One transaction. Rows are locked in the order conversation_post_message uses
    (conversation, then lead: a team reply moves a new lead to contacted under the
    conversation lock), so two admins converting at once make one account: the second
    waits for the lead row and finds it converted. The account is made by
    accounts.services.user_invite, exactly as the People page invites a customer
    (no password; the invitation email leaves after commit). Every refusal is a
    ValidationError raised before anything is written (or inside the transaction, which
    then rolls back whole): nothing changes.
    """
    from accounts.models import Role, User
    from accounts.services import user_invite
    from conversations.models import Conversation, Source
    from tickets.models import SupportTicket

    if not actor.is_admin:
        raise PermissionDenied("Only admins can make a lead a customer.")
    with transaction.atomic():
        locked_conversation = Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
        if locked_conversation is None or locked_conversation.lead_id != lead.pk:
            raise ValidationError({"conversation": "That conversation is not one of this lead's."},
                                  code="not_the_leads")
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.is_converted or locked.status == LeadStatus.CONVERTED:
            raise ValidationError(
                "This lead is already converted. "
                + ("Their conversation is now their portal conversation." if locked.is_converted else
                   "It was marked Converted by hand: set another status first to make them a customer here."),
                code="converted",
            )
        if locked_conversation.source != Source.LEAD:  # the constraint's other half; cannot happen unconverted
            raise ValidationError({"conversation": "That conversation is already a customer's."}, code="not_the_leads")
        email = User.objects.normalize_email(locked.email)
        if not email:
            raise ValidationError("This lead has no email address, so no invitation can be sent. Add one first.",
                                  code="no_email")
        taken = ValidationError(
            f"An account with the email {email} already exists (see People). Make customer creates a new "
            "account, so it cannot be used for this lead; if it is the same person, they can write from their "
            "own account, and you can set this lead's status to Converted by hand.",
            code="email_taken",
        )
        if User.objects.filter(email__iexact=email).exists():
            raise taken
        try:
            customer = user_invite(actor=actor, email=email, name=locked.name, role=Role.CUSTOMER,
                                   company=locked.company, phone=locked.phone)
        except ValidationError as error:
            if "email" in getattr(error, "error_dict", {}):
                raise taken from None  # the same address taken a moment ago
            raise
        now = timezone.now()
        locked.customer, locked.status, locked.converted_at = customer, LeadStatus.CONVERTED, now
        locked.save(update_fields=["customer", "status", "converted_at", "updated_at"])
        # updated_at moves: the lists' poll stamp and the live feed (which now tells the
        # customer's pages too) follow it.
        locked_conversation.customer, locked_conversation.source = customer, Source.CUSTOMER
        locked_conversation.updated_at = now
        locked_conversation.save(update_fields=["customer", "source", "updated_at"])
        SupportTicket.objects.filter(conversation=locked_conversation).update(customer=customer, updated_at=now)
    logger.info("lead_convert_to_customer actor=%s lead=%s customer=%s conversation=%s",
                actor.pk, lead.pk, customer.pk, locked_conversation.pk)
    lead.customer, lead.status, lead.converted_at = customer, locked.status, locked.converted_at
    if conversation is not locked_conversation:
        conversation.customer, conversation.source = customer, locked_conversation.source
        conversation.updated_at = locked_conversation.updated_at
    return customer
