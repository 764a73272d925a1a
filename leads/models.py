from django.db import models

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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="lead_status_recent_idx")]

    def __str__(self):
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email
