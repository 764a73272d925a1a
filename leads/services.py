from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import Lead, LeadStatus


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
        if locked.status != status:
            locked.status = status
            locked.save(update_fields=["status", "updated_at"])
    lead.status = locked.status
    return lead
