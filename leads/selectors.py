from .models import Lead


def lead_list_for(user, *, status=None):
    """Leads are the admins' business: everyone else sees none."""
    if not (user.is_authenticated and user.is_active and user.is_admin):
        return Lead.objects.none()
    queryset = Lead.objects.all()
    if status:
        queryset = queryset.filter(status=status)
    return queryset
