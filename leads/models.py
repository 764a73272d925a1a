from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from designpi.validators import reject_control_characters


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    CONVERTED = "converted", "Converted"
    LOST = "lost", "Lost"


class Lead(models.Model):
    """A prospect who is not (yet) a customer; a second source of conversations."""

    name = models.CharField(max_length=150, validators=[reject_control_characters])
    email = models.EmailField(max_length=254, unique=True)
    company = models.CharField(max_length=150, blank=True, validators=[reject_control_characters])
    phone = models.CharField(max_length=32, blank=True, validators=[reject_control_characters])
    status = models.CharField(max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    notes = models.TextField(blank=True, validators=[reject_control_characters])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # "Make customer" (leads.services.lead_convert_to_customer): the customer account the
    # lead became, and when. A lead becomes at most one account, an account comes from at
    # most one lead (one-to-one; NULLs never clash).
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="converted_lead"
    )
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="lead_status_recent_idx")]
        constraints = [
            # Linked to an account means converted, with its time; never one without the other.
            models.CheckConstraint(
                condition=Q(customer__isnull=True, converted_at__isnull=True)
                | Q(customer__isnull=False, converted_at__isnull=False, status="converted"),
                name="lead_customer_means_converted",
            ),
        ]

    def __str__(self):
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_converted(self) -> bool:
        """Became a customer account through "Make customer"."""
        return self.customer_id is not None


class VisitorPass(models.Model):
    """The secret a website visitor's browser holds for exactly one lead conversation
    (issue 12; the token format and the one check are in leads/visitor.py).

    Only a hash of the key is stored: reading this table gives nobody a working cookie.
    Closing the conversation rotates the key (conversations.services), so every cookie
    and continue link issued before stops working, on every device, for good.
    ``link_generation`` makes each emailed continue link single-use: a link names the
    generation it was made at, and using it moves the generation on.
    """

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="visitor_pass"
    )
    key_hash = models.CharField(max_length=64)
    link_generation = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"visitor pass for conversation {self.conversation_id}"


class ContactAttemptKind(models.TextChoices):
    CONVERSATION = "conversation", "Contact form (new conversation or first message)"
    MESSAGE = "message", "Visitor chat message"


class ContactAttempt(models.Model):
    """One accepted contact form or visitor message, counted for the per-address and
    per-email limits (leads/visitor.py: contact_limit_check). Counted in the database,
    like the sign-in ceilings (accounts.SignInFailure), so every worker shares them; a
    refused request writes no row. Rows older than a day count for nothing
    (`manage.py signin_cleanup` removes them)."""

    Kind = ContactAttemptKind

    kind = models.CharField(max_length=16, choices=ContactAttemptKind.choices)
    email = models.CharField(max_length=254)
    # IPv4: the address; IPv6: its /64 (accounts.signin_guard.client_network).
    network = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "email", "at"], name="contactattempt_email_idx"),
            models.Index(fields=["kind", "network", "at"], name="contactattempt_network_idx"),
        ]

    def __str__(self):
        return f"{self.kind} from {self.network} for {self.email} at {self.at:%Y-%m-%d %H:%M:%S}"
