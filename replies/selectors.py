from django.db.models import Q

from .models import CannedReply


def canned_reply_list_for(user):
    """The replies ``user`` may use: the shared ones and their own, by title. Nobody
    outside the team (customers, inactive or anonymous users) gets any."""
    if not (user.is_authenticated and user.is_active and user.is_team):
        return CannedReply.objects.none()
    return CannedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user)).order_by("title", "id")


def canned_reply_get_for(user, pk):
    """One reply ``user`` may see (shared or their own), or None (the view answers 404)."""
    return canned_reply_list_for(user).filter(pk=pk).first()
