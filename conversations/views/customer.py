from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import customer_required


@require_safe
@customer_required
def chat(request):
    return render(request, "portal/chat.html")
