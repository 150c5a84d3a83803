from django.urls import path

from . import views

app_name = "agents"

urlpatterns = [
    path("", views.agent_index, name="list"),
    path("board/", views.agent_board, name="board"),
    path("new/", views.agent_new, name="new"),
    path("<int:pk>/", views.agent_detail, name="detail"),
    path("<int:pk>/edit/", views.agent_edit, name="edit"),
    path("<int:pk>/gates/<int:phase>/", views.gate_page, name="gate"),
    path("<int:pk>/gates/<int:phase>/checklist/", views.gate_checklist, name="gate_checklist"),
    path("<int:pk>/gates/<int:phase>/decide/", views.gate_decision, name="gate_decide"),
    path("<int:pk>/suspend/", views.agent_suspend, name="suspend"),
    path("<int:pk>/resume/", views.agent_resume, name="resume"),
    path("<int:pk>/drills/start/", views.drill_start, name="drill_start"),
    path("<int:pk>/drills/<int:drill_id>/end/", views.drill_end, name="drill_end"),
    path("<int:pk>/tokens/", views.agent_token_create, name="token_create"),
]
