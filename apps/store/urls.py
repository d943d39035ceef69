from django.urls import path

from apps.store import views

urlpatterns = [
    path("store/items", views.StoreItemsView.as_view()),
    path("store/items/search", views.StoreSearchView.as_view()),
    path("store/namespaces", views.StoreNamespacesView.as_view()),
]
