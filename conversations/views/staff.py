from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.decorators import team_required


@require_safe
@team_required
def index(request):
    return redirect("staff:conversation_list")


@require_safe
@team_required
def conversation_list(request):
    return render(request, "staff/conversation_list.html")
