"""Cursor pagination for every list: stable under inserts, no COUNT(*), opaque cursors."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

INVALID_CURSOR = "This cursor is not valid: follow the `next` and `previous` links as given."


class ApiCursorPagination(CursorPagination):
    """`?cursor=` from the `next`/`previous` links and `?page_size=` (up to 100)."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        # DRF answers a garbled cursor with 404, as if the list were missing; it is bad input.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None

    def paginate_queryset(self, queryset, request, view=None):
        # A well-formed cursor can still carry a position the ordering field cannot hold
        # (a hand-made `p=` that is no date): the filter raises Django's ValidationError.
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None

    def get_page_size(self, request):
        self.page_size = settings.API_PAGE_SIZE
        return super().get_page_size(request)


def paginated(ordering: tuple[str, ...]) -> type[ApiCursorPagination]:
    """A pagination class with another ordering (the last field must be unique)."""
    return type("ApiCursorPagination", (ApiCursorPagination,), {"ordering": ordering})
