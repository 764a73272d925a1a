from .models import SupportTicket


def ticket_list_for(user, *, status=None, priority=None):
    """Tickets ``user`` may see: admins all, staff their assigned ones, customers their own."""
    queryset = SupportTicket.objects.visible_to(user)
    if status:
        queryset = queryset.filter(status=status)
    if priority:
        queryset = queryset.filter(priority=priority)
    return queryset.select_related("conversation", "conversation__customer", "conversation__lead", "assigned_to")
