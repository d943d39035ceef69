from django.db import models


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ScopedManager(models.Manager):
    """Applies the current request's custom-auth filter for `resource` to every query.

    Outside an authenticated API request (workers, admin, beat) nothing is filtered.
    """

    def __init__(self, resource: str, metadata_path: str = "metadata") -> None:
        super().__init__()
        self.resource = resource
        self.metadata_path = metadata_path

    def deconstruct(self) -> tuple:
        return (False, "django.db.models.Manager", None, (), {})

    def get_queryset(self) -> models.QuerySet:
        from apps.auth.custom_auth import auth_filters, filter_q

        queryset = super().get_queryset()
        filters = auth_filters().get(self.resource)
        return queryset.filter(filter_q(filters, self.metadata_path)) if filters else queryset
