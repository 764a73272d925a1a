from .models import SupportTicket


def ticket_list_for(user, *, status=None, priority=None, assigned_only: bool = False):
    """Tickets ``user`` may see: admins all, staff their assigned ones, customers their own.

    ``assigned_only``: the staff portal's "my tickets" (for admins too); it only narrows.
    """
    queryset = SupportTicket.objects.visible_to(user)
    if assigned_only:  # the conversation's assignee, as visibility_q reads it for staff
        queryset = queryset.filter(conversation__assigned_to=user)
    if status:
        queryset = queryset.filter(status=status)
    if priority:
        queryset = queryset.filter(priority=priority)
    return queryset.select_related("conversation", "conversation__customer", "conversation__lead", "assigned_to")
