from django.conf import settings
from django.db import models
from django.db.models import Q

from conversations.models import Status, visibility_q


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class SupportTicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        # The conversation's visibility rule, followed through the ticket's conversation.
        return self.filter(visibility_q(user, prefix="conversation__"))


class SupportTicket(models.Model):
    """One per conversation, kept up to date by the participant's messages (SPEC §4.1)."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="ticket"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupportTicketQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="ticket_priority_valid"),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "-updated_at"], name="ticket_assignee_recent"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_recent"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_recent"),
        ]

    def __str__(self):
        return f"Ticket #{self.pk}: {self.subject}"
