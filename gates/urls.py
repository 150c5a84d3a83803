"""An agent's gate pages and its prompt-version form (namespace `gates`),
mounted under /agents/."""

from django.urls import path

from . import views

app_name = "gates"

urlpatterns = [
    path("<int:pk>/gates/<int:phase>/", views.gate_page, name="gate"),
    path("<int:pk>/gates/<int:phase>/checklist/", views.gate_checklist, name="checklist"),
    path("<int:pk>/gates/<int:phase>/decide/", views.gate_decision, name="decide"),
    path("<int:pk>/prompt-versions/new/", views.prompt_version_new, name="prompt_version_new"),
    path(
        "<int:pk>/prompt-versions/<int:version>/",
        views.prompt_version_page,
        name="prompt_version",
    ),
]
