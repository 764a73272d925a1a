from django.conf import settings
from django.db import models
from django.db.models import Q

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
