from django.db.models import Max

from .models import Lead


def lead_list_for(user, *, status=None):
    """Leads are the admins' business: everyone else sees none."""
    if not (user.is_authenticated and user.is_active and user.is_admin):
        return Lead.objects.none()
    # The newest conversation with each lead, for the list's "Open conversation" link.
    # (Grouping drops Meta.ordering, hence the explicit order.)
    queryset = Lead.objects.annotate(conversation_id=Max("conversations__id")).order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    return queryset
