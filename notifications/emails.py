"""The emails themselves: subject, context and links for each kind, rendered in the
recipient's time zone through designpi.mail.build_email (text + HTML, List-Unsubscribe)."""

import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from designpi.mail import absolute_url, build_email

from . import selectors
from .models import Kind, Notification
from .tokens import make_unsubscribe_token

TEMPLATES = {Kind.ASSIGNED: "notifications/email/assigned", Kind.PARTICIPANT_WROTE: "notifications/email/participant_wrote",
             Kind.TEAM_REPLIED: "notifications/email/team_replied", Kind.MENTIONED: "notifications/email/mentioned"}


def conversation_link(recipient, conversation) -> str:
    """Where the recipient reads the conversation: their own portal's page."""
    if recipient.role == Role.CUSTOMER:
        return absolute_url(reverse("portal:chat"))
    if recipient.role == Role.ADMIN:
        return absolute_url(reverse("console:conversation_detail", args=[conversation.pk]))
    return absolute_url(reverse("staff:conversation_detail", args=[conversation.pk]))


def recipient_zone(recipient) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(recipient.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def notification_email(notification: Notification):
    recipient = notification.recipient
    conversation = notification.conversation
    preference = selectors.PREFERENCE[notification.kind]
    if notification.kind == Kind.ASSIGNED:
        messages = []
    elif notification.kind == Kind.MENTIONED:
        messages = list(selectors.mentioning_note(notification))  # to a teammate: the note itself
    else:
        messages = list(selectors.unread_messages(notification))
    name = conversation.participant_name
    if notification.kind == Kind.ASSIGNED:
        subject = f"Conversation #{conversation.pk} with {name} is assigned to you"
    elif notification.kind == Kind.MENTIONED:
        author = messages[0].sender_name if messages else "A teammate"
        subject = f"{author} mentioned you in a note (conversation #{conversation.pk} with {name})"
    elif notification.kind == Kind.PARTICIPANT_WROTE:
        count = f"{len(messages)} new messages" if len(messages) > 1 else "A new message"
        subject = f"{count} from {name} (conversation #{conversation.pk})"
    else:
        subject = "The support team replied" if len(messages) == 1 else f"The support team replied ({len(messages)} messages)"
    context = {
        "recipient": recipient,
        "conversation": conversation,
        "participant_name": name,
        "messages": messages,
        "conversation_url": conversation_link(recipient, conversation),
        "preferences_url": absolute_url(reverse("notifications:preferences")),
    }
    unsubscribe_url = absolute_url(
        reverse("notifications:unsubscribe", args=[make_unsubscribe_token(recipient, preference)])
    )
    with timezone.override(recipient_zone(recipient)):
        message = build_email(to=recipient.email, subject=subject, template=TEMPLATES[notification.kind],
                              context=context, unsubscribe_url=unsubscribe_url)
    # The same id on every attempt: a copy sent twice (see SECURITY.md) is one message to
    # the mail clients that deduplicate on it.
    message.extra_headers["Message-ID"] = f"<notification-{notification.pk}@{urlsplit(settings.SITE_URL).hostname}>"
    return message
