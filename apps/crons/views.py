import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.views import ApiView
from apps.crons import services
from apps.crons.serializers import (
    CronCountSerializer,
    CronCreateSerializer,
    CronPatchSerializer,
    CronSearchSerializer,
    ThreadCronCreateSerializer,
    cron_to_json,
)


class CronCreateView(ApiView):
    auth_resource = "crons"
    auth_actions = {"POST": "create"}
    auth_metadata_methods = frozenset({"POST"})

    @extend_schema(request=CronCreateSerializer, responses={200: dict}, summary="Create Cron")
    def post(self, request: Request) -> Response:
        return Response(cron_to_json(services.create_cron(self.parse(CronCreateSerializer))))


class ThreadCronCreateView(ApiView):
    auth_resource = "crons"
    auth_actions = {"POST": "create"}
    auth_metadata_methods = frozenset({"POST"})

    @extend_schema(request=ThreadCronCreateSerializer, responses={200: dict}, summary="Create Thread Cron")
    def post(self, request: Request, thread_id: uuid.UUID) -> Response:
        return Response(cron_to_json(services.create_cron(self.parse(ThreadCronCreateSerializer), thread_id)))


class CronDetailView(ApiView):
    auth_resource = "crons"
    auth_actions = {"GET": "read", "PATCH": "update", "DELETE": "delete"}
    auth_metadata_methods = frozenset({"PATCH"})

    @extend_schema(responses={200: dict}, summary="Get Cron")
    def get(self, request: Request, cron_id: uuid.UUID) -> Response:
        return Response(cron_to_json(services.get_cron(cron_id)))

    @extend_schema(request=CronPatchSerializer, responses={200: dict}, summary="Update Cron")
    def patch(self, request: Request, cron_id: uuid.UUID) -> Response:
        return Response(cron_to_json(services.patch_cron(cron_id, self.parse(CronPatchSerializer))))

    @extend_schema(responses={204: None}, summary="Delete Cron")
    def delete(self, request: Request, cron_id: uuid.UUID) -> Response:
        services.delete_cron(cron_id)
        return Response(None, status=204)


class CronSearchView(ApiView):
    auth_resource = "crons"
    auth_actions = {"POST": "search"}

    @extend_schema(request=CronSearchSerializer, responses={200: list}, summary="Search Crons")
    def post(self, request: Request) -> Response:
        return self.search_page(services.search_crons, self.parse(CronSearchSerializer), cron_to_json)


class CronCountView(ApiView):
    auth_resource = "crons"
    auth_actions = {"POST": "search"}

    @extend_schema(request=CronCountSerializer, responses={200: int}, summary="Count Crons")
    def post(self, request: Request) -> Response:
        return Response(services.count_crons(**self.parse(CronCountSerializer)))
