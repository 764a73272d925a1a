"""Role decorators: each reads one field, User.role (house style 6).

Anonymous users go to the login page (htmx requests get HX-Redirect from
designpi.middleware.HtmxLoginRedirectMiddleware); a signed-in user of the wrong
role gets 403.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def _role_required(check, message):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


customer_required = _role_required(lambda user: user.is_customer, "This page is for customers.")
team_required = _role_required(lambda user: user.is_team, "This page is for the support team.")
admin_required = _role_required(lambda user: user.is_admin, "This page is for admins.")
