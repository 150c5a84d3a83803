"""An agent's gate pages (namespace `gates`), mounted under /agents/."""

from django.urls import path

from . import views

app_name = "gates"

urlpatterns = [
    path("<int:pk>/gates/<int:phase>/", views.gate_page, name="gate"),
    path("<int:pk>/gates/<int:phase>/checklist/", views.gate_checklist, name="checklist"),
    path("<int:pk>/gates/<int:phase>/decide/", views.gate_decision, name="decide"),
]
