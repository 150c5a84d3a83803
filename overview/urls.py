"""The /agents/ pages that join several rooms (namespace `agents`)."""

from django.urls import path

from . import agent_views, views, work

app_name = "agents"

urlpatterns = [
    path("", views.agent_index, name="list"),
    path("board/", views.agent_board, name="board"),
    path("work/", work.work_page, name="work"),
    path("new/", agent_views.agent_new, name="new"),
    path("<int:pk>/", agent_views.agent_detail, name="detail"),
    path("<int:pk>/edit/", agent_views.agent_edit, name="edit"),
    path("<int:pk>/resume/", agent_views.agent_resume, name="resume"),
    path("<int:pk>/tokens/", agent_views.agent_token_create, name="token_create"),
    path(
        "<int:pk>/permissions/<int:permission_id>/review/",
        agent_views.permission_review,
        name="permission_review",
    ),
]
