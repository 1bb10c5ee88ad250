from django.urls import URLPattern

app_name = "polls"
urlpatterns: list[URLPattern] = []
