from django.conf import settings


def live(request):
    """Where pages open the live stream and how often they poll while it is healthy
    (templates/base.html puts both on <body> for signed-in users)."""
    return {"live_url": settings.LIVE_URL, "live_safety_poll_seconds": settings.LIVE_SAFETY_POLL_SECONDS}
