"""Canned replies change only here (house style 2): the pages and seed_demo call these."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from .models import CannedReply


def _check_may_change(*, actor, shared: bool, owner=None) -> None:
    if not actor.is_team:
        raise PermissionDenied("Canned replies are for the support team.")
    if shared and not actor.is_admin:
        raise PermissionDenied("Only admins change the shared replies.")
    if not shared and owner is not None and owner.pk != actor.pk:
        raise PermissionDenied("This reply belongs to someone else.")


def _save(reply: CannedReply) -> CannedReply:
    reply.full_clean()
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:  # a same-titled reply saved in between full_clean and save
        raise ValidationError({"title": "You already have a reply with this title."}) from None
    return reply


def canned_reply_create(*, actor, title: str, body: str, shared: bool = False) -> CannedReply:
    """A new reply: the actor's own, or (admins only) a shared one. ``actor`` None is
    seed_demo creating a shared reply."""
    if actor is not None:
        _check_may_change(actor=actor, shared=shared)
    elif not shared:
        raise ValueError("A personal reply needs its owner as the actor.")
    return _save(CannedReply(owner=None if shared else actor, title=(title or "").strip(), body=body or ""))


def canned_reply_update(*, actor, reply: CannedReply, title: str, body: str) -> CannedReply:
    _check_may_change(actor=actor, shared=reply.is_shared, owner=reply.owner)
    title = (title or "").strip()
    if reply.title == title and reply.body == body:
        return reply
    reply.title, reply.body = title, body
    return _save(reply)


def canned_reply_delete(*, actor, reply: CannedReply) -> None:
    _check_may_change(actor=actor, shared=reply.is_shared, owner=reply.owner)
    with transaction.atomic():
        CannedReply.objects.filter(pk=reply.pk).delete()
