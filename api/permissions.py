"""Who may call what, decided as on the pages: agents (agents.permissions.is_agent), customers
with an account (tickets.selectors.customer_for_user) and admins (staff)."""

from rest_framework.permissions import BasePermission

from agents.permissions import is_agent


class IsAgent(BasePermission):
    message = "This endpoint is for agents."

    def has_permission(self, request, view):
        return is_agent(request.user)


class IsCustomer(BasePermission):
    message = "This endpoint is for customers with an account."

    def has_permission(self, request, view):
        from tickets.selectors import customer_for_user

        if not request.user or not request.user.is_authenticated:
            return False
        customer = customer_for_user(request.user)
        request.customer = customer
        return customer is not None


class IsStaff(BasePermission):
    message = "This endpoint is for administrators."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class ReadAnyoneWriteStaff(BasePermission):
    """Reads are public (published content); writes are for administrators."""

    message = "Only administrators can change this."

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return IsStaff().has_permission(request, view)
