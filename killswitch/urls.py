"""The kill switch's pages (namespace `killswitch`), mounted under /agents/."""

from django.urls import path

from . import views

app_name = "killswitch"

urlpatterns = [
    path("<int:pk>/suspend/", views.agent_suspend, name="suspend"),
    path("<int:pk>/drills/start/", views.drill_start, name="drill_start"),
    path("<int:pk>/drills/<int:drill_id>/end/", views.drill_end, name="drill_end"),
]
