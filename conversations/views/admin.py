from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import admin_required


@require_safe
@admin_required
def home(request):
    return render(request, "console/home.html")
